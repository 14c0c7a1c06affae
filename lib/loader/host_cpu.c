/* Loader stage: the host CPU's SGX-relevant state (sgx-architecture.md §4.2):
 * XCR0 via XGETBV, XSAVE component sizes via CPUID 0xD, SGX capabilities via
 * CPUID 0x12, and ftxsgx-runner's XFRM choice. ENSIGN_XCR0 overrides XCR0
 * so tests do not depend on the machine they run on. */
#include <stdlib.h>
#include <string.h>
#include "ensign/fortanix.h"
#include "ensign/sgx.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static bool cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	if ((unsigned)__get_cpuid_max(leaf & 0x80000000u, NULL) < leaf)
		return false;
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
	return true;
}
static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}
#else
static bool cpuid(unsigned leaf, unsigned sub, unsigned r[4]) { (void)leaf; (void)sub; (void)r; return false; }
static uint64_t xgetbv0(void) { return 0; }
#endif

/* Standard (non-compacted) XSAVE layout, for components the CPU does not report. */
static uint32_t standard_end(unsigned i)
{
	switch (i) {
	case 2: return 576 + 256;	/* AVX */
	case 3: return 960 + 64;	/* MPX BNDREGS */
	case 4: return 1024 + 64;	/* MPX BNDCSR */
	case 5: return 1088 + 64;	/* AVX-512 opmask */
	case 6: return 1152 + 512;	/* ZMM_Hi256 */
	case 7: return 1664 + 1024;	/* Hi16_ZMM */
	case 9: return 2688 + 8;	/* PKRU */
	case 17: return 2752 + 64;	/* AMX TILECFG */
	case 18: return 2816 + 8192;	/* AMX TILEDATA */
	default: return 0;
	}
}

void ens_host_cpu_probe(struct ens_host_cpu *h)
{
	unsigned r[4];
	memset(h, 0, sizeof *h);
	if (cpuid(1, 0, r) && (r[2] & (1u << 27))) {	/* OSXSAVE */
		h->have_xcr0 = true;
		h->xcr0 = xgetbv0();
	}
	const char *ov = getenv("ENSIGN_XCR0");
	if (ov && *ov) {
		h->have_xcr0 = true;
		h->xcr0_overridden = true;
		h->xcr0 = strtoull(ov, NULL, 0);
	}
	for (unsigned i = 2; i < 64; i++) {
		if (!h->xcr0_overridden && cpuid(0xD, i, r) && r[0] && !(r[2] & 1))
			h->xsave_end[i] = r[0] + r[1];	/* EAX size, EBX offset */
		else
			h->xsave_end[i] = standard_end(i);
	}
	if (cpuid(7, 0, r) && (r[1] & (1u << 2))) {
		h->have_sgx = true;
		if (cpuid(0x12, 0, r)) {
			h->have_sgx_leaf = true;
			h->miscselect_supported = r[1];
			if (cpuid(0x12, 1, r)) {
				h->attributes_supported = ((uint64_t)r[1] << 32) | r[0];
				h->xfrm_supported = ((uint64_t)r[3] << 32) | r[2];
			}
		}
	}
}

uint32_t ens_xsave_size(const struct ens_host_cpu *h, uint64_t xfrm)
{
	uint32_t size = 576;	/* legacy area + XSAVE header */
	for (unsigned i = 2; i < 64; i++)
		if ((xfrm >> i) & 1 && h->xsave_end[i] > size)
			size = h->xsave_end[i];
	return size;
}

uint64_t ens_ftx_runner_xfrm(const struct ens_host_cpu *h, uint32_t ssaframesize)
{
	uint64_t x = 0x3;
	uint64_t limit = (uint64_t)ssaframesize * ENS_PAGE_SIZE;
	for (unsigned i = 2; i < 64 && h->have_xcr0; i++)
		if ((h->xcr0 >> i) & 1 && h->xsave_end[i] && h->xsave_end[i] <= limit)
			x |= 1ull << i;
	if ((x & 0x60000) != 0x60000)
		x &= ~0x60000ull;
	return x;
}
