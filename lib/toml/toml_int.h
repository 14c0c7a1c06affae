/* Private helpers shared by the TOML tree, reader and writer. */
#ifndef ENSIGN_TOML_INT_H
#define ENSIGN_TOML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ensign/toml.h"

/* A growable byte string; on allocation failure 'oom' is set and further
 * appends do nothing. data is NUL-terminated whenever it is not NULL. */
struct tsb {
	char *data;
	size_t len, cap;
	bool oom;
	size_t limit;	/* when not 0: appends past this length set 'over' and stop */
	bool over;
};

void tsb_add(struct tsb *b, const char *s, size_t n);
void tsb_addc(struct tsb *b, char c);
void tsb_adds(struct tsb *b, const char *s);
void tsb_addf(struct tsb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Python's repr() of a str (approximated for non-ASCII printability). */
void tsb_pyrepr(struct tsb *b, const char *s, size_t n);

/* Decode one UTF-8 sequence at s[0..n): code point, or -1 if invalid
 * (overlong, surrogate, > U+10FFFF, truncated); *used gets its length. */
long toml_utf8_decode(const unsigned char *s, size_t n, size_t *used);
/* Encode code point cp (valid scalar value) into out[4]; returns length. */
size_t toml_utf8_encode(unsigned long cp, char *out);

/* Python's repr(float) into out (>= 32 bytes). */
void toml_float_repr(double v, char *out);

/* Arbitrary-size integer conversion: digits in base 2, 8 or 16 (no '_',
 * no prefix, at least one digit) to canonical decimal text (malloc'd).
 * NULL when out of memory or when the result would exceed max_digits. */
char *toml_radix_to_dec(const char *digits, size_t n, unsigned base, size_t max_digits);

/* Python 3.11's default limit for int <-> decimal str conversion. */
#define TOML_INT_MAX_STR_DIGITS 4300

#endif
