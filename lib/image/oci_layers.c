/* Container images, reading side: apply the layers in order as a stream
 * (nothing extracted to disk), honouring whiteouts, and keep in memory only
 * the files that may be enclaves: ELFs with the .ensign.app section, ensign
 * packages, and the paths the label org.ensign.enclaves lists. */
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include <gelf.h>
#include "oci_int.h"
#include "ensign/app.h"
#include "ensign/package.h"

struct files {
	struct ens_oci_file *v;
	size_t n, cap;
};
struct whiteout {
	char *path;		/* the removed path, or the opaque directory */
	bool opaque;
};
struct walk {
	struct ens_oci_image *img;
	struct files c;
	char **listed;
	size_t nlisted;
	struct whiteout *wh;
	size_t nwh, capwh;
	size_t capdirs;
};

/* "./a//b/" -> "a/b"; "" for the root. */
static char *normalize(const char *p)
{
	char *out = malloc(strlen(p) + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		while (*p == '/')
			p++;
		if (p[0] == '.' && (p[1] == '/' || !p[1])) {
			p++;
			continue;
		}
		while (*p && *p != '/')
			*o++ = *p++;
		if (*p)
			*o++ = '/';
	}
	while (o > out && o[-1] == '/')
		o--;
	*o = 0;
	return out;
}

/* path is 'dir' itself or lies under it ("" is the root: everything). */
static bool under(const char *path, const char *dir, bool self)
{
	size_t n = strlen(dir);

	if (!n)
		return true;
	if (strncmp(path, dir, n))
		return false;
	return path[n] == '/' || (self && !path[n]);
}

static void drop(struct files *c, size_t i)
{
	free(c->v[i].path);
	free(c->v[i].data);
	c->v[i] = c->v[--c->n];
}

/* Remove the candidates of layers before 'layer' at or under path. */
static void remove_lower(struct files *c, const char *path, bool self, bool below, unsigned layer)
{
	for (size_t i = c->n; i-- > 0;) {
		const char *p = c->v[i].path;

		if (c->v[i].layer < layer && ((self && !strcmp(p, path)) || (below && under(p, path, false))))
			drop(c, i);
	}
}

static struct ens_oci_file *add(struct files *c, struct ens_err *err)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct ens_oci_file *v = realloc(c->v, cap * sizeof *v);

		if (!v) {
			ens_fail(err, ENS_E_NOMEM, "out of memory");
			return NULL;
		}
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof c->v[0]);
	return &c->v[c->n++];
}

static bool has_app_section(uint8_t *buf, size_t len)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_memory((char *)buf, len)))
		return false;
	if (elf_kind(e) == ELF_K_ELF && !elf_getshdrstrndx(e, &shstrndx))
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (gelf_getshdr(scn, &sh) && (name = elf_strptr(e, shstrndx, sh.sh_name)))
				found = !strcmp(name, ENS_APP_SECTION);
		}
	elf_end(e);
	return found;
}

static bool is_listed(const struct walk *w, const char *path)
{
	for (size_t i = 0; i < w->nlisted; i++)
		if (!strcmp(w->listed[i], path))
			return true;
	return false;
}

static int read_all(struct archive *a, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		la_ssize_t r = archive_read_data(a, buf + *got, len - *got);

		if (r < 0)
			return -1;
		if (!r)
			break;
		*got += (size_t)r;
	}
	return 0;
}

static int regular_file(struct walk *w, struct oci_layer_reader *r, struct archive_entry *e, char *path,
			unsigned layer, struct ens_err *err)
{
	bool listed = is_listed(w, path);
	int64_t size = archive_entry_size(e);
	uint8_t head[64], *buf;
	size_t got;
	struct ens_oci_file *f;

	if (!listed) {
		if (size < (int64_t)sizeof head)
			return 0;
		if (read_all(r->ar, head, sizeof head, &got))
			return oci_layer_fail(r, err);
		if (got < sizeof head || !ens_app_probe(head, got))
			return 0;
	} else {
		got = 0;
	}
	if (size < 0 || (uint64_t)size > SIZE_MAX - 1 || !(buf = malloc((size_t)size + 1)))
		return ens_fail(err, ENS_E_NOMEM, "'%s': cannot hold '/%s' (%lld bytes) in memory", w->img->ref.text,
				path, (long long)size);
	memcpy(buf, head, got);
	{
		size_t more;

		if (read_all(r->ar, buf + got, (size_t)size - got, &more)) {
			free(buf);
			return oci_layer_fail(r, err);
		}
		if (got + more != (size_t)size) {
			free(buf);
			return ens_fail(err, ENS_E_FORMAT, "'%s': '/%s' is truncated in its layer", w->img->ref.text, path);
		}
	}
	/* packages (stub ELF ++ payload ++ trailer) end with their magic */
	if (!listed && !((size_t)size >= 8 && ens_pkg_probe_tail(buf + size - 8)) && !has_app_section(buf, (size_t)size)) {
		free(buf);
		return 0;
	}
	if (!(f = add(&w->c, err))) {
		free(buf);
		return -1;
	}
	f->path = path;
	f->data = buf;
	f->len = (size_t)size;
	f->mode = archive_entry_perm(e);
	f->uid = archive_entry_uid(e);
	f->gid = archive_entry_gid(e);
	f->listed = listed;
	f->layer = layer;
	return 1;	/* path taken over */
}

static int hard_link(struct walk *w, const char *target, char *path, unsigned layer, struct ens_err *err)
{
	char *t = normalize(target);
	struct ens_oci_file *f, *src = NULL;

	if (!t)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < w->c.n; i++)
		if (!strcmp(w->c.v[i].path, t))
			src = &w->c.v[i];
	free(t);
	if (!src)
		return 0;
	{
		struct ens_oci_file copy = *src;

		if (!(copy.data = malloc(copy.len ? copy.len : 1)))
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		memcpy(copy.data, src->data, copy.len);
		if (!(f = add(&w->c, err))) {
			free(copy.data);
			return -1;
		}
		*f = copy;
		f->path = path;
		f->layer = layer;
	}
	return 1;
}

static int note_dir(struct walk *w, struct archive_entry *e, const char *path, struct ens_err *err)
{
	struct ens_oci_image *img = w->img;
	struct ens_oci_dir *d;

	for (size_t i = img->ndirs; i-- > 0;)
		if (!strcmp(img->dirs[i].path, path)) {
			d = &img->dirs[i];
			goto set;
		}
	if (img->ndirs == w->capdirs) {
		size_t cap = w->capdirs ? w->capdirs * 2 : 64;

		if (!(d = realloc(img->dirs, cap * sizeof *d)))
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		img->dirs = d;
		w->capdirs = cap;
	}
	d = &img->dirs[img->ndirs];
	if (!(d->path = strdup(path)))
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	img->ndirs++;
set:
	d->mode = archive_entry_perm(e);
	d->uid = archive_entry_uid(e);
	d->gid = archive_entry_gid(e);
	return 0;
}

static int note_whiteout(struct walk *w, const char *dir, const char *name, struct ens_err *err)
{
	struct whiteout *wh;
	size_t dl = strlen(dir);
	bool opaque = !strcmp(name, ".wh..wh..opq");
	const char *victim = name + 4;
	char *p = malloc(dl + strlen(victim) + 2);

	if (!p)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (opaque)
		strcpy(p, dir);
	else
		sprintf(p, "%s%s%s", dir, dl ? "/" : "", victim);
	if (w->nwh == w->capwh) {
		size_t cap = w->capwh ? w->capwh * 2 : 16;

		if (!(wh = realloc(w->wh, cap * sizeof *wh))) {
			free(p);
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		}
		w->wh = wh;
		w->capwh = cap;
	}
	w->wh[w->nwh++] = (struct whiteout){ p, opaque };
	return 0;
}

static int entry(struct walk *w, struct oci_layer_reader *r, struct archive_entry *e, unsigned layer,
		 struct ens_err *err)
{
	const char *raw = archive_entry_pathname(e), *base;
	char *path = raw ? normalize(raw) : NULL;
	int rc = 0;

	if (!path)
		return raw ? ens_fail(err, ENS_E_NOMEM, "out of memory") : 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strncmp(base, ".wh.", 4)) {
		size_t dl = base > path ? (size_t)(base - path - 1) : 0;
		char save = path[dl];

		path[dl] = 0;
		rc = note_whiteout(w, path, base, err);
		path[dl] = save;
		free(path);
		return rc;
	}
	/* an entry replaces what lower layers (or earlier in this one) had there */
	remove_lower(&w->c, path, true, archive_entry_filetype(e) != AE_IFDIR, layer + 1);
	if (archive_entry_hardlink(e))
		rc = hard_link(w, archive_entry_hardlink(e), path, layer, err);
	else if (archive_entry_filetype(e) == AE_IFREG)
		rc = regular_file(w, r, e, path, layer, err);
	else if (archive_entry_filetype(e) == AE_IFDIR)
		rc = note_dir(w, e, path, err);
	if (rc <= 0)
		free(path);
	return rc < 0 ? -1 : 0;
}

static int walk_layer(struct walk *w, unsigned layer, struct ens_err *err)
{
	struct oci_layer_reader r;
	struct archive_entry *e;
	int st, rc = -1;

	if (oci_layer_open(&r, w->img, layer, false, err))
		return -1;
	while ((st = archive_read_next_header(r.ar, &e)) == ARCHIVE_OK || st == ARCHIVE_WARN)
		if (entry(w, &r, e, layer, err))
			goto out;
	if (st != ARCHIVE_EOF) {
		oci_layer_fail(&r, err);
		goto out;
	}
	if (oci_layer_finish(&r, err))
		goto out;
	for (size_t i = 0; i < w->nwh; i++) {
		remove_lower(&w->c, w->wh[i].path, !w->wh[i].opaque, true, layer);
		free(w->wh[i].path);
	}
	w->nwh = 0;
	rc = 0;
out:
	oci_layer_close(&r);
	return rc;
}

static int parse_label(struct walk *w, struct ens_err *err)
{
	const char *v = ens_oci_label(w->img, ENS_OCI_LABEL_ENCLAVES);

	while (v && *v) {
		const char *end = strchr(v, ',');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		char *one = strndup(v, n), *norm, *s, *t;

		if (!one)
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		for (s = one; *s == ' ' || *s == '\t'; s++)
			;
		for (t = s + strlen(s); t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		*t = 0;
		norm = *s ? normalize(s) : NULL;
		free(one);
		if (norm && *norm) {
			char **l = realloc(w->listed, (w->nlisted + 1) * sizeof *l);

			if (!l) {
				free(norm);
				return ens_fail(err, ENS_E_NOMEM, "out of memory");
			}
			w->listed = l;
			w->listed[w->nlisted++] = norm;
		} else {
			free(norm);
		}
		v = end ? end + 1 : NULL;
	}
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct ens_oci_file *)a)->path, ((const struct ens_oci_file *)b)->path);
}

int ens_oci_find_enclaves(struct ens_oci_image *img, struct ens_oci_file **files, size_t *n, struct ens_err *err)
{
	struct walk w = { .img = img };
	int rc = -1;

	if (parse_label(&w, err))
		goto out;
	for (unsigned i = 0; i < img->nlayers; i++)
		if (walk_layer(&w, i, err))
			goto out;
	for (size_t i = 0; i < w.nlisted; i++) {
		bool found = false;

		for (size_t j = 0; j < w.c.n && !found; j++)
			found = !strcmp(w.c.v[j].path, w.listed[i]);
		if (!found) {
			ens_fail(err, ENS_E_FORMAT, "'%s': '/%s', listed in the label %s, is not a regular file in the image",
				 img->ref.text, w.listed[i], ENS_OCI_LABEL_ENCLAVES);
			goto out;
		}
	}
	if (w.c.n)
		qsort(w.c.v, w.c.n, sizeof *w.c.v, by_path);
	*files = w.c.v;
	*n = w.c.n;
	w.c.v = NULL;
	w.c.n = 0;
	rc = 0;
out:
	ens_oci_files_free(w.c.v, w.c.n);
	for (size_t i = 0; i < w.nwh; i++)
		free(w.wh[i].path);
	free(w.wh);
	for (size_t i = 0; i < w.nlisted; i++)
		free(w.listed[i]);
	free(w.listed);
	return rc;
}

void ens_oci_files_free(struct ens_oci_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].data);
	}
	free(files);
}
