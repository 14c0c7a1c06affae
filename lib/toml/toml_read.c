/* TOML 1.0 reader with the behaviour of Python's tomli 2.0.1 (the parser
 * Gramine's signer uses): the same documents accepted and rejected, the same
 * error texts and positions ("Invalid value (at line 2, column 5)"), keys in
 * creation order, integers of any size. The structure follows tomli's
 * _parser.py function by function (its "flags" tree decides which tables may
 * still be extended); positions are byte offsets into the CRLF-normalised
 * source, turned into tomli's line and code-point column for messages.
 *
 * Differences, all on input Gramine cannot use either: nesting deeper than
 * TOML_MAX_DEPTH is refused (Python would hit its recursion limit somewhere
 * near there), and integers whose decimal form has more than 4300 digits
 * are refused while parsing (Python 3.11 refuses them when converting). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "toml_int.h"

#define TOML_MAX_DEPTH 256

#define F_FROZEN 1u
#define F_EXPLICIT 2u

struct kp {
	char *s;
	size_t n;
};

struct key {
	struct kp *p;
	size_t n;
};

struct fnode {
	char *k;
	size_t kn;
	unsigned fl, rfl;
	struct fnode **kid;
	size_t n, cap;
};

struct rd {
	const char *s;
	size_t n;
	struct ens_err *err;
	unsigned *line, *col;
	bool failed;
	/* pending EXPLICIT flags (deep copies of keys) */
	struct key *pend;
	size_t npend, cappend;
};

/* ---- errors ---- */

static void coords(const struct rd *r, size_t pos, unsigned *line, unsigned *col)
{
	size_t ls = 0;
	unsigned l = 1, c = 1;

	for (size_t i = 0; i < pos; i++)
		if (r->s[i] == '\n') {
			l++;
			ls = i + 1;
		}
	for (size_t i = ls; i < pos; i++)	/* code points: count non-continuation bytes */
		if (((unsigned char)r->s[i] & 0xc0) != 0x80)
			c++;
	*line = l;
	*col = c;
}

static void fail_at(struct rd *r, size_t pos, enum ens_code code, const char *msg)
{
	unsigned l = 0, c = 0;

	if (r->failed)
		return;
	r->failed = true;
	if (pos < r->n)
		coords(r, pos, &l, &c);
	if (r->line)
		*r->line = l;
	if (r->col)
		*r->col = c;
	if (pos >= r->n)
		ens_fail(r->err, code, "%s (at end of document)", msg);
	else
		ens_fail(r->err, code, "%s (at line %u, column %u)", msg, l, c);
}

static void *err_at(struct rd *r, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void *err_at(struct rd *r, size_t pos, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fail_at(r, pos, ENS_E_FORMAT, msg);
	return NULL;
}

static void *oom(struct rd *r)
{
	if (!r->failed) {
		r->failed = true;
		ens_fail(r->err, ENS_E_NOMEM, "out of memory while parsing TOML");
	}
	return NULL;
}

/* Python's repr of a key tuple, e.g. ('a', 'b') or ('a',). */
static void err_key(struct rd *r, size_t pos, const char *pre, const struct key *k, const char *post)
{
	struct tsb b = { 0 };

	tsb_adds(&b, pre);
	tsb_addc(&b, '(');
	for (size_t i = 0; i < k->n; i++) {
		if (i)
			tsb_adds(&b, ", ");
		tsb_pyrepr(&b, k->p[i].s, k->p[i].n);
	}
	tsb_adds(&b, k->n == 1 ? ",)" : ")");
	tsb_adds(&b, post);
	if (b.oom)
		oom(r);
	else
		err_at(r, pos, "%s", b.data);
	free(b.data);
}

static void err_char(struct rd *r, size_t pos, const char *pre)
{
	struct tsb b = { 0 };
	size_t used;

	tsb_adds(&b, pre);
	toml_utf8_decode((const unsigned char *)r->s + pos, r->n - pos, &used);
	tsb_pyrepr(&b, r->s + pos, used);
	if (b.oom)
		oom(r);
	else
		err_at(r, pos, "%s", b.data);
	free(b.data);
}

/* ---- characters ---- */

static int ch(const struct rd *r, size_t pos)
{
	return pos < r->n ? (unsigned char)r->s[pos] : -1;
}

static bool starts(const struct rd *r, size_t pos, const char *lit)
{
	size_t n = strlen(lit);

	return pos <= r->n && r->n - pos >= n && memcmp(r->s + pos, lit, n) == 0;
}

static bool is_ws(int c) { return c == ' ' || c == '\t'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
}
/* ASCII control characters except tab (and except newline when nl_ok). */
static bool illegal(int c, bool nl_ok)
{
	return c >= 0 && ((c < 0x20 && c != '\t' && !(nl_ok && c == '\n')) || c == 0x7f);
}

static size_t skip_ws(const struct rd *r, size_t pos)
{
	while (is_ws(ch(r, pos)))
		pos++;
	return pos;
}

static size_t skip_ws_nl(const struct rd *r, size_t pos)
{
	while (is_ws(ch(r, pos)) || ch(r, pos) == '\n')
		pos++;
	return pos;
}

/* tomli's skip_until: position of 'expect' from pos; controls in between
 * (per nl_ok) are an error. Returns (size_t)-1 on error. */
static size_t skip_until(struct rd *r, size_t pos, const char *expect, bool nl_ok, bool error_on_eof)
{
	size_t n = strlen(expect), end = r->n;
	const char *f = NULL;

	if (pos <= r->n)
		f = memmem(r->s + pos, r->n - pos, expect, n);
	if (f) {
		end = (size_t)(f - r->s);
	} else if (error_on_eof) {
		struct tsb b = { 0 };

		tsb_adds(&b, "Expected ");
		tsb_pyrepr(&b, expect, n);
		if (b.oom)
			oom(r);
		else
			err_at(r, r->n, "%s", b.data);
		free(b.data);
		return (size_t)-1;
	}
	for (size_t i = pos; i < end; i++)
		if (illegal(ch(r, i), nl_ok)) {
			err_char(r, i, "Found invalid character ");
			return (size_t)-1;
		}
	return end;
}

static size_t skip_comment(struct rd *r, size_t pos)
{
	if (ch(r, pos) == '#')
		return skip_until(r, pos + 1, "\n", false, false);
	return pos;
}

static size_t skip_comments_and_array_ws(struct rd *r, size_t pos)
{
	for (;;) {
		size_t before = pos;

		pos = skip_ws_nl(r, pos);
		pos = skip_comment(r, pos);
		if (pos == (size_t)-1 || pos == before)
			return pos;
	}
}

/* ---- keys ---- */

static void key_free(struct key *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->p[i].s);
	free(k->p);
	k->p = NULL;
	k->n = 0;
}

static bool key_push(struct key *k, char *s, size_t n)
{
	struct kp *p = realloc(k->p, (k->n + 1) * sizeof *p);

	if (!p) {
		free(s);
		return false;
	}
	k->p = p;
	k->p[k->n++] = (struct kp){ s, n };
	return true;
}

/* A view a + b[0..bn) (the strings are shared, not copied). */
static bool key_cat(struct key *out, const struct key *a, const struct key *b, size_t bn)
{
	out->n = a->n + bn;
	out->p = malloc((out->n ? out->n : 1) * sizeof *out->p);
	if (!out->p)
		return false;
	if (a->n)
		memcpy(out->p, a->p, a->n * sizeof *out->p);
	if (bn)
		memcpy(out->p + a->n, b->p, bn * sizeof *out->p);
	return true;
}

static bool key_dup(struct key *out, const struct key *k)
{
	out->n = 0;
	out->p = NULL;
	for (size_t i = 0; i < k->n; i++) {
		char *s = malloc(k->p[i].n + 1);

		if (!s) {
			key_free(out);
			return false;
		}
		memcpy(s, k->p[i].s, k->p[i].n + 1);
		if (!key_push(out, s, k->p[i].n)) {
			key_free(out);
			return false;
		}
	}
	return true;
}

/* ---- flags (tomli's Flags class) ---- */

static void fnode_free(struct fnode *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		fnode_free(f->kid[i]);
	free(f->kid);
	free(f->k);
	free(f);
}

static struct fnode *fchild(struct fnode *f, const struct kp *k, bool create, bool *nomem)
{
	struct fnode *c;

	for (size_t i = 0; i < f->n; i++)
		if (f->kid[i]->kn == k->n && memcmp(f->kid[i]->k, k->s, k->n) == 0)
			return f->kid[i];
	if (!create)
		return NULL;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct fnode **p = realloc(f->kid, cap * sizeof *p);

		if (!p)
			goto nomem;
		f->kid = p;
		f->cap = cap;
	}
	c = calloc(1, sizeof *c);
	if (!c)
		goto nomem;
	c->k = malloc(k->n + 1);
	if (!c->k) {
		free(c);
		goto nomem;
	}
	memcpy(c->k, k->s, k->n + 1);
	c->kn = k->n;
	f->kid[f->n++] = c;
	return c;
nomem:
	*nomem = true;
	return NULL;
}

static bool flags_set(struct fnode *root, const struct key *k, unsigned flag, bool recursive)
{
	struct fnode *c = root;
	bool nomem = false;

	for (size_t i = 0; i < k->n; i++) {
		c = fchild(c, &k->p[i], true, &nomem);
		if (!c)
			return false;
	}
	if (recursive)
		c->rfl |= flag;
	else
		c->fl |= flag;
	return true;
}

static bool flags_is(struct fnode *root, const struct key *k, unsigned flag)
{
	struct fnode *c = root;
	bool nomem = false;

	if (!k->n)
		return false;
	for (size_t i = 0; i + 1 < k->n; i++) {
		c = fchild(c, &k->p[i], false, &nomem);
		if (!c)
			return false;
		if (c->rfl & flag)
			return true;
	}
	c = fchild(c, &k->p[k->n - 1], false, &nomem);
	return c && ((c->fl | c->rfl) & flag);
}

static void flags_unset_all(struct fnode *root, const struct key *k)
{
	struct fnode *c = root;
	bool nomem = false;

	for (size_t i = 0; i + 1 < k->n; i++) {
		c = fchild(c, &k->p[i], false, &nomem);
		if (!c)
			return;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->kid[i]->kn == k->p[k->n - 1].n &&
		    memcmp(c->kid[i]->k, k->p[k->n - 1].s, c->kid[i]->kn) == 0) {
			fnode_free(c->kid[i]);
			memmove(&c->kid[i], &c->kid[i + 1], (c->n - i - 1) * sizeof c->kid[0]);
			c->n--;
			return;
		}
}

static bool add_pending(struct rd *r, const struct key *k)
{
	if (r->npend == r->cappend) {
		size_t cap = r->cappend ? r->cappend * 2 : 8;
		struct key *p = realloc(r->pend, cap * sizeof *p);

		if (!p)
			return false;
		r->pend = p;
		r->cappend = cap;
	}
	if (!key_dup(&r->pend[r->npend], k))
		return false;
	r->npend++;
	return true;
}

static bool finalize_pending(struct rd *r, struct fnode *flags)
{
	bool ok = true;

	for (size_t i = 0; i < r->npend; i++) {
		if (ok && !flags_set(flags, &r->pend[i], F_EXPLICIT, false))
			ok = false;
		key_free(&r->pend[i]);
	}
	r->npend = 0;
	return ok;
}

/* ---- nested tables (tomli's NestedDict) ---- */

/* Returns the table behind key[0..n) (created as needed), or NULL: *keyerr
 * when something other than a table is in the way, else out of memory. */
static struct ens_toml *get_or_create_nest(struct ens_toml *cont, const struct key *k, size_t n,
					   bool access_lists, bool *keyerr)
{
	*keyerr = false;
	for (size_t i = 0; i < n; i++) {
		struct ens_toml *c = ens_toml_get_len(cont, k->p[i].s, k->p[i].n);

		if (!c) {
			c = ens_toml_new_table();
			if (!c || ens_toml_set_len(cont, k->p[i].s, k->p[i].n, c) < 0)
				return NULL;
		}
		if (access_lists && c->kind == ENS_TOML_ARRAY)
			c = c->u.arr.n ? c->u.arr.items[c->u.arr.n - 1] : NULL;
		if (!c || c->kind != ENS_TOML_TABLE) {
			*keyerr = true;
			return NULL;
		}
		cont = c;
	}
	return cont;
}

/* ---- strings ---- */

static size_t parse_hex_char(struct rd *r, size_t pos, int len, struct tsb *out)
{
	unsigned long cp = 0;
	char enc[4];

	for (int i = 0; i < len; i++)
		if (!is_hex(ch(r, pos + (size_t)i)))
			return (size_t)(uintptr_t)err_at(r, pos, "Invalid hex value") - 1;
	for (int i = 0; i < len; i++) {
		int c = ch(r, pos + (size_t)i);

		cp = cp << 4 | (unsigned long)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	pos += (size_t)len;
	if (!(cp <= 55295 || (cp >= 57344 && cp <= 1114111)))
		return (size_t)(uintptr_t)err_at(r, pos, "Escaped character is not a Unicode scalar value") - 1;
	tsb_add(out, enc, toml_utf8_encode(cp, enc));
	return pos;
}

static size_t parse_basic_str_escape(struct rd *r, size_t pos, bool multiline, struct tsb *out)
{
	int e = ch(r, pos + 1);

	pos += 2;
	if (multiline && (e == ' ' || e == '\t' || e == '\n')) {
		if (e != '\n') {
			pos = skip_ws(r, pos);
			if (ch(r, pos) < 0)
				return pos;
			if (ch(r, pos) != '\n')
				return (size_t)(uintptr_t)err_at(r, pos, "Unescaped '\\' in a string") - 1;
			pos++;
		}
		return skip_ws_nl(r, pos);
	}
	switch (e) {
	case 'u': return parse_hex_char(r, pos, 4, out);
	case 'U': return parse_hex_char(r, pos, 8, out);
	case 'b': tsb_addc(out, '\b'); return pos;
	case 't': tsb_addc(out, '\t'); return pos;
	case 'n': tsb_addc(out, '\n'); return pos;
	case 'f': tsb_addc(out, '\f'); return pos;
	case 'r': tsb_addc(out, '\r'); return pos;
	case '"': tsb_addc(out, '"'); return pos;
	case '\\': tsb_addc(out, '\\'); return pos;
	default:
		/* tomli reports the position after the two characters */
		return (size_t)(uintptr_t)err_at(r, pos > r->n ? r->n : pos, "Unescaped '\\' in a string") - 1;
	}
}

/* pos is just after the opening quote(s); the text goes to out. */
static size_t parse_basic_str(struct rd *r, size_t pos, bool multiline, struct tsb *out)
{
	size_t start = pos;

	for (;;) {
		int c = ch(r, pos);

		if (c < 0)
			return (size_t)(uintptr_t)err_at(r, pos, "Unterminated string") - 1;
		if (c == '"') {
			if (!multiline) {
				tsb_add(out, r->s + start, pos - start);
				return pos + 1;
			}
			if (starts(r, pos, "\"\"\"")) {
				tsb_add(out, r->s + start, pos - start);
				return pos + 3;
			}
			pos++;
			continue;
		}
		if (c == '\\') {
			tsb_add(out, r->s + start, pos - start);
			pos = parse_basic_str_escape(r, pos, multiline, out);
			if (pos == (size_t)-1)
				return pos;
			start = pos;
			continue;
		}
		if (illegal(c, multiline)) {
			err_char(r, pos, "Illegal character ");
			return (size_t)-1;
		}
		pos++;
	}
}

static size_t parse_literal_str(struct rd *r, size_t pos, struct tsb *out)
{
	size_t start = ++pos, end = skip_until(r, pos, "'", false, true);

	if (end == (size_t)-1)
		return end;
	tsb_add(out, r->s + start, end - start);
	return end + 1;
}

static size_t parse_multiline_str(struct rd *r, size_t pos, bool literal, struct tsb *out)
{
	char delim = literal ? '\'' : '"';

	pos += 3;
	if (ch(r, pos) == '\n')
		pos++;
	if (literal) {
		size_t end = skip_until(r, pos, "'''", true, true);

		if (end == (size_t)-1)
			return end;
		tsb_add(out, r->s + pos, end - pos);
		pos = end + 3;
	} else {
		pos = parse_basic_str(r, pos, true, out);
		if (pos == (size_t)-1)
			return pos;
	}
	for (int i = 0; i < 2 && ch(r, pos) == delim; i++, pos++)
		tsb_addc(out, delim);
	return pos;
}

/* ---- keys ---- */

static size_t parse_key_part(struct rd *r, size_t pos, struct key *k)
{
	struct tsb b = { 0 };
	int c = ch(r, pos);

	if (is_bare(c)) {
		size_t start = pos;

		while (is_bare(ch(r, pos)))
			pos++;
		tsb_add(&b, r->s + start, pos - start);
	} else if (c == '\'') {
		pos = parse_literal_str(r, pos, &b);
	} else if (c == '"') {
		pos = parse_basic_str(r, pos + 1, false, &b);
	} else {
		return (size_t)(uintptr_t)err_at(r, pos, "Invalid initial character for a key part") - 1;
	}
	if (pos == (size_t)-1) {
		free(b.data);
		return pos;
	}
	if (!b.data)
		tsb_add(&b, "", 0);
	if (b.oom || !key_push(k, b.data, b.len)) {
		if (b.oom)
			free(b.data);
		oom(r);
		return (size_t)-1;
	}
	return pos;
}

static size_t parse_key(struct rd *r, size_t pos, struct key *k)
{
	k->p = NULL;
	k->n = 0;
	pos = parse_key_part(r, pos, k);
	if (pos == (size_t)-1)
		return pos;
	pos = skip_ws(r, pos);
	while (ch(r, pos) == '.') {
		if (k->n >= TOML_MAX_DEPTH)
			return (size_t)(uintptr_t)err_at(r, pos, "Maximum nesting depth exceeded") - 1;
		pos = skip_ws(r, pos + 1);
		pos = parse_key_part(r, pos, k);
		if (pos == (size_t)-1)
			return pos;
		pos = skip_ws(r, pos);
	}
	return pos;
}

/* ---- numbers, dates and times ---- */

/* digit (_? digit)*: end of the run starting at pos (which is a digit). */
static size_t digit_run(const struct rd *r, size_t pos, bool (*ok)(int))
{
	pos++;
	for (;;) {
		if (ok(ch(r, pos)))
			pos++;
		else if (ch(r, pos) == '_' && ok(ch(r, pos + 1)))
			pos += 2;
		else
			return pos;
	}
}

static bool is_oct(int c) { return c >= '0' && c <= '7'; }
static bool is_bin(int c) { return c == '0' || c == '1'; }

static char *strip_underscores(const char *s, size_t n)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			o[k++] = s[i];
	o[k] = 0;
	return o;
}

static struct ens_toml *too_many_digits(struct rd *r, size_t pos, size_t digits)
{
	if (digits)
		return err_at(r, pos, "Exceeds the limit (%d digits) for integer string conversion: "
			      "value has %zu digits; use sys.set_int_max_str_digits() to increase the limit",
			      TOML_INT_MAX_STR_DIGITS, digits);
	return err_at(r, pos, "Exceeds the limit (%d digits) for integer string conversion; "
		      "use sys.set_int_max_str_digits() to increase the limit", TOML_INT_MAX_STR_DIGITS);
}

/* RE_NUMBER at pos; NULL with *matched false when it does not match. */
static struct ens_toml *parse_number(struct rd *r, size_t pos, size_t *end, bool *matched)
{
	size_t p = pos, ip;
	int c = ch(r, pos);
	bool frac = false;
	struct ens_toml *v;
	char *txt;

	*matched = true;
	if (c == '0') {
		int x = ch(r, pos + 1);
		unsigned base = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 0;
		bool (*ok)(int) = base == 16 ? is_hex : base == 8 ? is_oct : is_bin;

		if (base && ok(ch(r, pos + 2))) {
			size_t e = digit_run(r, pos + 2, ok), nz, bits;
			unsigned per = base == 16 ? 4 : base == 8 ? 3 : 1;
			char *dec;

			*end = e;
			txt = strip_underscores(r->s + pos + 2, e - pos - 2);
			if (!txt)
				return oom(r);
			nz = strspn(txt, "0");
			if (!txt[nz])
				nz--;
			bits = (strlen(txt) - nz - 1) * per + 1;
			dec = bits > 14292 ? NULL :
			      toml_radix_to_dec(txt + nz, strlen(txt) - nz, base, TOML_INT_MAX_STR_DIGITS);
			free(txt);
			if (!dec)
				return too_many_digits(r, pos, 0);
			v = ens_toml_new_int_text(dec);
			free(dec);
			return v ? v : oom(r);
		}
	}
	if (c == '+' || c == '-')
		p++;
	if (ch(r, p) == '0') {
		p++;
	} else if (is_digit(ch(r, p))) {
		p = digit_run(r, p, is_digit);
	} else {
		*matched = false;
		return NULL;
	}
	ip = p;
	if (ch(r, p) == '.' && is_digit(ch(r, p + 1))) {
		p = digit_run(r, p + 1, is_digit);
		frac = true;
	}
	if (ch(r, p) == 'e' || ch(r, p) == 'E') {
		size_t q = p + 1;

		if (ch(r, q) == '+' || ch(r, q) == '-')
			q++;
		if (is_digit(ch(r, q))) {
			p = digit_run(r, q, is_digit);
			frac = true;
		}
	}
	*end = p;
	txt = strip_underscores(r->s + pos, p - pos);
	if (!txt)
		return oom(r);
	if (frac) {
		v = ens_toml_new_float(strtod(txt, NULL));
	} else {
		size_t digits = strlen(txt) - (txt[0] == '+' || txt[0] == '-');

		(void)ip;
		if (digits > TOML_INT_MAX_STR_DIGITS) {
			free(txt);
			return too_many_digits(r, pos, digits);
		}
		v = ens_toml_new_int_text(txt[0] == '+' ? txt + 1 : txt);
	}
	free(txt);
	return v ? v : oom(r);
}

static bool two(const struct rd *r, size_t pos, int *out)
{
	if (!is_digit(ch(r, pos)) || !is_digit(ch(r, pos + 1)))
		return false;
	*out = (ch(r, pos) - '0') * 10 + ch(r, pos + 1) - '0';
	return true;
}

/* _TIME_RE_STR at pos: end position or 0 when no match. */
static size_t match_time(const struct rd *r, size_t pos, struct ens_toml_datetime *dt)
{
	int h, m, s, us = 0, nd = 0;
	size_t p;

	if (!two(r, pos, &h) || h > 23 || ch(r, pos + 2) != ':' || !two(r, pos + 3, &m) || m > 59 ||
	    ch(r, pos + 5) != ':' || !two(r, pos + 6, &s) || s > 59)
		return 0;
	p = pos + 8;
	if (ch(r, p) == '.' && is_digit(ch(r, p + 1))) {
		p++;
		while (is_digit(ch(r, p))) {
			if (nd < 6) {
				us = us * 10 + ch(r, p) - '0';
				nd++;
			}
			p++;
		}
		while (nd < 6) {
			us *= 10;
			nd++;
		}
	}
	dt->hour = h;
	dt->minute = m;
	dt->second = s;
	dt->usec = us;
	return p;
}

static int mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* RE_DATETIME at pos: NULL with *matched false when it does not match. */
static struct ens_toml *parse_datetime(struct rd *r, size_t pos, size_t *end, bool *matched)
{
	struct ens_toml_datetime dt = { 0 };
	enum ens_toml_kind kind = ENS_TOML_LOCAL_DATE;
	int y1, y2, mo, d;
	size_t p = pos + 10, q;
	struct ens_toml *v;

	*matched = false;
	if (!two(r, pos, &y1) || !two(r, pos + 2, &y2) || ch(r, pos + 4) != '-' || !two(r, pos + 5, &mo) ||
	    mo < 1 || mo > 12 || ch(r, pos + 7) != '-' || !two(r, pos + 8, &d) || d < 1 || d > 31)
		return NULL;
	*matched = true;
	dt.year = y1 * 100 + y2;
	dt.month = mo;
	dt.day = d;
	if ((ch(r, p) == 'T' || ch(r, p) == 't' || ch(r, p) == ' ') && (q = match_time(r, p + 1, &dt))) {
		int oh, om;

		kind = ENS_TOML_LOCAL_DATETIME;
		p = q;
		if (ch(r, p) == 'Z' || ch(r, p) == 'z') {
			kind = ENS_TOML_DATETIME;
			p++;
		} else if ((ch(r, p) == '+' || ch(r, p) == '-') && two(r, p + 1, &oh) && oh <= 23 &&
			   ch(r, p + 3) == ':' && two(r, p + 4, &om) && om <= 59) {
			kind = ENS_TOML_DATETIME;
			dt.offset_min = (ch(r, p) == '-' ? -1 : 1) * (oh * 60 + om);
			p += 6;
		}
	}
	*end = p;
	if (dt.year < 1 || dt.day > mdays(dt.year, dt.month))
		return err_at(r, pos, "Invalid date or datetime");
	v = ens_toml_new_datetime(kind, &dt);
	return v ? v : oom(r);
}

/* ---- values ---- */

static struct ens_toml *parse_value(struct rd *r, size_t pos, size_t *end, size_t depth);

static struct ens_toml *string_value(struct rd *r, size_t pos, size_t *end, struct tsb *b)
{
	struct ens_toml *v;

	if (pos == (size_t)-1) {
		free(b->data);
		return NULL;
	}
	*end = pos;
	v = b->oom ? NULL : ens_toml_new_string_len(b->data ? b->data : "", b->len);
	free(b->data);
	return v ? v : oom(r);
}

static struct ens_toml *parse_array(struct rd *r, size_t pos, size_t *end, size_t depth)
{
	struct ens_toml *a = ens_toml_new_array(), *v;

	if (!a)
		return oom(r);
	pos = skip_comments_and_array_ws(r, pos + 1);
	if (pos == (size_t)-1)
		goto fail;
	if (ch(r, pos) == ']') {
		*end = pos + 1;
		return a;
	}
	for (;;) {
		v = parse_value(r, pos, &pos, depth + 1);
		if (!v)
			goto fail;
		if (ens_toml_append(a, v) < 0) {
			oom(r);
			goto fail;
		}
		pos = skip_comments_and_array_ws(r, pos);
		if (pos == (size_t)-1)
			goto fail;
		if (ch(r, pos) == ']') {
			*end = pos + 1;
			return a;
		}
		if (ch(r, pos) != ',') {
			err_at(r, pos, "Unclosed array");
			goto fail;
		}
		pos = skip_comments_and_array_ws(r, pos + 1);
		if (pos == (size_t)-1)
			goto fail;
		if (ch(r, pos) == ']') {
			*end = pos + 1;
			return a;
		}
	}
fail:
	ens_toml_free(a);
	return NULL;
}

static size_t parse_key_value_pair(struct rd *r, size_t pos, struct key *k, struct ens_toml **val, size_t depth)
{
	*val = NULL;
	pos = parse_key(r, pos, k);
	if (pos == (size_t)-1)
		return pos;
	if (ch(r, pos) != '=')
		return (size_t)(uintptr_t)err_at(r, pos, "Expected '=' after a key in a key/value pair") - 1;
	pos = skip_ws(r, pos + 1);
	if (depth + k->n > TOML_MAX_DEPTH)
		return (size_t)(uintptr_t)err_at(r, pos, "Maximum nesting depth exceeded") - 1;
	*val = parse_value(r, pos, &pos, depth + k->n);
	return *val ? pos : (size_t)-1;
}

static struct ens_toml *parse_inline_table(struct rd *r, size_t pos, size_t *end, size_t depth)
{
	struct ens_toml *t = ens_toml_new_table(), *val = NULL, *nest;
	struct fnode *flags = calloc(1, sizeof *flags);
	struct key k = { 0 }, parent;
	bool keyerr;

	if (!t || !flags) {
		oom(r);
		goto fail;
	}
	pos = skip_ws(r, pos + 1);
	if (ch(r, pos) == '}') {
		*end = pos + 1;
		fnode_free(flags);
		return t;
	}
	for (;;) {
		pos = parse_key_value_pair(r, pos, &k, &val, depth);
		if (pos == (size_t)-1)
			goto fail;
		if (flags_is(flags, &k, F_FROZEN)) {
			err_key(r, pos, "Cannot mutate immutable namespace ", &k, "");
			goto fail;
		}
		parent = k;
		parent.n--;
		nest = get_or_create_nest(t, &parent, parent.n, false, &keyerr);
		if (!nest) {
			if (keyerr)
				err_at(r, pos, "Cannot overwrite a value");
			else
				oom(r);
			goto fail;
		}
		if (ens_toml_get_len(nest, k.p[k.n - 1].s, k.p[k.n - 1].n)) {
			struct tsb b = { 0 };

			tsb_adds(&b, "Duplicate inline table key ");
			tsb_pyrepr(&b, k.p[k.n - 1].s, k.p[k.n - 1].n);
			if (b.oom)
				oom(r);
			else
				err_at(r, pos, "%s", b.data);
			free(b.data);
			goto fail;
		}
		{
			bool container = val->kind == ENS_TOML_TABLE || val->kind == ENS_TOML_ARRAY;

			if (ens_toml_set_len(nest, k.p[k.n - 1].s, k.p[k.n - 1].n, val) < 0) {
				val = NULL;
				oom(r);
				goto fail;
			}
			val = NULL;
			pos = skip_ws(r, pos);
			if (ch(r, pos) == '}') {
				*end = pos + 1;
				key_free(&k);
				fnode_free(flags);
				return t;
			}
			if (ch(r, pos) != ',') {
				err_at(r, pos, "Unclosed inline table");
				goto fail;
			}
			if (container && !flags_set(flags, &k, F_FROZEN, true)) {
				oom(r);
				goto fail;
			}
		}
		key_free(&k);
		pos = skip_ws(r, pos + 1);
	}
fail:
	key_free(&k);
	ens_toml_free(val);
	ens_toml_free(t);
	fnode_free(flags);
	return NULL;
}

static struct ens_toml *parse_value(struct rd *r, size_t pos, size_t *end, size_t depth)
{
	int c = ch(r, pos);
	struct tsb b = { 0 };
	struct ens_toml *v;
	bool matched;

	if (depth > TOML_MAX_DEPTH)
		return err_at(r, pos, "Maximum nesting depth exceeded");
	if (c == '"') {
		if (starts(r, pos, "\"\"\""))
			return string_value(r, parse_multiline_str(r, pos, false, &b), end, &b);
		return string_value(r, parse_basic_str(r, pos + 1, false, &b), end, &b);
	}
	if (c == '\'') {
		if (starts(r, pos, "'''"))
			return string_value(r, parse_multiline_str(r, pos, true, &b), end, &b);
		return string_value(r, parse_literal_str(r, pos, &b), end, &b);
	}
	if (c == 't' && starts(r, pos, "true")) {
		*end = pos + 4;
		return (v = ens_toml_new_bool(true)) ? v : oom(r);
	}
	if (c == 'f' && starts(r, pos, "false")) {
		*end = pos + 5;
		return (v = ens_toml_new_bool(false)) ? v : oom(r);
	}
	if (c == '[')
		return parse_array(r, pos, end, depth);
	if (c == '{')
		return parse_inline_table(r, pos, end, depth);
	v = parse_datetime(r, pos, end, &matched);
	if (matched)
		return v;
	{
		struct ens_toml_datetime dt = { 0 };
		size_t e = match_time(r, pos, &dt);

		if (e) {
			*end = e;
			return (v = ens_toml_new_datetime(ENS_TOML_LOCAL_TIME, &dt)) ? v : oom(r);
		}
	}
	v = parse_number(r, pos, end, &matched);
	if (matched)
		return v;
	if (starts(r, pos, "inf") || starts(r, pos, "nan")) {
		*end = pos + 3;
		return (v = ens_toml_new_float(c == 'i' ? HUGE_VAL : NAN)) ? v : oom(r);
	}
	if (starts(r, pos, "-inf") || starts(r, pos, "+inf") || starts(r, pos, "-nan") || starts(r, pos, "+nan")) {
		*end = pos + 4;
		if (ch(r, pos + 1) == 'n')
			v = ens_toml_new_float(NAN);
		else
			v = ens_toml_new_float(c == '-' ? -HUGE_VAL : HUGE_VAL);
		return v ? v : oom(r);
	}
	return err_at(r, pos, "Invalid value");
}

/* ---- statements ---- */

static size_t create_dict_rule(struct rd *r, size_t pos, struct ens_toml *root, struct fnode *flags,
			       struct key *header)
{
	struct key k;
	bool keyerr;

	pos = skip_ws(r, pos + 1);
	pos = parse_key(r, pos, &k);
	if (pos == (size_t)-1)
		goto fail;
	if (flags_is(flags, &k, F_EXPLICIT) || flags_is(flags, &k, F_FROZEN)) {
		err_key(r, pos, "Cannot declare ", &k, " twice");
		goto fail;
	}
	if (!flags_set(flags, &k, F_EXPLICIT, false)) {
		oom(r);
		goto fail;
	}
	if (!get_or_create_nest(root, &k, k.n, true, &keyerr)) {
		if (keyerr)
			err_at(r, pos, "Cannot overwrite a value");
		else
			oom(r);
		goto fail;
	}
	if (ch(r, pos) != ']') {
		err_at(r, pos, "Expected ']' at the end of a table declaration");
		goto fail;
	}
	key_free(header);
	*header = k;
	return pos + 1;
fail:
	key_free(&k);
	return (size_t)-1;
}

static size_t create_list_rule(struct rd *r, size_t pos, struct ens_toml *root, struct fnode *flags,
			       struct key *header)
{
	struct key k;
	struct ens_toml *cont, *list, *t;
	bool keyerr;

	pos = skip_ws(r, pos + 2);
	pos = parse_key(r, pos, &k);
	if (pos == (size_t)-1)
		goto fail;
	if (flags_is(flags, &k, F_FROZEN)) {
		err_key(r, pos, "Cannot mutate immutable namespace ", &k, "");
		goto fail;
	}
	flags_unset_all(flags, &k);
	if (!flags_set(flags, &k, F_EXPLICIT, false)) {
		oom(r);
		goto fail;
	}
	cont = get_or_create_nest(root, &k, k.n - 1, true, &keyerr);
	if (!cont)
		goto nest_fail;
	list = ens_toml_get_len(cont, k.p[k.n - 1].s, k.p[k.n - 1].n);
	if (list && list->kind != ENS_TOML_ARRAY) {
		keyerr = true;
		goto nest_fail;
	}
	if (!list) {
		list = ens_toml_new_array();
		if (!list || ens_toml_set_len(cont, k.p[k.n - 1].s, k.p[k.n - 1].n, list) < 0)
			goto nest_fail;
	}
	t = ens_toml_new_table();
	if (!t || ens_toml_append(list, t) < 0)
		goto nest_fail;
	if (!starts(r, pos, "]]")) {
		err_at(r, pos, "Expected ']]' at the end of an array declaration");
		goto fail;
	}
	key_free(header);
	*header = k;
	return pos + 2;
nest_fail:
	if (keyerr)
		err_at(r, pos, "Cannot overwrite a value");
	else
		oom(r);
fail:
	key_free(&k);
	return (size_t)-1;
}

static size_t key_value_rule(struct rd *r, size_t pos, struct ens_toml *root, struct fnode *flags,
			     const struct key *header)
{
	struct key k = { 0 }, abs = { 0 }, parent;
	struct ens_toml *val = NULL, *nest;
	bool keyerr;

	pos = parse_key_value_pair(r, pos, &k, &val, header->n);
	if (pos == (size_t)-1)
		goto fail;
	for (size_t i = 1; i < k.n; i++) {
		struct key ck;

		if (!key_cat(&ck, header, &k, i)) {
			oom(r);
			goto fail;
		}
		if (flags_is(flags, &ck, F_EXPLICIT)) {
			err_key(r, pos, "Cannot redefine namespace ", &ck, "");
			free(ck.p);
			goto fail;
		}
		if (!add_pending(r, &ck)) {
			free(ck.p);
			oom(r);
			goto fail;
		}
		free(ck.p);
	}
	if (!key_cat(&abs, header, &k, k.n)) {
		oom(r);
		goto fail;
	}
	parent = abs;
	parent.n--;
	if (flags_is(flags, &parent, F_FROZEN)) {
		err_key(r, pos, "Cannot mutate immutable namespace ", &parent, "");
		goto fail;
	}
	nest = get_or_create_nest(root, &parent, parent.n, true, &keyerr);
	if (!nest) {
		if (keyerr)
			err_at(r, pos, "Cannot overwrite a value");
		else
			oom(r);
		goto fail;
	}
	if (ens_toml_get_len(nest, k.p[k.n - 1].s, k.p[k.n - 1].n)) {
		err_at(r, pos, "Cannot overwrite a value");
		goto fail;
	}
	if ((val->kind == ENS_TOML_TABLE || val->kind == ENS_TOML_ARRAY) &&
	    !flags_set(flags, &abs, F_FROZEN, true)) {
		oom(r);
		goto fail;
	}
	if (ens_toml_set_len(nest, k.p[k.n - 1].s, k.p[k.n - 1].n, val) < 0) {
		val = NULL;
		oom(r);
		goto fail;
	}
	free(abs.p);
	key_free(&k);
	return pos;
fail:
	free(abs.p);
	key_free(&k);
	ens_toml_free(val);
	return (size_t)-1;
}

/* CRLF -> LF (as tomli does before parsing), after checking UTF-8. */
static char *normalise(const char *buf, size_t len, size_t *out_len, struct ens_err *err,
		       unsigned *line, unsigned *col)
{
	char *s = malloc(len + 1);
	size_t k = 0, used;
	unsigned l = 1, c = 1;

	if (!s) {
		ens_fail(err, ENS_E_NOMEM, "out of memory while parsing TOML");
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		if (toml_utf8_decode((const unsigned char *)buf + i, len - i, &used) < 0) {
			free(s);
			if (line)
				*line = l;
			if (col)
				*col = c;
			ens_fail(err, ENS_E_FORMAT, "Invalid UTF-8 byte 0x%02x (at line %u, column %u)",
				 (unsigned char)buf[i], l, c);
			return NULL;
		}
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') {
			i++;
			continue;
		}
		if (buf[i] == '\n') {
			l++;
			c = 0;
		}
		c++;
		memcpy(s + k, buf + i, used);
		k += used;
		i += used;
	}
	s[k] = 0;
	*out_len = k;
	return s;
}

struct ens_toml *ens_toml_parse(const char *buf, size_t len, struct ens_err *err, unsigned *line, unsigned *col)
{
	struct rd r = { .err = err, .line = line, .col = col };
	struct ens_toml *root = ens_toml_new_table();
	struct fnode *flags = calloc(1, sizeof *flags);
	struct key header = { 0 };
	char *src = NULL;
	size_t pos = 0;

	if (line)
		*line = 0;
	if (col)
		*col = 0;
	if (!root || !flags) {
		oom(&r);
		goto fail;
	}
	src = normalise(buf, len, &r.n, err, line, col);
	if (!src) {
		r.failed = true;
		goto fail;
	}
	r.s = src;
	for (;;) {
		int c;

		pos = skip_ws(&r, pos);
		c = ch(&r, pos);
		if (c < 0)
			break;
		if (c == '\n') {
			pos++;
			continue;
		}
		if (is_bare(c) || c == '"' || c == '\'') {
			pos = key_value_rule(&r, pos, root, flags, &header);
			if (pos == (size_t)-1)
				goto fail;
			pos = skip_ws(&r, pos);
		} else if (c == '[') {
			if (!finalize_pending(&r, flags)) {
				oom(&r);
				goto fail;
			}
			if (ch(&r, pos + 1) == '[')
				pos = create_list_rule(&r, pos, root, flags, &header);
			else
				pos = create_dict_rule(&r, pos, root, flags, &header);
			if (pos == (size_t)-1)
				goto fail;
			pos = skip_ws(&r, pos);
		} else if (c != '#') {
			err_at(&r, pos, "Invalid statement");
			goto fail;
		}
		pos = skip_comment(&r, pos);
		if (pos == (size_t)-1)
			goto fail;
		c = ch(&r, pos);
		if (c < 0)
			break;
		if (c != '\n') {
			err_at(&r, pos, "Expected newline or end of document after a statement");
			goto fail;
		}
		pos++;
	}
	finalize_pending(&r, flags);
	key_free(&header);
	fnode_free(flags);
	free(r.pend);
	free(src);
	return root;
fail:
	for (size_t i = 0; i < r.npend; i++)
		key_free(&r.pend[i]);
	free(r.pend);
	key_free(&header);
	fnode_free(flags);
	ens_toml_free(root);
	free(src);
	if (!r.failed)
		ens_fail(err, ENS_E_FORMAT, "TOML parse error");
	return NULL;
}
