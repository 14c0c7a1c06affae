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

/* One page's records (EADD, then its chunk records) assembled, one write. */
int ens_sgxs_writer_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	static const uint8_t zero[ENS_PAGE_SIZE];
	const uint8_t *data = pg->data ? pg->data : zero;
	uint8_t buf[64 + ENS_CHUNKS_PER_PAGE * 320], *r = buf;

	if (!pg->added)
		return 0;
	memset(r, 0, 64);
	ens_put_le64(r, ENS_TAG_EADD);
	ens_put_le64(r + 8, pg->offset);
	ens_put_le64(r + 16, pg->secinfo_flags);
	r += 64;
	/* In record order when the page carries one (an SGXS read back), else ascending. */
	unsigned n = pg->n_chunk_order ? pg->n_chunk_order : ENS_CHUNKS_PER_PAGE;
	for (unsigned k = 0; k < n && k < ENS_CHUNKS_PER_PAGE; k++) {
		unsigned i = pg->n_chunk_order ? (pg->chunk_order[k] & (ENS_CHUNKS_PER_PAGE - 1)) : k;
		uint16_t bit = (uint16_t)(1u << i);

		if (!((pg->eextend_mask | pg->unmeasured_mask) & bit))
			continue;
		memset(r, 0, 64);
		ens_put_le64(r, (pg->eextend_mask & bit) ? ENS_TAG_EEXTEND : ENS_TAG_UNMEASRD);
		ens_put_le64(r + 8, pg->offset + i * ENS_CHUNK_SIZE);
		memcpy(r + 64, data + i * ENS_CHUNK_SIZE, ENS_CHUNK_SIZE);
		r += 320;
	}
	return put(ctx, buf, (size_t)(r - buf), err);
}

/* EADD-only pages: records made in a block (tag and flags once, then only the
 * offsets) and written in blocks of 256 records. */
int ens_sgxs_writer_eadd_run(void *ctx, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
		      struct ens_err *err)
{
	uint8_t buf[256 * 64];
	size_t filled = 0;

	while (n) {
		size_t k = n < 256 ? (size_t)n : 256;
		for (; filled < k; filled++) {
			uint8_t *r = buf + 64 * filled;
			memset(r, 0, 64);
			ens_put_le64(r, ENS_TAG_EADD);
			ens_put_le64(r + 16, flags);
		}
		for (size_t i = 0; i < k; i++, off += ENS_PAGE_SIZE)
			ens_put_le64(buf + 64 * i + 8, off);
		if (put(ctx, buf, k * 64, err))
			return -1;
		n -= k;
	}
	return 0;
}

void ens_sink_sgxs_writer(struct ens_sink *s, struct ens_sgxs_writer *w)
{
	w->failed = false;
	s->ctx = w;
	s->ecreate = w_ecreate;
	s->page = ens_sgxs_writer_page;
}
