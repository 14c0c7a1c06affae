/* TOML: an ordered tree, a TOML 1.0 reader and the tomli-w 1.0.0 writer.
 *
 * Dialect. The reader accepts what Python's tomli 2.0.1 accepts and rejects
 * what it rejects (duplicate keys, redefined tables, ...); errors read like
 * tomli's: "Invalid value (at line 2, column 5)" (column in code points,
 * after CRLF -> LF). Input must be UTF-8. Key order is the order in which a
 * key was first created. Integers have arbitrary size (like Python's int);
 * floats are doubles; offset date-times, local date-times, dates and times
 * keep microseconds (truncated). Inline tables become ordinary tables. The
 * writer gives tomli-w 1.0.0's bytes (gramine-format.md section 3): scalars
 * before sub-tables, headers only where tomli-w writes them, floats as
 * Python's repr, every array multi-line, lists of tables as [[...]] unless
 * every element is "inline-suitable" (ens_toml_is_aot).
 *
 * Ownership. Every node is malloc'd and owned by its parent; ens_toml_free
 * frees a node and everything under it. Functions that insert a value take
 * ownership of it, also when they fail (it is then freed). Strings and keys
 * are UTF-8, NUL-terminated, with an explicit length (a "\u0000" escape can
 * put a NUL inside). The struct is public for reading; change the tree only
 * through these functions.
 */
#ifndef ENSIGN_TOML_H
#define ENSIGN_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

enum ens_toml_kind {
	ENS_TOML_TABLE,
	ENS_TOML_ARRAY,
	ENS_TOML_STRING,
	ENS_TOML_INT,
	ENS_TOML_FLOAT,
	ENS_TOML_BOOL,
	ENS_TOML_DATETIME,	/* offset date-time */
	ENS_TOML_LOCAL_DATETIME,
	ENS_TOML_LOCAL_DATE,
	ENS_TOML_LOCAL_TIME,
};

struct ens_toml_datetime {
	int year, month, day;		/* unused for LOCAL_TIME */
	int hour, minute, second, usec;	/* unused for LOCAL_DATE */
	int offset_min;			/* DATETIME only: minutes east of UTC (Z = 0) */
};

struct ens_toml;

struct ens_toml_entry {
	char *key;
	size_t key_len;
	struct ens_toml *val;
};

struct ens_toml {
	enum ens_toml_kind kind;
	union {
		struct { char *s; size_t len; } str;
		/* i is the value when big is NULL; otherwise big is the canonical
		 * decimal text ("-"? digits, no leading zero) of a value outside
		 * int64_t and i is 0. */
		struct { int64_t i; char *big; } num;
		double f;
		bool b;
		struct ens_toml_datetime dt;
		struct { struct ens_toml **items; size_t n, cap; } arr;
		struct { struct ens_toml_entry *e; size_t n, cap; } tab;
	} u;
};

/* Constructors: NULL when out of memory. */
struct ens_toml *ens_toml_new_table(void);
struct ens_toml *ens_toml_new_array(void);
struct ens_toml *ens_toml_new_string(const char *s);		/* NUL-terminated */
struct ens_toml *ens_toml_new_string_len(const char *s, size_t len);
struct ens_toml *ens_toml_new_int(int64_t v);
/* Any-size integer from decimal text: optional '-' then digits (leading zeros
 * and "-0" are normalised). NULL if the text is not that. */
struct ens_toml *ens_toml_new_int_text(const char *dec);
struct ens_toml *ens_toml_new_float(double v);
struct ens_toml *ens_toml_new_bool(bool v);
/* kind is one of the four date/time kinds. */
struct ens_toml *ens_toml_new_datetime(enum ens_toml_kind kind, const struct ens_toml_datetime *dt);
struct ens_toml *ens_toml_clone(const struct ens_toml *v);	/* deep copy */
void ens_toml_free(struct ens_toml *v);				/* NULL is fine */

/* Tables. Lookups return NULL when the key is absent or t is not a table. */
struct ens_toml *ens_toml_get(const struct ens_toml *t, const char *key);
struct ens_toml *ens_toml_get_len(const struct ens_toml *t, const char *key, size_t len);
/* "sgx.cpu_features.avx": split at every '.', each part looked up with
 * ens_toml_get (no quoting: use ens_toml_get for keys with dots). */
struct ens_toml *ens_toml_get_path(const struct ens_toml *t, const char *path);
/* Insert or replace. A replaced value keeps its position (Python dict
 * assignment) and the old value is freed; a new key goes last. Returns 1 if
 * the key was present, 0 if it was added, -1 on failure (t not a table, out
 * of memory; val freed). */
int ens_toml_set(struct ens_toml *t, const char *key, struct ens_toml *val);
int ens_toml_set_len(struct ens_toml *t, const char *key, size_t len, struct ens_toml *val);
/* Python's dict.setdefault: if key is present, free val and return the
 * existing value; otherwise add val last and return it. NULL on failure. */
struct ens_toml *ens_toml_setdefault(struct ens_toml *t, const char *key, struct ens_toml *val);
/* Remove key and return its value (caller owns it); NULL if absent. */
struct ens_toml *ens_toml_take(struct ens_toml *t, const char *key);

/* Arrays. */
int ens_toml_append(struct ens_toml *a, struct ens_toml *val);	/* 0 or -1 (val freed) */
/* Number of entries of a table or items of an array, else 0. */
size_t ens_toml_len(const struct ens_toml *v);
/* Item i of an array; NULL if out of range or not an array. */
struct ens_toml *ens_toml_at(const struct ens_toml *a, size_t i);

/* Scalars. ens_toml_int: 0 and *out set when v is an integer that fits
 * int64_t, else -1. */
int ens_toml_int(const struct ens_toml *v, int64_t *out);
const char *ens_toml_kind_name(enum ens_toml_kind kind);	/* "table", "integer", ... */

/* True when the writer puts array a as [[...]] sections: a non-empty list of
 * tables of which at least one is not inline-suitable (section 3.4). */
bool ens_toml_is_aot(const struct ens_toml *a);

/* Same tree: same kinds, keys in the same order, same values (floats
 * compared bitwise, all NaNs equal). */
bool ens_toml_equal(const struct ens_toml *a, const struct ens_toml *b);
/* The same content, table keys in any order (Python dict equality): what a
 * written and re-read tree keeps, since the writer puts scalars first. */
bool ens_toml_same_content(const struct ens_toml *a, const struct ens_toml *b);

/* Parse a document (need not be NUL-terminated). On error: NULL, err->code
 * ENS_E_FORMAT (or ENS_E_NOMEM) and err->msg like tomli's, e.g.
 * "Invalid value (at line 2, column 5)" or "... (at end of document)";
 * line/col (1-based; 0 at end of document) also go to *line and *col when
 * those are not NULL. */
struct ens_toml *ens_toml_parse(const char *buf, size_t len, struct ens_err *err,
				unsigned *line, unsigned *col);

/* Write the document rooted at table root as tomli-w 1.0.0 does. Returns a
 * malloc'd NUL-terminated buffer (caller frees) with its length in *len
 * (len may be NULL), or NULL when out of memory or root is not a table. */
char *ens_toml_write(const struct ens_toml *root, size_t *len, struct ens_err *err);

#endif
