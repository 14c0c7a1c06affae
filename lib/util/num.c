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
	const char *suffix;
	unsigned shift = 0;
	size_t n;
	uint64_t v;

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
	}
	n = (size_t)(suffix - s);
	if (n == 0 || n >= sizeof num)
		return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a size", what, s);
	memcpy(num, s, n);
	num[n] = 0;
	if (!*suffix)
		shift = 0;
	else if (!strcasecmp(suffix, "k") || !strcasecmp(suffix, "kb"))
		shift = 10;
	else if (!strcasecmp(suffix, "m") || !strcasecmp(suffix, "mb"))
		shift = 20;
	else if (!strcasecmp(suffix, "g") || !strcasecmp(suffix, "gb"))
		shift = 30;
	else
		return ens_fail(err, ENS_E_USAGE, "%s: unknown size suffix '%s' in '%s' (use K, M or G)",
				what, suffix, s);
	if (ens_parse_u64(num, &v, what, err))
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return ens_fail(err, ENS_E_USAGE, "%s: size '%s' is too large", what, s);
	*out = v << shift;
	return 0;
}
