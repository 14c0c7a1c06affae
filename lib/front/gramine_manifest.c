/* Gramine front end, the manifest (gramine-format.md §2, §4.1, §5): the
 * defaults of `gramine-sgx-sign` in their order, the loader entrypoint hash,
 * trusted files (pathlib normalisation, directory walk, --chroot resolution,
 * de-duplication by URI, hashing in parallel), and what the layout and the
 * SIGSTRUCT read back from a .manifest.sgx. Messages end with Gramine's own
 * text (Python exception and message) so that users can search for them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "ensign/gramine.h"
#include "ensign/toml.h"
#include "ensign/util.h"
#include "../toml/toml_int.h"

/* ---- Python-isms for messages ---- */

const char *ens_gr_pytype(const struct ens_toml *v)
{
	switch (v->kind) {
	case ENS_TOML_TABLE: return "dict";
	case ENS_TOML_ARRAY: return "list";
	case ENS_TOML_STRING: return "str";
	case ENS_TOML_INT: return "int";
	case ENS_TOML_FLOAT: return "float";
	case ENS_TOML_BOOL: return "bool";
	case ENS_TOML_DATETIME:
	case ENS_TOML_LOCAL_DATETIME: return "datetime.datetime";
	case ENS_TOML_LOCAL_DATE: return "datetime.date";
	case ENS_TOML_LOCAL_TIME: return "datetime.time";
	}
	return "object";
}

static bool truthy(const struct ens_toml *v)
{
	if (!v)
		return false;
	switch (v->kind) {
	case ENS_TOML_TABLE: return v->u.tab.n > 0;
	case ENS_TOML_ARRAY: return v->u.arr.n > 0;
	case ENS_TOML_STRING: return v->u.str.len > 0;
	case ENS_TOML_INT: return v->u.num.big || v->u.num.i;
	case ENS_TOML_FLOAT: return v->u.f != 0.0;
	case ENS_TOML_BOOL: return v->u.b;
	default: return true;
	}
}

/* Python str() (repr=false) or repr() of a value, for messages. */
static void pystr(struct tsb *b, const struct ens_toml *v, bool repr)
{
	char f[40];

	switch (v->kind) {
	case ENS_TOML_STRING:
		if (repr)
			tsb_pyrepr(b, v->u.str.s, v->u.str.len);
		else
			tsb_add(b, v->u.str.s, v->u.str.len);
		break;
	case ENS_TOML_INT:
		if (v->u.num.big)
			tsb_adds(b, v->u.num.big);
		else
			tsb_addf(b, "%" PRId64, v->u.num.i);
		break;
	case ENS_TOML_FLOAT:
		toml_float_repr(v->u.f, f);
		tsb_adds(b, f);
		break;
	case ENS_TOML_BOOL:
		tsb_adds(b, v->u.b ? "True" : "False");
		break;
	case ENS_TOML_ARRAY:
		tsb_addc(b, '[');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				tsb_adds(b, ", ");
			pystr(b, v->u.arr.items[i], true);
		}
		tsb_addc(b, ']');
		break;
	case ENS_TOML_TABLE:
		tsb_addc(b, '{');
		for (size_t i = 0; i < v->u.tab.n; i++) {
			if (i)
				tsb_adds(b, ", ");
			tsb_pyrepr(b, v->u.tab.e[i].key, v->u.tab.e[i].key_len);
			tsb_adds(b, ": ");
			pystr(b, v->u.tab.e[i].val, true);
		}
		tsb_addc(b, '}');
		break;
	default: {
		const struct ens_toml_datetime *d = &v->u.dt;
		if (v->kind != ENS_TOML_LOCAL_TIME)
			tsb_addf(b, "%04d-%02d-%02d", d->year, d->month, d->day);
		if (v->kind != ENS_TOML_LOCAL_DATE)
			tsb_addf(b, "%s%02d:%02d:%02d", v->kind == ENS_TOML_LOCAL_TIME ? "" : " ", d->hour, d->minute,
				 d->second);
		break;
	}
	}
}

static char *pytext(const struct ens_toml *v, bool repr)
{
	struct tsb b = { 0 };

	pystr(&b, v, repr);
	tsb_addc(&b, 0);
	if (b.oom) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

static int fail_py(struct ens_err *err, const char *fmt, const struct ens_toml *v, bool repr)
{
	char *t = pytext(v, repr);

	ens_fail(err, ENS_E_FORMAT, fmt, t ? t : "?");
	free(t);
	return -1;
}

/* ---- paths ---- */

/* pathlib normalisation (§2.3): "//" root kept, one or 3+ slashes give "/",
 * empty and "." parts dropped, ".." kept; "" becomes ".". */
static char *norm_path(const char *p)
{
	size_t n = strlen(p), o = 0;
	char *r = malloc(n + 3);

	if (!r)
		return NULL;
	if (p[0] == '/') {
		r[o++] = '/';
		if (p[1] == '/' && p[2] != '/')
			r[o++] = '/';
	}
	size_t root = o;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		size_t len = j - i;
		if (len && !(len == 1 && p[i] == '.')) {
			if (o > root)
				r[o++] = '/';
			memcpy(r + o, p + i, len);
			o += len;
		}
		i = j + 1;
	}
	if (o == 0)
		r[o++] = '.';
	r[o] = 0;
	return r;
}

/* dir joined with name the pathlib way: "name" for ".", "/name" for "/". */
static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *r = malloc(a + b + 2);

	if (!r)
		return NULL;
	if (!strcmp(dir, ".")) {
		memcpy(r, name, b + 1);
	} else if (a && dir[a - 1] == '/') {
		memcpy(r, dir, a);
		memcpy(r + a, name, b + 1);
	} else {
		memcpy(r, dir, a);
		r[a] = '/';
		memcpy(r + a + 1, name, b + 1);
	}
	return r;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- trusted files ---- */

struct tf {
	char *uri;		/* as written back */
	char *path;		/* on-disk path (depfile, hashing) */
	struct ens_toml *sha;	/* given or computed; owned */
	bool given;
	int hash_errno;		/* after hashing */
	char hex[65];
};

struct tfl {
	struct tf *v;
	size_t n, cap;
	/* open-addressing index uri -> position */
	size_t *slot;
	size_t nslot;
	const struct ens_gr_expand_opts *o;
	char *chroot;		/* normalised --chroot */
	struct ens_err *err;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static int grow_index(struct tfl *l)
{
	size_t ns = l->nslot ? l->nslot * 2 : 64;
	size_t *s = malloc(ns * sizeof *s);

	if (!s)
		return -1;
	for (size_t i = 0; i < ns; i++)
		s[i] = SIZE_MAX;
	for (size_t k = 0; k < l->n; k++) {
		size_t h = (size_t)fnv(l->v[k].uri) & (ns - 1);
		while (s[h] != SIZE_MAX)
			h = (h + 1) & (ns - 1);
		s[h] = k;
	}
	free(l->slot);
	l->slot = s;
	l->nslot = ns;
	return 0;
}

static size_t *find_slot(struct tfl *l, const char *uri)
{
	size_t h = (size_t)fnv(uri) & (l->nslot - 1);

	while (l->slot[h] != SIZE_MAX && strcmp(l->v[l->slot[h]].uri, uri))
		h = (h + 1) & (l->nslot - 1);
	return &l->slot[h];
}

static int nomem(struct ens_err *err)
{
	return ens_fail(err, ENS_E_NOMEM, "out of memory");
}

/* Add (uri, path, sha) with de-duplication. Takes ownership of all three. */
static int tf_add(struct tfl *l, char *uri, char *path, struct ens_toml *sha)
{
	size_t *s;

	if ((l->n + 1) * 2 > l->nslot && grow_index(l))
		goto oom;
	s = find_slot(l, uri);
	if (*s != SIZE_MAX) {
		struct tf *t = &l->v[*s];
		if (t->sha) {
			if (sha && !ens_toml_equal(sha, t->sha)) {
				char *a = pytext(t->sha, false), *b = pytext(sha, false);
				ens_fail(l->err, ENS_E_FORMAT, "Two different sha256 values (%s and %s) for the same URI '%s'",
					 a ? a : "?", b ? b : "?", uri);
				free(a);
				free(b);
				goto drop_fail;
			}
		} else {
			free(t->path);
			t->path = path;
			t->sha = sha;
			t->given = sha != NULL;
			free(uri);
			return 0;
		}
		free(uri);
		free(path);
		ens_toml_free(sha);
		return 0;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct tf *v = realloc(l->v, nc * sizeof *v);
		if (!v)
			goto oom;
		l->v = v;
		l->cap = nc;
	}
	*s = l->n;
	l->v[l->n++] = (struct tf){ .uri = uri, .path = path, .sha = sha, .given = sha != NULL };
	return 0;
oom:
	nomem(l->err);
drop_fail:
	free(uri);
	free(path);
	ens_toml_free(sha);
	return -1;
}

/* --chroot: resolve every component of the absolute path p inside DIR (§2.3). */
struct rstack { const char *link[1000]; int n; };

static char *host_of(const struct tfl *l, const char *resolved)
{
	return join(l->chroot, resolved[0] == '/' && resolved[1] == 0 ? "" : resolved + 1);
}

static char *parent_of(const char *r)
{
	char *p = strdup(r), *s;

	if (!p)
		return NULL;
	s = strrchr(p, '/');
	if (s == p)
		p[1] = 0;
	else if (s)
		*s = 0;
	return p;
}

static int chroot_resolve(struct tfl *l, const char *path, struct rstack *st, char **out)
{
	char *res = strdup("/"), *copy = strdup(path), *save = NULL;

	if (!res || !copy)
		goto oom;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *h = host_of(l, res);
		if (!h)
			goto oom;
		bool d = is_dir(h);
		free(h);
		if (!d) {
			ens_fail(l->err, ENS_E_FORMAT, "NotADirectoryError: [Errno 20] Not a directory: PosixPath('%s')", res);
			goto fail;
		}
		if (!strcmp(c, "..")) {
			char *p = parent_of(res);
			if (!p)
				goto oom;
			free(res);
			res = p;
			continue;
		}
		char *next = join(res, c);
		if (!next)
			goto oom;
		free(res);
		res = next;
		h = host_of(l, res);
		if (!h)
			goto oom;
		struct stat sb;
		if (lstat(h, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			char tgt[4096];
			ssize_t n = readlink(h, tgt, sizeof tgt - 1);
			free(h);
			if (n < 0) {
				ens_fail_errno(l->err, "cannot read the symbolic link '%s'", res);
				goto fail;
			}
			tgt[n] = 0;
			for (int i = 0; i < st->n; i++)
				if (!strcmp(st->link[i], res)) {
					ens_fail(l->err, ENS_E_FORMAT, "OSError: [Errno 40] Too many levels of symbolic links: "
						 "PosixPath('%s')", res);
					goto fail;
				}
			if (st->n >= 980) {
				ens_fail(l->err, ENS_E_FORMAT, "RecursionError: maximum recursion depth exceeded while "
					 "resolving '%s'", path);
				goto fail;
			}
			char *p = parent_of(res), *t = NULL, *r2 = NULL;
			if (!p)
				goto oom;
			t = tgt[0] == '/' ? strdup(tgt) : join(p, tgt);
			free(p);
			char *tn = t ? norm_path(t) : NULL;
			free(t);
			if (!tn)
				goto oom;
			st->link[st->n++] = res;
			int rc = chroot_resolve(l, tn, st, &r2);
			st->n--;
			free(tn);
			if (rc)
				goto fail;
			free(res);
			res = r2;
		} else {
			free(h);
		}
	}
	free(copy);
	*out = res;
	return 0;
oom:
	nomem(l->err);
fail:
	free(res);
	free(copy);
	return -1;
}

static int walk(struct tfl *l, const char *host, const char *text);

static int sort_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One entry of sgx.trusted_files (or of a walk): checks and expansion. */
static int tf_entry(struct tfl *l, const char *uri, const struct ens_toml *sha)
{
	char *path = NULL, *resolved = NULL, *host = NULL;
	size_t ulen = strlen(uri);
	int rc = -1;

	if (strncmp(uri, "file:", 5))
		return ens_fail(l->err, ENS_E_FORMAT, "ManifestError: Unsupported URI type: %s", uri);
	path = norm_path(uri + 5);
	if (!path)
		return nomem(l->err);
	if (l->chroot) {
		if (path[0] != '/') {
			ens_fail(l->err, ENS_E_FORMAT, "ManifestError: only absolute paths can be measured in chroot ('%s')",
				 uri);
			goto out;
		}
		if (path[1] == '/') {
			ens_fail(l->err, ENS_E_FORMAT, "ValueError: '%s' is not in the subpath of '/' OR one path is "
				 "relative and the other is absolute.", path);
			goto out;
		}
		struct rstack st = { .n = 0 };
		if (chroot_resolve(l, path, &st, &resolved))
			goto out;
		host = host_of(l, resolved);
	} else {
		host = strdup(path);
	}
	if (!host) {
		nomem(l->err);
		goto out;
	}
	if (ulen && uri[ulen - 1] == '/') {
		if (!is_dir(host)) {
			ens_fail(l->err, ENS_E_FORMAT, "ManifestError: URI '%s' ends with \"/\" but is not a directory", uri);
			goto out;
		}
		if (sha) {
			ens_fail(l->err, ENS_E_FORMAT, "ManifestError: Directory URI ('%s') has sha256 specified", uri);
			goto out;
		}
		rc = walk(l, host, l->chroot ? resolved : path);
		goto out;
	}
	if (is_dir(host)) {
		ens_fail(l->err, ENS_E_FORMAT, "ManifestError: Directory URI ('%s') does not end with \"/\"", uri);
		goto out;
	}
	struct ens_toml *s = NULL;
	char *u = strdup(uri);
	if (sha && !(s = ens_toml_clone(sha))) {
		free(u);
		nomem(l->err);
		goto out;
	}
	if (!u) {
		ens_toml_free(s);
		nomem(l->err);
		goto out;
	}
	rc = tf_add(l, u, host, s);
	host = NULL;
out:
	free(path);
	free(resolved);
	free(host);
	return rc;
}

/* Depth first, names in byte order, dot-files included; only regular files
 * are emitted; symlinked directories inside the walk are skipped. host is
 * where the directory is on disk, text what its URIs are made of. */
static int walk(struct tfl *l, const char *host, const char *text)
{
	DIR *d = opendir(host);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	if (!d)
		return ens_fail_errno(l->err, "cannot read the directory '%s'", host);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **v = realloc(names, nc * sizeof *v);
			if (!v)
				goto oom;
			names = v;
			cap = nc;
		}
		if (!(names[n] = strdup(e->d_name)))
			goto oom;
		n++;
	}
	qsort(names, n, sizeof *names, sort_names);
	for (size_t i = 0; i < n; i++) {
		char *hp = join(host, names[i]), *tp = join(text, names[i]);
		struct stat st, lst;
		int r = 0;

		if (!hp || !tp) {
			free(hp);
			free(tp);
			goto oom;
		}
		if (stat(hp, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) && access(hp, R_OK) == 0) {
			if (S_ISDIR(st.st_mode)) {
				if (lstat(hp, &lst) == 0 && !S_ISLNK(lst.st_mode))
					r = walk(l, hp, tp);
			} else {
				size_t ul = strlen(tp);
				char *uri = malloc(ul + 6);
				if (!uri) {
					r = nomem(l->err);
				} else {
					memcpy(uri, "file:", 5);
					memcpy(uri + 5, tp, ul + 1);
					r = tf_entry(l, uri, NULL);
					free(uri);
				}
			}
		}
		free(hp);
		free(tp);
		if (r)
			goto out;
	}
	rc = 0;
	goto out;
oom:
	nomem(l->err);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* ---- hashing, in parallel ---- */

static int sha256_file(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t md[32];
	unsigned mdlen = 0;
	int e = 0;

	if (fd < 0)
		return errno;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t *buf = malloc(1 << 16);
	if (!c || !buf || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		e = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 16);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(c, buf, (size_t)n)) {
			e = ENOMEM;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(c, md, &mdlen))
		e = ENOMEM;
	else
		ens_hex(md, 32, hex);
out:
	EVP_MD_CTX_free(c);
	free(buf);
	close(fd);
	return e;
}

struct hashjob {
	struct tfl *l;
	size_t next;
	pthread_mutex_t mu;
};

static void *hash_worker(void *arg)
{
	struct hashjob *j = arg;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t i = j->next++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->l->n)
			return NULL;
		struct tf *t = &j->l->v[i];
		/* a given sha256 is kept; the file is hashed only to warn, and only
		 * a regular file (a FIFO or device named in a manifest must not block) */
		struct stat st;
		if (t->given && (stat(t->path, &st) || !S_ISREG(st.st_mode)))
			t->hash_errno = ENOENT;
		else
			t->hash_errno = sha256_file(t->path, t->hex);
	}
}

static int hash_all(struct tfl *l)
{
	struct hashjob j = { .l = l, .next = 0 };
	unsigned nt = l->o->threads;
	pthread_t th[64];
	unsigned started = 0;

	if (!nt) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nt = c > 0 ? (unsigned)c : 1;
	}
	if (nt > 64)
		nt = 64;
	if (nt > l->n)
		nt = (unsigned)l->n;
	pthread_mutex_init(&j.mu, NULL);
	for (unsigned i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, hash_worker, &j) == 0)
			started++;
	hash_worker(&j);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.mu);
	return 0;
}

/* ---- defaults (§2.2) ---- */

static struct ens_toml *setdef(struct ens_toml *t, const char *key, struct ens_toml *v, struct ens_err *err)
{
	struct ens_toml *r;

	if (!v)
		return nomem(err), NULL;
	r = ens_toml_setdefault(t, key, v);
	if (!r)
		nomem(err);
	return r;
}

static int need_table(const struct ens_toml *v, struct ens_err *err)
{
	if (v->kind != ENS_TOML_TABLE)
		return ens_fail(err, ENS_E_FORMAT, "AttributeError: '%s' object has no attribute 'setdefault'",
				ens_gr_pytype(v));
	return 0;
}

static int entrypoint_hash(struct ens_toml *ep, struct ens_err *err)
{
	struct ens_toml *uri = ens_toml_get(ep, "uri");
	char *path, hex[65];
	int e;

	if (ens_toml_get(ep, "sha256"))
		return 0;
	if (uri->kind != ENS_TOML_STRING)
		return ens_fail(err, ENS_E_FORMAT, "loader.entrypoint.uri: AttributeError: '%s' object has no attribute "
				"'startswith'", ens_gr_pytype(uri));
	if (strncmp(uri->u.str.s, "file:", 5))
		return ens_fail(err, ENS_E_FORMAT, "loader.entrypoint.uri: ManifestError: Unsupported URI type: %s",
				uri->u.str.s);
	path = norm_path(uri->u.str.s + 5);
	if (!path)
		return nomem(err);
	if (is_dir(path)) {
		ens_fail(err, ENS_E_IO, "loader.entrypoint.uri: IsADirectoryError: [Errno 21] Is a directory: '%s'", path);
		free(path);
		return -1;
	}
	e = sha256_file(path, hex);
	if (e) {
		ens_fail(err, ENS_E_IO, "loader.entrypoint.uri: %s: [Errno %d] %s: '%s'",
			 e == ENOENT ? "FileNotFoundError" : e == EACCES ? "PermissionError" : "OSError", e, strerror(e),
			 path);
		free(path);
		return -1;
	}
	free(path);
	return ens_toml_set(ep, "sha256", ens_toml_new_string(hex)) < 0 ? nomem(err) : 0;
}

void ens_gr_expanded_free(struct ens_gr_expanded *x)
{
	for (size_t i = 0; i < x->ndeps; i++)
		free(x->deps[i]);
	free(x->deps);
	x->deps = NULL;
	x->ndeps = 0;
}

static void tfl_free(struct tfl *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].uri);
		free(l->v[i].path);
		ens_toml_free(l->v[i].sha);
	}
	free(l->v);
	free(l->slot);
	free(l->chroot);
}

int ens_gr_expand(struct ens_toml *root, const struct ens_gr_expand_opts *o, struct ens_gr_expanded *out,
		  struct ens_err *err)
{
	struct ens_toml *sgx, *tfs, *cpu, *loader, *ep;
	struct tfl l = { .o = o, .err = err };
	char *def_uri = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	/* 1-2: sgx and its defaults, in this order */
	if (!(sgx = setdef(root, "sgx", ens_toml_new_table(), err)))
		return -1;
	if (need_table(sgx, err))
		return ens_err_prefix(err, "sgx");
	if (!setdef(sgx, "trusted_files", ens_toml_new_array(), err) ||
	    !setdef(sgx, "max_threads", ens_toml_new_int(4), err) || !setdef(sgx, "isvprodid", ens_toml_new_int(0), err) ||
	    !setdef(sgx, "isvsvn", ens_toml_new_int(0), err) ||
	    !setdef(sgx, "remote_attestation", ens_toml_new_string("none"), err) ||
	    !setdef(sgx, "debug", ens_toml_new_bool(false), err) ||
	    !setdef(sgx, "enable_stats", ens_toml_new_bool(false), err) ||
	    !setdef(sgx, "edmm_enable", ens_toml_new_bool(false), err) ||
	    !setdef(sgx, "enclave_size", ens_toml_new_string(truthy(ens_toml_get(sgx, "edmm_enable")) ? "1024G" : "256M"),
		    err) ||
	    !setdef(sgx, "use_exinfo", ens_toml_new_bool(false), err))
		return -1;
	/* 3: cpu_features */
	if (!(cpu = setdef(sgx, "cpu_features", ens_toml_new_table(), err)))
		return -1;
	if (need_table(cpu, err))
		return ens_err_prefix(err, "sgx.cpu_features");
	if (!setdef(cpu, "avx", ens_toml_new_string("unspecified"), err) ||
	    !setdef(cpu, "avx512", ens_toml_new_string("unspecified"), err) ||
	    !setdef(cpu, "amx", ens_toml_new_string("unspecified"), err) ||
	    !setdef(cpu, "mpx", ens_toml_new_string("disabled"), err) ||
	    !setdef(cpu, "pkru", ens_toml_new_string("disabled"), err))
		return -1;
	/* 4: the form of every trusted file */
	tfs = ens_toml_get(sgx, "trusted_files");
	if (tfs->kind != ENS_TOML_ARRAY)
		return ens_fail(err, ENS_E_FORMAT, "sgx.trusted_files: ValueError: Unsupported trusted files syntax, more "
				"info: https://gramine.readthedocs.io/en/latest/manifest-syntax.html#trusted-files");
	for (size_t i = 0; i < ens_toml_len(tfs); i++) {
		struct ens_toml *t = ens_toml_at(tfs, i);
		if (t->kind == ENS_TOML_STRING || (t->kind == ENS_TOML_TABLE && ens_toml_get(t, "uri")))
			continue;
		return fail_py(err, "sgx.trusted_files: ManifestError: Unknown trusted file format: %s", t, true);
	}
	/* 5-7: loader.entrypoint */
	if (!(loader = setdef(root, "loader", ens_toml_new_table(), err)))
		return -1;
	if (need_table(loader, err))
		return ens_err_prefix(err, "loader");
	if (!(ep = setdef(loader, "entrypoint", ens_toml_new_table(), err)))
		return -1;
	if (ep->kind != ENS_TOML_TABLE)
		return ens_fail(err, ENS_E_FORMAT, "loader.entrypoint: ManifestError: Unknown loader.entrypoint format "
				"(not a TOML table)");
	if (asprintf(&def_uri, "file:%s/libsysdb.so", o->pkglibdir ? o->pkglibdir : ENS_GR_PKGLIBDIR) < 0)
		return nomem(err);
	if (!setdef(ep, "uri", ens_toml_new_string(def_uri), err)) {
		free(def_uri);
		return -1;
	}
	free(def_uri);
	if (entrypoint_hash(ep, err))
		return -1;

	/* §2.3: expansion and de-duplication, in list order */
	if (o->chroot && !(l.chroot = norm_path(o->chroot)))
		return nomem(err);
	for (size_t i = 0; i < ens_toml_len(tfs); i++) {
		struct ens_toml *t = ens_toml_at(tfs, i), *uri = t, *sha = NULL;

		if (t->kind == ENS_TOML_TABLE) {
			struct ens_toml *extra = ens_toml_new_table();
			if (!extra) {
				nomem(err);
				goto out;
			}
			for (size_t k = 0; k < t->u.tab.n; k++) {
				const char *key = t->u.tab.e[k].key;
				if (!strcmp(key, "uri") || !strcmp(key, "sha256"))
					continue;
				struct ens_toml *c = ens_toml_clone(t->u.tab.e[k].val);
				if (!c || ens_toml_set_len(extra, key, t->u.tab.e[k].key_len, c) < 0) {
					ens_toml_free(extra);
					nomem(err);
					goto out;
				}
			}
			if (ens_toml_len(extra)) {
				fail_py(err, "sgx.trusted_files: ManifestError: Leftover trusted file items: %s", extra, true);
				ens_toml_free(extra);
				goto out;
			}
			ens_toml_free(extra);
			uri = ens_toml_get(t, "uri");
			sha = ens_toml_get(t, "sha256");
		}
		if (uri->kind != ENS_TOML_STRING) {
			ens_fail(err, ENS_E_FORMAT, "sgx.trusted_files: AttributeError: '%s' object has no attribute "
				 "'startswith'", ens_gr_pytype(uri));
			goto out;
		}
		if (tf_entry(&l, uri->u.str.s, sha)) {
			ens_err_prefix(err, "sgx.trusted_files");
			goto out;
		}
	}
	/* hashing, in final list order */
	hash_all(&l);
	for (size_t i = 0; i < l.n; i++) {
		struct tf *t = &l.v[i];
		if (t->given) {
			if (!t->hash_errno && o->warn && t->sha->kind == ENS_TOML_STRING && strcmp(t->sha->u.str.s, t->hex)) {
				char msg[1024];
				snprintf(msg, sizeof msg, "trusted file '%s': the sha256 given in the manifest (%.64s) differs "
					 "from the file's (%s); it is kept as given", t->path, t->sha->u.str.s, t->hex);
				o->warn(o->warn_ctx, msg);
			}
			continue;
		}
		if (t->hash_errno == ENOENT || t->hash_errno == ENOTDIR) {
			out->missing_file = true;
			ens_fail(err, ENS_E_IO, "Missing trusted file: '%s'", t->path);
			goto out;
		}
		if (t->hash_errno) {
			ens_fail(err, ENS_E_IO, "trusted file '%s': %s: [Errno %d] %s", t->path,
				 t->hash_errno == EACCES ? "PermissionError" : "OSError", t->hash_errno,
				 strerror(t->hash_errno));
			goto out;
		}
		if (!(t->sha = ens_toml_new_string(t->hex))) {
			nomem(err);
			goto out;
		}
	}
	/* the result replaces the list in place */
	struct ens_toml *arr = ens_toml_new_array();
	if (!arr || !(out->deps = calloc(l.n ? l.n : 1, sizeof *out->deps))) {
		ens_toml_free(arr);
		nomem(err);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct ens_toml *e = ens_toml_new_table();
		if (!e || ens_toml_append(arr, e) || ens_toml_set(e, "uri", ens_toml_new_string(l.v[i].uri)) < 0 ||
		    ens_toml_set(e, "sha256", l.v[i].sha) < 0) {
			l.v[i].sha = NULL;
			ens_toml_free(arr);
			nomem(err);
			goto out;
		}
		l.v[i].sha = NULL;
		out->deps[out->ndeps++] = l.v[i].path;
		l.v[i].path = NULL;
	}
	if (ens_toml_set(sgx, "trusted_files", arr) < 0) {
		nomem(err);
		goto out;
	}
	rc = 0;
out:
	tfl_free(&l);
	if (rc)
		ens_gr_expanded_free(out);
	return rc;
}

/* ---- reading a .manifest.sgx (§4.1, §5) ---- */

int ens_gr_attrs(const struct ens_toml *root, struct ens_gr_attrs *a, struct ens_err *err)
{
	const struct ens_toml *sgx = ens_toml_get(root, "sgx"), *v;
	struct tsb b = { 0 };

	memset(a, 0, sizeof *a);
	if (!sgx || sgx->kind != ENS_TOML_TABLE)
		return ens_fail(err, ENS_E_FORMAT, "KeyError: 'sgx' (no [sgx] table)");
	v = ens_toml_get(sgx, "enclave_size");
	if (!v)
		return ens_fail(err, ENS_E_FORMAT, "KeyError: 'enclave_size' (sgx.enclave_size is missing)");
	if (v->kind != ENS_TOML_STRING)
		return ens_fail(err, ENS_E_FORMAT, "sgx.enclave_size: AttributeError: '%s' object has no attribute "
				"'endswith'", ens_gr_pytype(v));
	if (ens_gr_parse_size(v->u.str.s, &a->enclave_size, err))
		return ens_err_prefix(err, "sgx.enclave_size");
	snprintf(a->size_text, sizeof a->size_text, "0x%" PRIx64, a->enclave_size);	/* Python "%#x": 0x0 too */
	v = ens_toml_get(sgx, "edmm_enable");
	a->edmm = truthy(v);
	if (v) {
		char *t = pytext(v, false);
		snprintf(a->edmm_text, sizeof a->edmm_text, "%s", t ? t : "?");
		free(t);
	} else {
		strcpy(a->edmm_text, "False");
	}
	v = ens_toml_get(sgx, "max_threads");
	if (!v)
		return ens_fail(err, ENS_E_FORMAT, "KeyError: 'max_threads' (sgx.max_threads is missing)");
	pystr(&b, v, false);
	snprintf(a->threads_text, sizeof a->threads_text, "%s", b.data ? b.data : "?");
	free(b.data);
	a->threads_ok = false;
	if (v->kind == ENS_TOML_BOOL) {
		a->max_threads = v->u.b;
		a->threads_ok = true;
	} else if (v->kind == ENS_TOML_INT) {
		if (v->u.num.big ? v->u.num.big[0] == '-' : v->u.num.i < 0)
			snprintf(a->threads_err, sizeof a->threads_err, "sgx.max_threads: ValueError: negative count");
		else if (v->u.num.big)
			snprintf(a->threads_err, sizeof a->threads_err, "sgx.max_threads %s: Enclave size is not large enough",
				 v->u.num.big);
		else {
			a->max_threads = (uint64_t)v->u.num.i;
			a->threads_ok = true;
		}
	} else if (v->kind == ENS_TOML_STRING) {
		snprintf(a->threads_err, sizeof a->threads_err,
			 "sgx.max_threads: TypeError: not all arguments converted during string formatting");
	} else {
		snprintf(a->threads_err, sizeof a->threads_err,
			 "sgx.max_threads: TypeError: '%s' object cannot be interpreted as an integer", ens_gr_pytype(v));
	}
	v = ens_toml_get(sgx, "remote_attestation");
	if (!v || (v->kind == ENS_TOML_STRING && !strcmp(v->u.str.s, "none")))
		a->ra_text = "None";
	else if (v->kind == ENS_TOML_STRING && !strcmp(v->u.str.s, "dcap"))
		a->ra_text = "DCAP/ECDSA";
	else
		a->ra_text = "<unrecognized>";
	return 0;
}

static bool is_true(const struct ens_toml *v)
{
	return v && v->kind == ENS_TOML_BOOL && v->u.b;
}

static bool is_str(const struct ens_toml *v, const char *s)
{
	return v && v->kind == ENS_TOML_STRING && !strcmp(v->u.str.s, s);
}

static int isv(const struct ens_toml *sgx, const char *key, uint16_t *out, struct ens_err *err)
{
	const struct ens_toml *v = ens_toml_get(sgx, key);

	if (!v)
		return ens_fail(err, ENS_E_FORMAT, "KeyError: '%s' (sgx.%s is missing)", key, key);
	if (v->kind == ENS_TOML_BOOL) {
		*out = v->u.b;
		return 0;
	}
	if (v->kind == ENS_TOML_INT && !v->u.num.big && v->u.num.i >= 0 && v->u.num.i <= 0xffff) {
		*out = (uint16_t)v->u.num.i;
		return 0;
	}
	char *t = pytext(v, false);
	ens_fail(err, ENS_E_FORMAT, "sgx.%s: ValueError: %s does not match required format <H", key, t ? t : "?");
	free(t);
	return -1;
}

int ens_gr_sigstruct_fields(const struct ens_toml *root, uint32_t date_bcd, const uint8_t mrenclave[32],
			    struct ens_sigstruct_fields *f, struct ens_err *err)
{
	static const struct { const char *key; uint64_t bits; bool secure; } feat[] = {
		{ "avx", 0x4, false }, { "avx512", 0xe4, false }, { "amx", 0x60000, false },
		{ "mpx", 0x18, true }, { "pkru", 0x200, true },
	};
	const struct ens_toml *sgx = ens_toml_get(root, "sgx"), *cpu;

	memset(f, 0, sizeof *f);
	if (!sgx || sgx->kind != ENS_TOML_TABLE)
		return ens_fail(err, ENS_E_FORMAT, "KeyError: 'sgx' (no [sgx] table)");
	f->date = date_bcd;
	memcpy(f->enclavehash, mrenclave, 32);
	f->attributes = ENS_ATTR_MODE64BIT | (is_true(ens_toml_get(sgx, "debug")) ? ENS_ATTR_DEBUG : 0);
	f->attributes_mask = ~(uint64_t)0;
	f->miscselect = is_true(ens_toml_get(sgx, "use_exinfo")) ? ENS_MISC_EXINFO : 0;
	f->miscmask = 0xffffffffu;
	f->xfrm = ENS_GR_XFRM_LEGACY;
	f->xfrm_mask = ENS_GR_XFRM_MASK;
	cpu = ens_toml_get(sgx, "cpu_features");
	if (!cpu) {	/* the deprecated sgx.require_* keys, only without cpu_features */
		static const struct { const char *key; uint64_t bits; } dep[] = {
			{ "require_avx", 0x4 }, { "require_avx512", 0xe4 }, { "require_mpx", 0x18 },
			{ "require_pkru", 0x200 }, { "require_amx", 0x60000 },
		};
		for (size_t i = 0; i < sizeof dep / sizeof dep[0]; i++)
			if (is_true(ens_toml_get(sgx, dep[i].key)))
				f->xfrm |= dep[i].bits;
	}
	for (size_t i = 0; cpu && i < sizeof feat / sizeof feat[0]; i++) {
		const struct ens_toml *v = ens_toml_get(cpu, feat[i].key);
		if (!v)
			continue;
		if (is_str(v, "required")) {
			f->xfrm |= feat[i].bits;
			f->xfrm_mask |= feat[i].bits;
		} else if (is_str(v, "disabled")) {
			f->xfrm &= ~feat[i].bits;
			f->xfrm_mask |= feat[i].bits;
		} else if (feat[i].secure || !is_str(v, "unspecified")) {
			return ens_fail(err, ENS_E_FORMAT, "KeyError: 'Manifest option `sgx.cpu_features.%s` has a "
					"disallowed value'", feat[i].key);
		}
	}
	if (isv(sgx, "isvprodid", &f->isvprodid, err) || isv(sgx, "isvsvn", &f->isvsvn, err))
		return -1;
	return 0;
}
