/* SGXS back end: a sink that writes the page stream as SGXS records, so any
 * layout ensign computes can be handed to other SGXS tools. */
#include <string.h>
#include "ensign/sgxs.h"
#include "ensign/util.h"

static int put(struct ens_sgxs_writer *w, const void *p, size_t n, struct ens_err *err)
{
	if (fwrite(p, 1, n, w->f) != n) {
		w->failed = true;
		return ens_fail_errno(err, "cannot write SGXS output");
	}
	return 0;
}

static int w_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	uint8_t r[64] = { 0 };

	ens_put_le64(r, ENS_TAG_ECREATE);
	ens_put_le32(r + 8, ssa);
	ens_put_le64(r + 12, size);
	return put(ctx, r, 64, err);
}

static int w_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	static const uint8_t zero[ENS_PAGE_SIZE];
	const uint8_t *data = pg->data ? pg->data : zero;
	uint8_t r[64] = { 0 };

	if (!pg->added)
		return 0;
	ens_put_le64(r, ENS_TAG_EADD);
	ens_put_le64(r + 8, pg->offset);
	ens_put_le64(r + 16, pg->secinfo_flags);
	if (put(ctx, r, 64, err))
		return -1;
	/* In record order when the page carries one (an SGXS read back), else ascending. */
	unsigned n = pg->n_chunk_order ? pg->n_chunk_order : ENS_CHUNKS_PER_PAGE;
	for (unsigned k = 0; k < n && k < ENS_CHUNKS_PER_PAGE; k++) {
		unsigned i = pg->n_chunk_order ? (pg->chunk_order[k] & (ENS_CHUNKS_PER_PAGE - 1)) : k;
		uint16_t bit = (uint16_t)(1u << i);

		if (!((pg->eextend_mask | pg->unmeasured_mask) & bit))
			continue;
		memset(r, 0, sizeof r);
		ens_put_le64(r, (pg->eextend_mask & bit) ? ENS_TAG_EEXTEND : ENS_TAG_UNMEASRD);
		ens_put_le64(r + 8, pg->offset + i * ENS_CHUNK_SIZE);
		if (put(ctx, r, 64, err) || put(ctx, data + i * ENS_CHUNK_SIZE, ENS_CHUNK_SIZE, err))
			return -1;
	}
	return 0;
}

void ens_sink_sgxs_writer(struct ens_sink *s, struct ens_sgxs_writer *w)
{
	w->failed = false;
	s->ctx = w;
	s->ecreate = w_ecreate;
	s->page = w_page;
}
