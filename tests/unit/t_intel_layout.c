/* Unit tests: the Intel SDK layout table under forged metadata. Nested
 * layout groups multiply (load_times^depth): the fuzzer found a table that
 * kept sgx_sign's algorithm busy for hours. Each case here must end with its
 * own error after bounded work (a hang fails the suite by its time-out). */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ensign/intel_sdk.h"
#include "ensign/page.h"

#define NENT 12
static uint8_t meta[4096];
static uint64_t pages_seen;

static int on_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	(void)ctx, (void)ssa, (void)size, (void)err;
	return 0;
}

static int on_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	(void)ctx, (void)pg, (void)err;
	pages_seen++;
	return 0;
}

/* A 2.x metadata block of enclave_size bytes whose layout table is tab[n]. */
static size_t make_meta(const struct ens_intel_layout *tab, size_t n, uint64_t enclave_size)
{
	struct ens_intel_meta h;

	memset(meta, 0, sizeof meta);
	memset(&h, 0, sizeof h);
	h.magic = ENS_INTEL_META_MAGIC;
	h.version = (UINT64_C(2) << 32) | 4;
	h.size = (uint32_t)(sizeof h + n * sizeof *tab);
	h.ssa_frame_size = 1;
	h.enclave_size = enclave_size;
	h.dirs[ENS_INTEL_DIR_PATCH].offset = sizeof h;
	h.dirs[ENS_INTEL_DIR_LAYOUT].offset = sizeof h;
	h.dirs[ENS_INTEL_DIR_LAYOUT].size = (uint32_t)(n * sizeof *tab);
	memcpy(meta, &h, sizeof h);
	memcpy(meta + sizeof h, tab, n * sizeof *tab);
	return h.size;
}

static int stream(const struct ens_intel_layout *tab, size_t n, uint64_t enclave_size, struct ens_err *err)
{
	static uint8_t image[0x1000];
	struct ens_intel_elf e;
	struct ens_sink sink = { .ctx = NULL, .ecreate = on_ecreate, .page = on_page };
	size_t len = make_meta(tab, n, enclave_size);

	memset(&e, 0, sizeof e);
	e.path = "forged.so";
	e.data = image;
	e.len = sizeof image;
	e.is64 = true;
	e.nseg = 1;
	e.seg[0] = (struct ens_intel_seg){ 0, 0x1000, 0x1000, 0, 5 };
	e.image_end = 0x1000;
	pages_seen = 0;
	return ens_intel_stream(&e, meta, len, &sink, err);
}

int main(void)
{
	struct ens_intel_layout tab[NENT];
	struct ens_err err;

	/* 1. Entry 0 adds one page; entry k repeats all k entries before it
	 * 2^32-1 times with step 0: the same page again and again. */
	memset(tab, 0, sizeof tab);
	tab[0] = (struct ens_intel_layout){ .id = 1, .attributes = ENS_PA_EADD | ENS_PA_EEXTEND, .page_count = 1,
					    .rva = 0x1000, .si_flags = 0x201 };
	for (int k = 1; k < NENT; k++)
		tab[k] = (struct ens_intel_layout){ .id = ENS_LAYOUT_GROUP_FLAG | 1, .attributes = (uint16_t)k,
						    .page_count = UINT32_MAX };
	CHECK(stream(tab, NENT, 0x100000, &err) == -1, "overlapping group of pages refused");
	CHECK(strstr(err.msg, "the layout adds more pages than the enclave's 0x100000 bytes hold") != NULL, "%s",
	      err.msg);
	CHECK(pages_seen <= 0x100, "stopped within the enclave's 256 pages (saw %llu)",
	      (unsigned long long)pages_seen);

	/* 2. The same nesting over an entry that adds nothing: no page bounds
	 * the work, the count of unrolled entries does. */
	tab[0].attributes = 0;
	CHECK(stream(tab, NENT, 0x100000, &err) == -1, "nested empty groups refused");
	CHECK(strstr(err.msg, "layout groups unroll to more than 1048576 entries") != NULL, "%s", err.msg);

	/* 3. A group that repeats more entries than precede it. */
	tab[1].attributes = 5;
	CHECK(stream(tab, 2, 0x100000, &err) == -1, "group reaching before the table");
	CHECK(strstr(err.msg, "layout group repeats 5 entries but only 1 precede it") != NULL, "%s", err.msg);

	/* 4. Control: a sane table streams, one page per thread of a 4-way group. */
	tab[0] = (struct ens_intel_layout){ .id = 1, .attributes = ENS_PA_EADD | ENS_PA_EEXTEND, .page_count = 1,
					    .rva = 0x1000, .si_flags = 0x201 };
	tab[1] = (struct ens_intel_layout){ .id = ENS_LAYOUT_GROUP_FLAG | 1, .attributes = 1, .page_count = 3,
					    .rva = 0x1000 };
	CHECK(stream(tab, 2, 0x100000, &err) == 0, "sane table: %s", err.msg);
	CHECK(pages_seen == 1 + 4, "ELF page + 4 layout pages (saw %llu)", (unsigned long long)pages_seen);

	/* 5. The same table in an enclave too small for it. */
	CHECK(stream(tab, 2, 0x4000, &err) == -1, "4 layout pages + the ELF page in 16 KiB");
	CHECK(strstr(err.msg, "more pages than the enclave's 0x4000 bytes hold") != NULL, "%s", err.msg);
	return tap_done();
}
