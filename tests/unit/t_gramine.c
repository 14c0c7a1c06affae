/* Gramine front end: libpal reading, layout and MRENCLAVE against the vectors
 * (tests/vectors/gramine: the expected .manifest.sgx of each case measured
 * with that case's size, threads and EDMM), size parsing, and the stream's
 * architectural rules checked by the layout-check sink. */
#include <stdlib.h>
#include <string.h>
#include "ensign/gramine.h"
#include "ensign/io.h"
#include "ensign/measure.h"
#include "ensign/util.h"
#include "tap.h"

#define V "tests/vectors/gramine/"

static void one(const char *mf, const char *pal_path, uint64_t E, uint64_t T, bool edmm, const char *want)
{
	struct ens_err err = { 0 };
	struct ens_gr_pal pal;
	uint8_t *buf = NULL, mr[32];
	size_t len = 0;
	char hex[65] = "";

	if (ens_read_file(mf, 1 << 20, &buf, &len, &err) || ens_gr_pal_open(pal_path, &pal, &err)) {
		CHECK(0, "%s: %s", mf, err.msg);
		free(buf);
		return;
	}
	struct ens_gr_layout_in in = { .manifest = buf, .manifest_len = len, .enclave_size = E, .max_threads = T,
				       .edmm = edmm };
	if (ens_gr_mrenclave(&in, &pal, NULL, mr, &err))
		CHECK(0, "%s: %s", mf, err.msg);
	else
		ens_hex(mr, 32, hex);
	CHECK(!strcmp(hex, want), "%s: MRENCLAVE %s, want %s", mf, hex, want);
	ens_gr_pal_close(&pal);
	free(buf);
}

static void size(const char *s, int ok, uint64_t want)
{
	struct ens_err err = { 0 };
	uint64_t v = 0;
	int rc = ens_gr_parse_size(s, &v, &err);

	CHECK((rc == 0) == ok && (!ok || v == want), "parse_size('%s') rc %d v 0x%llx (%s)", s, rc,
	      (unsigned long long)v, err.msg);
}

/* A one-PT_LOAD ELF in any class and byte order (§4.4: all four read alike). */
static void put(uint8_t *p, uint64_t v, int n, bool be)
{
	for (int i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static const char *make_elf(const char *path, bool e64, bool be, uint64_t entry, uint64_t vaddr, uint64_t memsz)
{
	uint8_t f[0x400] = { 0x7f, 'E', 'L', 'F', e64 ? 2 : 1, be ? 2 : 1, 1 };
	int eh = e64 ? 64 : 52, ph = e64 ? 56 : 32;

	put(f + 16, 3, 2, be);
	put(f + 18, 62, 2, be);
	put(f + 20, 1, 4, be);
	if (e64) {
		put(f + 24, entry, 8, be);
		put(f + 32, 64, 8, be);
		put(f + 52, 64, 2, be);
		put(f + 54, 56, 2, be);
		put(f + 56, 1, 2, be);
		uint8_t *p = f + eh;
		put(p, 1, 4, be);
		put(p + 4, 5, 4, be);
		put(p + 8, 0x200, 8, be);	/* the loaded bytes are past the headers */
		put(p + 16, vaddr, 8, be);
		put(p + 24, vaddr, 8, be);
		put(p + 32, 0x200, 8, be);
		put(p + 40, memsz, 8, be);
		put(p + 48, 0x1000, 8, be);
	} else {
		put(f + 24, entry, 4, be);
		put(f + 28, 52, 4, be);
		put(f + 40, 52, 2, be);
		put(f + 42, 32, 2, be);
		put(f + 44, 1, 2, be);
		uint8_t *p = f + eh;
		put(p, 1, 4, be);
		put(p + 4, 0x200, 4, be);
		put(p + 8, vaddr, 4, be);
		put(p + 12, vaddr, 4, be);
		put(p + 16, 0x200, 4, be);
		put(p + 20, memsz, 4, be);
		put(p + 24, 5, 4, be);
		put(p + 28, 0x1000, 4, be);
	}
	for (int i = eh + ph; i < (int)sizeof f; i++)
		f[i] = (uint8_t)i;
	FILE *o = fopen(path, "wb");
	if (!o || fwrite(f, 1, sizeof f, o) != sizeof f || fclose(o))
		return NULL;
	return path;
}

/* A sink that keeps the TCS and TLS pages of thread 0 and counts pages. */
struct grab {
	struct ens_gr_tcs tcs;
	struct ens_gr_tls tls;
	uint64_t pages, unmeasured, first_free, tcs_at, tls_at;
};
static int g_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err) { return 0; }
static int g_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct grab *g = ctx;
	g->pages++;
	if (!pg->eextend_mask && !g->unmeasured++)
		g->first_free = pg->offset;
	if (pg->offset == g->tcs_at)
		memcpy(&g->tcs, pg->data, 4096);
	if (pg->offset == g->tls_at)
		memcpy(&g->tls, pg->data, 4096);
	return 0;
}

static void fixed_pal(void)
{
	/* h07's case: a pal linked at 0x200000 stays there, its base is added to
	 * OENTRY twice, and the heap is split around it (§4.4, §4.7) */
	struct ens_err err = { 0 };
	struct ens_gr_pal pal;
	const char *p = make_elf("/tmp/t_gramine_palc.so", true, false, 0x201003, 0x200000, 0x8000);
	static const uint8_t m[] = "x";
	struct ens_gr_layout_in in = { .manifest = m, .manifest_len = 1, .enclave_size = 0x4000000, .max_threads = 2 };
	/* manifest 0x3fff000, ssa 0x3fef000 (2 x 0x8000), tcs 0x3fed000, tls 0x3feb000 */
	struct grab g = { .tcs_at = 0x3fed000, .tls_at = 0x3feb000 };
	struct ens_sink sink = { .ctx = &g, .ecreate = g_ecreate, .page = g_page };

	if (!p || ens_gr_pal_open(p, &pal, &err)) {
		CHECK(0, "fixed pal: %s", err.msg);
		return;
	}
	CHECK(ens_gr_stream(&in, &pal, &sink, NULL, &err) == 0, "fixed pal stream: %s", err.msg);
	CHECK(g.tcs.oentry == 0x401003, "OENTRY 0x%llx, want 0x401003", (unsigned long long)g.tcs.oentry);
	CHECK(g.tcs.ossa == 0x3fef000 && g.tcs.nssa == 2 && g.tcs.ogs_base == 0x3feb000, "TCS fields");
	CHECK(g.tls.heap_max == 0x200000 && g.tls.heap_min == 0x10000 && g.tls.enclave_size == 0x4000000 &&
	      g.tls.manifest_size == 2 && g.tls.canary == 0xbadbadbadbadull && g.tls.self == 0x3feb000 &&
	      g.tls.gpr == 0x3fef000 + 0x4000 - 0xb8 && g.tls.initial_stack_addr == 0x3feb000,
	      "TLS fields (heap_max 0x%llx)", (unsigned long long)g.tls.heap_max);
	/* free: [0x208000, 0x3f4b000) then [0x10000, 0x200000) */
	CHECK(g.first_free == 0x208000, "first free page 0x%llx", (unsigned long long)g.first_free);
	CHECK(g.unmeasured == (0x3f4b000 - 0x208000) / 4096 + (0x200000 - 0x10000) / 4096, "free pages %llu",
	      (unsigned long long)g.unmeasured);
	ens_gr_pal_close(&pal);
	remove(p);
}

static void elf_kinds(void)
{
	char first[65] = "", hex[65];
	static const uint8_t m[] = "[sgx]\n";
	struct ens_gr_layout_in in = { .manifest = m, .manifest_len = sizeof m - 1, .enclave_size = 16 << 20,
				       .max_threads = 1 };

	for (int k = 0; k < 4; k++) {
		struct ens_err err = { 0 };
		struct ens_gr_pal pal;
		uint8_t mr[32];
		const char *p = make_elf("/tmp/t_gramine_kind.so", k & 1, k & 2, 0x10, 0, 0x3000);

		if (!p || ens_gr_pal_open(p, &pal, &err) || ens_gr_mrenclave(&in, &pal, NULL, mr, &err)) {
			CHECK(0, "ELF kind %d: %s", k, err.msg);
			continue;
		}
		ens_hex(mr, 32, hex);
		if (!k)
			strcpy(first, hex);
		CHECK(!strcmp(hex, first), "ELF%d %s-endian: MRENCLAVE %s, ELF32 LE %s", k & 1 ? 64 : 32,
		      k & 2 ? "big" : "little", hex, first);
		ens_gr_pal_close(&pal);
		remove(p);
	}
}

int main(void)
{
	fixed_pal();
	elf_kinds();
	one(V "cases/v01-defaults/expected/app.manifest.sgx", V "common/pal-a.so", 256 << 20, 4, false,
	    "4c5e6173eaedf80dc7e71de456370fed86ab19b414593af0336b417ba2bce5d3");
	one(V "cases/v02-debug-1thread/expected/app.manifest.sgx", V "common/pal-a.so", 128 << 20, 1, false,
	    "a6372e218809e0e5fef998d5835d9fafc5ddc851a3d7ff25db4770e6b17d5514");
	one(V "cases/v04-edmm/expected/app.manifest.sgx", V "common/pal-a.so", 1024ull << 30, 16, true,
	    "a4900fb7618d145361ad99e670e50b1452c841f067f0d85e05433e1420c55faf");
	one(V "cases/v07-pal-b-hexsize/expected/enclave.manifest.sgx", V "common/pal-b.so", 0x4000000, 2, false,
	    "909caa7609abb824801f4729a65e4475abab187885cac0e18e5b34df15d21fe8");
	one(V "cases/v08-realistic-toml/expected/python.manifest.sgx", V "common/pal-a.so", 1ull << 30, 12, false,
	    "65304a96b66dadf8f63abab1bdaa209ad79ef6cfe723b7e1fe22216d3188ad2e");
	one(V "cases/v05-64g/expected/app.manifest.sgx", V "common/pal-a.so", 64ull << 30, 32, false,
	    "b4a30d402e8f638bbe0f925c11d8f050e67deb226f30029f4ef27d4b1bb7dae0");
	size("256M", 1, 256ull << 20);
	size("0x40000K", 1, 256ull << 20);
	size("0x4000000", 1, 0x4000000);
	size(" 1_0 ", 1, 10);
	size("0x_10", 1, 16);
	size("0b101", 1, 5);
	size("0o17", 1, 15);
	size("000", 1, 0);
	size("1T", 0, 0);
	size("256m", 0, 0);
	size("010", 0, 0);
	size("1__0", 0, 0);
	size("_1", 0, 0);
	size("1_", 0, 0);
	size("0x", 0, 0);
	size("", 0, 0);
	size("M", 0, 0);
	size("99999999999G", 0, 0);
	return tap_done();
}
