/* Registry authentication: the WWW-Authenticate header (RFC 7235
 * challenges: Basic, or Bearer realm/service/scope), the token endpoint's
 * answer, and credentials from --creds or the auth files the containers
 * tools read (--authfile, REGISTRY_AUTH_FILE,
 * ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.docker/config.json).
 * A secret never goes into a message. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "registry.h"
#include "ensign/io.h"

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+.^_`|~-/=", c) && c != '=');
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token or quoted string into out (truncation is an error). */
static int value(const char **pp, char *out, size_t outlen, struct ens_err *err)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: control character in a value");
			if (n + 1 >= outlen)
				return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: a value is too long");
			out[n++] = *p;
		}
		if (*p != '"')
			return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: unterminated quoted string");
		p++;
	} else {
		while (tchar(*p) || *p == '=') {
			if (n + 1 >= outlen)
				return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: a value is too long");
			out[n++] = *p++;
		}
	}
	out[n] = 0;
	*pp = p;
	return 0;
}

int ens_www_auth_parse(const char *h, struct ens_www_auth *out, struct ens_err *err)
{
	struct ens_www_auth cur, basic;
	const char *p = h;
	bool have_basic = false;

	memset(out, 0, sizeof *out);
	memset(&basic, 0, sizeof basic);
	for (;;) {
		char scheme[32], name[32], val[1024];
		size_t n = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		while (tchar(*p)) {
			if (n + 1 >= sizeof scheme)
				return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: scheme name too long");
			scheme[n++] = *p++;
		}
		scheme[n] = 0;
		if (!n)
			return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: unexpected character '%c'", *p);
		memset(&cur, 0, sizeof cur);
		cur.scheme = !strcasecmp(scheme, "Bearer") ? ENS_AUTH_BEARER :
			     !strcasecmp(scheme, "Basic") ? ENS_AUTH_BASIC : ENS_AUTH_NONE;
		p = skip_ws(p);
		/* auth-params: name=value, separated by commas */
		for (;;) {
			const char *q = p;

			n = 0;
			while (tchar(*p) && n + 1 < sizeof name)
				name[n++] = *p++;
			name[n] = 0;
			p = skip_ws(p);
			if (!n || *p != '=') {
				p = q;	/* the next challenge */
				break;
			}
			p = skip_ws(p + 1);
			if (value(&p, val, sizeof val, err))
				return -1;
			if (!strcasecmp(name, "realm"))
				snprintf(cur.realm, sizeof cur.realm, "%s", val);
			else if (!strcasecmp(name, "service") && strlen(val) < sizeof cur.service)
				strcpy(cur.service, val);
			else if (!strcasecmp(name, "scope") && strlen(val) < sizeof cur.scope)
				strcpy(cur.scope, val);
			else if (!strcasecmp(name, "error") && strlen(val) < sizeof cur.error)
				strcpy(cur.error, val);
			else if (!strcasecmp(name, "service") || !strcasecmp(name, "scope"))
				return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: %s is too long", name);
			p = skip_ws(p);
			if (*p != ',')
				break;
			p = skip_ws(p + 1);
		}
		if (cur.scheme == ENS_AUTH_BEARER) {
			if (!*cur.realm)
				return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: Bearer challenge without a realm");
			*out = cur;
			return 0;
		}
		if (cur.scheme == ENS_AUTH_BASIC && !have_basic) {
			basic = cur;
			have_basic = true;
		}
		if (*p && *p != ',' && !tchar(*p))
			return ens_fail(err, ENS_E_FORMAT, "WWW-Authenticate: unexpected character '%c'", *p);
	}
	if (have_basic) {
		*out = basic;
		return 0;
	}
	return ens_fail(err, ENS_E_UNSUPPORTED, "WWW-Authenticate: no Basic or Bearer challenge");
}

int ens_registry_token_parse(const char *body, size_t len, char **token, struct ens_err *err)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *t;
	const char *s;

	*token = NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return ens_fail(err, ENS_E_FORMAT, "the token endpoint's answer is not a JSON object");
	}
	t = json_object_get(o, "token");
	if (!json_is_string(t) || !*json_string_value(t))
		t = json_object_get(o, "access_token");
	if (!json_is_string(t) || !*(s = json_string_value(t))) {
		json_decref(o);
		return ens_fail(err, ENS_E_FORMAT, "the token endpoint's answer has no token");
	}
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c > '~') {
			json_decref(o);
			return ens_fail(err, ENS_E_FORMAT, "the token endpoint's token has a character not allowed in a"
					" header");
		}
	if (strlen(s) > 65536 || !(*token = strdup(s))) {
		json_decref(o);
		return ens_fail(err, ENS_E_FORMAT, "the token endpoint's token is too long");
	}
	json_decref(o);
	return 0;
}

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static int split_creds(const char *s, size_t n, char **user, char **pass, struct ens_err *err)
{
	const char *colon = memchr(s, ':', n);
	size_t ul = colon ? (size_t)(colon - s) : n;

	if (!ul)
		return ens_fail(err, ENS_E_USAGE, "credentials without a user name");
	*user = strndup(s, ul);
	*pass = colon ? strndup(colon + 1, n - ul - 1) : strdup("");
	if (!*user || !*pass) {
		wipe_free(*user);
		wipe_free(*pass);
		*user = *pass = NULL;
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	return 0;
}

/* 1: found, 0: not in this file, -1: error (file named, never its content). */
static int from_file(const char *path, const char *host, bool must_exist, char **user, char **pass,
		     struct ens_err *err)
{
	uint8_t *buf;
	size_t len;
	json_error_t je;
	json_t *o, *auths, *e;
	char keys[5][320];
	int nkeys = 0, rc = 0;

	if (!must_exist && access(path, F_OK))
		return 0;
	if (ens_read_file(path, 1u << 20, &buf, &len, err))
		return -1;
	o = json_loadb((const char *)buf, len, 0, &je);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!json_is_object(o)) {
		json_decref(o);
		return ens_fail(err, ENS_E_FORMAT, "'%s': not a JSON object (an auth file: {\"auths\": {...}})", path);
	}
	auths = json_object_get(o, "auths");
	snprintf(keys[nkeys++], sizeof keys[0], "%s", host);
	snprintf(keys[nkeys++], sizeof keys[0], "https://%s", host);
	snprintf(keys[nkeys++], sizeof keys[0], "http://%s", host);
	if (!strcmp(host, "registry-1.docker.io")) {
		snprintf(keys[nkeys++], sizeof keys[0], "docker.io");
		snprintf(keys[nkeys++], sizeof keys[0], "https://index.docker.io/v1/");
	}
	for (int i = 0; i < nkeys && !rc; i++) {
		const char *a;
		unsigned char *dec;
		size_t al;
		int dl;

		e = json_object_get(auths, keys[i]);
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "auth")))
			continue;
		a = json_string_value(json_object_get(e, "auth"));
		al = strlen(a);
		if (!(dec = malloc(al + 4))) {
			rc = ens_fail(err, ENS_E_NOMEM, "out of memory");
			break;
		}
		dl = al % 4 ? -1 : EVP_DecodeBlock(dec, (const unsigned char *)a, (int)al);
		if (dl < 0) {
			free(dec);
			rc = ens_fail(err, ENS_E_FORMAT, "'%s': the auth entry of '%s' is not base64", path, keys[i]);
			break;
		}
		/* EVP_DecodeBlock counts the padding as zero bytes */
		for (size_t k = al; k && a[k - 1] == '=' && dl > 0; k--)
			dl--;
		rc = split_creds((const char *)dec, (size_t)dl, user, pass, err) ? -1 : 1;
		if (rc < 0)
			ens_fail(err, ENS_E_FORMAT, "'%s': the auth entry of '%s' is not USER:PASSWORD", path, keys[i]);
		OPENSSL_cleanse(dec, al + 4);
		free(dec);
	}
	json_decref(o);
	return rc;
}

int reg_find_creds(const char *host, const struct ens_image_opts *opts, char **user, char **pass,
		   struct ens_err *err)
{
	const char *env = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char path[4200];
	int r;

	*user = *pass = NULL;
	if (opts->creds)
		return split_creds(opts->creds, strlen(opts->creds), user, pass, err) ? ens_err_prefix(err, "--creds")
										     : 0;
	if (opts->authfile)
		return from_file(opts->authfile, host, true, user, pass, err) < 0 ? -1 : 0;
	if (env && *env)
		return from_file(env, host, true, user, pass, err) < 0 ? -1 : 0;
	if (xdg && *xdg) {
		snprintf(path, sizeof path, "%s/containers/auth.json", xdg);
		if ((r = from_file(path, host, false, user, pass, err)))
			return r < 0 ? -1 : 0;
	}
	if (home && *home) {
		snprintf(path, sizeof path, "%s/.docker/config.json", home);
		if ((r = from_file(path, host, false, user, pass, err)))
			return r < 0 ? -1 : 0;
	}
	return 0;
}

void reg_free_secret(char *s);
void reg_free_secret(char *s) { wipe_free(s); }
