/* RFC 7512 "pkcs11:" URI parser for the PKCS#11 signer (sign stage): splits
 * path (';') and query ('&') attributes, percent-decodes them and reports
 * the first problem with the attribute it concerns. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "ensign/pkcs11.h"

#define URI_SCHEME "pkcs11:"

bool ens_pkcs11_is_uri(const char *s)
{
	return s && strncasecmp(s, URI_SCHEME, strlen(URI_SCHEME)) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) into a new buffer (NUL-terminated; *outlen excludes the NUL). */
static int pct_decode(const char *name, const char *s, size_t n, uint8_t **out, size_t *outlen,
		      struct ens_err *err)
{
	uint8_t *buf = malloc(n + 1);
	size_t j = 0;

	if (!buf)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			buf[j++] = (uint8_t)s[i];
			continue;
		}
		int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			OPENSSL_clear_free(buf, n + 1);
			return ens_fail(err, ENS_E_USAGE,
					"pkcs11 URI: bad percent-encoding in '%s' at '%.3s' (expected %%XX)",
					name, s + i);
		}
		buf[j++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	buf[j] = 0;
	*out = buf;
	*outlen = j;
	return 0;
}

enum attr_kind { A_STR, A_ID, A_SLOT };
struct attr_def {
	const char *name;
	bool in_query;		/* where RFC 7512 puts it; both places are accepted */
	enum attr_kind kind;
	size_t off;		/* offset of the char * field (A_STR) */
};
#define F(field) offsetof(struct ens_pkcs11_uri, field)
static const struct attr_def attrs[] = {
	{ "token", false, A_STR, F(token) },
	{ "manufacturer", false, A_STR, F(manufacturer) },
	{ "model", false, A_STR, F(model) },
	{ "serial", false, A_STR, F(serial) },
	{ "object", false, A_STR, F(object) },
	{ "type", false, A_STR, F(type) },
	{ "id", false, A_ID, 0 },
	{ "slot-id", false, A_SLOT, 0 },
	{ "pin-value", true, A_STR, F(pin_value) },
	{ "pin-source", true, A_STR, F(pin_source) },
	{ "module-path", true, A_STR, F(module_path) },
	{ "module-name", true, A_STR, F(module_name) },
};
/* Standard attributes that select things ensign has no use for: accepted
 * and ignored, as RFC 7512 lets a consumer do with library/slot details. */
static const char *const ignored_attrs[] = {
	"library-manufacturer", "library-description", "library-version",
	"slot-description", "slot-manufacturer",
};

static int set_attr(struct ens_pkcs11_uri *u, const char *name, size_t nlen, const char *val,
		    size_t vlen, struct ens_err *err)
{
	char nm[32];

	if (nlen == 0)
		return ens_fail(err, ENS_E_USAGE, "pkcs11 URI: attribute with no name before '='");
	if (nlen >= sizeof nm)
		nlen = sizeof nm - 1;
	memcpy(nm, name, nlen);
	nm[nlen] = 0;
	if (strncmp(nm, "x-", 2) == 0)
		return 0;	/* vendor extension: ignored as RFC 7512 §2.3 allows */
	for (size_t i = 0; i < sizeof ignored_attrs / sizeof *ignored_attrs; i++)
		if (strcmp(nm, ignored_attrs[i]) == 0)
			return 0;
	const struct attr_def *d = NULL;
	for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
		if (strcmp(nm, attrs[i].name) == 0)
			d = &attrs[i];
	if (!d)
		return ens_fail(err, ENS_E_USAGE, "pkcs11 URI: unknown attribute '%s'", nm);

	uint8_t *v = NULL;
	size_t len = 0;
	if (pct_decode(nm, val, vlen, &v, &len, err) < 0)
		return -1;
	bool dup;
	switch (d->kind) {
	case A_ID:
		dup = u->has_id;
		if (!dup) {
			u->id = v;
			u->id_len = len;
			u->has_id = true;
			return 0;
		}
		break;
	case A_SLOT: {
		char *end;
		dup = u->has_slot_id;
		if (dup)
			break;
		if (len == 0 || strspn((char *)v, "0123456789") != len) {
			ens_fail(err, ENS_E_USAGE, "pkcs11 URI: slot-id '%s' is not a decimal number",
				 (char *)v);
			free(v);
			return -1;
		}
		u->slot_id = strtoul((char *)v, &end, 10);
		u->has_slot_id = true;
		free(v);
		return 0;
	}
	default: {
		char **field = (char **)((char *)u + d->off);
		dup = *field != NULL;
		if (dup)
			break;
		if (strlen((char *)v) != len) {
			OPENSSL_clear_free(v, len + 1);
			return ens_fail(err, ENS_E_USAGE, "pkcs11 URI: '%s' contains a NUL byte (%%00)", nm);
		}
		*field = (char *)v;
		return 0;
	}
	}
	OPENSSL_clear_free(v, len + 1);
	return ens_fail(err, ENS_E_USAGE, "pkcs11 URI: attribute '%s' given twice", nm);
}

/* Parse "a=b<sep>c=d..." in s[0..n). */
static int parse_list(struct ens_pkcs11_uri *u, const char *s, size_t n, char sep,
		      struct ens_err *err)
{
	size_t i = 0;
	while (i < n) {
		const char *item = s + i;
		const char *end = memchr(item, sep, n - i);
		size_t ilen = end ? (size_t)(end - item) : n - i;
		if (ilen == 0) {	/* tolerate "a=b;" and ";;" */
			i += 1;
			continue;
		}
		const char *eq = memchr(item, '=', ilen);
		if (!eq)
			return ens_fail(err, ENS_E_USAGE,
					"pkcs11 URI: '%.*s' is not of the form name=value",
					(int)(ilen > 64 ? 64 : ilen), item);
		if (set_attr(u, item, (size_t)(eq - item), eq + 1, ilen - (size_t)(eq - item) - 1,
			     err) < 0)
			return -1;
		i += ilen + 1;
	}
	return 0;
}

int ens_pkcs11_uri_parse(const char *uri, struct ens_pkcs11_uri *u, struct ens_err *err)
{
	memset(u, 0, sizeof *u);
	if (!ens_pkcs11_is_uri(uri))
		return ens_fail(err, ENS_E_USAGE, "pkcs11 URI must start with 'pkcs11:'");
	const char *p = uri + strlen(URI_SCHEME);
	const char *q = strchr(p, '?');
	size_t plen = q ? (size_t)(q - p) : strlen(p);

	if (parse_list(u, p, plen, ';', err) < 0 ||
	    (q && parse_list(u, q + 1, strlen(q + 1), '&', err) < 0)) {
		ens_pkcs11_uri_free(u);
		return -1;
	}
	if (u->pin_value && u->pin_source) {
		ens_pkcs11_uri_free(u);
		return ens_fail(err, ENS_E_USAGE, "pkcs11 URI: give pin-value or pin-source, not both");
	}
	return 0;
}

void ens_pkcs11_uri_free(struct ens_pkcs11_uri *u)
{
	if (u->pin_value)
		OPENSSL_clear_free(u->pin_value, strlen(u->pin_value));
	free(u->token);
	free(u->manufacturer);
	free(u->model);
	free(u->serial);
	free(u->object);
	free(u->type);
	free(u->id);
	free(u->pin_source);
	free(u->module_path);
	free(u->module_name);
	memset(u, 0, sizeof *u);
}

void ens_pkcs11_uri_redact(const char *uri, char *buf, size_t len)
{
	size_t j = 0;

	if (!len)
		return;
	for (const char *p = uri; *p && j + 1 < len;) {
		if (strncmp(p, "pin-value=", 10) == 0 && (p == uri || p[-1] == ';' || p[-1] == '?' ||
							   p[-1] == '&' || p[-1] == ':')) {
			const char *hidden = "pin-value=***";
			for (const char *h = hidden; *h && j + 1 < len; h++)
				buf[j++] = *h;
			p += strcspn(p, ";&?");
			continue;
		}
		buf[j++] = *p++;
	}
	buf[j] = 0;
}
