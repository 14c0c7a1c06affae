/* TOML writer with the output of Python's tomli-w 1.0.0 (the one Gramine's
 * signer writes .manifest.sgx with), byte for byte; gramine-format.md
 * section 3. It follows tomli-w's _writer.py: gen_table_chunks,
 * format_literal, format_inline_array/table, is_suitable_inline_table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "toml_int.h"

#define ARRAY_INDENT "    "
#define MAX_LINE_LENGTH 100

/* Always a one-line basic string; tomli-w's escapes. */
static void fmt_string(struct tsb *b, const char *s, size_t n)
{
	size_t start = 0;

	tsb_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[8];

		if (c == '"' || c == '\\' || c == 0x7f || (c < 0x20 && c != '\t')) {
			switch (c) {
			case '\b': esc = "\\b"; break;
			case '\n': esc = "\\n"; break;
			case '\f': esc = "\\f"; break;
			case '\r': esc = "\\r"; break;
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			default:
				snprintf(u, sizeof u, "\\u%04x", c);
				esc = u;
			}
			tsb_add(b, s + start, i - start);
			tsb_adds(b, esc);
			start = i + 1;
		}
	}
	tsb_add(b, s + start, n - start);
	tsb_addc(b, '"');
}

static void fmt_key(struct tsb *b, const char *k, size_t n)
{
	bool bare = n > 0;

	for (size_t i = 0; bare && i < n; i++) {
		char c = k[i];

		bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '_' || c == '-';
	}
	if (bare)
		tsb_add(b, k, n);
	else
		fmt_string(b, k, n);
}

static void fmt_literal(struct tsb *b, const struct ens_toml *v, unsigned nest);

static void fmt_inline_table(struct tsb *b, const struct ens_toml *t)
{
	if (!t->u.tab.n) {
		tsb_adds(b, "{}");
		return;
	}
	tsb_adds(b, "{ ");
	for (size_t i = 0; i < t->u.tab.n && !b->over; i++) {
		if (i)
			tsb_adds(b, ", ");
		fmt_key(b, t->u.tab.e[i].key, t->u.tab.e[i].key_len);
		tsb_adds(b, " = ");
		fmt_literal(b, t->u.tab.e[i].val, 0);	/* arrays restart at depth 0 */
	}
	tsb_adds(b, " }");
}

static void indent(struct tsb *b, unsigned n)
{
	while (n--)
		tsb_adds(b, ARRAY_INDENT);
}

static void fmt_datetime(struct tsb *b, const struct ens_toml *v)
{
	const struct ens_toml_datetime *d = &v->u.dt;

	if (v->kind != ENS_TOML_LOCAL_TIME)
		tsb_addf(b, "%04d-%02d-%02d", d->year, d->month, d->day);
	if (v->kind == ENS_TOML_LOCAL_DATE)
		return;
	if (v->kind != ENS_TOML_LOCAL_TIME)
		tsb_addc(b, ' ');
	tsb_addf(b, "%02d:%02d:%02d", d->hour, d->minute, d->second);
	if (d->usec)
		tsb_addf(b, ".%06d", d->usec);
	if (v->kind == ENS_TOML_DATETIME) {
		int off = d->offset_min < 0 ? -d->offset_min : d->offset_min;

		tsb_addf(b, "%c%02d:%02d", d->offset_min < 0 ? '-' : '+', off / 60, off % 60);
	}
}

static void fmt_literal(struct tsb *b, const struct ens_toml *v, unsigned nest)
{
	char buf[40];

	switch (v->kind) {
	case ENS_TOML_BOOL:
		tsb_adds(b, v->u.b ? "true" : "false");
		break;
	case ENS_TOML_INT:
		if (v->u.num.big)
			tsb_adds(b, v->u.num.big);
		else
			tsb_addf(b, "%" PRId64, v->u.num.i);
		break;
	case ENS_TOML_FLOAT:
		toml_float_repr(v->u.f, buf);
		tsb_adds(b, buf);
		break;
	case ENS_TOML_STRING:
		fmt_string(b, v->u.str.s, v->u.str.len);
		break;
	case ENS_TOML_ARRAY:
		if (!v->u.arr.n) {
			tsb_adds(b, "[]");
			break;
		}
		tsb_adds(b, "[\n");
		for (size_t i = 0; i < v->u.arr.n && !b->over; i++) {
			indent(b, nest + 1);
			fmt_literal(b, v->u.arr.items[i], nest + 1);
			tsb_adds(b, ",\n");
		}
		indent(b, nest);
		tsb_addc(b, ']');
		break;
	case ENS_TOML_TABLE:
		fmt_inline_table(b, v);
		break;
	default:
		fmt_datetime(b, v);
		break;
	}
}

/* len("    " + inline form + ",") <= 100 code points, and no newline.
 * A form longer than 400 bytes has more than 100 code points: rendering
 * stops there, so the cost does not grow with the table. */
static bool suitable_inline(const struct ens_toml *t)
{
	struct tsb b = { .limit = 4 * MAX_LINE_LENGTH };
	size_t cps = 0;
	bool ok;

	fmt_inline_table(&b, t);
	if (b.oom || b.over) {
		free(b.data);
		return false;
	}
	for (size_t i = 0; i < b.len; i++)
		if (((unsigned char)b.data[i] & 0xc0) != 0x80)
			cps++;
	ok = strlen(ARRAY_INDENT) + cps + 1 <= MAX_LINE_LENGTH && !memchr(b.data, '\n', b.len);
	free(b.data);
	return ok;
}

bool ens_toml_is_aot(const struct ens_toml *a)
{
	bool all_suitable = true;

	if (!a || a->kind != ENS_TOML_ARRAY || !a->u.arr.n)
		return false;
	for (size_t i = 0; i < a->u.arr.n; i++)
		if (a->u.arr.items[i]->kind != ENS_TOML_TABLE)
			return false;
	for (size_t i = 0; all_suitable && i < a->u.arr.n; i++)
		all_suitable = suitable_inline(a->u.arr.items[i]);
	return !all_suitable;
}

static void gen_table(struct tsb *b, const struct ens_toml *t, const char *name, size_t name_len, bool inside_aot)
{
	size_t n = t->u.tab.n, nlit = 0, ntab = 0;
	bool yielded = false;
	/* 0 = literal, 1 = sub-table, 2 = array of tables */
	unsigned char *cls = malloc(n ? n : 1);

	if (!cls) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ens_toml *v = t->u.tab.e[i].val;

		cls[i] = v->kind == ENS_TOML_TABLE ? 1 : ens_toml_is_aot(v) ? 2 : 0;
		if (cls[i])
			ntab++;
		else
			nlit++;
	}
	if (inside_aot || (name_len && (nlit || !ntab))) {
		yielded = true;
		tsb_adds(b, inside_aot ? "[[" : "[");
		tsb_add(b, name, name_len);
		tsb_adds(b, inside_aot ? "]]\n" : "]\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (cls[i])
			continue;
		yielded = true;
		fmt_key(b, t->u.tab.e[i].key, t->u.tab.e[i].key_len);
		tsb_adds(b, " = ");
		fmt_literal(b, t->u.tab.e[i].val, 0);
		tsb_addc(b, '\n');
	}
	for (size_t i = 0; i < n && !b->oom; i++) {
		const struct ens_toml *v = t->u.tab.e[i].val;
		struct tsb sub = { 0 };

		if (!cls[i])
			continue;
		if (name_len) {
			tsb_add(&sub, name, name_len);
			tsb_addc(&sub, '.');
		}
		fmt_key(&sub, t->u.tab.e[i].key, t->u.tab.e[i].key_len);
		if (sub.oom) {
			b->oom = true;
			free(sub.data);
			break;
		}
		if (cls[i] == 1) {
			if (yielded)
				tsb_addc(b, '\n');
			yielded = true;
			gen_table(b, v, sub.data, sub.len, false);
		} else {
			for (size_t j = 0; j < v->u.arr.n; j++) {
				if (yielded)
					tsb_addc(b, '\n');
				yielded = true;
				gen_table(b, v->u.arr.items[j], sub.data, sub.len, true);
			}
		}
		free(sub.data);
	}
	free(cls);
}

char *ens_toml_write(const struct ens_toml *root, size_t *len, struct ens_err *err)
{
	struct tsb b = { 0 };

	if (!root || root->kind != ENS_TOML_TABLE) {
		ens_fail(err, ENS_E_USAGE, "TOML writer: the document root is not a table");
		return NULL;
	}
	gen_table(&b, root, "", 0, false);
	if (!b.oom && !b.data)
		tsb_add(&b, "", 0);
	if (b.oom) {
		free(b.data);
		ens_fail(err, ENS_E_NOMEM, "out of memory while writing TOML");
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.data;
}
