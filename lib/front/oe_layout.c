/* Open Enclave front end, layout stage: oesign's measured layout (§A.5)
 * pushed page by page into an ens_sink. Image pages are assembled one at a
 * time from the mapped file plus the .oeinfo and symbol patches (§A.4), so
 * memory use does not depend on the enclave or image size. */
#include <stdlib.h>
#include <string.h>
#include "ensign/measure.h"
#include "ensign/oe.h"
#include "ensign/util.h"
#include "ensign/progress.h"
#include "oe_internal.h"

#define PG ENS_PAGE_SIZE

struct patch {
	uint64_t rva;
	const uint8_t *data;
	uint64_t len;
};

static uint64_t round_up(uint64_t x, uint64_t a) { return a ? (x + a - 1) / a * a : x; }

/* total = a + b with overflow detection (sticky). */
static uint64_t add(uint64_t a, uint64_t b, bool *ovf)
{
	if (a > UINT64_MAX - b)
		*ovf = true;
	return a + b;
}

static uint64_t mul(uint64_t a, uint64_t b, bool *ovf)
{
	if (b && a > UINT64_MAX / b)
		*ovf = true;
	return a * b;
}

static int compute_layout(const struct ens_oe_image *img, const struct ens_oe_props *p,
			  struct ens_oe_layout *l, struct ens_err *err)
{
	bool ovf = false;
	memset(l, 0, sizeof(*l));
	l->image_size = img->image_size;
	l->reloc_size = img->has_rela_dyn ? round_up(img->reloc_len, PG) : 0;
	l->tls_pages = round_up(round_up(img->tdata_size, img->tdata_align) +
				round_up(img->tbss_size, img->tbss_align), PG) / PG;
	l->heap_rva = l->image_size + l->reloc_size;
	l->tcs_rva = add(l->heap_rva, mul(p->num_heap_pages, PG, &ovf), &ovf);
	uint64_t per_tcs = mul(add(add(p->num_stack_pages, l->tls_pages, &ovf), 7, &ovf), PG, &ovf);
	l->total = add(l->tcs_rva, mul(p->num_tcs, per_tcs, &ovf), &ovf);
	if (ovf || !(l->enclave_size = ens_next_pow2(l->total)))
		return ens_fail(err, ENS_E_FORMAT, "'%s': enclave size overflows (heap %llu, stack %llu, "
				"TCS %llu pages)", img->path, (unsigned long long)p->num_heap_pages,
				(unsigned long long)p->num_stack_pages, (unsigned long long)p->num_tcs);
	l->secs_size = l->enclave_size;
	if (p->flags & ENS_OE_FLAG_ZERO_BASE) {
		l->base = p->start_address;
		if (!(l->secs_size = ens_next_pow2(add(l->total, l->base, &ovf))) || ovf)
			return ens_fail(err, ENS_E_FORMAT, "'%s': StartAddress 0x%llx overflows the enclave "
					"size", img->path, (unsigned long long)l->base);
	}
	return 0;
}

static int push(struct ens_sink *sink, uint64_t off, uint64_t flags, const uint8_t *data, bool measured,
		struct ens_err *err)
{
	struct ens_page pg = {
		.offset = off, .secinfo_flags = flags, .eextend_mask = measured ? 0xFFFF : 0,
		.unmeasured_mask = 0, .added = true, .data = data,
	};
	return sink->page(sink->ctx, &pg, err);
}

static int push_run(struct ens_sink *sink, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
		    bool measured, struct ens_err *err)
{
	if (!measured)
		return ens_sink_eadd_run(sink, off, n, flags, data, err) ? -1 : 0;
	for (uint64_t i = 0; i < n; i++)
		if (push(sink, off + i * PG, flags, data, measured, err) < 0)
			return -1;
	return 0;
}

/* Copy into page (at rva 'page') the part of [rva, rva+len) it covers. */
static void overlay(uint8_t *buf, uint64_t page, uint64_t rva, const uint8_t *src, uint64_t len)
{
	uint64_t lo = rva > page ? rva : page, hi = rva + len < page + PG ? rva + len : page + PG;
	if (lo < hi)
		memcpy(buf + (lo - page), src + (lo - rva), hi - lo);
}

static int stream_image(const struct ens_oe_image *img, const struct patch *patches, int npatches,
			uint64_t base, struct ens_sink *sink, uint8_t *buf, struct ens_err *err)
{
	for (int i = 0; i < img->nsegs; i++) {
		const struct oe_segment *s = &img->segs[i];
		uint64_t end = round_up(s->vaddr + s->memsz, PG);
		for (uint64_t page = s->vaddr & ~(uint64_t)(PG - 1); page < end; page += PG) {
			memset(buf, 0, PG);
			for (int k = 0; k < img->nsegs; k++)
				overlay(buf, page, img->segs[k].vaddr, img->map + img->segs[k].offset,
					img->segs[k].filesz);
			for (int k = 0; k < npatches; k++)
				overlay(buf, page, patches[k].rva, patches[k].data, patches[k].len);
			if (push(sink, base + page, s->secinfo, buf, true, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int stream_relocs(const struct ens_oe_image *img, const struct ens_oe_layout *l,
			 struct ens_sink *sink, uint8_t *buf, struct ens_err *err)
{
	for (uint64_t off = 0; off < l->reloc_size; off += PG) {
		memset(buf, 0, PG);
		uint64_t n = img->reloc_len - off < PG ? img->reloc_len - off : PG;
		memcpy(buf, img->reloc + off, n);
		if (push(sink, l->base + l->image_size + off, ENS_SECINFO_REG | ENS_SECINFO_R, buf, true,
			 err) < 0)
			return -1;
	}
	return 0;
}

static int stream_threads(const struct ens_oe_image *img, const struct ens_oe_props *p,
			  const struct ens_oe_layout *l, struct ens_sink *sink, uint8_t *buf,
			  struct ens_err *err)
{
	const uint64_t rw = ENS_SECINFO_REG | ENS_SECINFO_R | ENS_SECINFO_W;
	uint64_t off = l->tcs_rva;
	static const uint8_t zero[PG];

	for (uint64_t i = 0; i < p->num_tcs; i++) {
		off += PG;			/* guard */
		memset(buf, 0xCC, PG);
		if (push_run(sink, l->base + off, p->num_stack_pages, rw, buf, true, err) < 0)
			return -1;
		off += p->num_stack_pages * PG + PG;	/* stack, guard */

		struct ens_tcs tcs;
		memset(&tcs, 0, sizeof(tcs));
		tcs.ossa = l->base + off + PG;
		tcs.nssa = 2;
		tcs.oentry = l->base + img->entry;
		tcs.ofsbase = tcs.ogsbase = l->base + off + (l->tls_pages + 4) * PG;
		tcs.fslimit = tcs.gslimit = 0xFFFFFFFF;
		if (push(sink, l->base + off, ENS_SECINFO_TCS, (const uint8_t *)&tcs, true, err) < 0 ||
		    push_run(sink, l->base + off + PG, 2, rw, zero, true, err) < 0)
			return -1;
		off += 4 * PG;			/* TCS, 2 SSA, guard */
		if (push_run(sink, l->base + off, l->tls_pages + 1, rw, zero, true, err) < 0)
			return -1;
		off += (l->tls_pages + 1) * PG;	/* TLS, thread data */
	}
	return 0;
}

int ens_oe_stream(const struct ens_oe_image *img, const struct ens_oe_props *p, struct ens_sink *sink,
		  struct ens_oe_layout *lay, struct ens_err *err)
{
	struct ens_oe_layout l;
	struct ens_oe_props m;
	uint64_t vals[OE_SYM_COUNT];
	struct patch patches[1 + OE_SYM_COUNT];
	int np = 0;

	if (compute_layout(img, p, &l, err) < 0)
		return -1;
	/* The measured copy: image_info filled in, SIGSTRUCT zeroed (§A.4). */
	m = *p;
	m.oeinfo_rva = img->oeinfo_rva;
	m.oeinfo_size = ENS_OE_PROPS_SIZE;
	m.reloc_rva = l.image_size;
	m.reloc_size = l.reloc_size;
	m.heap_rva = l.heap_rva;
	m.enclave_size = l.enclave_size;
	memset(m.sigstruct, 0, sizeof(m.sigstruct));
	patches[np++] = (struct patch){ img->oeinfo_rva, (const uint8_t *)&m, sizeof(m) };

	vals[OE_SYM_ENCLAVE_RVA] = img->syms[OE_SYM_ENCLAVE_RVA].value;
	vals[OE_SYM_RELOC_RVA] = l.image_size;
	vals[OE_SYM_RELOC_SIZE] = l.reloc_size;
	vals[OE_SYM_TDATA_RVA] = img->tdata_rva;
	vals[OE_SYM_TDATA_SIZE] = img->tdata_size;
	vals[OE_SYM_TDATA_ALIGN] = img->tdata_align;
	vals[OE_SYM_TBSS_SIZE] = img->tbss_size;
	vals[OE_SYM_TBSS_ALIGN] = img->tbss_align;
	vals[OE_SYM_TD_FROM_TCS] = (l.tls_pages + 4) * PG;
	for (int k = 0; k < OE_SYM_COUNT; k++) {
		bool tdata = k >= OE_SYM_TDATA_RVA && k <= OE_SYM_TDATA_ALIGN;
		bool tbss = k == OE_SYM_TBSS_SIZE || k == OE_SYM_TBSS_ALIGN;
		if (!img->syms[k].found || (tdata && !img->tdata_size) || (tbss && !img->tbss_size))
			continue;
		patches[np++] = (struct patch){ img->syms[k].value, (const uint8_t *)&vals[k], 8 };
	}

	uint8_t *buf = malloc(PG);
	if (!buf)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	int rc = -1;
	struct ens_progress prog;
	ens_progress_start(&prog, l.secs_size, l.enclave_size / PG);
	sink = ens_progress_sink(&prog, sink);
	if (sink->ecreate(sink->ctx, 1, l.secs_size, err) < 0 ||
	    stream_image(img, patches, np, l.base, sink, buf, err) < 0 ||
	    stream_relocs(img, &l, sink, buf, err) < 0 ||
	    push_run(sink, l.base + l.heap_rva, p->num_heap_pages, ENS_SECINFO_REG | ENS_SECINFO_R |
		     ENS_SECINFO_W, NULL, false, err) < 0 ||
	    stream_threads(img, p, &l, sink, buf, err) < 0)
		goto out;
	if (lay)
		*lay = l;
	rc = 0;
out:
	ens_progress_finish(&prog);
	free(buf);
	return rc;
}

int ens_oe_mrenclave(const struct ens_oe_image *img, const struct ens_oe_props *p, uint8_t mrenclave[32],
		     struct ens_oe_layout *lay, struct ens_err *err)
{
	struct ens_measure *m = malloc(sizeof(*m));
	struct ens_sink sink, msink, csink;
	struct ens_layout_check check;
	struct ens_tee tee = { .to = { &csink, &msink }, .n = 2 };
	int rc = -1;

	if (!m)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (ens_measure_init(m, err) < 0) {
		free(m);
		return -1;
	}
	/* The architectural checker runs first: a page outside the enclave or
	 * added twice is a front-end bug, never a measurement. */
	ens_sink_measure(&msink, m);
	ens_sink_check(&csink, &check, true);
	ens_sink_tee(&sink, &tee);
	if (ens_oe_stream(img, p, &sink, lay, err) == 0 && ens_measure_final(m, mrenclave, err) == 0)
		rc = 0;
	ens_measure_free(m);
	free(m);
	return rc;
}
