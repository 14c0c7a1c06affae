/* SIGSTRUCT DATE: BCD 0xYYYYMMDD, from --date, SOURCE_DATE_EPOCH or today (UTC). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ensign/util.h"

static uint32_t bcd(unsigned y, unsigned m, unsigned d)
{
	char buf[16];

	snprintf(buf, sizeof buf, "%04u%02u%02u", y % 10000, m % 100, d % 100);
	return (uint32_t)strtoul(buf, NULL, 16);
}

uint32_t ens_date_from_time(long long epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	return bcd((unsigned)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

bool ens_date_is_bcd(uint32_t v)
{
	for (int i = 0; i < 8; i++)
		if (((v >> (4 * i)) & 15) > 9)
			return false;
	return true;
}

static bool valid_day(unsigned y, unsigned m, unsigned d);

bool ens_date_binary(uint32_t v, unsigned *y, unsigned *m, unsigned *d)
{
	*y = v & 0xffff;
	*m = (v >> 16) & 0xff;
	*d = v >> 24;
	return *y >= 1970 && *y <= 9999 && valid_day(*y, *m, *d);
}

void ens_date_format(uint32_t v, char *buf, size_t len)
{
	if (ens_date_is_bcd(v))
		snprintf(buf, len, "%04x-%02x-%02x", v >> 16, (v >> 8) & 0xff, v & 0xff);
	else
		snprintf(buf, len, "0x%08x", v);
}

static bool valid_day(unsigned y, unsigned m, unsigned d)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned max;

	if (m < 1 || m > 12 || d < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

int ens_date_resolve(const char *arg, uint32_t *out, struct ens_err *err)
{
	const char *sde;

	if (arg) {
		unsigned y, m, d;
		char digits[9];
		size_t n = 0;

		for (const char *p = arg; *p; p++) {
			if (isdigit((unsigned char)*p) && n < 8)
				digits[n++] = *p;
			else if (*p != '-' || (p - arg != 4 && p - arg != 7))
				goto bad;
		}
		if (n != 8 || (strchr(arg, '-') && strlen(arg) != 10))
			goto bad;
		digits[8] = 0;
		if (sscanf(digits, "%4u%2u%2u", &y, &m, &d) != 3)
			goto bad;
		if (y == 0 && m == 0 && d == 0) {	/* Gramine's reproducible all-zero date */
			*out = 0;
			return 0;
		}
		if (!valid_day(y, m, d))
			return ens_fail(err, ENS_E_USAGE, "--date: '%s' is not a calendar date", arg);
		*out = bcd(y, m, d);
		return 0;
bad:
		return ens_fail(err, ENS_E_USAGE, "--date: '%s' is not YYYY-MM-DD or YYYYMMDD", arg);
	}
	sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);

		if (*end || v < 0)
			return ens_fail(err, ENS_E_USAGE, "SOURCE_DATE_EPOCH: '%s' is not a number of seconds", sde);
		*out = ens_date_from_time(v);
		return 0;
	}
	*out = ens_date_from_time((long long)time(NULL));
	return 0;
}
