/* Shared helpers for the libFuzzer targets: hand the input to file-based
 * parsers through an in-memory file (no disk traffic), or as a C string. */
#ifndef ENSIGN_FUZZ_COMMON_H
#define ENSIGN_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ensign/page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path naming a file whose content is exactly data[0..size): one memfd
 * reused across runs, rewritten each time. Parsers that take a path (key
 * files, ELF, XML...) are fuzzed through their real entry point. */
static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("ensign-fuzz", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

/* A stdio stream over the input (fmemopen refuses size 0 on some libcs). */
static inline FILE *fuzz_stream(const uint8_t *data, size_t size)
{
	return size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
}

/* The input as a NUL-terminated string (caller frees). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* A sink for front ends that lay out whole enclaves (heaps of gigabytes):
 * counts ECREATE and pages, and stops the stream with an error after
 * FUZZ_PAGE_BUDGET pages so one input costs milliseconds, not minutes. */
#define FUZZ_PAGE_BUDGET 512
struct fuzz_budget { uint64_t size, pages; int ecreates; };

static inline int fuzz_budget_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	struct fuzz_budget *b = ctx;

	b->ecreates++;
	b->size = size;
	return 0;
}

static inline int fuzz_budget_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct fuzz_budget *b = ctx;

	if (++b->pages > FUZZ_PAGE_BUDGET)
		return ens_fail(err, ENS_E_UNSUPPORTED, "fuzz page budget reached");
	return 0;
}

static inline void fuzz_budget_sink(struct ens_sink *s, struct fuzz_budget *b)
{
	*b = (struct fuzz_budget){ 0 };
	s->ctx = b;
	s->ecreate = fuzz_budget_ecreate;
	s->page = fuzz_budget_page;
}

#endif
