/* Number parsing for options and environment variables: exact, overflow-checked,
 * with the option's name in every message. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include "ensign/util.h"

static int parse_digits(const char *s, uint64_t *out)
{
	int base = 10;
	const char *p = s;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -2;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

int ens_parse_u64(const char *s, uint64_t *out, const char *what, struct ens_err *err)
{
	int r;

	if (!s || !*s)
		return ens_fail(err, ENS_E_USAGE, "%s: empty value", what);
	if (*s == '-')
		return ens_fail(err, ENS_E_USAGE, "%s: negative value '%s'", what, s);
	r = parse_digits(s, out);
	if (r == -2)
		return ens_fail(err, ENS_E_USAGE, "%s: value '%s' is too large", what, s);
	if (r)
		return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a number", what, s);
	return 0;
}

int ens_parse_size(const char *s, uint64_t *out, const char *what, struct ens_err *err)
{
	char num[64];
	const char *suffix, *dot = NULL;
	unsigned shift = 0;
	size_t n;
	uint64_t v, frac = 0, scale = 1;

	if (!s || !*s)
		return ens_fail(err, ENS_E_USAGE, "%s: empty size", what);
	if (*s == '-')
		return ens_fail(err, ENS_E_USAGE, "%s: negative size '%s'", what, s);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		suffix = s + 2;
		while (isxdigit((unsigned char)*suffix))
			suffix++;
	} else {
		suffix = s;
		while (isdigit((unsigned char)*suffix))
			suffix++;
		if (*suffix == '.' && suffix > s) {	/* 1.5G: a decimal fraction of a unit */
			dot = suffix++;
			while (isdigit((unsigned char)*suffix)) {
				if (scale > UINT64_MAX / 100)
					return ens_fail(err, ENS_E_USAGE, "%s: '%s' has too many decimals", what, s);
				frac = frac * 10 + (uint64_t)(*suffix++ - '0');
				scale *= 10;
			}
			if (suffix == dot + 1)
				return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a size", what, s);
		}
	}
	n = (size_t)((dot ? dot : suffix) - s);
	if (n == 0 || n >= sizeof num)
		return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a size", what, s);
	memcpy(num, s, n);
	num[n] = 0;
	if (!*suffix)
		shift = 0;
	else if (!strcasecmp(suffix, "k") || !strcasecmp(suffix, "kb") || !strcasecmp(suffix, "kib"))
		shift = 10;
	else if (!strcasecmp(suffix, "m") || !strcasecmp(suffix, "mb") || !strcasecmp(suffix, "mib"))
		shift = 20;
	else if (!strcasecmp(suffix, "g") || !strcasecmp(suffix, "gb") || !strcasecmp(suffix, "gib"))
		shift = 30;
	else if (!strcasecmp(suffix, "t") || !strcasecmp(suffix, "tb") || !strcasecmp(suffix, "tib"))
		shift = 40;
	else
		return ens_fail(err, ENS_E_USAGE, "%s: unknown size suffix '%s' in '%s' (use K, M, G or T;"
				" KiB, MiB, GiB, TiB and KB, MB, GB, TB mean the same)", what, suffix, s);
	if (ens_parse_u64(num, &v, what, err))
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return ens_fail(err, ENS_E_USAGE, "%s: size '%s' is too large", what, s);
	*out = v << shift;
	if (dot) {
		/* frac/scale of 2^shift bytes, which must come out whole bytes
		 * (frac < scale <= 10^18, shift <= 40: 128-bit product) */
		unsigned __int128 part = (unsigned __int128)frac << shift;

		if (!shift)
			return ens_fail(err, ENS_E_USAGE, "%s: '%s': a fraction needs a unit (K, M, G, T)", what, s);
		if (part % scale)
			return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a whole number of bytes", what, s);
		if (*out > UINT64_MAX - (uint64_t)(part / scale))
			return ens_fail(err, ENS_E_USAGE, "%s: size '%s' is too large", what, s);
		*out += (uint64_t)(part / scale);
	}
	return 0;
}
