/* Application front end, second half: the enclave layout of an application
 * and its configuration (docs/layout.md), streamed page by page into an
 * ens_sink. Memory use is constant whatever the heap, stack or thread count. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include "ensign/app.h"
#include "ensign/measure.h"
#include "ensign/progress.h"
#include "ensign/util.h"

#define PG ENS_PAGE_SIZE
#define ALL_CHUNKS 0xFFFFu

const char *ens_mm_name(enum ens_mm mm)
{
	return mm == ENS_MM_SGX1 ? "sgx1" : mm == ENS_MM_SGX2 ? "sgx2" : "all";
}

void ens_app_config_default(struct ens_app_config *c)
{
	*c = (struct ens_app_config){ .heap = ENS_APP_DEFAULT_HEAP, .minheap = ENS_APP_DEFAULT_MINHEAP,
				      .stack = ENS_APP_DEFAULT_STACK, .tcs = ENS_APP_DEFAULT_TCS };
}

static int check_size(uint64_t v, const char *what, bool may_be_zero, struct ens_err *err)
{
	if (v % PG)
		return ens_fail(err, ENS_E_USAGE, "%s: %" PRIu64 " bytes is not a multiple of the page size"
				" (4096); sizes are rejected, not rounded", what, v);
	if (!v && !may_be_zero)
		return ens_fail(err, ENS_E_USAGE, "%s: must be at least one page (4096 bytes)", what);
	if (v > ENS_APP_MAX_SIZE)
		return ens_fail(err, ENS_E_USAGE, "%s: %" PRIu64 " bytes exceeds the largest enclave (128T)",
				what, v);
	return 0;
}

int ens_app_config_check(const struct ens_app_config *c, struct ens_err *err)
{
	if (check_size(c->heap, "heap", true, err) || check_size(c->minheap, "minheap", true, err) ||
	    check_size(c->stack, "stack", false, err))
		return -1;
	if (c->tcs == 0 || c->tcs > ENS_APP_MAX_TCS)
		return ens_fail(err, ENS_E_USAGE, "tcs: %" PRIu32 " is out of range (1..%u)", c->tcs,
				ENS_APP_MAX_TCS);
	if (c->minheap > c->heap)
		return ens_fail(err, ENS_E_USAGE, "minheap: %" PRIu64 " bytes exceeds heap (%" PRIu64 " bytes)",
				c->minheap, c->heap);
	return 0;
}

/* §4.2: XSAVE size of the enabled features; SSA frame = GPR area (184) + XSAVE. */
int ens_app_check_xfrm(uint64_t xfrm, struct ens_err *err)
{
	static const struct { uint64_t bits; unsigned size; } rows[] = {
		{ 0x3, 576 }, { 0x4, 832 }, { 0x18, 1088 }, { 0xE0, 2688 }, { 0x200, 2752 }, { 0x60000, 11008 },
	};
	static const uint64_t known = 0x3 | 0x4 | 0x18 | 0xE0 | 0x200 | 0x60000;
	unsigned size = 0;

	if ((xfrm & 3) != 3)
		return ens_fail(err, ENS_E_USAGE, "xfrm: 0x%" PRIx64 " must have x87 and SSE (0x3) set", xfrm);
	if ((xfrm & 0x60000) && (xfrm & 0x60000) != 0x60000)
		return ens_fail(err, ENS_E_USAGE, "xfrm: 0x%" PRIx64 " must have both AMX bits (0x60000) or neither",
				xfrm);
	if (xfrm & ~known)
		return ens_fail(err, ENS_E_USAGE, "xfrm: 0x%" PRIx64 " has unknown feature bits 0x%" PRIx64, xfrm,
				xfrm & ~known);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (xfrm & rows[i].bits)
			size = rows[i].size;
	if (size + 184 > ENS_APP_SSAFRAMESIZE * PG)
		return ens_fail(err, ENS_E_USAGE, "xfrm: 0x%" PRIx64 " needs a %u-byte SSA frame; the layout has %u"
				" page (AMX is not supported)", xfrm, size + 184, ENS_APP_SSAFRAMESIZE);
	return 0;
}

int ens_app_plan(const struct ens_app *app, const struct ens_app_config *cfg, struct ens_app_layout *lay,
		 struct ens_err *err)
{
	uint64_t blocks;

	if (ens_app_config_check(cfg, err))
		return -1;
	memset(lay, 0, sizeof *lay);
	lay->cfg = *cfg;
	lay->base_vaddr = app->base_vaddr;
	lay->entry = app->entry;
	lay->image_size = app->image_size;
	lay->stack_pages = cfg->stack / PG;
	lay->thread_stride = ENS_APP_TB_TLS(lay) + PG;
	lay->threads_offset = lay->image_size;
	/* every term is below 2^47 and tcs below 2^17, so no u64 overflow */
	blocks = lay->thread_stride * cfg->tcs;
	lay->config_offset = lay->threads_offset + blocks;
	lay->heap_offset = lay->config_offset + PG;
	lay->end = lay->heap_offset + cfg->heap;
	if (lay->end > ENS_APP_MAX_SIZE)
		return ens_fail(err, ENS_E_USAGE, "the enclave would need 0x%" PRIx64 " bytes, more than the"
				" largest enclave (128T)", lay->end);
	lay->size = ens_next_pow2(lay->end);
	return ens_enclave_size_check(lay->size, ENS_E_USAGE, err);
}

void ens_app_config_page(const struct ens_app_layout *lay, enum ens_mm mm, struct ens_app_config_page *p)
{
	const struct ens_app_config *c = &lay->cfg;

	memset(p, 0, sizeof *p);
	memcpy(p->magic, ENS_APP_CONFIG_MAGIC, 8);
	p->version = 1;
	p->memory_model = (uint32_t)mm;
	p->heap = c->heap;
	p->minheap = c->minheap;
	p->stack = c->stack;
	p->tcs = c->tcs;
	p->flags = (c->mprotect ? ENS_APP_FLAG_MPROTECT : 0) | (c->dlopen ? ENS_APP_FLAG_DLOPEN : 0);
	p->entry = lay->entry;
	p->enclave_size = lay->size;
	p->image_size = lay->image_size;
	p->threads_offset = lay->threads_offset;
	p->thread_stride = lay->thread_stride;
	p->config_offset = lay->config_offset;
	p->heap_offset = lay->heap_offset;
	p->heap_added = mm == ENS_MM_SGX2 ? c->minheap : c->heap;
	p->ssaframesize = ENS_APP_SSAFRAMESIZE;
	p->nssa = ENS_APP_NSSA;
	p->image_base_vaddr = lay->base_vaddr;
}

static int emit(struct ens_sink *sink, uint64_t off, uint64_t flags, const uint8_t *data, uint16_t mask,
		struct ens_err *err)
{
	struct ens_page pg = { .offset = off, .secinfo_flags = flags, .eextend_mask = mask, .added = true,
			       .data = data };

	return sink->page(sink->ctx, &pg, err);
}

/* Copy what the segment's file bytes put on the page at vaddr; the ELF
 * header's section fields (e_shoff, e_shentsize, e_shnum, e_shstrndx) are
 * measured as zero so that appending the signature section keeps MRENCLAVE. */
static void fill_image_page(const struct ens_app *app, const struct ens_app_segment *s, uint64_t vaddr,
			    uint8_t *page)
{
	static const struct { uint64_t off, len; } hide[] = { { 0x28, 8 }, { 0x3a, 6 } };
	uint64_t lo = vaddr > s->vaddr ? vaddr : s->vaddr;
	uint64_t hi = vaddr + PG < s->vaddr + s->filesz ? vaddr + PG : s->vaddr + s->filesz;

	memset(page, 0, PG);
	if (lo < hi)
		memcpy(page + (lo - vaddr), app->file + s->offset + (lo - s->vaddr), hi - lo);
	for (size_t i = 0; i < 2; i++)
		for (uint64_t fo = hide[i].off; fo < hide[i].off + hide[i].len; fo++) {
			uint64_t va;

			if (fo < s->offset || fo - s->offset >= s->filesz)
				continue;
			va = s->vaddr + (fo - s->offset);
			if (va >= vaddr && va - vaddr < PG)
				page[va - vaddr] = 0;
		}
}

static uint64_t reg_flags(uint32_t pf, bool mprotect)
{
	uint64_t f = ENS_SECINFO_REG;

	if (mprotect)
		return f | ENS_SECINFO_R | ENS_SECINFO_W | ENS_SECINFO_X;
	if (pf & (PF_R | PF_W))	/* SGX has no write-only pages */
		f |= ENS_SECINFO_R;
	if (pf & PF_W)
		f |= ENS_SECINFO_W;
	if (pf & PF_X)
		f |= ENS_SECINFO_X;
	return f;
}

static int stream_image(const struct ens_app *app, const struct ens_app_layout *lay, struct ens_sink *sink,
			struct ens_err *err)
{
	uint8_t page[PG];

	for (int i = 0; i < app->nseg; i++) {
		const struct ens_app_segment *s = &app->seg[i];
		uint64_t first = s->vaddr & ~(uint64_t)(PG - 1), last = s->vaddr + s->memsz;
		uint64_t flags = reg_flags(s->flags, lay->cfg.mprotect);

		for (uint64_t va = first; va < last; va += PG) {
			fill_image_page(app, s, va, page);
			if (emit(sink, va - lay->base_vaddr, flags, page, ALL_CHUNKS, err))
				return -1;
		}
	}
	return 0;
}

static int stream_thread(const struct ens_app_layout *lay, uint32_t t, struct ens_sink *sink,
			 struct ens_err *err)
{
	uint64_t tb = lay->threads_offset + (uint64_t)t * lay->thread_stride;
	uint64_t rw = ENS_SECINFO_REG | ENS_SECINFO_R | ENS_SECINFO_W;
	union { struct ens_tcs tcs; struct ens_app_tls tls; uint8_t bytes[PG]; } page;

	/* the guard page at tb is never added */
	if (ens_sink_eadd_run(sink, tb + ENS_APP_TB_STACK(lay), lay->stack_pages, rw, NULL, err))
		return -1;
	memset(&page, 0, sizeof page);
	page.tcs.ossa = tb + ENS_APP_TB_SSA(lay);
	page.tcs.nssa = ENS_APP_NSSA;
	page.tcs.oentry = lay->entry;
	page.tcs.ofsbase = page.tcs.ogsbase = tb + ENS_APP_TB_TLS(lay);
	page.tcs.fslimit = page.tcs.gslimit = 0xFFF;
	if (emit(sink, tb + ENS_APP_TB_TCS(lay), ENS_SECINFO_TCS, page.bytes, ALL_CHUNKS, err))
		return -1;
	for (uint64_t i = 0; i < (uint64_t)ENS_APP_NSSA * ENS_APP_SSAFRAMESIZE; i++)
		if (emit(sink, tb + ENS_APP_TB_SSA(lay) + i * PG, rw, NULL, ALL_CHUNKS, err))
			return -1;
	memset(&page, 0, sizeof page);
	page.tls.self = tb + ENS_APP_TB_TLS(lay);
	page.tls.thread_index = t;
	page.tls.stack_low = tb + ENS_APP_TB_STACK(lay);
	page.tls.stack_high = tb + ENS_APP_TB_TCS(lay);
	page.tls.tcs = tb + ENS_APP_TB_TCS(lay);
	page.tls.ssa = tb + ENS_APP_TB_SSA(lay);
	page.tls.config = lay->config_offset;
	return emit(sink, tb + ENS_APP_TB_TLS(lay), rw, page.bytes, ALL_CHUNKS, err);
}

int ens_app_stream_common(const struct ens_app *app, const struct ens_app_layout *lay, struct ens_sink *sink,
			  struct ens_err *err)
{
	if (sink->ecreate(sink->ctx, ENS_APP_SSAFRAMESIZE, lay->size, err) || stream_image(app, lay, sink, err))
		return -1;
	for (uint32_t t = 0; t < lay->cfg.tcs; t++)
		if (stream_thread(lay, t, sink, err))
			return -1;
	return 0;
}

int ens_app_stream_model(const struct ens_app_layout *lay, enum ens_mm mm, struct ens_sink *sink,
			 struct ens_err *err)
{
	union { struct ens_app_config_page cp; uint8_t bytes[PG]; } page;
	uint64_t heap_flags = ENS_SECINFO_REG | ENS_SECINFO_R | ENS_SECINFO_W;
	uint64_t added;

	if (mm != ENS_MM_SGX1 && mm != ENS_MM_SGX2)
		return ens_fail(err, ENS_E_USAGE, "memory model %d is not sgx1 or sgx2", (int)mm);
	memset(&page, 0, sizeof page);
	ens_app_config_page(lay, mm, &page.cp);
	if (emit(sink, lay->config_offset, ENS_SECINFO_REG | ENS_SECINFO_R, page.bytes, ALL_CHUNKS, err))
		return -1;
	if (lay->cfg.mprotect)
		heap_flags |= ENS_SECINFO_X;
	added = page.cp.heap_added;
	/* sgx2: the rest of the heap is EAUG'd at run time, never streamed */
	return ens_sink_eadd_run(sink, lay->heap_offset, (added + PG - 1) / PG, heap_flags, NULL, err);
}

int ens_app_stream(const struct ens_app *app, const struct ens_app_layout *lay, enum ens_mm mm,
		   struct ens_sink *sink, struct ens_err *err)
{
	if (ens_app_stream_common(app, lay, sink, err))
		return -1;
	return ens_app_stream_model(lay, mm, sink, err);
}

int ens_app_measure(const struct ens_app *app, const struct ens_app_layout *lay, unsigned models,
		    uint8_t mr[2][32], struct ens_err *err)
{
	struct ens_measure *m[2] = { NULL, NULL };
	struct ens_sink sink;
	struct ens_progress prog;
	int rc = -1;
	int nmodels = !!(models & ENS_MM_SGX1) + !!(models & ENS_MM_SGX2);

	if (!(models & ENS_MM_ALL))
		return ens_fail(err, ENS_E_USAGE, "no memory model to measure");
	/* pages: the shared part once, the model part per model (sgx2 adds less
	 * of the heap: an estimate, for the time left) */
	ens_progress_start(&prog, lay->size,
			   lay->config_offset / PG + (uint64_t)nmodels * ((lay->end - lay->config_offset) / PG));
	m[0] = malloc(sizeof *m[0]);
	m[1] = malloc(sizeof *m[1]);
	if (!m[0] || !m[1]) {
		free(m[0]);
		free(m[1]);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	m[0]->sha = m[1]->sha = NULL;
	if (ens_measure_init(m[0], err))
		goto out;
	ens_sink_measure(&sink, m[0]);
	if (ens_app_stream_common(app, lay, ens_progress_sink(&prog, &sink), err))
		goto out;
	/* the layouts part here: fork the shared prefix for sgx2 */
	if (models & ENS_MM_SGX2) {
		if (models & ENS_MM_SGX1) {
			if (ens_measure_fork(m[1], m[0], err))
				goto out;
		} else {
			struct ens_measure *t = m[0];

			m[0] = m[1];
			m[1] = t;
		}
	}
	for (int i = 0; i < 2; i++) {
		enum ens_mm mm = i ? ENS_MM_SGX2 : ENS_MM_SGX1;

		if (!(models & mm))
			continue;
		ens_sink_measure(&sink, m[i]);
		if (ens_app_stream_model(lay, mm, ens_progress_sink(&prog, &sink), err) ||
		    ens_measure_final(m[i], mr[i], err))
			goto out;
	}
	rc = 0;
out:
	ens_progress_finish(&prog);
	for (int i = 0; i < 2; i++) {
		if (m[i]->sha)
			ens_measure_free(m[i]);
		free(m[i]);
	}
	return rc;
}
