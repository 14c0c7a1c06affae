/* SGXS front end (sgxs-format.md §1): streams a sized SGXS/ESGXS file record by
 * record, assembling one page at a time, and pushes pages into a sink. The
 * canonical rules are checked with a message naming the record's file offset. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ensign/measure.h"
#include "ensign/sgxs.h"
#include "ensign/util.h"

struct reader {
	const char *name;
	const struct ens_sgxs_opts *o;
	struct ens_sink *sink;
	struct ens_sgxs_summary *sum;
	struct ens_page pg;
	uint8_t data[ENS_PAGE_SIZE];
	bool pending;
	uint64_t last_eadd;
	bool any_eadd;
};

static int flush_page(struct reader *r, struct ens_err *err)
{
	if (!r->pending)
		return 0;
	r->pending = false;
	return r->sink->page(r->sink->ctx, &r->pg, err);
}

static int read_full(FILE *f, uint8_t *buf, size_t len, const char *name, uint64_t at, struct ens_err *err)
{
	size_t n = fread(buf, 1, len, f);

	if (n == len)
		return 1;
	if (ferror(f))
		return ens_fail_errno(err, "cannot read '%s'", name);
	if (n == 0 && len == 64)
		return 0;	/* clean end of file */
	return ens_fail(err, ENS_E_FORMAT, "'%s': truncated record at file offset %" PRIu64 " (%zu of %zu bytes)",
			name, at, n, len);
}

int ens_sgxs_read_stream(FILE *f, const char *name, const struct ens_sgxs_opts *o,
			 struct ens_sink *sink, struct ens_sgxs_summary *sum_out, struct ens_err *err)
{
	static const struct ens_sgxs_opts defaults = { .canonical = true };
	struct ens_sgxs_summary sum_local;
	struct reader r = { .name = name, .o = o ? o : &defaults, .sink = sink };
	uint8_t rec[64], chunk[256];
	uint64_t at = 0;
	bool have_header = false;

	r.sum = sum_out ? sum_out : &sum_local;
	memset(r.sum, 0, sizeof *r.sum);
	for (;;) {
		int got = read_full(f, rec, 64, name, at, err);
		uint64_t tag, off;

		if (got < 0)
			return -1;
		if (got == 0)
			break;
		tag = ens_get_le64(rec);
		off = ens_get_le64(rec + 8);
		if (tag == ENS_TAG_ECREATE || tag == ENS_TAG_UNSIZED) {
			uint32_t ssa = ens_get_le32(rec + 8);
			uint64_t size = ens_get_le64(rec + 12);

			if (have_header)
				return ens_fail(err, ENS_E_FORMAT, "'%s': duplicate %s at file offset %" PRIu64,
						name, tag == ENS_TAG_ECREATE ? "ECREATE" : "UNSIZED", at);
			have_header = true;
			r.sum->ssaframesize = ssa;
			if (tag == ENS_TAG_UNSIZED) {
				r.sum->unsized = true;
				r.sum->unsized_slot = size;
				if (!r.o->allow_unsized)
					return ens_fail(err, ENS_E_FORMAT, "'%s' is an UNSIZED SGXS stream: finalize it "
							"first (ensign append -i '%s')", name, name);
				/* An unsized stream has no size yet: tell the sink the largest. */
				size = UINT64_C(1) << 63;
			} else {
				r.sum->size = size;
			}
			if (sink->ecreate(sink->ctx, ssa, size, err))
				return ens_err_prefix(err, "'%s': at file offset %" PRIu64, name, at);
		} else if (!have_header) {
			return ens_fail(err, ENS_E_FORMAT, "'%s': the first record is not ECREATE (tag 0x%016" PRIx64 ")",
					name, tag);
		} else if (tag == ENS_TAG_EADD) {
			if (flush_page(&r, err))
				return ens_err_prefix(err, "'%s'", name);
			if (off & (ENS_PAGE_SIZE - 1))
				return ens_fail(err, ENS_E_FORMAT, "'%s': EADD offset 0x%" PRIx64 " at file offset %" PRIu64
						" is not page-aligned", name, off, at);
			if (r.o->canonical && r.any_eadd && off <= r.last_eadd)
				return ens_fail(err, ENS_E_FORMAT, "'%s': EADD offset 0x%" PRIx64 " at file offset %" PRIu64
						" is not above the previous page 0x%" PRIx64 " (not canonical)",
						name, off, at, r.last_eadd);
			r.any_eadd = true;
			r.last_eadd = off;
			memset(&r.pg, 0, sizeof r.pg);
			memset(r.data, 0, sizeof r.data);
			r.pg.offset = off;
			r.pg.secinfo_flags = ens_get_le64(rec + 16);
			r.pg.added = true;
			r.pg.data = r.data;
			r.pending = true;
			r.sum->n_eadd++;
		} else if (tag == ENS_TAG_EEXTEND || tag == ENS_TAG_UNMEASRD) {
			const char *what = tag == ENS_TAG_EEXTEND ? "EEXTEND" : "UNMEASRD";
			unsigned idx;
			uint16_t bit;
			int g = read_full(f, chunk, 256, name, at, err);

			if (g <= 0)
				return g < 0 ? -1 : ens_fail(err, ENS_E_FORMAT, "'%s': truncated %s at file offset %" PRIu64,
							     name, what, at);
			if (!r.pending)
				return ens_fail(err, ENS_E_FORMAT, "'%s': %s at file offset %" PRIu64 " has no EADD before it",
						name, what, at);
			if (off & (ENS_CHUNK_SIZE - 1))
				return ens_fail(err, ENS_E_FORMAT, "'%s': %s offset 0x%" PRIx64 " at file offset %" PRIu64
						" is not 256-byte aligned", name, what, off, at);
			if ((off & ~(uint64_t)(ENS_PAGE_SIZE - 1)) != r.pg.offset)
				return ens_fail(err, ENS_E_FORMAT, "'%s': %s offset 0x%" PRIx64 " at file offset %" PRIu64
						" is outside its EADD page 0x%" PRIx64, name, what, off, at, r.pg.offset);
			idx = (unsigned)((off & (ENS_PAGE_SIZE - 1)) / ENS_CHUNK_SIZE);
			bit = (uint16_t)(1u << idx);
			if ((r.pg.eextend_mask | r.pg.unmeasured_mask) & bit)
				return ens_fail(err, ENS_E_FORMAT, "'%s': chunk 0x%" PRIx64 " at file offset %" PRIu64
						" appears twice", name, off, at);
			memcpy(r.data + idx * ENS_CHUNK_SIZE, chunk, 256);
			r.pg.chunk_order[r.pg.n_chunk_order++] = (uint8_t)idx;
			if (tag == ENS_TAG_EEXTEND) {
				r.pg.eextend_mask |= bit;
				r.sum->n_eextend++;
			} else {
				r.pg.unmeasured_mask |= bit;
				r.sum->n_unmeasrd++;
			}
			at += 256;
		} else {
			return ens_fail(err, ENS_E_FORMAT, "'%s': unknown record tag 0x%016" PRIx64 " at file offset %" PRIu64,
					name, tag, at);
		}
		at += 64;
	}
	if (!have_header)
		return ens_fail(err, ENS_E_FORMAT, "'%s' is empty: no ECREATE record", name);
	if (flush_page(&r, err))
		return ens_err_prefix(err, "'%s'", name);
	return 0;
}

int ens_sgxs_read(const char *path, const struct ens_sgxs_opts *o, struct ens_sink *sink,
		  struct ens_sgxs_summary *sum, struct ens_err *err)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return ens_fail_errno(err, "cannot open '%s'", path);
	rc = ens_sgxs_read_stream(f, path, o, sink, sum, err);
	fclose(f);
	return rc;
}

int ens_sgxs_mrenclave(const char *path, uint8_t mr[32], struct ens_sgxs_summary *sum, struct ens_err *err)
{
	struct ens_measure m;
	struct ens_layout_check chk;
	struct ens_sink ms, cs, tee_sink;
	struct ens_tee tee;
	int rc;

	if (ens_measure_init(&m, err))
		return -1;
	ens_sink_measure(&ms, &m);
	ens_sink_check(&cs, &chk, true);
	tee = (struct ens_tee){ .to = { &cs, &ms }, .n = 2 };
	ens_sink_tee(&tee_sink, &tee);
	rc = ens_sgxs_read(path, NULL, &tee_sink, sum, err);
	if (rc == 0)
		rc = ens_measure_final(&m, mr, err);
	ens_measure_free(&m);
	return rc;
}
