/* Benchmarks of the measurement engine, printed as table rows with the
 * reference measured in the same run:
 *   full  : MRENCLAVE of a fully measured enclave of N MiB (pages from memory)
 *   eadd  : an enclave of N GiB with an EADD-only heap, against hashing the same
 *           number of 64-byte records in one SHA-256 stream
 *   gen   : write a sized SGXS file with an EADD-only heap (for the RSS benchmark)
 *   rss   : run a command and print its peak RSS in KiB */
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

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "full"))
		return bench_full(strtoull(argv[2], NULL, 0));
	if (argc >= 3 && !strcmp(argv[1], "eadd"))
		return bench_eadd(strtoull(argv[2], NULL, 0));
	if (argc >= 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 0));
	if (argc >= 3 && !strcmp(argv[1], "rss"))
		return rss(argv + 2);
	fprintf(stderr, "usage: bench_measure full MIB | eadd GIB | gen FILE GIB | rss CMD...\n");
	return 2;
}
