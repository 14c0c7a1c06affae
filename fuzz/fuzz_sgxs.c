/* Fuzz target: the SGXS front end (ens_sgxs_read_stream) feeding the layout
 * checker, the measurement engine and the SGXS writer, as `ensign measure`
 * does; an accepted file must round-trip through the writer to the same
 * MRENCLAVE. Then again with the lenient options (non-canonical, UNSIZED). */
#include "ensign/measure.h"
#include "ensign/sgxs.h"
#include "fuzz_common.h"

/* Read data; on success store MRENCLAVE and, if out != NULL, the rewritten
 * SGXS (malloc'd). Returns the reader's status. */
static int run(const uint8_t *data, size_t size, const struct ens_sgxs_opts *o, uint8_t mr[32],
	       char **out, size_t *out_len)
{
	static struct ens_measure m;	/* 64 KiB queue: keep it off the stack */
	struct ens_layout_check chk;
	struct ens_sink ms, cs, ws, tee_sink;
	struct ens_sgxs_writer w = { 0 };
	struct ens_tee tee;
	struct ens_sgxs_summary sum;
	struct ens_err err;
	FILE *f = fuzz_stream(data, size);
	int rc;

	if (!f || ens_measure_init(&m, &err))
		abort();
	ens_sink_measure(&ms, &m);
	ens_sink_check(&cs, &chk, o->canonical);
	tee = (struct ens_tee){ .to = { &cs, &ms }, .n = 2 };
	if (out) {
		w.f = open_memstream(out, out_len);
		if (!w.f)
			abort();
		ens_sink_sgxs_writer(&ws, &w);
		tee.to[tee.n++] = &ws;
	}
	ens_sink_tee(&tee_sink, &tee);
	rc = ens_sgxs_read_stream(f, "fuzz.sgxs", o, &tee_sink, &sum, &err);
	if (rc == 0 && !sum.unsized && ens_measure_final(&m, mr, &err))
		abort();	/* the engine never fails on accepted input */
	if (rc && !err.msg[0])
		abort();	/* every failure says why */
	ens_measure_free(&m);
	fclose(f);
	if (out)
		fclose(w.f);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ens_sgxs_opts strict = { .canonical = true };
	static const struct ens_sgxs_opts lenient = { .canonical = false, .allow_unsized = true };
	uint8_t mr1[32], mr2[32];
	char *w1 = NULL, *w2 = NULL;
	size_t n1 = 0, n2 = 0;

	if (run(data, size, &strict, mr1, &w1, &n1) == 0) {
		/* what ensign writes, ensign reads back to the same enclave and bytes */
		if (run((const uint8_t *)w1, n1, &strict, mr2, &w2, &n2) != 0 || memcmp(mr1, mr2, 32) ||
		    n1 != n2 || memcmp(w1, w2, n1))
			abort();
	}
	free(w1);
	free(w2);
	run(data, size, &lenient, mr1, NULL, NULL);
	return 0;
}
