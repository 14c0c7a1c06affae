/* TOML reader and writer (lib/toml): tomli 2.0.1 parsing, tomli-w 1.0.0 output.
 * Expected texts were produced by Python 3.11's tomllib (tomli 2.0.1) and
 * tomli-w 1.0.0's writer logic; the Gramine vectors are checked byte for byte
 * (parse the .manifest.sgx Gramine wrote, write it again). */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ensign/toml.h"
#include "tap.h"

#define TV "tests/vectors/gramine/cases/"

static const struct { const char *in, *out; } writes[] = {
	{ "a = \"\\u0001\\u007f\\u001b\\b\\t\\n\\f\\r\\\"\\\\\xc3""\xa9""\\u00a0\\U0001F600\"",
	  "a = \"\\u0001\\u007f\\u001b\\b\x09""\\n\\f\\r\\\"\\\\\xc3""\xa9""\xc2""\xa0""\xf0""\x9f""\x98""\x80""\"\n"
	  "" },
	{ "p = 'C:\\p'\n"
	  "q = '''\n"
	  "multi\n"
	  "  line'''\n"
	  "r = \"\"\"\\\n"
	  "   joined \\\n"
	  "   words\"\"\"\n"
	  "s = \"\"\"two\"\"\"\"\"",
	  "p = \"C:\\\\p\"\n"
	  "q = \"multi\\n  line\"\n"
	  "r = \"joined words\"\n"
	  "s = \"two\\\"\\\"\"\n"
	  "" },
	{ "\"quoted key\" = 1\n"
	  "\"\" = 2\n"
	  "\"k.with.dots\" = 3\n"
	  "\"\xc3""\xbc""n\xc3""\xaf""c\xc3""\xb8""d\xc3""\xa9""\" = 4\n"
	  "'lit' = 5\n"
	  "bare-key_1 = 6\n"
	  "[x.\"a.b\"]\n"
	  "y = 1",
	  "\"quoted key\" = 1\n"
	  "\"\" = 2\n"
	  "\"k.with.dots\" = 3\n"
	  "\"\xc3""\xbc""n\xc3""\xaf""c\xc3""\xb8""d\xc3""\xa9""\" = 4\n"
	  "lit = 5\n"
	  "bare-key_1 = 6\n"
	  "\n"
	  "[x.\"a.b\"]\n"
	  "y = 1\n"
	  "" },
	{ "h = 0xDEADBEEF\n"
	  "o = 0o17\n"
	  "b = 0b1_0\n"
	  "z = -0\n"
	  "p = +5\n"
	  "max = 9223372036854775807\n"
	  "min = -9223372036854775808\n"
	  "big = 9223372036854775808\n"
	  "u64 = 18446744073709551615\n"
	  "neg = -9223372036854775809\n"
	  "hx = 0xffffffffffffffffffffffffffffffff\n"
	  "us = 1_000_000",
	  "h = 3735928559\n"
	  "o = 15\n"
	  "b = 2\n"
	  "z = 0\n"
	  "p = 5\n"
	  "max = 9223372036854775807\n"
	  "min = -9223372036854775808\n"
	  "big = 9223372036854775808\n"
	  "u64 = 18446744073709551615\n"
	  "neg = -9223372036854775809\n"
	  "hx = 340282366920938463463374607431768211455\n"
	  "us = 1000000\n"
	  "" },
	{ "a = 100.0\n"
	  "b = 0.1\n"
	  "c = 0.0001\n"
	  "d = 1e15\n"
	  "e = 1e16\n"
	  "f = 1e-5\n"
	  "g = 1e100\n"
	  "h = 6.02e23\n"
	  "i = 12345678901234567.0\n"
	  "j = 4e-324\n"
	  "k = 1.48e-323\n"
	  "l = 1e-7\n"
	  "m = -0.0\n"
	  "n = inf\n"
	  "o = -inf\n"
	  "p = +nan\n"
	  "q = -nan\n"
	  "r = 1_000.5\n"
	  "s = 0.30000000000000004\n"
	  "t = 1e400\n"
	  "u = 123456789012345.6",
	  "a = 100.0\n"
	  "b = 0.1\n"
	  "c = 0.0001\n"
	  "d = 1000000000000000.0\n"
	  "e = 1e+16\n"
	  "f = 1e-05\n"
	  "g = 1e+100\n"
	  "h = 6.02e+23\n"
	  "i = 1.2345678901234568e+16\n"
	  "j = 5e-324\n"
	  "k = 1.5e-323\n"
	  "l = 1e-07\n"
	  "m = -0.0\n"
	  "n = inf\n"
	  "o = -inf\n"
	  "p = nan\n"
	  "q = nan\n"
	  "r = 1000.5\n"
	  "s = 0.30000000000000004\n"
	  "t = inf\n"
	  "u = 123456789012345.6\n"
	  "" },
	{ "a = 1979-05-27T07:32:00Z\n"
	  "b = 1979-05-27T07:32:00.5\n"
	  "c = 00:32:00.123456789\n"
	  "d = 1979-05-27t07:32:00-07:30\n"
	  "e = 1979-05-27 07:32:00-00:00\n"
	  "f = 1979-05-27\n"
	  "g = 0001-01-01T00:00:00.000001+23:59",
	  "a = 1979-05-27 07:32:00+00:00\n"
	  "b = 1979-05-27 07:32:00.500000\n"
	  "c = 00:32:00.123456\n"
	  "d = 1979-05-27 07:32:00-07:30\n"
	  "e = 1979-05-27 07:32:00+00:00\n"
	  "f = 1979-05-27\n"
	  "g = 0001-01-01 00:00:00.000001+23:59\n"
	  "" },
	{ "nested = [[1, 2], []]\n"
	  "empty = []\n"
	  "mixed = [1, \"a\", 1.5, true, [{}]]",
	  "nested = [\n"
	  "    [\n"
	  "        1,\n"
	  "        2,\n"
	  "    ],\n"
	  "    [],\n"
	  "]\n"
	  "empty = []\n"
	  "mixed = [\n"
	  "    1,\n"
	  "    \"a\",\n"
	  "    1.5,\n"
	  "    true,\n"
	  "    [\n"
	  "        {},\n"
	  "    ],\n"
	  "]\n"
	  "" },
	{ "k = [[{x = [1]}]]",
	  "k = [\n"
	  "    [\n"
	  "        { x = [\n"
	  "    1,\n"
	  "] },\n"
	  "    ],\n"
	  "]\n"
	  "" },
	{ "empty_inline = {}\n"
	  "[t]\n"
	  "[u.v]\n"
	  "[w]\n"
	  "x = 1\n"
	  "[w.y]",
	  "[empty_inline]\n"
	  "\n"
	  "[t]\n"
	  "\n"
	  "[u.v]\n"
	  "\n"
	  "[w]\n"
	  "x = 1\n"
	  "\n"
	  "[w.y]\n"
	  "" },
	{ "servers = [{name = \"alpha\", ip = \"10.0.0.1\", role = \"frontend\", datacenter = \"eqdc10\", enabled = true}, {name = \"b\"}]\n"
	  "short_aot = [{a = 1}, {b = 2}]",
	  "servers = [\n"
	  "    { name = \"alpha\", ip = \"10.0.0.1\", role = \"frontend\", datacenter = \"eqdc10\", enabled = true },\n"
	  "    { name = \"b\" },\n"
	  "]\n"
	  "short_aot = [\n"
	  "    { a = 1 },\n"
	  "    { b = 2 },\n"
	  "]\n"
	  "" },
	{ "tf = [{uri = \"file:abcdef\", sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"}]\n"
	  "tg = [{uri = \"file:abcdefg\", sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"}]\n"
	  "th = [{uri = \"file:\xc3""\xa9""\", sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"}]",
	  "th = [\n"
	  "    { uri = \"file:\xc3""\xa9""\", sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\" },\n"
	  "]\n"
	  "\n"
	  "[[tf]]\n"
	  "uri = \"file:abcdef\"\n"
	  "sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n"
	  "\n"
	  "[[tg]]\n"
	  "uri = \"file:abcdefg\"\n"
	  "sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n"
	  "" },
	{ "[[fruit]]\n"
	  "name = \"apple\"\n"
	  "[fruit.physical]\n"
	  "color = \"red\"\n"
	  "[[fruit.variety]]\n"
	  "name = \"red delicious\"\n"
	  "[[fruit]]\n"
	  "name = \"banana\"\n"
	  "[[fruit.variety]]\n"
	  "name = \"plantain\"",
	  "[[fruit]]\n"
	  "name = \"apple\"\n"
	  "variety = [\n"
	  "    { name = \"red delicious\" },\n"
	  "]\n"
	  "\n"
	  "[fruit.physical]\n"
	  "color = \"red\"\n"
	  "\n"
	  "[[fruit]]\n"
	  "name = \"banana\"\n"
	  "variety = [\n"
	  "    { name = \"plantain\" },\n"
	  "]\n"
	  "" },
	{ "a.b.c = 1\n"
	  "a.d = 2\n"
	  "x = 3\n"
	  "[a.e]\n"
	  "f = 4",
	  "x = 3\n"
	  "\n"
	  "[a]\n"
	  "d = 2\n"
	  "\n"
	  "[a.b]\n"
	  "c = 1\n"
	  "\n"
	  "[a.e]\n"
	  "f = 4\n"
	  "" },
	{ "top = { a = { b = { c = 1 } }, d = [1, { e = 2 }] }",
	  "[top]\n"
	  "d = [\n"
	  "    1,\n"
	  "    { e = 2 },\n"
	  "]\n"
	  "\n"
	  "[top.a.b]\n"
	  "c = 1\n"
	  "" },
	{ "# comment\x0d""\n"
	  "a = 1 # trailing\x0d""\n"
	  "\x0d""\n"
	  "b = [ # c\x0d""\n"
	  "  1,\x0d""\n"
	  "  2, # two\x0d""\n"
	  "]\x0d""\n"
	  "",
	  "a = 1\n"
	  "b = [\n"
	  "    1,\n"
	  "    2,\n"
	  "]\n"
	  "" },
	{ "",
	  "" },
	{ "[a]\n"
	  "[b]\n"
	  "[a.c]\n"
	  "x = 1",
	  "[a.c]\n"
	  "x = 1\n"
	  "\n"
	  "[b]\n"
	  "" },
};
static const struct { const char *in, *msg; } errors[] = {
	{ "a = 1\n"
	  "b = ?", "Invalid value (at line 2, column 5)" },
	{ "a = 1\n"
	  "a = 2", "Cannot overwrite a value (at end of document)" },
	{ "[a]\n"
	  "[a]", "Cannot declare ('a',) twice (at line 2, column 3)" },
	{ "[a]\n"
	  "b = 1\n"
	  "[a.b]", "Cannot overwrite a value (at line 3, column 5)" },
	{ "a = [1, 2\n"
	  "b = 1", "Unclosed array (at line 2, column 1)" },
	{ "a = { b = 1, b = 2 }", "Duplicate inline table key 'b' (at line 1, column 19)" },
	{ "a = \"unterminated", "Unterminated string (at end of document)" },
	{ "a = 'lit", "Expected \"'\" (at end of document)" },
	{ "a = \"\\q\"", "Unescaped '\\' in a string (at line 1, column 8)" },
	{ "a = \"\\uD800\"", "Escaped character is not a Unicode scalar value (at line 1, column 12)" },
	{ "a = 1979-02-30", "Invalid date or datetime (at line 1, column 5)" },
	{ "a.b = 1\n"
	  "[a]", "Cannot declare ('a',) twice (at line 2, column 3)" },
	{ "a = {x = 1}\n"
	  "a.y = 2", "Cannot mutate immutable namespace ('a',) (at end of document)" },
	{ "x = [1]\n"
	  "[[x]]", "Cannot mutate immutable namespace ('x',) (at line 2, column 4)" },
	{ "= 1", "Invalid statement (at line 1, column 1)" },
	{ "a = 1 b", "Expected newline or end of document after a statement (at line 1, column 7)" },
	{ "[a\n"
	  "b = 1", "Expected ']' at the end of a table declaration (at line 1, column 3)" },
	{ "[[a]\n"
	  "", "Expected ']]' at the end of an array declaration (at line 1, column 4)" },
	{ "a = \"\xc3""\xa9""\x01""\"", "Illegal character '\\x01' (at line 1, column 7)" },
	{ "# ctrl \x7f""\n"
	  "", "Found invalid character '\\x7f' (at line 1, column 8)" },
	{ "\xc3""\xa9"" = 1", "Invalid statement (at line 1, column 1)" },
	{ "a = \"x\"\n"
	  "  b  c = 1", "Expected '=' after a key in a key/value pair (at line 2, column 6)" },
	{ "a = 0123", "Expected newline or end of document after a statement (at line 1, column 6)" },
	{ "a = 1__0", "Expected newline or end of document after a statement (at line 1, column 6)" },
	{ "a = truex", "Expected newline or end of document after a statement (at line 1, column 9)" },
	{ "a = \"\"\"\n"
	  "ok\\ x\"\"\"", "Unescaped '\\' in a string (at line 2, column 5)" },
	{ "a.b = 1\n"
	  "a.b.c = 2", "Cannot overwrite a value (at end of document)" },
	{ "[t]\n"
	  "x.y = 1\n"
	  "[t.x]", "Cannot declare ('t', 'x') twice (at line 3, column 5)" },
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* parse -> write gives exactly 'want'; the written text reads back as the
 * same content (the writer moves scalars before tables) and writes again
 * as the same bytes. */
static void check_write(const char *in, size_t inlen, const char *want, size_t wantlen, const char *what)
{
	struct ens_err err = { 0 };
	struct ens_toml *t = ens_toml_parse(in, inlen, &err, NULL, NULL), *t2;
	size_t len = 0;
	char *out;

	CHECK(t != NULL, "%s: parse failed: %s", what, err.msg);
	if (!t)
		return;
	out = ens_toml_write(t, &len, &err);
	CHECK(out && len == wantlen && memcmp(out, want, len) == 0, "%s: output differs:\n%s\n--- want:\n%s", what,
	      out ? out : err.msg, want);
	t2 = out ? ens_toml_parse(out, len, &err, NULL, NULL) : NULL;
	CHECK(t2 && ens_toml_same_content(t, t2), "%s: written text reads back as another tree", what);
	if (t2) {
		size_t len2 = 0;
		char *out2 = ens_toml_write(t2, &len2, &err);

		CHECK(out2 && len2 == len && memcmp(out, out2, len) == 0, "%s: second write differs", what);
		free(out2);
	}
	ens_toml_free(t2);
	free(out);
	ens_toml_free(t);
}

static void test_vectors(void)
{
	glob_t g;
	size_t n = 0;

	if (glob(TV "*/expected/*.manifest.sgx", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			size_t len;
			char *buf = slurp(g.gl_pathv[i], &len);

			CHECK(buf != NULL, "read %s", g.gl_pathv[i]);
			if (buf)
				check_write(buf, len, buf, len, g.gl_pathv[i]);
			free(buf);
			n++;
		}
		globfree(&g);
	}
	CHECK(n >= 8, "only %zu .manifest.sgx vectors found", n);
	n = 0;
	if (glob(TV "*/input/*.manifest", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			size_t len;
			char *buf = slurp(g.gl_pathv[i], &len);
			struct ens_err err = { 0 };
			struct ens_toml *t = buf ? ens_toml_parse(buf, len, &err, NULL, NULL) : NULL;

			CHECK(t != NULL, "%s: %s", g.gl_pathv[i], err.msg);
			ens_toml_free(t);
			free(buf);
			n++;
		}
		globfree(&g);
	}
	CHECK(n >= 8, "only %zu input manifests found", n);
}

static void test_tables(void)
{
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		char what[32];

		snprintf(what, sizeof what, "writes[%zu]", i);
		check_write(writes[i].in, strlen(writes[i].in), writes[i].out, strlen(writes[i].out), what);
	}
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		struct ens_err err = { 0 };
		unsigned line = 99, col = 99;
		struct ens_toml *t = ens_toml_parse(errors[i].in, strlen(errors[i].in), &err, &line, &col);

		CHECK(t == NULL && strcmp(err.msg, errors[i].msg) == 0 && err.code == ENS_E_FORMAT,
		      "errors[%zu]: got '%s', want '%s'", i, t ? "(parsed)" : err.msg, errors[i].msg);
		if (strstr(errors[i].msg, "(at end of document)"))
			CHECK(line == 0 && col == 0, "errors[%zu]: end of document gives line/col 0", i);
		else {
			char want[64];

			snprintf(want, sizeof want, "(at line %u, column %u)", line, col);
			CHECK(strstr(errors[i].msg, want) != NULL, "errors[%zu]: line %u col %u", i, line, col);
		}
		ens_toml_free(t);
	}
}

static void test_values(void)
{
	static const char doc[] = "max = 9223372036854775807\nmin = -9223372036854775808\n"
				  "big = 18446744073709551615\nf = 1.5\ns = \"a\\u0000b\"\n"
				  "d = 1979-05-27T07:32:00.999999999-07:30\n";
	struct ens_err err = { 0 };
	struct ens_toml *t = ens_toml_parse(doc, sizeof doc - 1, &err, NULL, NULL), *v;
	int64_t i;

	CHECK(t != NULL, "values: %s", err.msg);
	if (!t)
		return;
	CHECK(ens_toml_int(ens_toml_get(t, "max"), &i) == 0 && i == INT64_MAX, "int64 max");
	CHECK(ens_toml_int(ens_toml_get(t, "min"), &i) == 0 && i == INT64_MIN, "int64 min");
	v = ens_toml_get(t, "big");
	CHECK(v && v->kind == ENS_TOML_INT && ens_toml_int(v, &i) < 0 && v->u.num.big &&
	      strcmp(v->u.num.big, "18446744073709551615") == 0, "u64 max kept as text");
	v = ens_toml_get(t, "f");
	CHECK(v && v->kind == ENS_TOML_FLOAT && v->u.f == 1.5, "float");
	v = ens_toml_get(t, "s");
	CHECK(v && v->kind == ENS_TOML_STRING && v->u.str.len == 3 && memcmp(v->u.str.s, "a\0b", 3) == 0,
	      "string with NUL");
	v = ens_toml_get(t, "d");
	CHECK(v && v->kind == ENS_TOML_DATETIME && v->u.dt.usec == 999999 && v->u.dt.offset_min == -450 &&
	      v->u.dt.year == 1979 && v->u.dt.second == 0, "datetime fields");
	ens_toml_free(t);

	/* big integers normalised; -0 is 0 */
	v = ens_toml_new_int_text("-0009223372036854775808");
	CHECK(v && !v->u.num.big && v->u.num.i == INT64_MIN, "new_int_text min");
	ens_toml_free(v);
	v = ens_toml_new_int_text("-9223372036854775809");
	CHECK(v && v->u.num.big && strcmp(v->u.num.big, "-9223372036854775809") == 0, "new_int_text below min");
	ens_toml_free(v);
	CHECK(ens_toml_new_int_text("12a") == NULL && ens_toml_new_int_text("") == NULL &&
	      ens_toml_new_int_text("-") == NULL, "new_int_text rejects non-numbers");
	/* invalid UTF-8 */
	t = ens_toml_parse("a = \"\xff\"", 7, &err, NULL, NULL);
	CHECK(!t && strcmp(err.msg, "Invalid UTF-8 byte 0xff (at line 1, column 6)") == 0, "utf-8: %s", err.msg);
	/* a NUL byte in the document is a control character */
	t = ens_toml_parse("a = 1\0", 6, &err, NULL, NULL);
	CHECK(!t && strcmp(err.msg, "Expected newline or end of document after a statement (at line 1, column 6)") == 0,
	      "NUL: %s", err.msg);
	/* deep nesting is refused, not a stack overflow */
	{
		char deep[2100];

		memcpy(deep, "a = ", 4);
		memset(deep + 4, '[', 1000);
		memset(deep + 1004, ']', 1000);
		t = ens_toml_parse(deep, 2004, &err, NULL, NULL);
		CHECK(!t && strstr(err.msg, "Maximum nesting depth exceeded") != NULL, "deep: %s", err.msg);
	}
	/* integers beyond Python's 4300-digit conversion limit */
	{
		char huge[4400];

		memcpy(huge, "a = ", 4);
		memset(huge + 4, '7', 4301);
		t = ens_toml_parse(huge, 4305, &err, NULL, NULL);
		CHECK(!t && strncmp(err.msg, "Exceeds the limit (4300 digits)", 31) == 0, "4301 digits: %s", err.msg);
		t = ens_toml_parse(huge, 4304, &err, NULL, NULL);
		CHECK(t && ens_toml_get(t, "a")->u.num.big && strlen(ens_toml_get(t, "a")->u.num.big) == 4300,
		      "4300 digits accepted");
		ens_toml_free(t);
	}
}

static void test_api(void)
{
	struct ens_toml *t = ens_toml_new_table(), *sgx, *tf, *v, *c;
	struct ens_toml_datetime dt = { .year = 2025, .month = 6, .day = 20 };
	struct ens_err err = { 0 };
	char *out;
	size_t len;

	sgx = ens_toml_setdefault(t, "sgx", ens_toml_new_table());
	CHECK(sgx && ens_toml_setdefault(t, "sgx", ens_toml_new_table()) == sgx, "setdefault returns existing");
	CHECK(ens_toml_set(sgx, "debug", ens_toml_new_bool(true)) == 0, "set new");
	CHECK(ens_toml_set(sgx, "enclave_size", ens_toml_new_string("256M")) == 0, "set new 2");
	CHECK(ens_toml_set(sgx, "debug", ens_toml_new_bool(false)) == 1, "set replaces");
	tf = ens_toml_new_array();
	CHECK(ens_toml_set(sgx, "trusted_files", tf) == 0, "set array");
	v = ens_toml_new_table();
	ens_toml_set(v, "uri", ens_toml_new_string("file:app/bin"));
	ens_toml_set(v, "sha256", ens_toml_new_string("00"));
	CHECK(ens_toml_append(tf, v) == 0 && ens_toml_len(tf) == 1 && ens_toml_at(tf, 0) == v, "append");
	CHECK(!ens_toml_is_aot(tf), "short entries stay inline");
	ens_toml_set(v, "sha256", ens_toml_new_string("0000000000000000000000000000000000000000000000000000000000000000"));
	CHECK(ens_toml_is_aot(tf), "long entries make [[...]]");
	ens_toml_set(t, "d", ens_toml_new_datetime(ENS_TOML_LOCAL_DATE, &dt));
	ens_toml_set(t, "n", ens_toml_new_int(-3));
	CHECK(ens_toml_get_path(t, "sgx.enclave_size") && ens_toml_get_path(t, "sgx.nope") == NULL &&
	      ens_toml_get_path(t, "d.x") == NULL, "get_path");
	CHECK(ens_toml_append(sgx, ens_toml_new_int(1)) < 0 && ens_toml_set(tf, "x", ens_toml_new_int(1)) < 0,
	      "kind errors");
	out = ens_toml_write(t, &len, &err);
	CHECK(out && strcmp(out, "d = 2025-06-20\nn = -3\n\n[sgx]\ndebug = false\nenclave_size = \"256M\"\n\n"
				  "[[sgx.trusted_files]]\nuri = \"file:app/bin\"\n"
				  "sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n") == 0,
	      "api write:\n%s", out);
	free(out);
	c = ens_toml_clone(t);
	CHECK(c && ens_toml_equal(c, t), "clone equal");
	{
		struct ens_err e2 = { 0 };
		struct ens_toml *p = ens_toml_parse("a = 1\nb = [2, {c = 3}]\n", 23, &e2, NULL, NULL);
		struct ens_toml *q = ens_toml_parse("b = [2, {c = 3}]\na = 1\n", 23, &e2, NULL, NULL);
		struct ens_toml *r = ens_toml_parse("b = [2, {c = 4}]\na = 1\n", 23, &e2, NULL, NULL);

		CHECK(p && q && r && ens_toml_same_content(p, q) && !ens_toml_equal(p, q), "same content, keys reordered");
		CHECK(p && r && !ens_toml_same_content(p, r), "same content: a changed nested value differs");
		ens_toml_free(p);
		ens_toml_free(q);
		ens_toml_free(r);
	}
	v = ens_toml_take(c, "d");
	CHECK(v && v->kind == ENS_TOML_LOCAL_DATE && !ens_toml_get(c, "d") && ens_toml_len(c) == 2 &&
	      !ens_toml_equal(c, t), "take");
	ens_toml_free(v);
	CHECK(ens_toml_write(tf, NULL, &err) == NULL, "root must be a table");
	CHECK(strcmp(ens_toml_kind_name(ENS_TOML_INT), "integer") == 0, "kind name");
	ens_toml_free(c);
	ens_toml_free(t);
}

int main(void)
{
	test_vectors();
	test_tables();
	test_values();
	test_api();
	return tap_done();
}
