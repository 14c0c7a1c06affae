/* Intel SDK front end: which SDK 2.0 ... 2.26 built an enclave
 * (intel-sdk-versions.md §2) and the per-version constants every stage needs
 * (g_global_data size, metadata area size, family). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ensign/intel_sdk.h"
#include "ensign/util.h"

/* sizeof(global_data_t) on x64 by release range (§3). */
static const struct { uint32_t size; unsigned lo, hi; } classes[] = {
	{1488, ENS_SDK(0, 0), ENS_SDK(5, 0)},	{1632, ENS_SDK(6, 0), ENS_SDK(7, 1)},
	{1648, ENS_SDK(8, 0), ENS_SDK(9, 0)},	{1656, ENS_SDK(9, 1), ENS_SDK(13, 3)},
	{1680, ENS_SDK(14, 0), ENS_SDK(16, 0)}, {1688, ENS_SDK(17, 0), ENS_SDK(18, 1)},
	{1720, ENS_SDK(19, 0), ENS_SDK(19, 0)}, {1760, ENS_SDK(20, 0), ENS_SDK(24, 0)},
	{1768, ENS_SDK(25, 0), ENS_SDK(26, 0)},
};
#define NCLASS (sizeof(classes) / sizeof(classes[0]))

static bool release_exists(unsigned minor, unsigned patch)
{
	if (minor > 26)
		return false;
	switch (minor) {
	case 1: return patch <= 3;
	case 3: case 7: case 9: case 15: case 17: case 18: return patch <= 1;
	case 13: return patch == 0 || patch == 3;
	default: return patch == 0;
	}
}

/* 2.minor.rev (VERSION_UINT / STRFILEVER) -> code; revisions 101.. are patch
 * releases (2.9.101 = 2.9.1), except 2.10, whose base revision is 102. */
static unsigned from_rev(unsigned minor, unsigned long rev)
{
	unsigned patch = rev < 100 ? (unsigned)rev : rev < 200 ? (unsigned)(rev - 100) : 0;
	if (minor == 10 && rev == 102)
		patch = 0;
	return release_exists(minor, patch) ? ENS_SDK(minor, patch) : 0;
}

unsigned ens_intel_sdk_parse(const char *s)
{
	char *end;
	if (strncmp(s, "2.", 2))
		return 0;
	unsigned long minor = strtoul(s + 2, &end, 10), patch = 0;
	if (end == s + 2)
		return 0;
	if (*end == '.') {
		const char *p = end + 1;
		patch = strtoul(p, &end, 10);
		if (end == p)
			return 0;
		if (patch >= 100)	/* a revision: 2.9.101 */
			return *end ? 0 : from_rev((unsigned)minor, patch);
	}
	if (*end || minor > 26 || !release_exists((unsigned)minor, (unsigned)patch))
		return 0;
	return ENS_SDK((unsigned)minor, (unsigned)patch);
}

void ens_intel_sdk_str(unsigned sdk, char *buf, size_t len)
{
	unsigned minor = (sdk - 20000) / 100, patch = sdk % 100;
	if (!sdk)
		snprintf(buf, len, "unknown");
	else if (patch)
		snprintf(buf, len, "2.%u.%u", minor, patch);
	else
		snprintf(buf, len, "2.%u", minor);
}

const char *ens_intel_sdk_family(unsigned sdk)
{
	static const struct { unsigned lo; const char *f; } fam[] = {
		{ENS_SDK(26, 0), "R"}, {ENS_SDK(25, 0), "Q"}, {ENS_SDK(24, 0), "P"}, {ENS_SDK(22, 0), "O"},
		{ENS_SDK(20, 0), "N"}, {ENS_SDK(19, 0), "M"}, {ENS_SDK(18, 0), "L"}, {ENS_SDK(17, 0), "K"},
		{ENS_SDK(16, 0), "J"}, {ENS_SDK(14, 0), "I"}, {ENS_SDK(9, 1), "H"},  {ENS_SDK(8, 0), "G"},
		{ENS_SDK(6, 0), "F"},  {ENS_SDK(5, 0), "E"},  {ENS_SDK(4, 0), "D"},  {ENS_SDK(3, 0), "C2"},
		{ENS_SDK(1, 3), "C1"}, {ENS_SDK(1, 0), "B"},  {ENS_SDK(0, 0), "A"},
	};
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++)
		if (sdk >= fam[i].lo)
			return fam[i].f;
	return "?";
}

uint32_t ens_intel_sdk_gd_size(unsigned sdk)
{
	if (!sdk)
		sdk = ENS_SDK_LATEST;
	for (size_t i = 0; i < NCLASS; i++)
		if (sdk >= classes[i].lo && sdk <= classes[i].hi)
			return classes[i].size;
	return 0;
}

uint32_t ens_intel_sdk_area_size(unsigned sdk)
{
	if (!sdk)
		sdk = ENS_SDK_LATEST;
	return sdk < ENS_SDK(1, 0) ? 0x3000 : sdk < ENS_SDK(24, 0) ? 0x5000 : 0x6000;
}

static void range_str(unsigned lo, unsigned hi, char *buf, size_t len)
{
	char a[16], b[16];
	ens_intel_sdk_str(lo, a, sizeof(a));
	ens_intel_sdk_str(hi, b, sizeof(b));
	if (lo == hi)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s-%s", a, b);
}

#define APPEND(buf, len, ...) do { size_t n_ = strlen(buf); if (n_ < (len)) snprintf((buf) + n_, (len) - n_, __VA_ARGS__); } while (0)

unsigned ens_intel_sdk_detect(uint64_t gd_size, const uint8_t *gd, size_t gd_len, const char *tstdc,
			      uint64_t note_size, char *why, size_t why_len, char *warn, size_t warn_len)
{
	char r[32], v[16];
	char *w = warn;
	char dummy[8];
	if (!w) {
		w = dummy;
		warn_len = sizeof(dummy);
	}
	why[0] = w[0] = 0;
	int cls = -1;
	for (size_t i = 0; i < NCLASS; i++)
		if (classes[i].size == gd_size)
			cls = (int)i;
	if (cls >= 0) {
		range_str(classes[cls].lo, classes[cls].hi, r, sizeof(r));
		APPEND(why, why_len, "g_global_data of %llu bytes (SDK %s)", (unsigned long long)gd_size, r);
	} else {
		APPEND(why, why_len, "g_global_data of %llu bytes (no SDK 2.x release has that size)",
		       (unsigned long long)gd_size);
	}
	/* Rule 1: the first word is VERSION_UINT from 2.9.1. */
	unsigned vsdk = 0;
	uint64_t w0 = gd_len >= 8 ? ens_get_le64(gd) : 0;
	if (gd_len >= 8 && w0 >> 32 == 2) {
		unsigned mi = (unsigned)(w0 >> 16) & 0xffff, rev = (unsigned)(w0 & 0xffff);
		vsdk = from_rev(mi, rev);
		if (!vsdk && mi >= 10 && release_exists(mi, 0)) {
			vsdk = ENS_SDK(mi, 0);	/* an unreleased revision of a known release */
			APPEND(w, warn_len, "g_global_data says SDK 2.%u.%u, not a release revision: emulating 2.%u", mi,
			       rev, mi);
		}
	}
	if (vsdk && vsdk < ENS_SDK(9, 1))
		vsdk = 0;	/* only 2.9.1+ put VERSION_UINT there */
	if (vsdk) {
		ens_intel_sdk_str(vsdk, v, sizeof(v));
		APPEND(why, why_len, ", first word VERSION_UINT %s", v);
	} else if (gd_len >= 8) {
		APPEND(why, why_len, ", first word 0x%llx", (unsigned long long)w0);
	}
	unsigned ssdk = 0;
	if (tstdc && *tstdc) {
		unsigned mj, mi;
		unsigned long rev;
		if (sscanf(tstdc, "%u.%u.%lu", &mj, &mi, &rev) == 3 && mj == 2)
			ssdk = from_rev(mi, rev);
		APPEND(why, why_len, ", SGX_TSTDC_VERSION_%s", tstdc);
	} else {
		APPEND(why, why_len, ", no SGX_TSTDC_VERSION_ string");
	}
	if (note_size)
		APPEND(why, why_len, ", .note.sgxmeta of 0x%llx bytes", (unsigned long long)note_size);

	unsigned res = 0;
	if (cls < 0)
		return 0;
	unsigned lo = classes[cls].lo, hi = classes[cls].hi;
	if (gd_size >= 1656) {
		if (vsdk && (vsdk < lo || vsdk > hi))
			return 0;	/* VERSION_UINT and the size disagree */
		res = vsdk;
		if (!res && ssdk >= lo && ssdk <= hi) {
			res = ssdk;
			APPEND(w, warn_len, "g_global_data's first word is not a VERSION_UINT; the version string decides");
		}
		if (res && ssdk && ssdk != res) {
			char s2[16];
			ens_intel_sdk_str(ssdk, s2, sizeof(s2));
			ens_intel_sdk_str(res, v, sizeof(v));
			APPEND(w, warn_len, "%sthe version string says %s, g_global_data says %s (g_global_data decides)",
			       w[0] ? "; " : "", s2, v);
		}
		if (!res)
			return 0;
	} else {
		/* Rule 2: the initial words 1, 2, 3, ... confirm the size class. */
		static const unsigned nwords[] = {4, 6, 8};
		unsigned nw = nwords[cls], k;
		for (k = 0; k < nw && (k + 1) * 8 <= gd_len; k++)
			if (ens_get_le64(gd + 8 * k) != (k < (cls == 2 ? 6u : nw) ? k + 1 : 0))
				break;
		if (k < nw && gd_len >= nw * 8)
			APPEND(w, warn_len, "%sg_global_data does not start with the initial words of SDK %s",
			       w[0] ? "; " : "", r);
		if (ssdk) {
			if (ssdk < lo || ssdk > hi)
				return 0;	/* the string and the size disagree */
			res = ssdk;
		} else if (note_size == 0x3000 && lo == ENS_SDK(0, 0)) {
			res = ENS_SDK(0, 0);
		} else if (!strcmp(ens_intel_sdk_family(lo), ens_intel_sdk_family(hi))) {
			res = hi;	/* one family: every release in it writes the same bytes */
		} else {
			return 0;
		}
	}
	uint32_t want = ens_intel_sdk_area_size(res);
	if (note_size && note_size != want)
		APPEND(w, warn_len, "%s.note.sgxmeta is 0x%llx bytes, SDK %s uses 0x%x", w[0] ? "; " : "",
		       (unsigned long long)note_size, (ens_intel_sdk_str(res, v, sizeof(v)), v), want);
	return res;
}
