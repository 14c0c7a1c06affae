/* The CLI side of long measurements (include/ensign/progress.h): on a
 * terminal, a measurement that has run for two seconds shows pages done,
 * rate and time left on stderr, one line rewritten in place and cleared at
 * the end; nothing otherwise or with --quiet. Enclaves above 64 GiB warn that
 * the CPU must support that size (compared with this host's CPUID when it
 * has SGX). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ensign/progress.h"

static struct {
	bool show;
	double delay;		/* seconds before the first line: 2, or ENSIGN_PROGRESS_DELAY (tests) */
	double start, last;
	bool printed;
	uint64_t warned_size;
} st;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned log2_ceil(uint64_t v)
{
	unsigned n = 0;

	while (n < 64 && (1ull << n) < v)
		n++;
	return n;
}

static void begin(void *arg, uint64_t size, uint64_t total)
{
	st.start = st.last = now();
	st.printed = false;
	if (size > ENS_ENCLAVE_WARN_SIZE && size != st.warned_size) {
		int host = ens_host_max_enclave_log2();
		unsigned need = log2_ceil(size);

		st.warned_size = size;
		if (host < 0)
			cli_warn("the enclave is %" PRIu64 " GiB: the CPU that runs it must report a MaxEnclaveSize_64 of at"
				 " least 2^%u (CPUID leaf 0x12, EDX bits 15:8); this host has no SGX to compare with",
				 size >> 30, need);
		else
			cli_warn("the enclave is %" PRIu64 " GiB: the CPU that runs it must report a MaxEnclaveSize_64 of at"
				 " least 2^%u (CPUID leaf 0x12, EDX bits 15:8); this host reports 2^%d%s", size >> 30, need,
				 host, (unsigned)host < need ? ", so it cannot build it" : "");
	}
}

static void pages(void *arg, uint64_t done, uint64_t total)
{
	double t = now(), el = t - st.start, rate;

	if (!st.show || el < st.delay || (st.printed && t - st.last < 0.25))
		return;
	st.last = t;
	rate = (double)done / el;
	if (total < done)
		total = done;
	fprintf(stderr, "\r%s: measuring: %" PRIu64 " of ~%" PRIu64 " pages (%d%%), %.1f GiB of enclave/s,"
		" ~%.0f s left\033[K", cli_prog, done, total, (int)(100.0 * (double)done / (double)total),
		rate * ENS_PAGE_SIZE / 1073741824.0, rate > 0 ? (double)(total - done) / rate : 0.0);
	st.printed = true;
}

static void end(void *arg)
{
	if (st.printed)
		fputs("\r\033[K", stderr);
	st.printed = false;
}

static const struct ens_progress_ops ops = { begin, pages, end };

void cli_progress_init(bool quiet)
{
	const char *d = getenv("ENSIGN_PROGRESS_DELAY");

	st.show = !quiet && isatty(STDERR_FILENO);
	st.delay = d && *d ? atof(d) : 2.0;
	ens_progress_set(&ops, NULL);
}
