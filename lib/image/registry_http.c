/* Registry HTTP through libcurl: the connection (scheme found by a ping of
 * /v2/, TLS verified unless --tls-verify=false, CA and client certificates
 * of the cert dir), authentication (anonymous, Basic, Bearer tokens fetched
 * from the challenge's realm, reused, fetched again on a 401), bounded
 * retries with backoff for 429, 5xx and broken connections, and response
 * bodies as streams that hold only what the reader has not taken yet. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include "registry.h"
#include "ensign/io.h"

void reg_free_secret(char *s);

static int nomem(struct ens_err *err) { return ens_fail(err, ENS_E_NOMEM, "out of memory"); }

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned backoff(const struct reg *r, unsigned attempt)
{
	unsigned ms = r->opts->retry_delay_ms;

	for (unsigned i = 0; i < attempt && ms < 8000; i++)
		ms *= 2;
	return ms > 8000 ? 8000 : ms;
}

/* ---- certificates */

static int append_file(char **buf, size_t *len, const char *path, struct ens_err *err)
{
	uint8_t *data;
	size_t n;
	char *nb;

	if (ens_read_file(path, 16u << 20, &data, &n, err))
		return -1;
	if (!(nb = realloc(*buf, *len + n + 2))) {
		free(data);
		return nomem(err);
	}
	memcpy(nb + *len, data, n);
	*len += n;
	nb[(*len)++] = '\n';
	nb[*len] = 0;
	*buf = nb;
	free(data);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* As the containers tools: DIR/NAME.crt are CAs (added to the system's),
 * DIR/NAME.cert with DIR/NAME.key a client certificate. */
static int load_cert_dir(struct reg *r, struct ens_err *err)
{
	char dirbuf[4400];
	const char *dir = r->opts->cert_dir;
	bool explicit_dir = dir != NULL;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (!dir) {
		snprintf(dirbuf, sizeof dirbuf, "/etc/containers/certs.d/%s", r->host);
		dir = dirbuf;
	}
	if (!(d = opendir(dir))) {
		if (!explicit_dir)
			return 0;
		return ens_fail_errno(err, "--cert-dir '%s'", dir);
	}
	while (!rc && (de = readdir(d))) {
		char path[4700];

		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (ends_with(de->d_name, ".crt")) {
			if (!r->ca) {
				static const char *const bundles[] = { "/etc/ssl/certs/ca-certificates.crt",
								       "/etc/pki/tls/certs/ca-bundle.crt" };
				struct ens_err ignore = { 0 };

				for (size_t i = 0; i < 2; i++)
					if (!access(bundles[i], R_OK) && !append_file(&r->ca, &r->ca_len, bundles[i], &ignore))
						break;
			}
			rc = append_file(&r->ca, &r->ca_len, path, err);
		} else if (ends_with(de->d_name, ".cert")) {
			snprintf(r->cert, sizeof r->cert, "%s", path);
			snprintf(r->key, sizeof r->key, "%.*s.key", (int)(strlen(path) - 5), path);
			if (access(r->key, R_OK))
				rc = ens_fail(err, ENS_E_USAGE, "'%s': client certificate without its key '%s'", path,
					      r->key);
		}
	}
	closedir(d);
	return rc;
}

/* ---- one request */

static size_t header_cb(char *p, size_t size, size_t n, void *data)
{
	struct reg_resp *resp = data;
	size_t len = size * n, k;
	struct { const char *name; char *out; size_t cap; } h[] = {
		{ "content-type:", resp->ctype, sizeof resp->ctype },
		{ "location:", resp->location, sizeof resp->location },
		{ "docker-content-digest:", resp->digest, sizeof resp->digest },
		{ "www-authenticate:", resp->www_auth, sizeof resp->www_auth },
	};

	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after a redirect or 100-continue): forget the old headers */
		resp->ctype[0] = resp->location[0] = resp->digest[0] = resp->www_auth[0] = 0;
		return len;
	}
	for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
		k = strlen(h[i].name);
		if (len > k && !strncasecmp(p, h[i].name, k)) {
			const char *v = p + k, *e = p + len;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
				e--;
			if ((size_t)(e - v) < h[i].cap) {
				memcpy(h[i].out, v, (size_t)(e - v));
				h[i].out[e - v] = 0;
			}
		}
	}
	return len;
}

static size_t body_cb(char *p, size_t size, size_t n, void *data)
{
	struct reg_resp *resp = data;
	size_t len = size * n;

	if (resp->len + len > resp->max)
		return 0;	/* too large: curl reports a write error */
	if (resp->len + len + 1 > resp->cap) {
		size_t cap = resp->cap ? resp->cap : 4096;
		uint8_t *nb;

		while (cap < resp->len + len + 1)
			cap *= 2;
		if (!(nb = realloc(resp->body, cap)))
			return 0;
		resp->body = nb;
		resp->cap = cap;
	}
	memcpy(resp->body + resp->len, p, len);
	resp->len += len;
	resp->body[resp->len] = 0;
	return len;
}

void reg_resp_free(struct reg_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = resp->cap = 0;
}

static void resp_reset(struct reg_resp *resp)
{
	size_t max = resp->max;

	reg_resp_free(resp);
	memset(resp, 0, sizeof *resp);
	resp->max = max;
}

struct easy {
	CURL *c;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
};

static void easy_free(struct easy *e)
{
	if (e->c)
		curl_easy_cleanup(e->c);
	curl_slist_free_all(e->hdrs);
	e->c = NULL;
	e->hdrs = NULL;
}

static int add_header(struct easy *e, const char *h, struct ens_err *err)
{
	struct curl_slist *n = curl_slist_append(e->hdrs, h);

	if (!n)
		return nomem(err);
	e->hdrs = n;
	return 0;
}

/* An easy handle for url with TLS, certificates and our credentials. */
static int easy_new(struct reg *r, struct easy *e, const char *url, bool send_auth, struct ens_err *err)
{
	memset(e, 0, sizeof *e);
	if (!(e->c = curl_easy_init()))
		return nomem(err);
	curl_easy_setopt(e->c, CURLOPT_URL, url);
	curl_easy_setopt(e->c, CURLOPT_ERRORBUFFER, e->errbuf);
	curl_easy_setopt(e->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->c, CURLOPT_USERAGENT, "ensign");
	curl_easy_setopt(e->c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e->c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e->c, CURLOPT_PROTOCOLS_STR, r->opts->tls_verify ? "https" : "https,http");
	curl_easy_setopt(e->c, CURLOPT_REDIR_PROTOCOLS_STR, r->opts->tls_verify ? "https" : "https,http");
	curl_easy_setopt(e->c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer (under 1 KiB/s for 60 s) is a broken one */
	curl_easy_setopt(e->c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(e->c, CURLOPT_LOW_SPEED_TIME, 60L);
	if (!r->opts->tls_verify) {
		curl_easy_setopt(e->c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e->c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->ca) {
		struct curl_blob blob = { r->ca, r->ca_len, CURL_BLOB_COPY };

		curl_easy_setopt(e->c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (*r->cert) {
		curl_easy_setopt(e->c, CURLOPT_SSLCERT, r->cert);
		curl_easy_setopt(e->c, CURLOPT_SSLKEY, r->key);
	}
	if (send_auth) {
		if (r->chal.scheme == ENS_AUTH_BEARER && r->token) {
			char *h;
			int bad;

			if (asprintf(&h, "Authorization: Bearer %s", r->token) < 0)
				return nomem(err);
			bad = add_header(e, h, err);
			reg_free_secret(h);
			if (bad)
				return -1;
		} else if (r->chal.scheme == ENS_AUTH_BASIC && r->user) {
			curl_easy_setopt(e->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(e->c, CURLOPT_USERNAME, r->user);
			curl_easy_setopt(e->c, CURLOPT_PASSWORD, r->pass);
		}
	}
	return 0;
}

static bool transient(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR ||
	       c == CURLE_OPERATION_TIMEDOUT || c == CURLE_GOT_NOTHING || c == CURLE_PARTIAL_FILE ||
	       c == CURLE_HTTP2 || c == CURLE_HTTP2_STREAM;
}

static int curl_fail(const struct reg *r, const struct easy *e, CURLcode c, struct ens_err *err)
{
	const char *msg = *e->errbuf ? e->errbuf : curl_easy_strerror(c);

	if (c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE)
		return ens_fail(err, ENS_E_VERIFY, "'%s': %s: the registry's TLS certificate is not trusted (%s);"
				" --cert-dir DIR adds a CA, --tls-verify=false turns the check off", r->text, r->host, msg);
	if (c == CURLE_SSL_CONNECT_ERROR && r->opts->tls_verify)
		return ens_fail(err, ENS_E_IO, "'%s': %s: no TLS connection (%s); a registry that talks plain HTTP"
				" needs --tls-verify=false", r->text, r->host, msg);
	return ens_fail(err, ENS_E_IO, "'%s': %s: %s", r->text, r->host, msg);
}

static int full_url(const struct reg *r, const char *path, char *out, size_t len, struct ens_err *err)
{
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
		if (snprintf(out, len, "%s", path) >= (int)len)
			return ens_fail(err, ENS_E_FORMAT, "'%s': URL too long", r->text);
		return 0;
	}
	if (snprintf(out, len, "%s%s", r->base, path) >= (int)len)
		return ens_fail(err, ENS_E_FORMAT, "'%s': URL too long", r->text);
	return 0;
}

/* GET realm?service=&scope= with our credentials; the token replaces ours. */
static int fetch_token(struct reg *r, struct ens_err *err)
{
	struct reg_resp resp = { .max = 1u << 20 };
	struct easy e;
	char *url = NULL, *svc = NULL, *scope1 = NULL, *scope2 = NULL, *scope3 = NULL, s[4400];
	CURLcode c = CURLE_OK;
	int rc = -1;

	if (strncmp(r->chal.realm, "https://", 8) && (r->opts->tls_verify || strncmp(r->chal.realm, "http://", 7)))
		return ens_fail(err, ENS_E_VERIFY, "'%s': %s: the token realm '%s' is not https (--tls-verify=false"
				" allows http)", r->text, r->host, r->chal.realm);
	if (easy_new(r, &e, "", false, err))
		return -1;
	svc = curl_easy_escape(e.c, r->chal.service, 0);
	snprintf(s, sizeof s, "repository:%s:%s", r->repo, r->actions);
	scope1 = curl_easy_escape(e.c, s, 0);
	if (*r->mount_from) {
		snprintf(s, sizeof s, "repository:%s:pull", r->mount_from);
		scope2 = curl_easy_escape(e.c, s, 0);
	}
	if (*r->chal.scope && strncmp(r->chal.scope, "repository:", 11))
		scope3 = curl_easy_escape(e.c, r->chal.scope, 0);
	if (!svc || !scope1 || asprintf(&url, "%s%sservice=%s&scope=%s%s%s%s%s", r->chal.realm,
					strchr(r->chal.realm, '?') ? "&" : "?", svc, scope1, scope2 ? "&scope=" : "",
					scope2 ? scope2 : "", scope3 ? "&scope=" : "", scope3 ? scope3 : "") < 0) {
		url = NULL;
		nomem(err);
		goto out;
	}
	curl_easy_setopt(e.c, CURLOPT_URL, url);
	if (r->user) {
		curl_easy_setopt(e.c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e.c, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(e.c, CURLOPT_PASSWORD, r->pass);
	}
	curl_easy_setopt(e.c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e.c, CURLOPT_HEADERDATA, &resp);
	curl_easy_setopt(e.c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e.c, CURLOPT_WRITEDATA, &resp);
	for (unsigned attempt = 0;; attempt++) {
		resp_reset(&resp);
		c = curl_easy_perform(e.c);
		if (c == CURLE_OK)
			curl_easy_getinfo(e.c, CURLINFO_RESPONSE_CODE, &resp.status);
		if (attempt < r->opts->retry_times &&
		    ((c != CURLE_OK && transient(c)) || (c == CURLE_OK && (resp.status == 429 || resp.status >= 500)))) {
			sleep_ms(backoff(r, attempt));
			continue;
		}
		break;
	}
	if (c != CURLE_OK) {
		curl_fail(r, &e, c, err);
		ens_err_prefix(err, "token endpoint");
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		ens_fail(err, ENS_E_KEY, "'%s': %s: authentication failed (%s): wrong user name or password?",
			 r->text, r->host, r->user ? "the token endpoint refused the credentials"
						   : "the token endpoint wants credentials: --creds or an auth file");
		goto out;
	}
	if (resp.status != 200) {
		ens_fail(err, ENS_E_IO, "'%s': %s: the token endpoint answered HTTP %ld", r->text, r->host, resp.status);
		goto out;
	}
	reg_free_secret(r->token);
	r->token = NULL;
	if (ens_registry_token_parse((const char *)resp.body, resp.len, &r->token, err)) {
		ens_err_prefix(err, "'%s': %s", r->text, r->host);
		goto out;
	}
	rc = 0;
out:
	if (resp.body)
		OPENSSL_cleanse(resp.body, resp.len);
	reg_resp_free(&resp);
	curl_free(svc);
	curl_free(scope1);
	curl_free(scope2);
	curl_free(scope3);
	free(url);
	easy_free(&e);
	return rc;
}

/* A 401: what to do next. 0: retry with new authentication; -1: give up. */
static int on_401(struct reg *r, const char *www, unsigned *rounds, struct ens_err *err)
{
	struct ens_www_auth ch;
	bool had_token = r->token != NULL, had_basic = r->chal.scheme == ENS_AUTH_BASIC;

	if (!*www)
		return ens_fail(err, ENS_E_KEY, "'%s': %s: HTTP 401 without a WWW-Authenticate challenge", r->text,
				r->host);
	if (ens_www_auth_parse(www, &ch, err))
		return ens_err_prefix(err, "'%s': %s", r->text, r->host);
	if (++*rounds > 2)
		return ens_fail(err, ENS_E_KEY, "'%s': %s: access to '%s' denied (%s)", r->text, r->host, r->repo,
				r->user ? "do these credentials have the right?" : "no credentials: --creds or an auth file");
	if (ch.scheme == ENS_AUTH_BASIC) {
		if (!r->user)
			return ens_fail(err, ENS_E_KEY, "'%s': %s wants a user name and password: --creds USER:PASS,"
					" --authfile FILE or an auth file", r->text, r->host);
		if (had_basic)
			return ens_fail(err, ENS_E_KEY, "'%s': %s: authentication failed: wrong user name or password",
					r->text, r->host);
		r->chal = ch;
		return 0;
	}
	/* Bearer: a (new) token; one we just got that is refused means no right */
	if (had_token && *rounds > 1)
		return ens_fail(err, ENS_E_KEY, "'%s': %s: access to '%s' denied (%s)", r->text, r->host, r->repo,
				r->user ? "the token endpoint does not grant these credentials the right"
					: "no credentials: --creds or an auth file");
	r->chal = ch;
	return fetch_token(r, err);
}

/* Credentials and tokens go only to the registry itself: an upload
 * Location may name another host. */
static bool same_origin(const struct reg *r, const char *url)
{
	size_t n = strlen(r->base);

	return !strncmp(url, r->base, n) && (url[n] == '/' || url[n] == '?' || !url[n]);
}

/* A URL without scheme and host, for messages (an upload URL's query is
 * the registry's state: the caller cuts it). */
static const char *short_path(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return url;
	p = strchr(p + 3, '/');
	return p ? p : url;
}

int reg_request(struct reg *r, const char *method, const char *path, const char *accept, const char *ctype,
		const void *body, size_t len, struct reg_resp *resp, struct ens_err *err)
{
	char url[8192];
	unsigned attempt = 0, rounds = 0;

	if (full_url(r, path, url, sizeof url, err))
		return -1;
	if (r->chal.scheme == ENS_AUTH_BEARER && !r->token && fetch_token(r, err))
		return -1;
	for (;;) {
		struct easy e;
		CURLcode c;
		char h[600];

		resp_reset(resp);
		if (easy_new(r, &e, url, same_origin(r, url), err))
			return -1;
		if (accept) {
			snprintf(h, sizeof h, "Accept: %s", accept);
			if (add_header(&e, h, err)) {
				easy_free(&e);
				return -1;
			}
		}
		if (ctype) {
			snprintf(h, sizeof h, "Content-Type: %s", ctype);
			if (add_header(&e, h, err)) {
				easy_free(&e);
				return -1;
			}
		}
		curl_easy_setopt(e.c, CURLOPT_HTTPHEADER, e.hdrs);
		if (!strcmp(method, "HEAD")) {
			curl_easy_setopt(e.c, CURLOPT_NOBODY, 1L);
		} else if (!strcmp(method, "GET")) {
			/* the default */
		} else {
			curl_easy_setopt(e.c, CURLOPT_CUSTOMREQUEST, method);
			curl_easy_setopt(e.c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
			curl_easy_setopt(e.c, CURLOPT_POSTFIELDS, body ? body : "");
			/* no redirects for writes: a changed method would lose the body */
			curl_easy_setopt(e.c, CURLOPT_FOLLOWLOCATION, 0L);
		}
		curl_easy_setopt(e.c, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(e.c, CURLOPT_HEADERDATA, resp);
		curl_easy_setopt(e.c, CURLOPT_WRITEFUNCTION, body_cb);
		curl_easy_setopt(e.c, CURLOPT_WRITEDATA, resp);
		c = curl_easy_perform(e.c);
		if (c == CURLE_OK)
			curl_easy_getinfo(e.c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (c == CURLE_WRITE_ERROR) {
			easy_free(&e);
			return ens_fail(err, ENS_E_FORMAT, "'%s': %s: the answer to %s %.*s is larger than %zu bytes",
					r->text, r->host, method, (int)strcspn(short_path(path), "?"), short_path(path), resp->max);
		}
		if (c != CURLE_OK && !transient(c)) {
			r->conn_failed = true;
			curl_fail(r, &e, c, err);
			easy_free(&e);
			return -1;
		}
		if (c != CURLE_OK || resp->status == 429 || resp->status >= 500) {
			if (attempt < r->opts->retry_times) {
				easy_free(&e);
				sleep_ms(backoff(r, attempt++));
				continue;
			}
			if (c != CURLE_OK) {
				r->conn_failed = true;
				curl_fail(r, &e, c, err);
				easy_free(&e);
				return ens_err_prefix(err, "after %u retries", attempt);
			}
			easy_free(&e);
			return ens_fail(err, ENS_E_IO, "'%s': %s: %s %.*s: HTTP %ld after %u retries", r->text, r->host,
					method, (int)strcspn(short_path(path), "?"), short_path(path), resp->status, attempt);
		}
		easy_free(&e);
		if (resp->status == 401) {
			if (on_401(r, resp->www_auth, &rounds, err))
				return -1;
			continue;
		}
		return 0;
	}
}

/* ---- streams */

struct reg_stream {
	struct reg *r;
	struct easy e;
	CURLM *m;
	char url[8192];
	char what[200];
	struct reg_resp resp;		/* headers; body of an error answer */
	uint8_t *buf;
	size_t off, len, cap;
	bool paused, done, ok;
	CURLcode result;
	uint64_t delivered;		/* bytes given to the reader */
	uint64_t start;			/* Range start of this transfer */
	unsigned attempt;
};

static size_t stream_cb(char *p, size_t size, size_t n, void *data)
{
	struct reg_stream *s = data;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(s->e.c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200 && code != 206) {
		/* an error answer: keep its start for the message */
		if (s->resp.len < 1024)
			body_cb(p, 1, len < 1024 - s->resp.len ? len : 1024 - s->resp.len, &s->resp);
		return len;
	}
	s->ok = true;
	if (s->off == s->len)
		s->off = s->len = 0;
	if (s->len + len > s->cap) {
		uint8_t *nb;

		if (s->len - s->off > 0 && s->len - s->off + len > 512 * 1024) {
			s->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		if (s->off) {
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		if (s->len + len > s->cap) {
			size_t cap = s->cap * 2 > 65536 ? s->cap * 2 : 65536;

			if (cap < s->len + len)
				cap = s->len + len;
			if (!(nb = realloc(s->buf, cap)))
				return 0;
			s->buf = nb;
			s->cap = cap;
		}
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	return len;
}

static void transfer_free(struct reg_stream *s)
{
	if (s->m && s->e.c)
		curl_multi_remove_handle(s->m, s->e.c);
	easy_free(&s->e);
}

/* Start (or restart from s->delivered) the transfer. */
static int transfer_start(struct reg_stream *s, const char *accept, struct ens_err *err)
{
	char h[600];

	transfer_free(s);
	resp_reset(&s->resp);
	s->off = s->len = 0;
	s->done = s->ok = s->paused = false;
	s->start = s->delivered;
	if (easy_new(s->r, &s->e, s->url, same_origin(s->r, s->url), err))
		return -1;
	if (accept) {
		snprintf(h, sizeof h, "Accept: %s", accept);
		if (add_header(&s->e, h, err))
			return -1;
	}
	curl_easy_setopt(s->e.c, CURLOPT_HTTPHEADER, s->e.hdrs);
	curl_easy_setopt(s->e.c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(s->e.c, CURLOPT_HEADERDATA, &s->resp);
	curl_easy_setopt(s->e.c, CURLOPT_WRITEFUNCTION, stream_cb);
	curl_easy_setopt(s->e.c, CURLOPT_WRITEDATA, s);
	if (s->start)
		curl_easy_setopt(s->e.c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)s->start);
	if (curl_multi_add_handle(s->m, s->e.c) != CURLM_OK)
		return nomem(err);
	return 0;
}

/* Run the transfer until it has data for the reader or is over. */
static int pump(struct reg_stream *s, struct ens_err *err)
{
	while (s->off == s->len && !s->done) {
		int running = 0, nmsg;
		CURLMsg *msg;

		if (s->paused) {
			s->paused = false;
			curl_easy_pause(s->e.c, CURLPAUSE_CONT);
			if (s->off != s->len)
				break;
		}
		if (curl_multi_perform(s->m, &running) != CURLM_OK)
			return ens_fail(err, ENS_E_IO, "'%s': %s: transfer failed", s->r->text, s->r->host);
		while ((msg = curl_multi_info_read(s->m, &nmsg)))
			if (msg->msg == CURLMSG_DONE) {
				s->done = true;
				s->result = msg->data.result;
			}
		if (s->off == s->len && !s->done && running)
			curl_multi_poll(s->m, NULL, 0, 1000, NULL);
	}
	return 0;
}

/* The answer's status once it is known; retries and authentication as
 * reg_request. 0: data flows (or the body was empty). */
static int stream_settle(struct reg_stream *s, const char *accept, struct ens_err *err)
{
	unsigned rounds = 0;

	for (;;) {
		long code = 0;

		if (pump(s, err))
			return -1;
		curl_easy_getinfo(s->e.c, CURLINFO_RESPONSE_CODE, &code);
		s->resp.status = code;
		if (s->done && s->result != CURLE_OK && (!transient(s->result) || s->ok)) {
			if (!transient(s->result))
				return curl_fail(s->r, &s->e, s->result, err);
		}
		if (s->done && (s->result != CURLE_OK || code == 429 || code >= 500) && !s->ok) {
			if (s->attempt < s->r->opts->retry_times) {
				sleep_ms(backoff(s->r, s->attempt++));
				if (transfer_start(s, accept, err))
					return -1;
				continue;
			}
			if (s->result != CURLE_OK)
				return curl_fail(s->r, &s->e, s->result, err), ens_err_prefix(err, "after %u retries",
											       s->attempt);
			return ens_fail(err, ENS_E_IO, "'%s': %s: %s: HTTP %ld after %u retries", s->r->text,
					s->r->host, s->what, code, s->attempt);
		}
		if (s->done && code == 401) {
			if (on_401(s->r, s->resp.www_auth, &rounds, err) || transfer_start(s, accept, err))
				return -1;
			continue;
		}
		if (s->ok && s->start && code != 206)
			return ens_fail(err, ENS_E_IO, "'%s': %s: %s: the registry cannot resume a transfer", s->r->text,
					s->r->host, s->what);
		if (s->ok || (s->done && (code == 200 || code == 206)))
			return 0;
		if (s->done && code == 404)
			return ens_fail(err, ENS_E_FORMAT, "'%s': %s: %s not found (HTTP 404)", s->r->text, s->r->host,
					s->what);
		if (s->done)
			return ens_fail(err, ENS_E_IO, "'%s': %s: %s: HTTP %ld%s%.200s", s->r->text, s->r->host, s->what,
					code, s->resp.len ? ": " : "", s->resp.body ? (char *)s->resp.body : "");
	}
}

int reg_stream_open(struct reg *r, const char *path, const char *accept, const char *what, struct reg_stream **out,
		    struct ens_err *err)
{
	struct reg_stream *s = calloc(1, sizeof *s);

	*out = NULL;
	if (!s)
		return nomem(err);
	s->r = r;
	s->resp.max = 1024;
	snprintf(s->what, sizeof s->what, "%s", what);
	if (full_url(r, path, s->url, sizeof s->url, err) ||
	    (r->chal.scheme == ENS_AUTH_BEARER && !r->token && fetch_token(r, err)) || !(s->m = curl_multi_init())) {
		if (err->code == ENS_OK)
			nomem(err);
		reg_stream_close(s);
		return -1;
	}
	if (transfer_start(s, accept, err) || stream_settle(s, accept, err)) {
		reg_stream_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

ssize_t reg_stream_read(struct reg_stream *s, void *p, size_t n, struct ens_err *err)
{
	size_t k;

	for (;;) {
		if (pump(s, err))
			return -1;
		if (s->off < s->len)
			break;
		if (s->done && s->result == CURLE_OK)
			return 0;
		/* broken after some bytes: resume from where the reader is */
		if (s->done && transient(s->result) && s->attempt < s->r->opts->retry_times) {
			sleep_ms(backoff(s->r, s->attempt++));
			if (transfer_start(s, NULL, err) || stream_settle(s, NULL, err))
				return -1;
			continue;
		}
		return curl_fail(s->r, &s->e, s->result, err), ens_err_prefix(err, "reading %s", s->what);
	}
	k = s->len - s->off < n ? s->len - s->off : n;
	memcpy(p, s->buf + s->off, k);
	s->off += k;
	s->delivered += k;
	return (ssize_t)k;
}

void reg_stream_close(struct reg_stream *s)
{
	if (!s)
		return;
	transfer_free(s);
	if (s->m)
		curl_multi_cleanup(s->m);
	reg_resp_free(&s->resp);
	free(s->buf);
	free(s);
}

/* ---- the connection */

void reg_free(struct reg *r)
{
	reg_free_secret(r->user);
	reg_free_secret(r->pass);
	reg_free_secret(r->token);
	free(r->ca);
	memset(r, 0, sizeof *r);
}

int reg_init(struct reg *r, const struct ens_oci_ref *ref, struct ens_image_opts *opts, bool push,
	     const char *mount_from, struct ens_err *err)
{
	struct reg_resp resp = { .max = 1u << 16 };
	static bool curl_ready;

	memset(r, 0, sizeof *r);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return ens_fail(err, ENS_E_IO, "cannot start libcurl");
		curl_ready = true;
	}
	r->opts = opts;
	snprintf(r->host, sizeof r->host, "%s", ref->host);
	snprintf(r->repo, sizeof r->repo, "%s", ref->path);
	snprintf(r->text, sizeof r->text, "%s", ref->text);
	snprintf(r->actions, sizeof r->actions, "%s", push ? "pull,push" : "pull");
	if (mount_from)
		snprintf(r->mount_from, sizeof r->mount_from, "%s", mount_from);
	if (load_cert_dir(r, err) || reg_find_creds(r->host, opts, &r->user, &r->pass, err)) {
		reg_free(r);
		return -1;
	}
	/* the ping: is it there, which scheme, which authentication */
	snprintf(r->base, sizeof r->base, "https://%s", r->host);
	if (reg_request(r, "GET", "/v2/", NULL, NULL, NULL, 0, &resp, err)) {
		if (opts->tls_verify || !r->conn_failed)
			goto fail;
		/* as skopeo with --tls-verify=false: plain HTTP when TLS fails */
		*err = (struct ens_err){ 0 };
		snprintf(r->base, sizeof r->base, "http://%s", r->host);
		if (reg_request(r, "GET", "/v2/", NULL, NULL, NULL, 0, &resp, err))
			goto fail;
	}
	if (resp.status != 200 && resp.status != 401) {
		ens_fail(err, ENS_E_IO, "'%s': %s does not answer as a registry (GET /v2/: HTTP %ld)", r->text, r->host,
			 resp.status);
		goto fail;
	}
	reg_resp_free(&resp);
	return 0;
fail:
	reg_resp_free(&resp);
	reg_free(r);
	return -1;
}
