/* Image transport oci: an OCI image layout directory. Source: oci-layout,
 * index.json, the manifest by tag; blobs are files under blobs/sha256.
 * Destination: a new directory built next to DST and renamed into place
 * at commit (an existing one is refused). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci_int.h"
#include "ensign/io.h"

static const char *str_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int read_layout_file(const struct ens_oci_image *img, const char *name, json_t **out, struct ens_err *err)
{
	char path[sizeof img->ref.path + 32];
	uint8_t *buf;
	size_t len;
	int r;

	snprintf(path, sizeof path, "%s/%s", img->ref.path, name);
	if (ens_read_file(path, OCI_MAX_JSON, &buf, &len, err))
		return -1;
	r = oci_parse_json(img, name, buf, len, out, err);
	free(buf);
	return r;
}

static int layout_open(struct ens_oci_image *img, struct ens_err *err)
{
	json_t *layout = NULL, *index = NULL, *d;
	const char *v;
	struct stat st;
	int rc = -1;

	if (stat(img->ref.path, &st))
		return ens_fail_errno(err, "'%s': cannot open the image layout", img->ref.text);
	if (!S_ISDIR(st.st_mode))
		return ens_fail(err, ENS_E_IO, "'%s': not a directory (an OCI image layout is one)", img->ref.text);
	if (read_layout_file(img, "oci-layout", &layout, err)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not an OCI image layout (no readable oci-layout file)",
			 img->ref.text);
		return -1;
	}
	v = str_member(layout, "imageLayoutVersion");
	if (!v || strcmp(v, "1.0.0")) {
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': image layout version '%s' is not supported", img->ref.text,
			 v ? v : "");
		goto out;
	}
	if (read_layout_file(img, "index.json", &index, err) || !(d = oci_pick(img, index, img->ref.tag, false, err)))
		goto out;
	rc = oci_open_descriptor(img, d, err);
out:
	json_decref(layout);
	json_decref(index);
	return rc;
}

static int layout_blob_open(struct oci_blob *b, const char *digest, const char *what, struct ens_err *err)
{
	const struct ens_oci_image *img = b->img;
	char path[sizeof img->ref.path + 100];

	if (!digest || !oci_digest_valid(digest))
		return ens_fail(err, ENS_E_FORMAT, "'%s': bad digest '%s'", img->ref.text, digest ? digest : "");
	snprintf(b->name, sizeof b->name, "%s %s", what ? what : "blob", digest);
	snprintf(path, sizeof path, "%s/blobs/sha256/%s", img->ref.path, digest + 7);
	if (!(b->f = fopen(path, "rb"))) {
		if (errno == ENOENT)
			return ens_fail(err, ENS_E_FORMAT, "'%s': %s is missing", img->ref.text, b->name);
		return ens_fail_errno(err, "cannot open '%s'", path);
	}
	return 0;
}

static ssize_t layout_blob_read(struct oci_blob *b, void *p, size_t n, struct ens_err *err)
{
	size_t got = fread(p, 1, n, b->f);

	if (!got && ferror(b->f))
		return ens_fail_errno(err, "'%s': cannot read %s", b->img->ref.text, b->name);
	return (ssize_t)got;
}

static void layout_blob_close(struct oci_blob *b)
{
	if (b->f)
		fclose(b->f);
	b->f = NULL;
}

/* ---- destination */

struct tree {
	char dir[4200];
	char blobs[4300];
	char tmp[4400];
	char digest[ENS_OCI_DIGEST_LEN + 1];
	FILE *f;
};

static int write_whole(const char *path, const void *p, size_t n, struct ens_err *err)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return ens_fail_errno(err, "cannot create '%s'", path);
	if (fwrite(p, 1, n, f) != n) {
		fclose(f);
		return ens_fail_errno(err, "cannot write '%s'", path);
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f))
		return ens_fail_errno(err, "cannot write '%s'", path);
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void layout_abort(struct oci_dest *d)
{
	struct tree *t = d->priv;

	if (!t)
		return;
	if (t->f)
		fclose(t->f);
	nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	d->priv = NULL;
}

static int layout_dst_open(struct oci_dest *d, struct ens_err *err)
{
	struct tree *t;
	struct stat st;

	if (!lstat(d->ref.path, &st))
		return ens_fail(err, ENS_E_USAGE, "'%s' already exists: the destination must be a new directory",
				d->ref.path);
	if (!(t = calloc(1, sizeof *t)))
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (snprintf(t->dir, sizeof t->dir, "%s.ensign-XXXXXX", d->ref.path) >= (int)sizeof t->dir) {
		free(t);
		return ens_fail(err, ENS_E_USAGE, "'%s': path too long", d->ref.path);
	}
	if (!mkdtemp(t->dir)) {
		free(t);
		return ens_fail_errno(err, "cannot create a directory next to '%s'", d->ref.path);
	}
	d->priv = t;
	{
		/* mkdtemp makes it private; the layout gets a directory's usual mode */
		mode_t mask = umask(0);

		umask(mask);
		chmod(t->dir, 0777 & ~mask);
	}
	snprintf(t->blobs, sizeof t->blobs, "%s/blobs", t->dir);
	if (mkdir(t->blobs, 0755)) {
		ens_fail_errno(err, "cannot create '%s'", t->blobs);
		layout_abort(d);
		return -1;
	}
	snprintf(t->blobs, sizeof t->blobs, "%s/blobs/sha256", t->dir);
	if (mkdir(t->blobs, 0755)) {
		ens_fail_errno(err, "cannot create '%s'", t->blobs);
		layout_abort(d);
		return -1;
	}
	return 0;
}

static int layout_blob_begin(struct oci_dest *d, enum oci_blob_kind kind, const char *digest, uint64_t size,
			     bool *have, struct ens_err *err)
{
	struct tree *t = d->priv;

	*have = false;
	snprintf(t->digest, sizeof t->digest, "%s", digest);
	snprintf(t->tmp, sizeof t->tmp, "%s/layer.tmp", t->dir);
	if (!(t->f = fopen(t->tmp, "wb")))
		return ens_fail_errno(err, "cannot create '%s'", t->tmp);
	return 0;
}

static int layout_blob_write(struct oci_dest *d, const void *p, size_t n, struct ens_err *err)
{
	struct tree *t = d->priv;

	if (fwrite(p, 1, n, t->f) != n)
		return ens_fail_errno(err, "cannot write '%s'", t->tmp);
	return 0;
}

static int layout_blob_end(struct oci_dest *d, struct ens_err *err)
{
	struct tree *t = d->priv;
	char path[4400];
	int bad = fflush(t->f) || fsync(fileno(t->f));

	bad |= fclose(t->f);
	t->f = NULL;
	if (bad)
		return ens_fail_errno(err, "cannot write '%s'", t->tmp);
	snprintf(path, sizeof path, "%s/%s", t->blobs, t->digest + 7);
	if (rename(t->tmp, path))
		return ens_fail_errno(err, "cannot rename '%s'", t->tmp);
	return 0;
}

static int layout_put_manifest(struct oci_dest *d, const char *mt, const char *text, size_t len, const char *digest,
			       char *out, struct ens_err *err)
{
	struct tree *t = d->priv;
	const struct ens_oci_image *src = d->src;
	char path[4400], *itext = NULL;
	json_t *desc, *index = NULL;
	const char *tag = *d->ref.tag ? d->ref.tag :
			  *src->ref.tag && src->ref.transport != ENS_OCI_DOCKER_ARCHIVE ? src->ref.tag : "latest";
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", t->blobs, digest + 7);
	if (write_whole(path, text, len, err))
		return -1;
	desc = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", mt, "digest", digest, "size", (json_int_t)len,
			 "annotations", "org.opencontainers.image.ref.name", tag);
	if (!desc || !(index = json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests", desc)) ||
	    !(itext = json_dumps(index, JSON_COMPACT))) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof path, "%s/index.json", t->dir);
	if (write_whole(path, itext, strlen(itext), err))
		goto out;
	snprintf(path, sizeof path, "%s/oci-layout", t->dir);
	if (write_whole(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, err))
		goto out;
	strcpy(out, digest);
	rc = 0;
out:
	json_decref(index);
	free(itext);
	return rc;
}

static int layout_commit(struct oci_dest *d, struct ens_err *err)
{
	struct tree *t = d->priv;

	if (rename(t->dir, d->ref.path)) {
		ens_fail_errno(err, "cannot rename '%s' to '%s'", t->dir, d->ref.path);
		layout_abort(d);
		return -1;
	}
	free(t);
	d->priv = NULL;
	return 0;
}

const struct oci_transport oci_transport_layout = {
	.name = "oci",
	.open = layout_open,
	.blob_open = layout_blob_open,
	.blob_read = layout_blob_read,
	.blob_close = layout_blob_close,
	.dst_open = layout_dst_open,
	.dst_blob_begin = layout_blob_begin,
	.dst_blob_write = layout_blob_write,
	.dst_blob_end = layout_blob_end,
	.dst_put_manifest = layout_put_manifest,
	.dst_commit = layout_commit,
	.dst_abort = layout_abort,
};
