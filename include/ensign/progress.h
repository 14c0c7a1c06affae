/* Long measurements: a process-wide hook the CLI sets (the library prints
 * nothing) and a sink wrapper that counts pages for it; and the largest
 * enclave an SGX CPU can build on a Linux host. */
#ifndef ENSIGN_PROGRESS_H
#define ENSIGN_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "page.h"

/* ELRANGE is naturally aligned (BASEADDR a multiple of SIZE) and lies in the
 * 47-bit user half of the address space above page 0 (mmap_min_addr): the
 * largest SECS.SIZE a Linux host with 4-level paging can map is 2^46. */
#define ENS_ENCLAVE_BUILD_MAX (1ull << 46)
/* Above this, the CPU must report a larger MaxEnclaveSize_64 (CPUID 0x12). */
#define ENS_ENCLAVE_WARN_SIZE (1ull << 36)

/* 0, or -1 (code) naming the size and why no SGX CPU can build it. */
int ens_enclave_size_check(uint64_t size, enum ens_code code, struct ens_err *err);
/* log2 of MaxEnclaveSize_64 (CPUID.(EAX=12H,ECX=0):EDX[15:8]), -1 without SGX. */
int ens_host_max_enclave_log2(void);

struct ens_progress_ops {
	void (*begin)(void *arg, uint64_t enclave_size, uint64_t total_pages);
	void (*pages)(void *arg, uint64_t done, uint64_t total_pages);	/* every few thousand pages */
	void (*end)(void *arg);
};
/* Set (or clear, ops NULL) the hook every measurement reports to. */
void ens_progress_set(const struct ens_progress_ops *ops, void *arg);

struct ens_progress {
	struct ens_sink sink;	/* what the stream is given */
	struct ens_sink inner;	/* where pages go */
	uint64_t done, total, next;
};
/* The counting sink's functions (ens_sink_eadd_run knows the page one and
 * hands runs to the run one, so the inner sink keeps its fast path). */
int ens_progress_sink_page(void *ctx, const struct ens_page *pg, struct ens_err *err);
int ens_progress_sink_eadd_run(void *ctx, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
			       struct ens_err *err);
/* For a reader that counts pages itself: done so far, and a new estimate. */
void ens_progress_update(struct ens_progress *p, uint64_t done, uint64_t total_pages);
/* total_pages may be an estimate. */
void ens_progress_start(struct ens_progress *p, uint64_t enclave_size, uint64_t total_pages);
/* The counting sink in front of inner (may be called again with another inner). */
struct ens_sink *ens_progress_sink(struct ens_progress *p, const struct ens_sink *inner);
void ens_progress_finish(struct ens_progress *p);

#endif
