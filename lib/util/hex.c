/* Hex encoding and byte-order helpers. */
#include <ctype.h>
#include "ensign/util.h"

void ens_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int ens_unhex(const char *in, uint8_t *out, size_t len)
{
	if (strlen(in) != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(in[2 * i]), lo = nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void ens_reverse(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len / 2; i++) {
		uint8_t a = src[i], b = src[len - 1 - i];

		dst[i] = b;
		dst[len - 1 - i] = a;
	}
	if (len & 1)
		dst[len / 2] = src[len / 2];
}

uint64_t ens_next_pow2(uint64_t x)
{
	uint64_t p = 1;

	while (p < x) {
		if (p >> 63)
			return 0;
		p <<= 1;
	}
	return p;
}
