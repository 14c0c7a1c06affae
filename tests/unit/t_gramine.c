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

int main(void)
{
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
