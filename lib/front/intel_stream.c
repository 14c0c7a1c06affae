/* Intel SDK front end, stage 2: the page stream of an SDK enclave as its
 * metadata describes it (CLoader::build_image, intel-sdk-format.md §5). Used
 * by sign (on the metadata it just built) and by verify (on any stored block). */
#include <stdlib.h>
#include <string.h>
#include "ensign/intel_sdk.h"
#include "ensign/progress.h"
#include "ensign/measure.h"
#include "ensign/util.h"

#define PAGE 4096ull
#define TRIM(x) ((x) & ~(PAGE - 1))
#define ROUND(x) (((x) + PAGE - 1) & ~(PAGE - 1))

bool ens_intel_meta_new_format(uint64_t version)
{
	uint32_t major = (uint32_t)(version >> 32), minor = (uint32_t)version;
	/* DIR_NUM 4 (ELRANGE and EXTEND dirs) from SDK 2.24: 3.2+, 13.2+, 1.5+, 11.5+ */
	return ((major == 3 || major == 13) && minor >= 2) || ((major == 1 || major == 11) && minor >= 5);
}

struct ctx {
	const uint8_t *meta;
	size_t meta_len;
	uint64_t delta;			/* ELRANGE: image address - range start */
	struct ens_sink *sink;
	uint8_t page[4096];
	int depth;
	uint64_t expanded;		/* layout entries visited, groups unrolled */
	uint64_t pages, max_pages;	/* pages added so far; what ELRANGE holds */
};

/* Nested groups multiply (page_count^depth): a forged table must not make us
 * loop for hours. Real enclaves unroll a few thousand entries at most (about
 * seven per thread); 2^20 allows some 150,000 threads and costs milliseconds. */
#define MAX_LAYOUT_EXPANSION (UINT64_C(1) << 20)

/* Each EADD takes a page of its own in ELRANGE (the CPU refuses a second
 * one), so more pages than the range holds means overlapping entries; the
 * check also bounds the work a forged table can ask for. */
static int push(struct ctx *c, uint64_t rva, uint64_t count, const uint8_t *data, uint64_t si, bool extend,
		struct ens_err *err)
{
	if (count > c->max_pages - c->pages)
		return ens_fail(err, ENS_E_FORMAT, "the layout adds more pages than the enclave's 0x%llx bytes hold "
				"(overlapping layout entries)", (unsigned long long)(c->max_pages * PAGE));
	c->pages += count;
	if (!extend)
		return ens_sink_eadd_run(c->sink, rva + c->delta, count, si, data, err);
	for (uint64_t i = 0; i < count; i++) {
		struct ens_page pg = {.offset = rva + c->delta + i * PAGE, .secinfo_flags = si,
				      .eextend_mask = extend ? 0xFFFF : 0, .added = true, .data = data};
		if (c->sink->page(c->sink->ctx, &pg, err))
			return -1;
	}
	return 0;
}

static int build_entry(struct ctx *c, const struct ens_intel_layout *l, uint64_t delta, struct ens_err *err)
{
	uint64_t rva = l->rva + delta;
	if (!(l->attributes & ENS_PA_EADD))
		return 0;
	if (rva & (PAGE - 1))
		return ens_fail(err, ENS_E_FORMAT, "layout entry %s: rva 0x%llx is not page-aligned",
				ens_intel_layout_name(l->id), (unsigned long long)rva);
	bool extend = l->attributes & ENS_PA_EEXTEND;
	if (l->content_offset) {
		if ((uint64_t)l->content_offset + l->content_size > c->meta_len || l->content_size > PAGE)
			return ens_fail(err, ENS_E_FORMAT, "layout entry %s: content [0x%x, +0x%x) outside the metadata",
					ens_intel_layout_name(l->id), l->content_offset, l->content_size);
		memset(c->page, 0, PAGE);
		memcpy(c->page, c->meta + l->content_offset, l->content_size);
		if (l->si_flags == ENS_SECINFO_TCS) {
			struct ens_tcs *t = (struct ens_tcs *)c->page;
			t->ossa += rva;
			t->ofsbase += rva;
			t->ogsbase += rva;
		} else {
			extend = true;
		}
		return push(c, rva, l->page_count, c->page, l->si_flags, extend, err);
	}
	if (!l->si_flags)
		return 0;
	const uint8_t *data = NULL;
	if (l->content_size) {
		for (size_t i = 0; i < PAGE; i += 4)
			ens_put_le32(c->page + i, l->content_size);
		data = c->page;
	}
	return push(c, rva, l->page_count, data, l->si_flags, extend, err);
}

/* Mirrors CLoader::build_contexts, including its use of the group's own step
 * (not the outer delta) for nested groups. */
static int build_contexts(struct ctx *c, const struct ens_intel_layout *start, const struct ens_intel_layout *end,
			  const struct ens_intel_layout *first, uint64_t delta, struct ens_err *err)
{
	if (++c->depth > 8)
		return ens_fail(err, ENS_E_FORMAT, "layout groups nested too deeply");
	for (const struct ens_intel_layout *l = start; l < end; l++) {
		if (++c->expanded > MAX_LAYOUT_EXPANSION)
			return ens_fail(err, ENS_E_FORMAT, "layout groups unroll to more than %llu entries",
					(unsigned long long)MAX_LAYOUT_EXPANSION);
		if (!(l->id & ENS_LAYOUT_GROUP_FLAG)) {
			if (build_entry(c, l, delta, err))
				return -1;
			continue;
		}
		uint16_t n = l->attributes;
		if (n > l - first)
			return ens_fail(err, ENS_E_FORMAT, "layout group repeats %u entries but only %td precede it",
					n, l - first);
		uint64_t step = 0;
		for (uint32_t j = 0; n && j < l->page_count; j++) {
			step += l->rva;
			if (build_contexts(c, l - n, l, first, step, err))
				return -1;
		}
	}
	c->depth--;
	return 0;
}

int ens_intel_meta_check(const uint8_t *meta, size_t len, struct ens_err *err)
{
	if (len < sizeof(struct ens_intel_meta))
		return ens_fail(err, ENS_E_FORMAT, "metadata block truncated (%zu bytes)", len);
	struct ens_intel_meta h;
	memcpy(&h, meta, sizeof(h));
	if (h.magic != ENS_INTEL_META_MAGIC)
		return ens_fail(err, ENS_E_FORMAT, "bad metadata magic 0x%llx", (unsigned long long)h.magic);
	if (h.size < 1888 || h.size > len)
		return ens_fail(err, ENS_E_FORMAT, "metadata size 0x%x out of range", h.size);
	int ndirs = ens_intel_meta_new_format(h.version) ? 4 : 2;
	for (int i = 0; i < ndirs; i++)
		if ((uint64_t)h.dirs[i].offset + h.dirs[i].size > h.size)
			return ens_fail(err, ENS_E_FORMAT, "metadata directory %d [0x%x, +0x%x) beyond its size 0x%x", i,
					h.dirs[i].offset, h.dirs[i].size, h.size);
	if (h.dirs[ENS_INTEL_DIR_PATCH].size % 32 || h.dirs[ENS_INTEL_DIR_LAYOUT].size % 32)
		return ens_fail(err, ENS_E_FORMAT, "metadata patch or layout table size not a multiple of 32");
	if (!h.dirs[ENS_INTEL_DIR_LAYOUT].size)
		return ens_fail(err, ENS_E_FORMAT, "metadata has an empty layout table");
	if (h.ssa_frame_size == 0)
		return ens_fail(err, ENS_E_FORMAT, "metadata ssa_frame_size is 0");
	return 0;
}

int ens_intel_stream(const struct ens_intel_elf *e, const uint8_t *meta, size_t meta_len,
		     struct ens_sink *sink, struct ens_err *err)
{
	if (ens_intel_meta_check(meta, meta_len, err))
		return -1;
	struct ens_intel_meta h;
	memcpy(&h, meta, sizeof(h));
	meta_len = h.size;
	uint32_t major = (uint32_t)(h.version >> 32), minor = (uint32_t)h.version;
	struct ctx *c = calloc(1, sizeof(*c));
	uint8_t *img = malloc(e->len ? e->len : 1);
	int rc = -1;
	struct ens_progress prog;
	bool progress = false;
	if (!c || !img) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	c->meta = meta;
	c->meta_len = meta_len;
	c->sink = sink;
	uint64_t secs_size = h.enclave_size;
	if (major >= 11) {
		/* 2.24+: a dir of the header; 2.14 - 2.23 (11.4, 12.4, 13.0, 13.1): an
		 * {offset, size} pair at the start of the data area */
		struct ens_intel_dir d = h.dirs[ENS_INTEL_DIR_ELRANGE];
		if (!ens_intel_meta_new_format(h.version)) {
			const size_t at = sizeof(struct ens_intel_meta) - 16;
			if (meta_len < at + 8) {
				ens_fail(err, ENS_E_FORMAT, "metadata %u.%u has no ELRANGE entry", major, minor);
				goto out;
			}
			d.offset = ens_get_le32(meta + at);
			d.size = ens_get_le32(meta + at + 4);
			if ((uint64_t)d.offset + d.size > meta_len)
				d.size = 0;
		}
		struct ens_intel_elrange r;
		if (d.size < sizeof(r)) {
			ens_fail(err, ENS_E_FORMAT, "metadata %u.%u has no ELRANGE entry", major, minor);
			goto out;
		}
		memcpy(&r, meta + d.offset, sizeof(r));
		if (r.image_address < r.start_address) {
			ens_fail(err, ENS_E_FORMAT, "ELRANGE image address below the range start");
			goto out;
		}
		c->delta = r.image_address - r.start_address;
		secs_size = r.size;
	}
	ens_progress_start(&prog, secs_size, secs_size / ENS_PAGE_SIZE);
	progress = true;
	c->sink = ens_progress_sink(&prog, sink);
	/* The private copy: the patched bytes are measured, the file keeps the originals. */
	memcpy(img, e->data, e->len);
	struct ens_intel_dir pd = h.dirs[ENS_INTEL_DIR_PATCH];
	for (uint32_t i = 0; i < pd.size / 32; i++) {
		struct ens_intel_patch p;
		memcpy(&p, meta + pd.offset + 32 * i, sizeof(p));
		if (p.dst > e->len || e->len - p.dst < p.size || (uint64_t)p.src + p.size > meta_len) {
			ens_fail(err, ENS_E_FORMAT, "metadata patch %u (dst 0x%llx, src 0x%x, size 0x%x) out of bounds", i,
				 (unsigned long long)p.dst, p.src, p.size);
			goto out;
		}
		memcpy(img + p.dst, meta + p.src, p.size);
	}
	if (sink->ecreate(sink->ctx, h.ssa_frame_size, secs_size, err))
		goto out;
	c->max_pages = secs_size / PAGE;
	uint64_t top = 0;
	int top_i = 0;
	for (int i = 0; i < e->nseg; i++)
		if (e->seg[i].vaddr >= top)
			top = e->seg[i].vaddr, top_i = i;
	bool quirk13 = major == 1 && minor == 3;
	for (int i = 0; i < e->nseg; i++) {
		const struct ens_intel_seg *s = &e->seg[i];
		uint64_t si = ENS_SECINFO_REG | ((s->flags & 4) ? ENS_SECINFO_R : 0) | ((s->flags & 2) ? ENS_SECINFO_W : 0) |
			      ((s->flags & 1) ? ENS_SECINFO_X : 0);
		uint64_t end = ROUND(s->vaddr + s->memsz);
		for (uint64_t a = TRIM(s->vaddr); a < end; a += PAGE) {
			memset(c->page, 0, PAGE);
			uint64_t lo = a > s->vaddr ? a : s->vaddr, hi = a + PAGE;
			if (hi > s->vaddr + s->filesz)
				hi = s->vaddr + s->filesz;
			if (lo < hi)
				memcpy(c->page + (lo - a), img + s->offset + (lo - s->vaddr), hi - lo);
			if (push(c, a, 1, c->page, si, true, err))
				goto out;
		}
		/* Metadata 1.3 loaders also added one zero page after a segment whose
		 * unaligned start let its tail spill into the next page. */
		if (quirk13 && (s->vaddr & (PAGE - 1)) && (s->memsz & (PAGE - 1)) &&
		    (s->vaddr & (PAGE - 1)) + (s->memsz & (PAGE - 1)) <= PAGE) {
			bool gap = i == top_i;
			if (!gap && i + 1 < e->nseg && TRIM(e->seg[i + 1].vaddr) > end)
				gap = true;
			if (gap && push(c, end, 1, NULL, si, true, err))
				goto out;
		}
	}
	struct ens_intel_dir ld = h.dirs[ENS_INTEL_DIR_LAYOUT];
	size_t n = ld.size / 32;
	struct ens_intel_layout *tab = malloc(ld.size);
	if (!tab) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(tab, meta + ld.offset, ld.size);
	rc = build_contexts(c, tab, tab + n, tab, 0, err);
	free(tab);
out:
	if (progress)
		ens_progress_finish(&prog);
	free(img);
	free(c);
	return rc;
}

int ens_intel_mrenclave(const struct ens_intel_elf *e, const uint8_t *meta, size_t meta_len,
			uint8_t mrenclave[32], uint64_t *pages, struct ens_err *err)
{
	struct ens_measure *m = malloc(sizeof(*m));
	if (!m)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (ens_measure_init(m, err)) {
		free(m);
		return -1;
	}
	struct ens_sink ms, cs, tee_sink;
	struct ens_layout_check chk;
	struct ens_tee tee = {{&ms, &cs}, 2};
	ens_sink_measure(&ms, m);
	ens_sink_check(&cs, &chk, false);
	ens_sink_tee(&tee_sink, &tee);
	int rc = ens_intel_stream(e, meta, meta_len, &tee_sink, err);
	if (!rc)
		rc = ens_measure_final(m, mrenclave, err);
	if (!rc && pages)
		*pages = chk.pages_added;
	ens_measure_free(m);
	free(m);
	return rc;
}

int ens_intel_meta_chain(const uint8_t *area, size_t len, size_t offs[], int max, struct ens_err *err)
{
	int n = 0;
	size_t off = 0;
	while (off + 24 <= len && ens_get_le64(area + off) == ENS_INTEL_META_MAGIC) {
		uint32_t size = ens_get_le32(area + off + 16);
		if (size == 0)
			return ens_fail(err, ENS_E_FORMAT, "metadata block %d at offset 0x%zx has size 0", n, off);
		if (size > len - off)
			return ens_fail(err, ENS_E_FORMAT, "metadata block %d at offset 0x%zx (size 0x%x) overruns the area",
					n, off, size);
		if (n == max)
			return ens_fail(err, ENS_E_UNSUPPORTED, "more than %d metadata blocks", max);
		offs[n++] = off;
		off += size;
	}
	return n;
}

const char *ens_intel_layout_name(uint16_t id)
{
	switch (id) {
	case 1: return "HEAP_MIN";
	case 2: return "HEAP_INIT";
	case 3: return "HEAP_MAX";
	case 4: return "TCS";
	case 5: return "TD";
	case 6: return "SSA";
	case 7: return "STACK_MAX";
	case 8: return "STACK_MIN";
	case 10: return "GUARD";
	case 14: return "TCS_DYN";
	case 15: return "TD_DYN";
	case 16: return "SSA_DYN";
	case 17: return "STACK_DYN_MAX";
	case 18: return "STACK_DYN_MIN";
	case 20: return "RSRV_MIN";
	case 21: return "RSRV_INIT";
	case 22: return "RSRV_MAX";
	case 23: return "USER_REGION";
	case 0x1009: return "THREAD_GROUP";
	case 0x1013: return "THREAD_GROUP_DYN";
	default: return "UNKNOWN";
	}
}
