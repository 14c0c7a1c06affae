/* Fuzz target: the TOML writer (lib/toml/toml_write.c, tomli-w 1.0.0).
 * The input is a recipe for a tree (tables, arrays, strings with any code
 * point, integers of any size, floats of any bit pattern, the four date and
 * time kinds), built through the public API. The written text must read back
 * (tomli rules) as the same content, and write again as the same bytes. */
#include <stdbool.h>
#include "ensign/toml.h"
#include "fuzz_common.h"

/* Small trees keep it fast (every shape the writer knows fits in them). */
#define MAX_NODES 120
#define MAX_DEPTH 10

struct in {
	const uint8_t *p;
	size_t n;
	unsigned nodes;
};

static unsigned byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* A UTF-8 string of up to 15 code points taken from the input. */
static size_t text(struct in *in, char *out)
{
	static const unsigned long special[] = { 0, '"', '\\', '\n', '\t', 0x7f, 0x80, 0xa0, 0xe9, 0x2028,
						 0xfeff, 0x10ffff, 0x1f600, '.', ' ', '\'' };
	unsigned len = byte(in) % 16;
	size_t o = 0;

	for (unsigned i = 0; i < len; i++) {
		unsigned b = byte(in);
		unsigned long cp;

		if (b < 0x80)
			cp = b;
		else if (b < 0x90)
			cp = special[b - 0x80];
		else
			cp = (unsigned long)(b - 0x90) << 8 | byte(in);
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = 0;
	return o;
}

static int mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

static struct ens_toml *build(struct in *in, unsigned depth)
{
	unsigned op = byte(in) % 12;
	struct ens_toml *v;
	char s[80];
	size_t n;

	if (++in->nodes > MAX_NODES || depth > MAX_DEPTH)
		op = 4 + op % 8;	/* scalars only */
	switch (op) {
	case 0: case 1:	/* table */
		v = ens_toml_new_table();
		for (unsigned i = byte(in) % 6; v && i > 0; i--) {
			n = text(in, s);
			if (ens_toml_set_len(v, s, n, build(in, depth + 1)) < 0)
				abort();
		}
		return v;
	case 2: case 3:	/* array */
		v = ens_toml_new_array();
		for (unsigned i = byte(in) % 6; v && i > 0; i--)
			if (ens_toml_append(v, build(in, depth + 1)) < 0)
				abort();
		return v;
	case 4:
		n = text(in, s);
		return ens_toml_new_string_len(s, n);
	case 5: {
		uint64_t u = 0;

		for (int i = 0; i < 8; i++)
			u = u << 8 | byte(in);
		return ens_toml_new_int((int64_t)u);
	}
	case 6: {	/* any-size integer, up to 60 digits */
		unsigned len = 1 + byte(in) % 60, k = 0;

		if (byte(in) & 1)
			s[k++] = '-';
		for (unsigned i = 0; i < len; i++)
			s[k++] = (char)('0' + byte(in) % 10);
		s[k] = 0;
		return ens_toml_new_int_text(s);
	}
	case 7: {
		uint64_t u = 0;
		double d;

		for (int i = 0; i < 8; i++)
			u = u << 8 | byte(in);
		memcpy(&d, &u, sizeof d);
		return ens_toml_new_float(d);
	}
	case 8:
		return ens_toml_new_bool(byte(in) & 1);
	default: {
		struct ens_toml_datetime dt = { 0 };
		enum ens_toml_kind k = (enum ens_toml_kind)(ENS_TOML_DATETIME + byte(in) % 4);

		dt.year = 1 + (int)((byte(in) << 8 | byte(in)) % 9999);
		dt.month = 1 + (int)(byte(in) % 12);
		dt.day = 1 + (int)(byte(in) % (unsigned)mdays(dt.year, dt.month));
		dt.hour = (int)(byte(in) % 24);
		dt.minute = (int)(byte(in) % 60);
		dt.second = (int)(byte(in) % 60);
		dt.usec = byte(in) & 1 ? (int)(((byte(in) << 16) | (byte(in) << 8) | byte(in)) % 1000000) : 0;
		dt.offset_min = (int)((byte(in) << 8 | byte(in)) % (2 * 1439 + 1)) - 1439;
		if (k != ENS_TOML_DATETIME)
			dt.offset_min = 0;
		if (k == ENS_TOML_LOCAL_TIME)
			dt.year = dt.month = dt.day = 0;
		if (k == ENS_TOML_LOCAL_DATE)
			dt.hour = dt.minute = dt.second = dt.usec = 0;
		return ens_toml_new_datetime(k, &dt);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	struct ens_toml *root = ens_toml_new_table(), *back;
	struct ens_err err = { 0 };
	size_t l1, l2;
	char *w1, *w2;

	while (in.n && in.nodes < MAX_NODES) {
		char key[80];
		size_t n = text(&in, key);

		if (ens_toml_set_len(root, key, n, build(&in, 1)) < 0)
			abort();
	}
	w1 = ens_toml_write(root, &l1, &err);
	if (!w1 || strlen(w1) != l1)
		abort();
	back = ens_toml_parse(w1, l1, &err, NULL, NULL);
	if (!back) {
		fprintf(stderr, "written text does not parse: %s\n%s", err.msg, w1);
		abort();
	}
	if (!ens_toml_same_content(root, back)) {
		fprintf(stderr, "written text reads back as other content:\n%s", w1);
		abort();
	}
	w2 = ens_toml_write(back, &l2, &err);
	if (!w2 || l2 != l1 || memcmp(w1, w2, l1))
		abort();
	ens_toml_free(back);
	ens_toml_free(root);
	free(w1);
	free(w2);
	return 0;
}
