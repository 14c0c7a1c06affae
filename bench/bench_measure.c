/* Benchmarks of the measurement engine, printed as table rows with the
 * reference measured in the same run:
 *   full  : MRENCLAVE of a fully measured enclave of N MiB (pages from memory)
 *   eadd  : an enclave of N GiB with an EADD-only heap, against hashing the same
 *           number of 64-byte records in one SHA-256 stream
 *   gen   : write a sized SGXS file with an EADD-only heap (for the RSS benchmark)
 *   genfull: write a sized SGXS of N MiB of fully measured pages
 *   rss   : run a command and print its peak RSS in KiB
 *   ab    : two commands alternately, N times each: median CPU times, ratio, RSS
 *   cpu   : one command N times: median CPU time, peak RSS
 *   keys  : per-enclave fixed costs: loading a PEM key, the built-in debug key,
 *           one SIGSTRUCT signature (RSA-3072 + Q1/Q2), against OpenSSL's own
 *           RSA-3072 signature in the same run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "ensign/ensign.h"

/* CPU time of this process, as `openssl speed` measures by default: on a shared
 * machine wall-clock time mostly measures the neighbours. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_full(uint64_t mib)
{
	static uint8_t page[ENS_PAGE_SIZE];
	uint64_t pages = mib << 8, size = ens_next_pow2(pages * ENS_PAGE_SIZE);
	struct ens_measure m;
	struct ens_err err;
	uint8_t mr[32];
	double t0, dt;

	for (size_t i = 0; i < sizeof page; i++)
		page[i] = (uint8_t)(i * 7);
	if (ens_measure_init(&m, &err))
		return 1;
	t0 = now();
	ens_measure_ecreate(&m, 1, size);
	for (uint64_t p = 0; p < pages; p++)
		ens_measure_page(&m, p * ENS_PAGE_SIZE, 0x203, page, 0xffff);
	ens_measure_final(&m, mr, &err);
	dt = now() - t0;
	ens_measure_free(&m);
	/* bytes through SHA-256: per page 1 EADD + 16 x (64 + 256) */
	printf("full %llu MiB: %.3f s, %.1f MB/s hashed\n", (unsigned long long)mib, dt,
	       (double)pages * (64 + 16 * 320) / dt / 1e6);
	return 0;
}

static int bench_eadd(uint64_t gib)
{
	uint64_t pages = gib << 18;
	struct ens_measure m;
	struct ens_err err;
	uint8_t mr[32], buf[64 * 1024];
	double t0, t_ens, t_ref;
	EVP_MD_CTX *ctx;
	unsigned int n;

	if (ens_measure_init(&m, &err))
		return 1;
	t0 = now();
	ens_measure_ecreate(&m, 1, gib << 30);
	for (uint64_t p = 0; p < pages; p++)
		ens_measure_eadd(&m, p * ENS_PAGE_SIZE, 0x203);
	ens_measure_final(&m, mr, &err);
	t_ens = now() - t0;
	ens_measure_free(&m);
	memset(buf, 0x5a, sizeof buf);
	ctx = EVP_MD_CTX_new();
	t0 = now();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (uint64_t done = 0; done < (pages + 1) * 64; done += sizeof buf)
		EVP_DigestUpdate(ctx, buf, sizeof buf);
	EVP_DigestFinal_ex(ctx, mr, &n);
	t_ref = now() - t0;
	EVP_MD_CTX_free(ctx);
	printf("eadd %llu GiB: ensign %.3f s, raw SHA-256 of the same records %.3f s, ratio %.2f\n",
	       (unsigned long long)gib, t_ens, t_ref, t_ref / t_ens);
	return 0;
}

/* A sized SGXS: 4 measured code pages, then an EADD-only heap filling SIZE/2. */
static int gen(const char *path, uint64_t gib)
{
	FILE *f = fopen(path, "wb");
	uint8_t rec[64] = { 0 }, chunk[256];
	uint64_t size = gib << 30, pages = (size / 2) / ENS_PAGE_SIZE;

	if (!f)
		return perror(path), 1;
	memset(chunk, 0x90, sizeof chunk);
	ens_put_le64(rec, ENS_TAG_ECREATE);
	ens_put_le32(rec + 8, 1);
	ens_put_le64(rec + 12, size);
	fwrite(rec, 1, 64, f);
	for (uint64_t p = 0; p < pages; p++) {
		memset(rec, 0, 64);
		ens_put_le64(rec, ENS_TAG_EADD);
		ens_put_le64(rec + 8, p * ENS_PAGE_SIZE);
		ens_put_le64(rec + 16, p < 4 ? 0x205 : 0x203);
		fwrite(rec, 1, 64, f);
		for (unsigned c = 0; p < 4 && c < 16; c++) {
			memset(rec, 0, 64);
			ens_put_le64(rec, ENS_TAG_EEXTEND);
			ens_put_le64(rec + 8, p * ENS_PAGE_SIZE + c * 256);
			fwrite(rec, 1, 64, f);
			fwrite(chunk, 1, 256, f);
		}
	}
	return fclose(f) ? (perror(path), 1) : 0;
}

/* A sized SGXS of N MiB of fully measured pages (pseudo-random data), as
 * `ensign measure` of a large fully measured enclave reads it. */
static int genfull(const char *path, uint64_t mib)
{
	FILE *f = fopen(path, "wb");
	static uint8_t page[64 + 16 * 320];
	uint8_t rec[64] = { 0 };
	uint64_t pages = (mib << 20) / sizeof page, x = 1;

	if (!f)
		return perror(path), 1;
	ens_put_le64(rec, ENS_TAG_ECREATE);
	ens_put_le32(rec + 8, 1);
	ens_put_le64(rec + 12, ens_next_pow2(pages * ENS_PAGE_SIZE));
	fwrite(rec, 1, 64, f);
	for (uint64_t p = 0; p < pages; p++) {
		uint8_t *r = page;
		memset(r, 0, 64);
		ens_put_le64(r, ENS_TAG_EADD);
		ens_put_le64(r + 8, p * ENS_PAGE_SIZE);
		ens_put_le64(r + 16, 0x203);
		r += 64;
		for (unsigned c = 0; c < 16; c++, r += 320) {
			memset(r, 0, 64);
			ens_put_le64(r, ENS_TAG_EEXTEND);
			ens_put_le64(r + 8, p * ENS_PAGE_SIZE + c * 256);
			for (unsigned i = 0; i < 256; i += 8) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				ens_put_le64(r + 64 + i, x);
			}
		}
		fwrite(page, 1, sizeof page, f);
	}
	return fclose(f) ? (perror(path), 1) : 0;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rss(char **argv)
{
	struct rusage ru;
	int status;
	double t0 = wall(), dt;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return 1;
	dt = wall() - t0;
	printf("%s: exit %d, %.3f s wall, %.3f s CPU, peak RSS %ld KiB\n", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1, dt,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	       ru.ru_maxrss);
	return 0;
}

/* CPU time (user + system) and peak RSS of one run of argv, output (and
 * notes on stderr) discarded; a failure is reported by its exit status. */
static int run_one(char **argv, double *cpu, long *rss_kib)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	*rss_kib = ru.ru_maxrss;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ab N CMD_A... -- CMD_B...: the two commands run alternately (A B A B ...),
 * N times each, in this one run; prints the median CPU time of each, their
 * ratio B/A (A is the reference: ratio >= 1 means B is no slower) and the
 * peak RSS of B. Side by side so that the neighbours' load hits both alike. */
static int ab(int n, char **argv)
{
	char **a = argv, **b = NULL;
	double ta[64], tb[64];
	long ra = 0, rb = 0, r;

	for (char **p = argv; *p; p++)
		if (!strcmp(*p, "--")) {
			*p = NULL;
			b = p + 1;
		}
	if (!b || !*a || !*b || n < 1 || n > 64)
		return fprintf(stderr, "usage: bench_measure ab N CMD_A... -- CMD_B...\n"), 2;
	for (int i = 0; i < n; i++) {
		if (run_one(a, &ta[i], &r) || (ra = r > ra ? r : ra, run_one(b, &tb[i], &r)))
			return fprintf(stderr, "ab: a command failed\n"), 1;
		rb = r > rb ? r : rb;
	}
	qsort(ta, (size_t)n, sizeof *ta, cmp_double);
	qsort(tb, (size_t)n, sizeof *tb, cmp_double);
	printf("ab x%d: A %.3f s, B %.3f s (medians, CPU), speed ratio A/B %.3f, peak RSS A %ld KiB, B %ld KiB\n",
	       n, ta[n / 2], tb[n / 2], ta[n / 2] / tb[n / 2], ra, rb);
	return 0;
}

/* cpu N CMD...: N runs; median CPU time and the largest peak RSS. */
static int cpu_median(int n, char **argv)
{
	double t[64];
	long rss_max = 0, r;

	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++) {
		if (run_one(argv, &t[i], &r))
			return fprintf(stderr, "cpu: the command failed\n"), 1;
		rss_max = r > rss_max ? r : rss_max;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("cpu x%d: %.3f s (median, CPU), peak RSS %ld KiB\n", n, t[n / 2], rss_max);
	return 0;
}

static int bench_keys(const char *pem, int n)
{
	static const struct ens_sigstruct_fields f = { .attributes = 0x6, .xfrm = 3 };
	struct ens_sigstruct ss;
	struct ens_signer *s;
	struct ens_err err;
	uint8_t sig[384], msg[256] = { 0 };
	double t0, t_pem, t_debug, t_sign, t_ref;
	EVP_MD_CTX *md;
	size_t len;

	t0 = now();
	for (int i = 0; i < n; i++) {
		if (ens_signer_open_pem(&s, pem, NULL, NULL, 0, &err))
			return fprintf(stderr, "%s\n", err.msg), 1;
		ens_signer_free(s);
	}
	t_pem = (now() - t0) / n;
	t0 = now();
	for (int i = 0; i < n; i++) {
		if (ens_signer_open_debug(&s, &err))
			return fprintf(stderr, "%s\n", err.msg), 1;
		ens_signer_free(s);
	}
	t_debug = (now() - t0) / n;
	if (ens_signer_open_pem(&s, pem, NULL, NULL, 0, &err))
		return 1;
	t0 = now();
	for (int i = 0; i < n; i++) {
		ens_sigstruct_build(&ss, &f);
		if (ens_sigstruct_sign(&ss, s, &err))
			return fprintf(stderr, "%s\n", err.msg), 1;
	}
	t_sign = (now() - t0) / n;
	md = EVP_MD_CTX_new();
	t0 = now();
	for (int i = 0; i < n; i++) {
		len = sizeof sig;
		EVP_MD_CTX_reset(md);
		if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->priv) <= 0 ||
		    EVP_DigestSign(md, sig, &len, msg, sizeof msg) <= 0)
			return 1;
	}
	t_ref = (now() - t0) / n;
	EVP_MD_CTX_free(md);
	ens_signer_free(s);
	printf("keys x%d: PEM key load %.3f ms, debug key load %.3f ms, SIGSTRUCT sign %.3f ms, "
	       "OpenSSL RSA-3072 sign %.3f ms, sign ratio %.2f\n", n, t_pem * 1e3, t_debug * 1e3, t_sign * 1e3,
	       t_ref * 1e3, t_ref / t_sign);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "keys"))
		return bench_keys(argv[2], atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "full"))
		return bench_full(strtoull(argv[2], NULL, 0));
	if (argc >= 3 && !strcmp(argv[1], "eadd"))
		return bench_eadd(strtoull(argv[2], NULL, 0));
	if (argc >= 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 0));
	if (argc >= 4 && !strcmp(argv[1], "genfull"))
		return genfull(argv[2], strtoull(argv[3], NULL, 0));
	if (argc >= 4 && !strcmp(argv[1], "cpu"))
		return cpu_median(atoi(argv[2]), argv + 3);
	if (argc >= 6 && !strcmp(argv[1], "ab"))
		return ab(atoi(argv[2]), argv + 3);
	if (argc >= 3 && !strcmp(argv[1], "rss"))
		return rss(argv + 2);
	fprintf(stderr, "usage: bench_measure full MIB | eadd GIB | gen FILE GIB | genfull FILE MIB | rss CMD... | ab N CMD_A... -- CMD_B... | cpu N CMD... | keys PEM N\n");
	return 2;
}
