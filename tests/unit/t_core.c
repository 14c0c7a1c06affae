/* Unit tests of the engine: measurement (whole, split at every record, forked),
 * the RSA/Q1/Q2 known answers, SIGSTRUCT round trips, numbers and dates. */
#include <stdlib.h>
#include <openssl/evp.h>
#include "ensign/ensign.h"
#include "tap.h"

#define TV "tests/vectors/core/"

static uint8_t *slurp(const char *path, size_t *len)
{
	struct ens_err err;
	uint8_t *b;

	if (ens_read_file(path, 64u << 20, &b, len, &err)) {
		printf("cannot read %s: %s\n", path, err.msg);
		exit(1);
	}
	return b;
}

static void test_measure_sgxs(const char *file, const char *want_hex)
{
	struct ens_err err;
	uint8_t mr[32], want[32];
	char hex[65];

	ens_unhex(want_hex, want, 32);
	CHECK(ens_sgxs_mrenclave(file, mr, NULL, &err) == 0, "%s: %s", file, err.msg);
	ens_hex(mr, 32, hex);
	CHECK_MEM(mr, want, 32, "%s: MRENCLAVE %s", file, hex);
}

/* Fork at every record boundary of a plain SGXS file: since SHA-256(file) is
 * the MRENCLAVE, re-hashing the prefix by records then forking must agree. */
static void test_fork_every_record(const char *file)
{
	struct ens_err err;
	size_t len, off = 0, forks = 0;
	uint8_t *b = slurp(file, &len), ref[32], mr[32];
	struct ens_measure m;
	bool all_ok = true;

	ens_measure_init(&m, &err);
	while (off < len) {
		uint64_t tag = ens_get_le64(b + off);
		struct ens_measure f;

		if (tag == ENS_TAG_ECREATE) {
			ens_measure_ecreate(&m, ens_get_le32(b + off + 8), ens_get_le64(b + off + 12));
			off += 64;
		} else if (tag == ENS_TAG_EADD) {
			ens_measure_eadd(&m, ens_get_le64(b + off + 8), ens_get_le64(b + off + 16));
			off += 64;
		} else {
			ens_measure_eextend(&m, ens_get_le64(b + off + 8), b + off + 64);
			off += 320;
		}
		/* the fork finishes the rest of the file as raw bytes through its own context */
		if (ens_measure_fork(&f, &m, &err) == 0) {
			size_t rest = off;

			while (rest < len) {
				uint64_t t = ens_get_le64(b + rest);

				if (t == ENS_TAG_EADD) {
					ens_measure_eadd(&f, ens_get_le64(b + rest + 8), ens_get_le64(b + rest + 16));
					rest += 64;
				} else {
					ens_measure_eextend(&f, ens_get_le64(b + rest + 8), b + rest + 64);
					rest += 320;
				}
			}
			ens_measure_final(&f, mr, &err);
			ens_measure_free(&f);
			forks++;
			if (forks == 1)
				memcpy(ref, mr, 32);
			else if (memcmp(ref, mr, 32))
				all_ok = false;
		}
	}
	ens_measure_free(&m);
	{
		uint8_t want[32];

		ens_sgxs_mrenclave(file, want, NULL, &err);
		CHECK(all_ok && memcmp(ref, want, 32) == 0, "%s: a fork at some record boundary disagrees", file);
	}
	free(b);
}

static void test_rsa_known_answer(void)
{
	size_t l1, l2, l3, l4, l5;
	uint8_t *h = slurp(TV "sgxs_tests_data_sig1.data.bin", &l1);
	uint8_t *n_le = slurp(TV "sgxs_tests_data_sig1.key_n.bin", &l2);
	uint8_t *s_le = slurp(TV "sgxs_tests_data_sig1.sig.bin", &l3);
	uint8_t *q1 = slurp(TV "sgxs_tests_data_sig1.q1.bin", &l4);
	uint8_t *q2 = slurp(TV "sgxs_tests_data_sig1.q2.bin", &l5);
	uint8_t *golden;
	size_t gl;
	struct ens_sigstruct s;
	struct ens_verify_report rep;
	struct ens_signer *signer;
	struct ens_err err;
	uint8_t mrsigner[32];

	CHECK(l1 == 32 && l2 == 384 && l3 == 384 && l4 == 384 && l5 == 384, "vector sizes");
	/* The golden SIGSTRUCT from the same key: verify, and re-sign it byte for byte. */
	golden = slurp(TV "sgxs-tools_tests_data_sig1.sigstruct.bin", &gl);
	CHECK(ens_sigstruct_verify(golden, gl, NULL, &rep) == 0, "golden SIGSTRUCT verifies");
	memcpy(&s, golden, sizeof s);
	ens_sigstruct_mrsigner(&s, mrsigner);
	CHECK_MEM(s.modulus, n_le, 384, "modulus of the golden SIGSTRUCT equals key_n.bin");
	{
		struct ens_sigstruct_fields f;
		struct ens_sigstruct t;
		char warn[512];

		ens_sigstruct_fields(&s, &f);
		ens_sigstruct_build(&t, &f);
		CHECK(ens_signer_open_pem(&signer, TV "sgxs-tools_tests_data_sig1.key.pem", NULL, warn, sizeof warn,
					  &err) == 0, "open key: %s", err.msg);
		CHECK(ens_sigstruct_sign(&t, signer, &err) == 0, "sign: %s", err.msg);
		CHECK_MEM(&t, golden, sizeof t, "re-signed SIGSTRUCT is byte-identical to the golden file");
		ens_signer_free(signer);
	}
	/* Q1/Q2 from the raw known-answer files */
	{
		uint8_t n_be[384], s_be[384];
		struct ens_sigstruct t = { 0 };

		ens_reverse(n_be, n_le, 384);
		ens_reverse(s_be, s_le, 384);
		uint8_t gq1[384], gq2[384];

		(void)t;
		CHECK(ens_rsa_q1q2(n_be, s_be, gq1, gq2, &err) == 0, "q1q2: %s", err.msg);
		CHECK_MEM(gq1, q1, 384, "Q1 equals sig1.q1.bin");
		CHECK_MEM(gq2, q2, 384, "Q2 equals sig1.q2.bin");
		CHECK(ens_sigstruct_attach(&s, n_be, s_be, &err) != 0, "a signature over other bytes is refused");
	}
	free(h);
	free(n_le);
	free(s_le);
	free(q1);
	free(q2);
	free(golden);
}

static void test_bad_sigstructs(void)
{
	static const struct { const char *file; enum ens_verify_check check; } rows[] = {
		{ TV "bad-sigflip.sig", ENS_VC_SIGNATURE },
		{ TV "bad-exponent.sig", ENS_VC_EXPONENT },
		{ TV "bad-truncated.sig", ENS_VC_SIZE },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct ens_verify_report rep;
		size_t len;
		uint8_t *b = slurp(rows[i].file, &len);

		CHECK(ens_sigstruct_verify(b, len, NULL, &rep) == 1 && rep.failed[rows[i].check],
		      "%s fails with the right reason", rows[i].file);
		free(b);
	}
}

static void test_numbers_and_dates(void)
{
	static const struct { const char *in; uint64_t want; int ok; } sizes[] = {
		{ "4096", 4096, 1 }, { "0x1000", 4096, 1 }, { "64M", 64ull << 20, 1 }, { "2k", 2048, 1 },
		{ "1G", 1ull << 30, 1 }, { "3mb", 3ull << 20, 1 }, { "5KB", 5120, 1 }, { "", 0, 0 },
		{ "-1", 0, 0 }, { "12Q", 0, 0 }, { "99999999999999999999", 0, 0 }, { "17179869184G", 0, 0 },
		{ "0x", 0, 0 }, { "M", 0, 0 },
	};
	static const struct { const char *in; uint32_t want; int ok; } dates[] = {
		{ "2024-01-31", 0x20240131, 1 }, { "20240131", 0x20240131, 1 }, { "2024-02-30", 0, 0 },
		{ "2024-13-01", 0, 0 }, { "2024/01/01", 0, 0 }, { "0000-00-00", 0, 1 }, { "2024-02-29", 0x20240229, 1 },
		{ "2023-02-29", 0, 0 }, { "202401011", 0, 0 },
	};
	struct ens_err err;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint64_t v = 0;
		int r = ens_parse_size(sizes[i].in, &v, "--heap", &err);

		CHECK((r == 0) == sizes[i].ok && (!sizes[i].ok || v == sizes[i].want), "size '%s'", sizes[i].in);
		if (r)
			CHECK(strstr(err.msg, "--heap") != NULL, "size error names the option: %s", err.msg);
	}
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		uint32_t v = 1;
		int r = ens_date_resolve(dates[i].in, &v, &err);

		CHECK((r == 0) == dates[i].ok && (!dates[i].ok || v == dates[i].want), "date '%s'", dates[i].in);
	}
	CHECK(ens_date_from_time(1795392000) == 0x20261123, "epoch 1795392000 is 2026-11-23");
	CHECK(ens_date_from_time(1630886400) == 0x20210906, "epoch 1630886400 is 2021-09-06");
	CHECK(ens_next_pow2(0x8a000) == 0x100000 && ens_next_pow2(0x1000) == 0x1000, "next_pow2");
}

/* ens_measure_eadd_run (records made in place, only offsets rewritten across
 * queue refills) against the same records built here byte by byte and hashed
 * with OpenSSL directly: random runs of random lengths and flags, interleaved
 * with single EADD/EEXTEND records, across many 64 KiB queue refills, and a
 * fork taken in the middle of the sequence. */
static void test_eadd_run(unsigned seed)
{
	static struct ens_measure m, f;
	static const uint64_t flags[] = { 0x203, 0x205, 0x100, 0x201 };
	EVP_MD_CTX *ref = EVP_MD_CTX_new();
	uint8_t rec[64], chunk[256], got[32], forked[32], want[32];
	uint64_t off = 0, x = seed;
	struct ens_err err;
	bool have_fork = false;

	CHECK(ref && EVP_DigestInit_ex(ref, EVP_sha256(), NULL), "EVP init");
	CHECK(ens_measure_init(&m, &err) == 0, "init");
	for (int op = 0; op < 400; op++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned kind = (unsigned)(x >> 60) % 4;
		uint64_t fl = flags[(x >> 40) % 4];
		uint64_t n = kind == 0 ? (x >> 20) % 5000 : kind == 1 ? (x >> 20) % 3 : 1;

		if (op == 200) {
			CHECK(ens_measure_fork(&f, &m, &err) == 0, "fork");
			have_fork = true;
		}
		if (kind <= 1) {
			ens_measure_eadd_run(&m, off, n, fl);
			if (have_fork)
				ens_measure_eadd_run(&f, off, n, fl);
			for (uint64_t i = 0; i < n; i++) {
				memset(rec, 0, 64);
				memcpy(rec, "EADD\0\0\0\0", 8);
				for (int b = 0; b < 8; b++) {
					rec[8 + b] = (uint8_t)((off + i * 4096) >> (8 * b));
					rec[16 + b] = (uint8_t)(fl >> (8 * b));
				}
				EVP_DigestUpdate(ref, rec, 64);
			}
			off += n * 4096;
		} else if (kind == 2) {
			ens_measure_eadd(&m, off, fl);
			if (have_fork)
				ens_measure_eadd(&f, off, fl);
			memset(rec, 0, 64);
			memcpy(rec, "EADD\0\0\0\0", 8);
			for (int b = 0; b < 8; b++) {
				rec[8 + b] = (uint8_t)(off >> (8 * b));
				rec[16 + b] = (uint8_t)(fl >> (8 * b));
			}
			EVP_DigestUpdate(ref, rec, 64);
			off += 4096;
		} else {
			memset(chunk, (int)(x >> 8) & 0xff, sizeof chunk);
			ens_measure_eextend(&m, off, chunk);
			if (have_fork)
				ens_measure_eextend(&f, off, chunk);
			memset(rec, 0, 64);
			memcpy(rec, "EEXTEND\0", 8);
			for (int b = 0; b < 8; b++)
				rec[8 + b] = (uint8_t)(off >> (8 * b));
			EVP_DigestUpdate(ref, rec, 64);
			EVP_DigestUpdate(ref, chunk, 256);
		}
	}
	CHECK(EVP_DigestFinal_ex(ref, want, NULL), "EVP final");
	EVP_MD_CTX_free(ref);
	CHECK(ens_measure_final(&m, got, &err) == 0 && ens_measure_final(&f, forked, &err) == 0, "final");
	CHECK_MEM(got, want, 32, "eadd_run seed %u: engine differs from the records hashed directly", seed);
	CHECK_MEM(forked, want, 32, "eadd_run seed %u: forked engine differs", seed);
	ens_measure_free(&m);
	ens_measure_free(&f);
}

/* A 5 MiB SGXS (many 256 KiB read buffers) with every page's chunks in a
 * random order, some UNMEASRD, some pages EADD-only, and non-zero unused
 * header bytes here and there: ens_sgxs_mrenclave (records hashed in place)
 * against OpenSSL over the records kept (file order, UNMEASRD left out,
 * unused bytes as zero), and against the page-stream reader and measure sink. */
static void test_big_sgxs_order(void)
{
	char path[] = "/tmp/ensign-t_core-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	EVP_MD_CTX *ref = EVP_MD_CTX_new();
	uint8_t rec[64], data[256], want[32], fast[32], stream[32];
	uint64_t x = 12345, pages = 1000;
	struct ens_measure m;
	struct ens_sink ms;
	struct ens_err err;

	CHECK(f && ref && EVP_DigestInit_ex(ref, EVP_sha256(), NULL), "setup");
	if (!f)
		return;
	memset(rec, 0, 64);
	memcpy(rec, "ECREATE", 8);
	rec[8] = 1;
	rec[12 + 3] = 0x10;	/* size 0x10000000 */
	EVP_DigestUpdate(ref, rec, 64);
	rec[40] = 0x77;		/* unused byte: not measured */
	fwrite(rec, 1, 64, f);
	for (uint64_t p = 0; p < pages; p++) {
		uint8_t order[16];
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		memset(rec, 0, 64);
		memcpy(rec, "EADD\0\0\0\0", 8);
		for (int b = 0; b < 8; b++)
			rec[8 + b] = (uint8_t)((p * 4096) >> (8 * b));
		rec[16] = 3;
		rec[17] = 2;
		EVP_DigestUpdate(ref, rec, 64);
		if (p % 7 == 3)
			rec[60] = 1;
		fwrite(rec, 1, 64, f);
		if (p % 5 == 4)
			continue;	/* EADD only */
		for (int i = 0; i < 16; i++)
			order[i] = (uint8_t)i;
		for (int i = 15; i > 0; i--) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			int j = (int)((x >> 33) % (uint64_t)(i + 1));
			uint8_t t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int k = 0; k < 16; k++) {
			uint64_t off = p * 4096 + order[k] * 256u;
			bool unm = ((p + (uint64_t)k) % 11) == 0;
			memset(rec, 0, 64);
			memcpy(rec, unm ? "UNMEASRD" : "EEXTEND\0", 8);
			for (int b = 0; b < 8; b++)
				rec[8 + b] = (uint8_t)(off >> (8 * b));
			memset(data, (int)(off * 31 >> 8) & 0xff, sizeof data);
			if (!unm) {
				EVP_DigestUpdate(ref, rec, 64);
				EVP_DigestUpdate(ref, data, 256);
			}
			if (k == 5 && p % 3 == 0)
				rec[20] = 9;
			fwrite(rec, 1, 64, f);
			fwrite(data, 1, 256, f);
		}
	}
	fclose(f);
	EVP_DigestFinal_ex(ref, want, NULL);
	EVP_MD_CTX_free(ref);
	CHECK(ens_sgxs_mrenclave(path, fast, NULL, &err) == 0, "big: %s", err.msg);
	CHECK_MEM(fast, want, 32, "big SGXS: ens_sgxs_mrenclave differs from the records hashed in file order");
	CHECK(ens_measure_init(&m, &err) == 0, "init");
	ens_sink_measure(&ms, &m);
	CHECK(ens_sgxs_read(path, NULL, &ms, NULL, &err) == 0 && ens_measure_final(&m, stream, &err) == 0,
	      "big stream: %s", err.msg);
	ens_measure_free(&m);
	CHECK_MEM(stream, want, 32, "big SGXS: page stream differs from the records hashed in file order");
	remove(path);
}

int main(void)
{
	test_big_sgxs_order();
	for (unsigned seed = 1; seed <= 8; seed++)
		test_eadd_run(seed);
	test_measure_sgxs(TV "sized.sgxs", "471554745bad5497053506c7acdb1137e5e2e1004cd97eb50497a7253b3d6bf4");
	test_measure_sgxs(TV "seed.sgxs", "ade374d9eaeead686e8d22b3604d7780f505ae5f442d3251ceca0e059c4babff");
	test_measure_sgxs(TV "manual_appended_permbug.sgxs",
			  "6d30045adba61db40299b34677039b2b401b3e73e289b8d613b6045d088fca15");
	test_measure_sgxs(TV "enclave-example_le.signed.sgxs",
			  "c0acdca38163ef4d4ef3bd51a4b98f4b00fb8d81045e7c6cd4fdeb3beb3b4574");
	test_fork_every_record(TV "report-test_enclave_report.sgxs");
	test_fork_every_record(TV "sized.sgxs");
	test_rsa_known_answer();
	test_bad_sigstructs();
	test_numbers_and_dates();
	return tap_done();
}
