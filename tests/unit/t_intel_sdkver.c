/* Unit tests: Intel SDK version detection (intel-sdk-versions.md §2) on each
 * family's evidence - g_global_data size and first words, VERSION_UINT, the
 * SGX_TSTDC_VERSION_ string, the .note.sgxmeta size - including contradictory
 * evidence; version names, families and the per-version constants; the
 * per-version configuration keys. */
#include <string.h>
#include "tap.h"
#include "ensign/intel_sdk.h"
#include "ensign/util.h"

static uint8_t gd[64];
static char why[400], warn[200];

/* initial words 1..n, then zeros */
static void words(int n)
{
	memset(gd, 0, sizeof gd);
	for (int i = 0; i < n; i++)
		ens_put_le64(gd + 8 * i, (uint64_t)i + 1);
}
static void vuint(unsigned minor, unsigned rev)
{
	memset(gd, 0, sizeof gd);
	ens_put_le64(gd, (2ull << 32) | ((uint64_t)minor << 16) | rev);
}
static unsigned det(uint64_t size, const char *tstdc, uint64_t note)
{
	return ens_intel_sdk_detect(size, gd, sizeof gd, tstdc, note, why, sizeof why, warn, sizeof warn);
}

static int parse_v(const char *body, unsigned sdk, struct ens_intel_config *c, struct ens_err *err)
{
	char xml[512];
	snprintf(xml, sizeof xml, "<EnclaveConfiguration>%s</EnclaveConfiguration>", body);
	return ens_intel_config_parse_v(c, xml, strlen(xml), "t.xml", sdk, err);
}

int main(void)
{
	/* family D (2.4, 1488 bytes): the string splits the size class */
	words(4);
	CHECK(det(1488, "2.4.100.48163", 0x5000) == ENS_SDK(4, 0) && !warn[0], "2.4 by string (%s)", why);
	CHECK(strstr(why, "1488 bytes") && strstr(why, "SGX_TSTDC_VERSION_2.4.100.48163") && strstr(why, "0x5000"),
	      "evidence listed: %s", why);
	CHECK(det(1488, "2.1.3.44322", 0x5000) == ENS_SDK(1, 3), "2.1.3 (family C1)");
	CHECK(det(1488, "2.1.101", 0x5000) == ENS_SDK(1, 1), "2.1.1 (revision 101)");
	CHECK(det(1488, "2.3.101", 0x5000) == ENS_SDK(3, 1), "2.3.1");
	CHECK(det(1488, "2.0.40950", 0x3000) == ENS_SDK(0, 0), "2.0");
	CHECK(det(1488, NULL, 0x3000) == ENS_SDK(0, 0), "2.0 by the 0x3000 note alone");
	CHECK(det(1488, NULL, 0x5000) == 0 && strstr(why, "no SGX_TSTDC_VERSION_"), "1488, no string: cannot tell");
	CHECK(det(1488, "2.7.100.4", 0x5000) == 0, "1488 bytes but a 2.7 string: contradictory");
	words(0);
	CHECK(det(1488, "2.4.100.48163", 0x5000) == ENS_SDK(4, 0) && strstr(warn, "initial words"),
	      "unexpected initial words: warned (%s)", warn);
	/* family F (1632): one family, so no string is needed */
	words(6);
	CHECK(det(1632, "2.7.100.4", 0x5000) == ENS_SDK(7, 0), "2.7");
	CHECK(det(1632, "2.6.100.51363", 0x5000) == ENS_SDK(6, 0), "2.6");
	CHECK(det(1632, NULL, 0x5000) == ENS_SDK(7, 1) && !strcmp(ens_intel_sdk_family(ENS_SDK(7, 1)), "F"),
	      "1632 without string: family F");
	CHECK(det(1632, "2.9.101.2", 0x5000) == 0, "1632 with a 2.9.1 string: contradictory");
	/* family G (1648) */
	words(6);
	CHECK(det(1648, "2.8.100.3", 0x5000) == ENS_SDK(8, 0), "2.8");
	CHECK(det(1648, NULL, 0x5000) == ENS_SDK(9, 0) && !strcmp(ens_intel_sdk_family(ENS_SDK(8, 0)), "G"), "G");
	/* 2.9.1+: VERSION_UINT decides */
	vuint(9, 101);
	CHECK(det(1656, "2.9.101.2", 0x5000) == ENS_SDK(9, 1) && !warn[0], "2.9.1 by VERSION_UINT");
	CHECK(det(1656, NULL, 0x5000) == ENS_SDK(9, 1), "2.9.1 without string");
	vuint(10, 102);
	CHECK(det(1656, "2.10.102.1", 0x5000) == ENS_SDK(10, 0), "2.10 (revision 102 is not a patch)");
	vuint(14, 100);
	CHECK(det(1680, "2.14.100.2", 0x5000) == ENS_SDK(14, 0), "2.14 (I)");
	vuint(17, 100);
	CHECK(det(1688, "2.17.100.3", 0x5000) == ENS_SDK(17, 0), "2.17 (K)");
	vuint(19, 100);
	CHECK(det(1720, "2.19.100.3", 0x5000) == ENS_SDK(19, 0), "2.19 (M)");
	vuint(22, 100);
	CHECK(det(1760, "2.22.100.3", 0x5000) == ENS_SDK(22, 0), "2.22 (O)");
	vuint(24, 100);
	CHECK(det(1760, NULL, 0x6000) == ENS_SDK(24, 0) && !warn[0], "2.24 (P)");
	vuint(26, 100);
	CHECK(det(1768, "2.26.100.0", 0x6000) == ENS_SDK(26, 0), "2.26");
	/* contradictions */
	vuint(14, 100);
	CHECK(det(1656, NULL, 0x5000) == 0 && strstr(why, "VERSION_UINT 2.14"), "VERSION_UINT vs size: cannot tell");
	vuint(17, 100);
	CHECK(det(1688, "2.15.101.1", 0x5000) == ENS_SDK(17, 0) && strstr(warn, "version string says 2.15.1"),
	      "string vs VERSION_UINT: VERSION_UINT decides, warned (%s)", warn);
	vuint(22, 100);
	CHECK(det(1760, NULL, 0x6000) == ENS_SDK(22, 0) && strstr(warn, "0x6000"), "note size vs version: warned");
	memset(gd, 0, sizeof gd);
	CHECK(det(1680, "2.15.100.1", 0x5000) == ENS_SDK(15, 0) && strstr(warn, "not a VERSION_UINT"),
	      "no VERSION_UINT: the string decides within the size class");
	CHECK(det(1680, NULL, 0x5000) == 0, "1680, no VERSION_UINT, no string: cannot tell");
	CHECK(det(1700, "2.26.100.0", 0x6000) == 0 && strstr(why, "no SDK 2.x release"), "unknown size");
	vuint(26, 99);
	CHECK(det(1768, NULL, 0x6000) == ENS_SDK(26, 0) && strstr(warn, "2.26.99"), "unreleased revision: warned");

	/* names and constants */
	CHECK(ens_intel_sdk_parse("2.9.1") == ENS_SDK(9, 1) && ens_intel_sdk_parse("2.4") == ENS_SDK(4, 0) &&
	      ens_intel_sdk_parse("2.9.101") == ENS_SDK(9, 1) && ens_intel_sdk_parse("2.26") == ENS_SDK(26, 0),
	      "parse");
	CHECK(!ens_intel_sdk_parse("2.27") && !ens_intel_sdk_parse("2.4.1") && !ens_intel_sdk_parse("3.0") &&
	      !ens_intel_sdk_parse("2.") && !ens_intel_sdk_parse("2.4x"), "parse refuses non-releases");
	char s[16];
	ens_intel_sdk_str(ENS_SDK(13, 3), s, sizeof s);
	CHECK_STR(s, "2.13.3");
	static const struct { unsigned sdk; uint32_t gd, area; const char *fam; } k[] = {
		{ENS_SDK(0, 0), 1488, 0x3000, "A"}, {ENS_SDK(1, 2), 1488, 0x5000, "B"}, {ENS_SDK(2, 0), 1488, 0x5000, "C1"},
		{ENS_SDK(3, 1), 1488, 0x5000, "C2"}, {ENS_SDK(5, 0), 1488, 0x5000, "E"}, {ENS_SDK(9, 1), 1656, 0x5000, "H"},
		{ENS_SDK(16, 0), 1680, 0x5000, "J"}, {ENS_SDK(18, 1), 1688, 0x5000, "L"}, {ENS_SDK(21, 0), 1760, 0x5000, "N"},
		{ENS_SDK(23, 0), 1760, 0x5000, "O"}, {ENS_SDK(25, 0), 1768, 0x6000, "Q"}, {ENS_SDK(26, 0), 1768, 0x6000, "R"},
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		CHECK(ens_intel_sdk_gd_size(k[i].sdk) == k[i].gd && ens_intel_sdk_area_size(k[i].sdk) == k[i].area &&
		      !strcmp(ens_intel_sdk_family(k[i].sdk), k[i].fam), "constants of %u", k[i].sdk);

	/* global_data_t: thread_policy and td_template.xsave_size of every size (§3) */
	static const struct { uint32_t size, policy, xsave; } g[] = {
		{1488, 24, 32 + 56}, {1632, 40, 48 + 56}, {1648, 48, 64 + 56}, {1656, 56, 72 + 56}, {1680, 56, 72 + 56},
		{1688, 56, 80 + 56}, {1720, 56, 80 + 56}, {1760, 56, 80 + 56}, {1768, 56, 80 + 56},
	};
	for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
		uint32_t pol = 0, xs = 0;
		CHECK(ens_intel_gd_offsets(g[i].size, &pol, &xs) == 0 && pol == g[i].policy && xs == g[i].xsave,
		      "global_data_t of %u bytes: policy %u xsave %u", g[i].size, pol, xs);
	}
	uint32_t pol, xs;
	CHECK(ens_intel_gd_offsets(1700, &pol, &xs) == -1, "no release has 1700 bytes");

	/* configuration keys per version */
	struct ens_intel_config c;
	struct ens_err err;
	CHECK(parse_v("<PKRU>1</PKRU>", ENS_SDK(14, 0), &c, &err) == -1 && strstr(err.msg, "2.16"), "PKRU before 2.16");
	CHECK(parse_v("<PKRU>1</PKRU>", ENS_SDK(16, 0), &c, &err) == 0, "PKRU in 2.16");
	CHECK(parse_v("<RsrvMaxSize>0x1000</RsrvMaxSize>", ENS_SDK(7, 0), &c, &err) == 0 && c.v[EIO_RSRVMAX] == 0x1000,
	      "Rsrv* in 2.7");
	CHECK(parse_v("<RsrvMaxSize>0x1000</RsrvMaxSize>", ENS_SDK(8, 0), &c, &err) == -1, "Rsrv* not in 2.8");
	CHECK(parse_v("<ReservedMemExecutable>1</ReservedMemExecutable>", ENS_SDK(7, 1), &c, &err) == -1,
	      "ReservedMemExecutable not in 2.7.1");
	CHECK(parse_v("<EnableKSS>1</EnableKSS>", ENS_SDK(3, 0), &c, &err) == -1, "KSS not in 2.3");
	CHECK(parse_v("", ENS_SDK(3, 0), &c, &err) == 0 && c.v[EIO_STACKMIN] == 0x1000, "StackMin default 0x1000 in 2.3");
	CHECK(parse_v("<StackMinSize>0x1000</StackMinSize>", ENS_SDK(4, 0), &c, &err) == -1, "StackMin 0x1000 below 2.4's");
	CHECK(parse_v("<HeapMaxSize>0x2000000000</HeapMaxSize>", ENS_SDK(12, 0), &c, &err) == -1 &&
	      parse_v("<HeapMaxSize>0x2000000000</HeapMaxSize>", ENS_SDK(13, 0), &c, &err) == 0, "size maximum from 2.13");
	CHECK(parse_v("<EnableIPPFIPS>0</EnableIPPFIPS>", ENS_SDK(24, 0), &c, &err) == -1, "EnableIPPFIPS from 2.25");
	return tap_done();
}
