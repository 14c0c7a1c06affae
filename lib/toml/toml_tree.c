/* The ordered TOML tree (include/ensign/toml.h) and small shared helpers:
 * growable strings, UTF-8, Python's repr of str and float, big integers. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "toml_int.h"

/* ---- growable string ---- */

static bool tsb_grow(struct tsb *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return false;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void tsb_add(struct tsb *b, const char *s, size_t n)
{
	if (b->over)
		return;
	if (b->limit && n > b->limit - b->len) {
		b->over = true;
		return;
	}
	if (!tsb_grow(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
}

void tsb_addc(struct tsb *b, char c)
{
	tsb_add(b, &c, 1);
}

void tsb_adds(struct tsb *b, const char *s)
{
	tsb_add(b, s, strlen(s));
}

void tsb_addf(struct tsb *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	tsb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- UTF-8 ---- */

long toml_utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
	unsigned long cp;
	size_t len, i;

	*used = 1;
	if (!n)
		return -1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	for (i = 1; i < len; i++) {
		if (i >= n || (s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*used = len;
	return (long)cp;
}

size_t toml_utf8_encode(unsigned long cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Python's str.isprintable() for one code point, for the common ranges:
 * control, separator and format characters and private use are not. */
static bool py_printable(unsigned long c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad)
		return false;
	if (c == 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
	    (c >= 0x205f && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) || c == 0x3000 ||
	    c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) || (c >= 0x600 && c <= 0x605) ||
	    c == 0x61c || c == 0x6dd || c == 0x70f || c == 0x180e)
		return false;
	if ((c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000 || (c >= 0xe0000 && c <= 0xe0fff) ||
	    c == 0xfffe || c == 0xffff)
		return false;
	return true;
}

void tsb_pyrepr(struct tsb *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
	char q = (sq && !dq) ? '"' : '\'';
	size_t i = 0, used;

	tsb_addc(b, q);
	while (i < n) {
		long c = toml_utf8_decode(u + i, n - i, &used);

		if (c < 0) {
			tsb_addf(b, "\\x%02x", u[i]);
			i++;
			continue;
		}
		if (c == q || c == '\\') {
			tsb_addc(b, '\\');
			tsb_addc(b, (char)c);
		} else if (c == '\t') {
			tsb_adds(b, "\\t");
		} else if (c == '\n') {
			tsb_adds(b, "\\n");
		} else if (c == '\r') {
			tsb_adds(b, "\\r");
		} else if (c < 0x80 && (c < 0x20 || c == 0x7f)) {
			tsb_addf(b, "\\x%02lx", (unsigned long)c);
		} else if (c >= 0x80 && !py_printable((unsigned long)c)) {
			if (c <= 0xff)
				tsb_addf(b, "\\x%02lx", (unsigned long)c);
			else if (c <= 0xffff)
				tsb_addf(b, "\\u%04lx", (unsigned long)c);
			else
				tsb_addf(b, "\\U%08lx", (unsigned long)c);
		} else {
			tsb_add(b, s + i, used);
		}
		i += used;
	}
	tsb_addc(b, q);
}

/* ---- floats: Python repr (shortest round trip, closest of those) ---- */

/* The digits and exponent of v (finite, > 0) printed with p significant
 * digits; returns true if they read back as v. */
static bool try_digits(double v, int p, char *dig, int *exp10)
{
	char buf[64], *e;
	int k = 0;

	snprintf(buf, sizeof buf, "%.*e", p - 1, v);
	for (const char *c = buf; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9')
			dig[k++] = *c;
	dig[k] = 0;
	e = strchr(buf, 'e');
	*exp10 = atoi(e + 1);
	return strtod(buf, NULL) == v;
}

/* dig/exp10 +- one unit in the last digit; false if it changes length. */
static bool step_digits(const char *dig, int exp10, int dir, char *out, int *oexp)
{
	int n = (int)strlen(dig), i;

	strcpy(out, dig);
	*oexp = exp10;
	if (dir > 0) {
		for (i = n - 1; i >= 0 && out[i] == '9'; i--)
			out[i] = '0';
		if (i < 0) {	/* 99 -> 100: same value as 1 then 0s, one more exponent */
			out[0] = '1';
			*oexp = exp10 + 1;
			return true;
		}
		out[i]++;
	} else {
		for (i = n - 1; i >= 0 && out[i] == '0'; i--)
			out[i] = '9';
		if (i < 0)
			return false;
		out[i]--;
		if (out[0] == '0') {
			if (n == 1)
				return false;
			memmove(out, out + 1, (size_t)n);	/* 10 -> 09 -> 9 at exp-1 */
			out[n - 1] = '9';
			out[n] = 0;
			*oexp = exp10 - 1;
		}
	}
	return true;
}

static bool digits_roundtrip(const char *dig, int exp10, double v)
{
	char buf[64];

	snprintf(buf, sizeof buf, "%c.%se%d", dig[0], dig[0] ? dig + 1 : "", exp10);
	return strtod(buf, NULL) == v;
}

void toml_float_repr(double v, char *out)
{
	char dig[40], alt[40];
	int e10 = 0, ae, p, n;
	bool neg = signbit(v);
	char *o = out;

	if (isnan(v)) {
		strcpy(out, "nan");
		return;
	}
	if (isinf(v)) {
		strcpy(out, neg ? "-inf" : "inf");
		return;
	}
	if (neg) {
		*o++ = '-';
		v = -v;
	}
	if (v == 0) {
		strcpy(o, "0.0");
		return;
	}
	/* Any decimal of at most DBL_DIG (15) digits survives a trip through a
	 * normal double, so if the 15-digit rounding of v reads back as v, its
	 * digits without trailing zeros are the shortest (and only) answer;
	 * otherwise only 16 or 17 digits can work. Subnormals have fewer
	 * digits of precision: try every length. */
	p = 1;
	if (v >= DBL_MIN) {
		if (try_digits(v, DBL_DIG, dig, &e10))
			goto found;
		p = DBL_DIG + 1;
	}
	for (; p <= 17; p++) {
		if (try_digits(v, p, dig, &e10))
			break;
		/* The closest p-digit string does not round-trip; the neighbour
		 * on the other side of v still may (asymmetric interval at a
		 * power of two). */
		for (int dir = -1; dir <= 1; dir += 2)
			if (step_digits(dig, e10, dir, alt, &ae) && strlen(alt) == (size_t)p &&
			    digits_roundtrip(alt, ae, v)) {
				strcpy(dig, alt);
				e10 = ae;
				goto found;
			}
	}
found:
	n = (int)strlen(dig);
	while (n > 1 && dig[n - 1] == '0')
		dig[--n] = 0;
	if (e10 >= -4 && e10 < 16) {
		if (e10 < 0) {
			*o++ = '0';
			*o++ = '.';
			for (int i = -1; i > e10; i--)
				*o++ = '0';
			memcpy(o, dig, (size_t)n);
			o += n;
		} else {
			for (int i = 0; i <= e10; i++)
				*o++ = i < n ? dig[i] : '0';
			*o++ = '.';
			if (n > e10 + 1) {
				memcpy(o, dig + e10 + 1, (size_t)(n - e10 - 1));
				o += n - e10 - 1;
			} else {
				*o++ = '0';
			}
		}
		*o = 0;
	} else {
		*o++ = dig[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)(n - 1));
			o += n - 1;
		}
		sprintf(o, "e%c%02d", e10 < 0 ? '-' : '+', e10 < 0 ? -e10 : e10);
	}
}

/* ---- big integers ---- */

char *toml_radix_to_dec(const char *digits, size_t n, unsigned base, size_t max_digits)
{
	/* little-endian limbs of 10^9 */
	size_t cap = max_digits / 9 + 2, used = 1;
	uint32_t *limb = calloc(cap, sizeof *limb);
	char *out, *o;

	if (!limb)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = digits[i] <= '9' ? (unsigned)(digits[i] - '0') :
			     (unsigned)((digits[i] | 0x20) - 'a' + 10);
		uint64_t carry = d;

		for (size_t j = 0; j < used; j++) {
			uint64_t t = (uint64_t)limb[j] * base + carry;

			limb[j] = (uint32_t)(t % 1000000000u);
			carry = t / 1000000000u;
		}
		if (carry) {
			if (used == cap) {
				free(limb);
				return NULL;
			}
			limb[used++] = (uint32_t)carry;
		}
	}
	out = malloc(used * 9 + 2);
	if (!out) {
		free(limb);
		return NULL;
	}
	o = out + sprintf(out, "%" PRIu32, limb[used - 1]);
	for (size_t j = used - 1; j-- > 0;)
		o += sprintf(o, "%09" PRIu32, limb[j]);
	free(limb);
	if ((size_t)(o - out) > max_digits) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- the tree ---- */

static struct ens_toml *node(enum ens_toml_kind kind)
{
	struct ens_toml *v = calloc(1, sizeof *v);

	if (v)
		v->kind = kind;
	return v;
}

struct ens_toml *ens_toml_new_table(void) { return node(ENS_TOML_TABLE); }
struct ens_toml *ens_toml_new_array(void) { return node(ENS_TOML_ARRAY); }

struct ens_toml *ens_toml_new_string_len(const char *s, size_t len)
{
	struct ens_toml *v = node(ENS_TOML_STRING);

	if (!v)
		return NULL;
	v->u.str.s = malloc(len + 1);
	if (!v->u.str.s) {
		free(v);
		return NULL;
	}
	if (len)
		memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = 0;
	v->u.str.len = len;
	return v;
}

struct ens_toml *ens_toml_new_string(const char *s)
{
	return ens_toml_new_string_len(s, strlen(s));
}

struct ens_toml *ens_toml_new_int(int64_t i)
{
	struct ens_toml *v = node(ENS_TOML_INT);

	if (v)
		v->u.num.i = i;
	return v;
}

struct ens_toml *ens_toml_new_int_text(const char *dec)
{
	const char *p = dec;
	bool neg = false;
	size_t n;
	struct ens_toml *v;
	char *big;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!*p || strspn(p, "0123456789") != strlen(p))
		return NULL;
	while (p[0] == '0' && p[1])
		p++;
	n = strlen(p);
	if (n < 19 || (n == 19 && strcmp(p, neg ? "9223372036854775808" : "9223372036854775807") <= 0)) {
		uint64_t u = strtoull(p, NULL, 10);

		return ens_toml_new_int(neg ? (int64_t)(0 - u) : (int64_t)u);
	}
	v = node(ENS_TOML_INT);
	big = malloc(n + 2);
	if (!v || !big) {
		free(v);
		free(big);
		return NULL;
	}
	sprintf(big, "%s%s", neg ? "-" : "", p);
	v->u.num.big = big;
	return v;
}

struct ens_toml *ens_toml_new_float(double f)
{
	struct ens_toml *v = node(ENS_TOML_FLOAT);

	if (v)
		v->u.f = f;
	return v;
}

struct ens_toml *ens_toml_new_bool(bool b)
{
	struct ens_toml *v = node(ENS_TOML_BOOL);

	if (v)
		v->u.b = b;
	return v;
}

struct ens_toml *ens_toml_new_datetime(enum ens_toml_kind kind, const struct ens_toml_datetime *dt)
{
	struct ens_toml *v;

	if (kind < ENS_TOML_DATETIME || kind > ENS_TOML_LOCAL_TIME)
		return NULL;
	v = node(kind);
	if (v)
		v->u.dt = *dt;
	return v;
}

void ens_toml_free(struct ens_toml *v)
{
	if (!v)
		return;
	switch (v->kind) {
	case ENS_TOML_TABLE:
		for (size_t i = 0; i < v->u.tab.n; i++) {
			free(v->u.tab.e[i].key);
			ens_toml_free(v->u.tab.e[i].val);
		}
		free(v->u.tab.e);
		break;
	case ENS_TOML_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			ens_toml_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case ENS_TOML_STRING:
		free(v->u.str.s);
		break;
	case ENS_TOML_INT:
		free(v->u.num.big);
		break;
	default:
		break;
	}
	free(v);
}

struct ens_toml *ens_toml_clone(const struct ens_toml *v)
{
	struct ens_toml *c;

	if (!v)
		return NULL;
	switch (v->kind) {
	case ENS_TOML_TABLE:
		c = ens_toml_new_table();
		for (size_t i = 0; c && i < v->u.tab.n; i++)
			if (ens_toml_set_len(c, v->u.tab.e[i].key, v->u.tab.e[i].key_len,
					     ens_toml_clone(v->u.tab.e[i].val)) < 0) {
				ens_toml_free(c);
				return NULL;
			}
		return c;
	case ENS_TOML_ARRAY:
		c = ens_toml_new_array();
		for (size_t i = 0; c && i < v->u.arr.n; i++)
			if (ens_toml_append(c, ens_toml_clone(v->u.arr.items[i])) < 0) {
				ens_toml_free(c);
				return NULL;
			}
		return c;
	case ENS_TOML_STRING:
		return ens_toml_new_string_len(v->u.str.s, v->u.str.len);
	case ENS_TOML_INT:
		return v->u.num.big ? ens_toml_new_int_text(v->u.num.big) : ens_toml_new_int(v->u.num.i);
	default:
		c = node(v->kind);
		if (c)
			c->u = v->u;
		return c;
	}
}

static ssize_t find(const struct ens_toml *t, const char *key, size_t len)
{
	if (!t || t->kind != ENS_TOML_TABLE)
		return -1;
	for (size_t i = 0; i < t->u.tab.n; i++)
		if (t->u.tab.e[i].key_len == len && memcmp(t->u.tab.e[i].key, key, len) == 0)
			return (ssize_t)i;
	return -1;
}

struct ens_toml *ens_toml_get_len(const struct ens_toml *t, const char *key, size_t len)
{
	ssize_t i = find(t, key, len);

	return i < 0 ? NULL : t->u.tab.e[i].val;
}

struct ens_toml *ens_toml_get(const struct ens_toml *t, const char *key)
{
	return ens_toml_get_len(t, key, strlen(key));
}

struct ens_toml *ens_toml_get_path(const struct ens_toml *t, const char *path)
{
	const char *p = path;
	struct ens_toml *v;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		t = v = ens_toml_get_len(t, p, n);
		if (!v || !dot)
			return v;
		p = dot + 1;
	}
}

int ens_toml_set_len(struct ens_toml *t, const char *key, size_t len, struct ens_toml *val)
{
	ssize_t i;
	char *k;

	if (!val)
		return -1;
	if (!t || t->kind != ENS_TOML_TABLE)
		goto fail;
	i = find(t, key, len);
	if (i >= 0) {
		ens_toml_free(t->u.tab.e[i].val);
		t->u.tab.e[i].val = val;
		return 1;
	}
	if (t->u.tab.n == t->u.tab.cap) {
		size_t cap = t->u.tab.cap ? t->u.tab.cap * 2 : 8;
		struct ens_toml_entry *e = realloc(t->u.tab.e, cap * sizeof *e);

		if (!e)
			goto fail;
		t->u.tab.e = e;
		t->u.tab.cap = cap;
	}
	k = malloc(len + 1);
	if (!k)
		goto fail;
	if (len)
		memcpy(k, key, len);
	k[len] = 0;
	t->u.tab.e[t->u.tab.n++] = (struct ens_toml_entry){ k, len, val };
	return 0;
fail:
	ens_toml_free(val);
	return -1;
}

int ens_toml_set(struct ens_toml *t, const char *key, struct ens_toml *val)
{
	return ens_toml_set_len(t, key, strlen(key), val);
}

struct ens_toml *ens_toml_setdefault(struct ens_toml *t, const char *key, struct ens_toml *val)
{
	struct ens_toml *old = ens_toml_get(t, key);

	if (old) {
		ens_toml_free(val);
		return old;
	}
	if (ens_toml_set(t, key, val) < 0)
		return NULL;
	return val;
}

struct ens_toml *ens_toml_take(struct ens_toml *t, const char *key)
{
	ssize_t i = find(t, key, strlen(key));
	struct ens_toml *v;

	if (i < 0)
		return NULL;
	v = t->u.tab.e[i].val;
	free(t->u.tab.e[i].key);
	memmove(&t->u.tab.e[i], &t->u.tab.e[i + 1], (t->u.tab.n - (size_t)i - 1) * sizeof t->u.tab.e[0]);
	t->u.tab.n--;
	return v;
}

int ens_toml_append(struct ens_toml *a, struct ens_toml *val)
{
	if (!val)
		return -1;
	if (!a || a->kind != ENS_TOML_ARRAY) {
		ens_toml_free(val);
		return -1;
	}
	if (a->u.arr.n == a->u.arr.cap) {
		size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 8;
		struct ens_toml **p = realloc(a->u.arr.items, cap * sizeof *p);

		if (!p) {
			ens_toml_free(val);
			return -1;
		}
		a->u.arr.items = p;
		a->u.arr.cap = cap;
	}
	a->u.arr.items[a->u.arr.n++] = val;
	return 0;
}

size_t ens_toml_len(const struct ens_toml *v)
{
	if (!v)
		return 0;
	if (v->kind == ENS_TOML_TABLE)
		return v->u.tab.n;
	if (v->kind == ENS_TOML_ARRAY)
		return v->u.arr.n;
	return 0;
}

struct ens_toml *ens_toml_at(const struct ens_toml *a, size_t i)
{
	if (!a || a->kind != ENS_TOML_ARRAY || i >= a->u.arr.n)
		return NULL;
	return a->u.arr.items[i];
}

int ens_toml_int(const struct ens_toml *v, int64_t *out)
{
	if (!v || v->kind != ENS_TOML_INT || v->u.num.big)
		return -1;
	*out = v->u.num.i;
	return 0;
}

const char *ens_toml_kind_name(enum ens_toml_kind kind)
{
	static const char *const names[] = {
		"table", "array", "string", "integer", "float", "boolean",
		"offset date-time", "local date-time", "local date", "local time",
	};

	return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static bool dt_equal(enum ens_toml_kind k, const struct ens_toml_datetime *x,
		     const struct ens_toml_datetime *y)
{
	if (k != ENS_TOML_LOCAL_TIME &&
	    (x->year != y->year || x->month != y->month || x->day != y->day))
		return false;
	if (k != ENS_TOML_LOCAL_DATE &&
	    (x->hour != y->hour || x->minute != y->minute || x->second != y->second || x->usec != y->usec))
		return false;
	return k != ENS_TOML_DATETIME || x->offset_min == y->offset_min;
}

bool ens_toml_equal(const struct ens_toml *a, const struct ens_toml *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case ENS_TOML_TABLE:
		if (a->u.tab.n != b->u.tab.n)
			return false;
		for (size_t i = 0; i < a->u.tab.n; i++) {
			const struct ens_toml_entry *x = &a->u.tab.e[i], *y = &b->u.tab.e[i];

			if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) ||
			    !ens_toml_equal(x->val, y->val))
				return false;
		}
		return true;
	case ENS_TOML_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!ens_toml_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case ENS_TOML_STRING:
		return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case ENS_TOML_INT:
		if (a->u.num.big || b->u.num.big)
			return a->u.num.big && b->u.num.big && strcmp(a->u.num.big, b->u.num.big) == 0;
		return a->u.num.i == b->u.num.i;
	case ENS_TOML_FLOAT:
		if (isnan(a->u.f) || isnan(b->u.f))
			return isnan(a->u.f) && isnan(b->u.f);
		return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
	case ENS_TOML_BOOL:
		return a->u.b == b->u.b;
	default:
		return dt_equal(a->kind, &a->u.dt, &b->u.dt);
	}
}

/* Python's dict equality: table keys in any order, arrays in order. */
bool ens_toml_same_content(const struct ens_toml *a, const struct ens_toml *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	if (a->kind == ENS_TOML_TABLE) {
		if (a->u.tab.n != b->u.tab.n)
			return false;
		for (size_t i = 0; i < a->u.tab.n; i++) {
			const struct ens_toml *y = ens_toml_get_len(b, a->u.tab.e[i].key, a->u.tab.e[i].key_len);

			if (!y || !ens_toml_same_content(a->u.tab.e[i].val, y))
				return false;
		}
		return true;
	}
	if (a->kind == ENS_TOML_ARRAY) {
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!ens_toml_same_content(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	}
	return ens_toml_equal(a, b);
}
