/* Loader stage: reads a sized canonical SGXS into what a loader (and the
 * pre-EINIT checks) need: MRENCLAVE, SIZE, the page map as runs of equal
 * SECINFO (memory grows with the number of runs, not the enclave size) and
 * the TCS heads. */
#include <stdlib.h>
#include <string.h>
#include "ensign/fortanix.h"
#include "ensign/measure.h"
#include "ensign/sgxs.h"

struct collect { struct ens_run_image *img; struct ens_measure *load; };

static int grow(void **p, size_t *cap, size_t need, size_t elem, struct ens_err *err)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	void *q = realloc(*p, n * elem);
	if (!q)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	*p = q;
	*cap = n;
	return 0;
}

static int c_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	struct collect *c = ctx;
	c->img->size = size;
	c->img->ssaframesize = ssa;
	ens_measure_ecreate(c->load, ssa, size);
	return 0;
}

static int c_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct ens_run_image *img = ((struct collect *)ctx)->img;
	if (!pg->added)
		return 0;
	img->pages++;
	if (pg->eextend_mask && pg->eextend_mask != 0xffff)
		img->partial_pages++;
	/* What the Linux driver measures: the page's chunks in ascending order. */
	ens_measure_page(((struct collect *)ctx)->load, pg->offset, pg->secinfo_flags, pg->data, pg->eextend_mask);
	for (unsigned k = 0, prev = 0, any = 0; k < pg->n_chunk_order; k++) {
		unsigned i = pg->chunk_order[k];
		if (!((pg->eextend_mask >> i) & 1))
			continue;
		if (any && i < prev) {
			img->reordered_pages++;
			break;
		}
		prev = i;
		any = 1;
	}
	struct ens_run_page_run *last = img->nruns ? &img->runs[img->nruns - 1] : NULL;
	if (last && last->end == pg->offset && last->secinfo == pg->secinfo_flags) {
		last->end += ENS_PAGE_SIZE;
	} else {
		if (grow((void **)&img->runs, &img->cap_runs, img->nruns + 1, sizeof *img->runs, err))
			return -1;
		img->runs[img->nruns++] = (struct ens_run_page_run){ pg->offset, pg->offset + ENS_PAGE_SIZE,
								     pg->secinfo_flags };
	}
	if ((pg->secinfo_flags & ENS_SECINFO_PT_MASK) == ENS_SECINFO_TCS) {
		if (grow((void **)&img->tcs, &img->cap_tcs, img->ntcs + 1, sizeof *img->tcs, err))
			return -1;
		struct ens_run_tcs *t = &img->tcs[img->ntcs++];
		memset(t, 0, sizeof *t);
		t->offset = pg->offset;
		if (pg->data) {
			/* Chunks without a record load as zero. */
			uint8_t page[ENS_PAGE_SIZE];
			memset(page, 0, sizeof page);
			for (unsigned i = 0; i < ENS_CHUNKS_PER_PAGE; i++)
				if (((pg->eextend_mask | pg->unmeasured_mask) >> i) & 1)
					memcpy(page + i * ENS_CHUNK_SIZE, pg->data + i * ENS_CHUNK_SIZE, ENS_CHUNK_SIZE);
			memcpy(t->head.b, page, sizeof t->head.b);
			for (size_t i = sizeof t->head.b; i < sizeof page; i++)
				if (page[i]) {
					t->reserved_nonzero = true;
					break;
				}
		}
	}
	return 0;
}

int ens_run_image_read(const char *path, struct ens_run_image *img, struct ens_err *err)
{
	memset(img, 0, sizeof *img);
	struct ens_measure *m = malloc(2 * sizeof *m);
	if (!m)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (ens_measure_init(m, err)) {
		free(m);
		return -1;
	}
	if (ens_measure_init(m + 1, err)) {
		ens_measure_free(m);
		free(m);
		return -1;
	}
	struct collect c = { img, m + 1 };
	struct ens_layout_check lc;
	struct ens_sink collect_sink = { .ctx = &c, .ecreate = c_ecreate, .page = c_page };
	struct ens_sink measure_sink, check_sink, tee;
	struct ens_tee t = { .to = { &check_sink, &collect_sink, &measure_sink }, .n = 3 };
	ens_sink_measure(&measure_sink, m);
	ens_sink_check(&check_sink, &lc, true);
	ens_sink_tee(&tee, &t);
	struct ens_sgxs_opts o = { .canonical = true, .allow_unsized = false };
	struct ens_sgxs_summary sum;
	int rc = ens_sgxs_read(path, &o, &tee, &sum, err);
	if (rc == 0)
		rc = ens_measure_final(m, img->mrenclave, err);
	if (rc == 0)
		rc = ens_measure_final(m + 1, img->mrenclave_load, err);
	ens_measure_free(m);
	ens_measure_free(m + 1);
	free(m);
	if (rc)
		ens_run_image_free(img);
	return rc;
}

void ens_run_image_free(struct ens_run_image *img)
{
	free(img->runs);
	free(img->tcs);
	img->runs = NULL;
	img->tcs = NULL;
	img->nruns = img->ntcs = img->cap_runs = img->cap_tcs = 0;
}
