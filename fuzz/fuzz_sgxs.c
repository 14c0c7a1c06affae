/* Fuzz target: the SGXS front end (ens_sgxs_read_stream) feeding the layout
 * checker, the measurement engine and the SGXS writer, as `ensign measure`
 * does; an accepted file must round-trip through the writer to the same
 * MRENCLAVE, which must equal an independent SHA-256 of the file's records in
 * file order without UNMEASRD (also through ens_sgxs_mrenclave). Then again with the lenient options (non-canonical, UNSIZED). */
#include <openssl/evp.h>
#include "ensign/measure.h"
#include "ensign/sgxs.h"
#include "ensign/util.h"
#include "fuzz_common.h"

/* Independent MRENCLAVE of an accepted file (sgxs-format.md §1.3): SHA-256 of
 * its records in file order with UNMEASRD records (and their data) left out;
 * the header bytes the format leaves unused count as zero. No ensign code. */
static void oracle(const uint8_t *d, size_t n, uint8_t mr[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t at = 0;

	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		abort();
	while (at + 64 <= n) {
		uint8_t h[64] = { 0 };
		uint64_t tag = 0;
		size_t keep, len;

		for (int i = 7; i >= 0; i--)
			tag = tag << 8 | d[at + (size_t)i];
		keep = tag == 0x0045544145524345ull ? 20 : tag == 0x0000000044444145ull ? 24 : 16;
		len = (tag == 0x00444E4554584545ull || tag == 0x44525341454d4e55ull) ? 320 : 64;
		if (at + len > n)
			abort();
		if (tag != 0x44525341454d4e55ull) {	/* not UNMEASRD */
			memcpy(h, d + at, keep);
			EVP_DigestUpdate(c, h, 64);
			if (len == 320)
				EVP_DigestUpdate(c, d + at + 64, 256);
		}
		at += len;
	}
	if (!EVP_DigestFinal_ex(c, mr, NULL))
		abort();
	EVP_MD_CTX_free(c);
}

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
		uint8_t want[32], fast[32];
		struct ens_err err;

		/* MRENCLAVE hashes the records in the file's order (chunks of a page
		 * in any order, UNMEASRD interleaved): against the oracle, for the
		 * page stream and for ens_sgxs_mrenclave (what measure/sign use) */
		oracle(data, size, want);
		if (memcmp(mr1, want, 32))
			abort();
		if (ens_sgxs_mrenclave(fuzz_path(data, size), fast, NULL, &err) || memcmp(fast, want, 32))
			abort();
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
