/* Progress of long measurements and the enclave size limit
 * (include/ensign/progress.h). */
#include <inttypes.h>
#include <stddef.h>
#include "ensign/progress.h"
#include "ensign/sgx.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define REPORT_EVERY 4096u	/* pages between two calls of the hook */

static const struct ens_progress_ops *hook;
static void *hook_arg;

void ens_progress_set(const struct ens_progress_ops *ops, void *arg)
{
	hook = ops;
	hook_arg = arg;
}

static int fwd_ecreate(void *ctx, uint32_t ssaframesize, uint64_t size, struct ens_err *err)
{
	struct ens_progress *p = ctx;

	return p->inner.ecreate(p->inner.ctx, ssaframesize, size, err);
}

int ens_progress_sink_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct ens_progress *p = ctx;

	if (++p->done >= p->next) {
		p->next = p->done + REPORT_EVERY;
		if (hook && hook->pages)
			hook->pages(hook_arg, p->done, p->total);
	}
	return p->inner.page(p->inner.ctx, pg, err);
}

/* A run goes on to the inner sink as runs (so its fast path is kept), cut
 * where the hook is due. */
int ens_progress_sink_eadd_run(void *ctx, uint64_t off, uint64_t n, uint64_t flags, const uint8_t *data,
			       struct ens_err *err)
{
	struct ens_progress *p = ctx;

	while (n) {
		uint64_t due = p->next > p->done ? p->next - p->done : 1;
		uint64_t k = n < due ? n : due;

		if (ens_sink_eadd_run(&p->inner, off, k, flags, data, err))
			return -1;
		p->done += k;
		off += k * ENS_PAGE_SIZE;
		n -= k;
		if (p->done >= p->next) {
			p->next = p->done + REPORT_EVERY;
			if (hook && hook->pages)
				hook->pages(hook_arg, p->done, p->total);
		}
	}
	return 0;
}

void ens_progress_update(struct ens_progress *p, uint64_t done, uint64_t total_pages)
{
	p->done = done;
	p->total = total_pages;
	if (done >= p->next) {
		p->next = done + REPORT_EVERY;
		if (hook && hook->pages)
			hook->pages(hook_arg, done, total_pages);
	}
}

void ens_progress_start(struct ens_progress *p, uint64_t enclave_size, uint64_t total_pages)
{
	p->done = 0;
	p->total = total_pages;
	p->next = REPORT_EVERY;
	if (hook && hook->begin)
		hook->begin(hook_arg, enclave_size, total_pages);
}

struct ens_sink *ens_progress_sink(struct ens_progress *p, const struct ens_sink *inner)
{
	p->inner = *inner;
	p->sink = (struct ens_sink){ .ctx = p, .ecreate = fwd_ecreate, .page = ens_progress_sink_page };
	return &p->sink;
}

void ens_progress_finish(struct ens_progress *p)
{
	(void)p;
	if (hook && hook->end)
		hook->end(hook_arg);
}

int ens_enclave_size_check(uint64_t size, enum ens_code code, struct ens_err *err)
{
	if (size <= ENS_ENCLAVE_BUILD_MAX)
		return 0;
	return ens_fail(err, code, "the enclave would be %" PRIu64 " TiB (SECS.SIZE 0x%" PRIx64 "): no SGX CPU "
			"can build it: ELRANGE is aligned to its size and must lie in the 47-bit user address space "
			"above page 0, so the largest enclave is 64 TiB (2^46)", size >> 40, size);
}

int ens_host_max_enclave_log2(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	if ((unsigned)__get_cpuid_max(0, NULL) < 0x12)
		return -1;
	__cpuid_count(7, 0, a, b, c, d);
	if (!(b & (1u << 2)))	/* CPUID.7.EBX.SGX */
		return -1;
	__cpuid_count(0x12, 0, a, b, c, d);
	if (!(a & 1))		/* SGX1 */
		return -1;
	return (int)((d >> 8) & 0xff);
#else
	return -1;
#endif
}
