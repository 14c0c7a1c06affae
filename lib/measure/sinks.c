/* Page-stream sinks: measurement, architectural rule checks, and fan-out. */
#include <inttypes.h>
#include "ensign/measure.h"
#include "ensign/page.h"
#include "ensign/progress.h"
#include "ensign/sgxs.h"
#include "ensign/util.h"

static int measure_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	ens_measure_ecreate(ctx, ssa, size);
	return 0;
}

static int measure_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	if (!pg->added)
		return 0;
	if (!pg->n_chunk_order) {
		ens_measure_page(ctx, pg->offset, pg->secinfo_flags, pg->data, pg->eextend_mask);
		return 0;
	}
	/* SGXS record order: the EEXTEND records as they were listed. */
	static const uint8_t zero[ENS_PAGE_SIZE];
	const uint8_t *data = pg->data ? pg->data : zero;

	ens_measure_eadd(ctx, pg->offset, pg->secinfo_flags);
	for (unsigned k = 0; k < pg->n_chunk_order && k < ENS_CHUNKS_PER_PAGE; k++) {
		unsigned i = pg->chunk_order[k] & (ENS_CHUNKS_PER_PAGE - 1);

		if (pg->eextend_mask & (1u << i))
			ens_measure_eextend(ctx, pg->offset + i * ENS_CHUNK_SIZE, data + i * ENS_CHUNK_SIZE);
	}
	return 0;
}

static int measure_eadd_run(void *ctx, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
			    struct ens_err *err)
{
	ens_measure_eadd_run(ctx, off, n, flags);
	return 0;
}

void ens_sink_measure(struct ens_sink *s, struct ens_measure *m)
{
	s->ctx = m;
	s->ecreate = measure_ecreate;
	s->page = measure_page;
}

static int check_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	struct ens_layout_check *c = ctx;

	if (c->have_ecreate)
		return ens_fail(err, ENS_E_FORMAT, "a second ECREATE");
	if (!ens_is_pow2(size))
		return ens_fail(err, ENS_E_FORMAT, "enclave size 0x%" PRIx64 " is not a power of two", size);
	if (size < ENS_PAGE_SIZE)
		return ens_fail(err, ENS_E_FORMAT, "enclave size 0x%" PRIx64 " is smaller than a page", size);
	if (ssa == 0)
		return ens_fail(err, ENS_E_FORMAT, "SSA frame size 0");
	c->have_ecreate = true;
	c->size = size;
	return 0;
}

static int check_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct ens_layout_check *c = ctx;
	uint64_t f = pg->secinfo_flags, type = (f & ENS_SECINFO_PT_MASK) >> ENS_SECINFO_PT_SHIFT;

	if (!c->have_ecreate)
		return ens_fail(err, ENS_E_FORMAT, "page at 0x%" PRIx64 " before ECREATE", pg->offset);
	if (pg->offset & (ENS_PAGE_SIZE - 1))
		return ens_fail(err, ENS_E_FORMAT, "page offset 0x%" PRIx64 " is not page-aligned", pg->offset);
	if (pg->offset >= c->size)
		return ens_fail(err, ENS_E_FORMAT, "page offset 0x%" PRIx64 " is outside the enclave (size 0x%" PRIx64 ")",
				pg->offset, c->size);
	if (c->strictly_increasing && c->any_page && pg->offset <= c->last)
		return ens_fail(err, ENS_E_FORMAT, "page 0x%" PRIx64 " is not after page 0x%" PRIx64
				" (pages must be in increasing address order, each added once)", pg->offset, c->last);
	if (!pg->added) {
		c->pages_eaug++;
	} else {
		if (f & ~(uint64_t)(ENS_SECINFO_PT_MASK | 7))
			return ens_fail(err, ENS_E_FORMAT, "page 0x%" PRIx64 ": SECINFO flags 0x%" PRIx64
					" have bits other than type and R/W/X", pg->offset, f);
		if (type != ENS_PT_REG && type != ENS_PT_TCS)
			return ens_fail(err, ENS_E_FORMAT, "page 0x%" PRIx64 ": page type %" PRIu64
					" cannot be added (only REG and TCS)", pg->offset, type);
		if (type == ENS_PT_TCS && (f & 7))
			return ens_fail(err, ENS_E_FORMAT, "page 0x%" PRIx64 ": a TCS page must have R/W/X clear", pg->offset);
		if (pg->eextend_mask & pg->unmeasured_mask)
			return ens_fail(err, ENS_E_FORMAT, "page 0x%" PRIx64 ": a chunk is both measured and unmeasured",
					pg->offset);
		c->pages_added++;
		if (pg->eextend_mask)
			c->pages_measured++;
	}
	c->any_page = true;
	c->last = pg->offset;
	return 0;
}

/* The first page gets every check; the others differ only by offset, so the
 * run passes when its last page is inside the enclave (offsets increase). */
static int check_eadd_run(void *ctx, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
			  struct ens_err *err)
{
	struct ens_layout_check *c = ctx;
	struct ens_page pg = { .offset = off, .secinfo_flags = flags, .added = true, .data = data };
	uint64_t fit;

	if (check_page(c, &pg, err))
		return -1;
	fit = (c->size - off) / ENS_PAGE_SIZE;	/* pages from off to the end of the enclave */
	if (n > fit)
		return ens_fail(err, ENS_E_FORMAT, "page offset 0x%" PRIx64 " is outside the enclave (size 0x%" PRIx64 ")",
				off + fit * ENS_PAGE_SIZE, c->size);
	c->pages_added += n - 1;
	c->last = off + (n - 1) * ENS_PAGE_SIZE;
	return 0;
}

void ens_sink_check(struct ens_sink *s, struct ens_layout_check *c, bool strictly_increasing)
{
	*c = (struct ens_layout_check){ .strictly_increasing = strictly_increasing };
	s->ctx = c;
	s->ecreate = check_ecreate;
	s->page = check_page;
}

static int tee_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	struct ens_tee *t = ctx;

	for (int i = 0; i < t->n; i++)
		if (t->to[i]->ecreate(t->to[i]->ctx, ssa, size, err))
			return -1;
	return 0;
}

static int tee_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct ens_tee *t = ctx;

	for (int i = 0; i < t->n; i++)
		if (t->to[i]->page(t->to[i]->ctx, pg, err))
			return -1;
	return 0;
}

static int tee_eadd_run(void *ctx, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
			struct ens_err *err)
{
	struct ens_tee *t = ctx;

	for (int i = 0; i < t->n; i++)
		if (ens_sink_eadd_run(t->to[i], off, n, flags, data, err))
			return -1;
	return 0;
}

void ens_sink_tee(struct ens_sink *s, struct ens_tee *t)
{
	s->ctx = t;
	s->ecreate = tee_ecreate;
	s->page = tee_page;
}

/* Runs go to the sinks that can take them in one call, known by their page
 * function; any other sink gets one page() per page. */
int ens_sink_eadd_run(struct ens_sink *s, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
		      struct ens_err *err)
{
	if (!n)
		return 0;
	if (s->page == measure_page)
		return measure_eadd_run(s->ctx, off, n, flags, data, err);
	if (s->page == check_page)
		return check_eadd_run(s->ctx, off, n, flags, data, err);
	if (s->page == tee_page)
		return tee_eadd_run(s->ctx, off, n, flags, data, err);
	if (s->page == ens_progress_sink_page)
		return ens_progress_sink_eadd_run(s->ctx, off, n, flags, data, err);
	if (s->page == ens_sgxs_writer_page)
		return ens_sgxs_writer_eadd_run(s->ctx, off, n, flags, data, err);
	for (uint64_t i = 0; i < n; i++) {
		struct ens_page pg = { .offset = off + i * ENS_PAGE_SIZE, .secinfo_flags = flags, .added = true,
				       .data = data };

		if (s->page(s->ctx, &pg, err))
			return -1;
	}
	return 0;
}
