/* Container images, writing side: the new configuration (diff_id, history,
 * labels), manifest and index, and the output as an OCI layout directory
 * (built next to it, then renamed) or a docker archive (atomic file). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "oci_int.h"
#include "ensign/io.h"

static int nomem(struct ens_err *err) { return ens_fail(err, ENS_E_NOMEM, "out of memory"); }

static json_t *object_child(json_t *o, const char *key)
{
	json_t *c = json_object_get(o, key);

	if (!json_is_object(c)) {
		c = json_object();
		if (!c || json_object_set_new(o, key, c))
			return NULL;
	}
	return c;
}

/* The source configuration plus the new layer, history entry and labels. */
static int new_config(const struct ens_oci_image *img, const struct ens_oci_edit *ed, const char *diff_id,
		      char **out, size_t *len, struct ens_err *err)
{
	json_t *c = json_deep_copy(img->config), *rootfs, *ids, *labels, *hist, *h;
	size_t hn = 0, i;

	if (!c || !(rootfs = object_child(c, "rootfs")))
		goto nomem;
	ids = json_object_get(rootfs, "diff_ids");
	if (json_array_append_new(ids, json_string(diff_id)))
		goto nomem;
	if (!(labels = object_child(object_child(c, "config"), "Labels")))
		goto nomem;
	for (i = 0; i < ed->nlabels; i++) {
		if (ed->labels[i].value ? json_object_set_new(labels, ed->labels[i].key, json_string(ed->labels[i].value))
					: (json_object_del(labels, ed->labels[i].key), 0))
			goto nomem;
	}
	hist = json_object_get(c, "history");
	json_array_foreach(hist, i, h)
		hn += !json_is_true(json_object_get(h, "empty_layer"));
	/* a history must cover every layer: extend only a consistent one */
	if ((json_is_array(hist) && hn == img->nlayers) || (!hist && !img->nlayers)) {
		if (!hist && (!(hist = json_array()) || json_object_set_new(c, "history", hist)))
			goto nomem;
		if (!(h = json_object()) || json_array_append_new(hist, h))
			goto nomem;
		if ((ed->created && json_object_set_new(h, "created", json_string(ed->created))) ||
		    (ed->created_by && json_object_set_new(h, "created_by", json_string(ed->created_by))) ||
		    (ed->comment && json_object_set_new(h, "comment", json_string(ed->comment))))
			goto nomem;
	}
	*out = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	if (!*out)
		return nomem(err);
	*len = strlen(*out);
	return 0;
nomem:
	json_decref(c);
	return nomem(err);
}

/* ---- OCI layout output */

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

static int file_write(void *ctx, const void *p, size_t n, struct ens_err *err)
{
	if (fwrite(p, 1, n, ctx) != n)
		return ens_fail_errno(err, "cannot write a layer");
	return 0;
}

struct tree {
	char dir[4200];
	char blobs[4300];
};

static int blob_path(const struct tree *t, const char *digest, char *out, size_t len)
{
	return snprintf(out, len, "%s/%s", t->blobs, digest + 7) >= (int)len ? -1 : 0;
}

static int put_blob(const struct tree *t, const char *digest, const void *p, size_t n, struct ens_err *err)
{
	char path[4400];

	blob_path(t, digest, path, sizeof path);
	return write_whole(path, p, n, err);
}

static json_t *descriptor(const char *mt, const char *digest, uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)size);
}

/* Copy (or convert) the source layers into the tree; their descriptors into layers. */
static int oci_layers(const struct ens_oci_image *src, const struct tree *t, json_t *layers, struct ens_err *err)
{
	char tmp[4400], path[4400];

	for (size_t i = 0; i < src->nlayers; i++) {
		const struct ens_oci_layer *l = &src->layers[i];
		uint64_t size;
		FILE *f;
		int r;

		snprintf(tmp, sizeof tmp, "%s/layer.tmp", t->dir);
		if (!(f = fopen(tmp, "wb")))
			return ens_fail_errno(err, "cannot create '%s'", tmp);
		r = oci_copy_layer(src, i, false, file_write, f, &size, NULL, err);
		if (fflush(f) || fsync(fileno(f)))
			r = r ? r : ens_fail_errno(err, "cannot write '%s'", tmp);
		fclose(f);
		blob_path(t, l->digest, path, sizeof path);
		if (r || rename(tmp, path))
			return r ? r : ens_fail_errno(err, "cannot rename '%s'", tmp);
		if (l->desc) {
			if (json_array_append(layers, l->desc))
				return nomem(err);
		} else if (json_array_append_new(layers, descriptor(l->media_type, l->digest, size))) {
			return nomem(err);
		}
	}
	return 0;
}

static int oci_build(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const struct ens_oci_ref *dst,
		     const struct tree *t, char *digest, struct ens_err *err)
{
	bool docker_mt = src->manifest_media_type && !strcmp(src->manifest_media_type, MT_DOCKER_MANIFEST);
	bool gzip = ed->compression == ENS_OCI_GZIP;
	json_t *man = NULL, *layers, *index = NULL, *d;
	struct oci_newlayer nl;
	char path[4400], *cfg = NULL, *mtext = NULL, *itext = NULL, cdigest[ENS_OCI_DIGEST_LEN + 1];
	size_t clen;
	FILE *f;
	int rc = -1, r;

	if (mkdir(t->blobs, 0755) && errno != EEXIST)
		return ens_fail_errno(err, "cannot create '%s'", t->blobs);
	man = src->manifest ? json_deep_copy(src->manifest)
			    : json_pack("{s:i, s:s}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST);
	if (!man || (!src->manifest && json_object_set_new(man, "layers", json_array()))) {
		nomem(err);
		goto out;
	}
	layers = json_object_get(man, "layers");
	json_array_clear(layers);
	if (oci_layers(src, t, layers, err))
		goto out;
	snprintf(path, sizeof path, "%s/layer.tmp", t->dir);
	if (!(f = fopen(path, "wb"))) {
		ens_fail_errno(err, "cannot create '%s'", path);
		goto out;
	}
	r = oci_newlayer(src, ed, gzip, f, &nl, err);
	if (!r && (fflush(f) || fsync(fileno(f))))
		r = ens_fail_errno(err, "cannot write '%s'", path);
	fclose(f);
	if (r)
		goto out;
	{
		char final[4400];

		blob_path(t, nl.digest, final, sizeof final);
		if (rename(path, final)) {
			ens_fail_errno(err, "cannot rename '%s'", path);
			goto out;
		}
	}
	if (json_array_append_new(layers, descriptor(docker_mt ? (gzip ? MT_DOCKER_LAYER_GZIP :
								  "application/vnd.docker.image.rootfs.diff.tar")
							       : (gzip ? MT_OCI_LAYER_GZIP : MT_OCI_LAYER),
						     nl.digest, nl.size))) {
		nomem(err);
		goto out;
	}
	if (new_config(src, ed, nl.diff_id, &cfg, &clen, err) || oci_sha_buf(cfg, clen, cdigest, err) ||
	    put_blob(t, cdigest, cfg, clen, err))
		goto out;
	if (json_object_set_new(man, "config", descriptor(docker_mt ? MT_DOCKER_CONFIG : MT_OCI_CONFIG, cdigest, clen)) ||
	    !(mtext = json_dumps(man, JSON_COMPACT))) {
		nomem(err);
		goto out;
	}
	if (oci_sha_buf(mtext, strlen(mtext), digest, err) || put_blob(t, digest, mtext, strlen(mtext), err))
		goto out;
	d = descriptor(docker_mt ? MT_DOCKER_MANIFEST : MT_OCI_MANIFEST, digest, strlen(mtext));
	if (!d || json_object_set_new(d, "annotations", json_pack("{s:s}", "org.opencontainers.image.ref.name",
								  *dst->tag ? dst->tag : *src->ref.tag &&
								  src->ref.transport == ENS_OCI_LAYOUT ?
								  src->ref.tag : "latest")) ||
	    !(index = json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests", d)) ||
	    !(itext = json_dumps(index, JSON_COMPACT))) {
		nomem(err);
		goto out;
	}
	snprintf(path, sizeof path, "%s/index.json", t->dir);
	if (write_whole(path, itext, strlen(itext), err))
		goto out;
	snprintf(path, sizeof path, "%s/oci-layout", t->dir);
	if (write_whole(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, err))
		goto out;
	rc = 0;
out:
	json_decref(man);
	json_decref(index);
	free(cfg);
	free(mtext);
	free(itext);
	return rc;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int write_layout(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const struct ens_oci_ref *dst,
			char *digest, struct ens_err *err)
{
	struct tree t;
	struct stat st;

	if (!lstat(dst->path, &st))
		return ens_fail(err, ENS_E_USAGE, "'%s' already exists: the destination must be a new directory",
				dst->path);
	if (snprintf(t.dir, sizeof t.dir, "%s.ensign-XXXXXX", dst->path) >= (int)sizeof t.dir)
		return ens_fail(err, ENS_E_USAGE, "'%s': path too long", dst->path);
	if (!mkdtemp(t.dir))
		return ens_fail_errno(err, "cannot create a directory next to '%s'", dst->path);
	{
		/* mkdtemp makes it private; the layout gets a directory's usual mode */
		mode_t mask = umask(0);

		umask(mask);
		chmod(t.dir, 0777 & ~mask);
	}
	snprintf(t.blobs, sizeof t.blobs, "%s/blobs", t.dir);
	if (mkdir(t.blobs, 0755)) {
		ens_fail_errno(err, "cannot create '%s'", t.blobs);
		goto fail;
	}
	snprintf(t.blobs, sizeof t.blobs, "%s/blobs/sha256", t.dir);
	if (oci_build(src, ed, dst, &t, digest, err))
		goto fail;
	if (rename(t.dir, dst->path)) {
		ens_fail_errno(err, "cannot rename '%s' to '%s'", t.dir, dst->path);
		goto fail;
	}
	return 0;
fail:
	nftw(t.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return -1;
}

/* ---- docker archive output */

struct tar_out {
	struct ens_out out;
	struct archive *a;
	struct ens_err err;
};

static la_ssize_t tar_cb(struct archive *a, void *data, const void *p, size_t n)
{
	struct tar_out *t = data;

	if (ens_out_write(&t->out, p, n, &t->err)) {
		archive_set_error(a, EIO, "%s", t->err.msg);
		return -1;
	}
	return (la_ssize_t)n;
}

static int tar_fail(struct tar_out *t, struct ens_err *err)
{
	if (t->err.code != ENS_OK)
		*err = t->err;
	else if (err->code == ENS_OK)
		ens_fail(err, ENS_E_IO, "cannot write '%s': %s", t->out.path, archive_error_string(t->a));
	return -1;
}

static int tar_header(struct tar_out *t, const char *name, uint64_t size, struct ens_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return nomem(err);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(t->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : tar_fail(t, err);
}

static int tar_data(void *ctx, const void *p, size_t n, struct ens_err *err)
{
	struct tar_out *t = ctx;

	if (archive_write_data(t->a, p, n) != (la_ssize_t)n)
		return tar_fail(t, err);
	return 0;
}

static int discard(void *ctx, const void *p, size_t n, struct ens_err *err) { return 0; }

/* Size of a plain layer: from the manifest, else its docker-archive member. */
static int plain_size(const struct ens_oci_image *src, size_t i, uint64_t *size, struct ens_err *err)
{
	struct oci_blob *b;

	*size = src->layers[i].size;
	if (*size != UINT64_MAX)
		return 0;
	if (!(b = malloc(sizeof *b)))
		return nomem(err);
	if (oci_blob_open(b, src, src->layers[i].digest, UINT64_MAX, src->layers[i].member, err)) {
		free(b);
		return -1;
	}
	*size = b->expect_size;
	oci_blob_close(b);
	free(b);
	return 0;
}

static int tar_file(struct tar_out *t, const char *name, FILE *f, uint64_t size, struct ens_err *err)
{
	static __thread char buf[65536];
	size_t n;

	if (tar_header(t, name, size, err))
		return -1;
	rewind(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		if (tar_data(t, buf, n, err))
			return -1;
	return ferror(f) ? ens_fail_errno(err, "cannot read the new layer") : 0;
}

static int docker_build(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const struct ens_oci_ref *dst,
			struct tar_out *t, FILE *layer, char *digest, struct ens_err *err)
{
	json_t *names = json_array(), *tags, *list = NULL;
	struct oci_newlayer nl;
	char name[100], *cfg = NULL, *mtext = NULL;
	size_t clen;
	int rc = -1;

	if (!names)
		return nomem(err);
	for (size_t i = 0; i < src->nlayers; i++) {
		char diff_id[ENS_OCI_DIGEST_LEN + 1];
		uint64_t size;
		bool gz = src->layers[i].gzip;

		/* a gzip layer becomes a plain tar: one pass for its size, one to copy */
		if (gz ? oci_copy_layer(src, i, true, discard, NULL, &size, diff_id, err)
		       : plain_size(src, i, &size, err))
			goto out;
		if (!gz)
			strcpy(diff_id, src->layers[i].digest);
		snprintf(name, sizeof name, "%s.tar", diff_id + 7);
		if (tar_header(t, name, size, err) || oci_copy_layer(src, i, gz, tar_data, t, &size, NULL, err) ||
		    json_array_append_new(names, json_string(name)))
			goto out;
	}
	if (oci_newlayer(src, ed, false, layer, &nl, err))
		goto out;
	snprintf(name, sizeof name, "%s.tar", nl.diff_id + 7);
	if (fflush(layer) || tar_file(t, name, layer, nl.tar_size, err) ||
	    json_array_append_new(names, json_string(name)))
		goto out;
	if (new_config(src, ed, nl.diff_id, &cfg, &clen, err) || oci_sha_buf(cfg, clen, digest, err))
		goto out;
	snprintf(name, sizeof name, "%s.json", digest + 7);
	if (tar_header(t, name, clen, err) || tar_data(t, cfg, clen, err))
		goto out;
	if (*dst->tag)
		tags = json_pack("[s]", dst->tag);
	else
		tags = src->repo_tags ? json_deep_copy(src->repo_tags) : json_array();
	if (!tags || !(list = json_pack("[{s:s, s:o, s:O}]", "Config", name, "RepoTags", tags, "Layers", names)) ||
	    !(mtext = json_dumps(list, JSON_COMPACT))) {
		nomem(err);
		goto out;
	}
	if (tar_header(t, "manifest.json", strlen(mtext), err) || tar_data(t, mtext, strlen(mtext), err))
		goto out;
	rc = 0;
out:
	json_decref(names);
	json_decref(list);
	free(cfg);
	free(mtext);
	return rc;
}

static int write_archive(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const struct ens_oci_ref *dst,
			 char *digest, struct ens_err *err)
{
	struct tar_out t = { 0 };
	FILE *layer = tmpfile();
	int rc = -1;

	if (!layer)
		return ens_fail_errno(err, "cannot create a temporary file");
	if (ens_out_open(&t.out, dst->path, 0644, err)) {
		fclose(layer);
		return -1;
	}
	if (!(t.a = archive_write_new())) {
		nomem(err);
		goto out;
	}
	archive_write_set_format_pax_restricted(t.a);
	if (archive_write_open(t.a, &t, NULL, tar_cb, NULL) != ARCHIVE_OK) {
		tar_fail(&t, err);
		goto out;
	}
	if (docker_build(src, ed, dst, &t, layer, digest, err))
		goto out;
	if (archive_write_close(t.a) != ARCHIVE_OK) {
		tar_fail(&t, err);
		goto out;
	}
	rc = ens_out_commit(&t.out, err);
out:
	if (t.a)
		archive_write_free(t.a);
	if (rc)
		ens_out_abort(&t.out);
	fclose(layer);
	return rc;
}

int ens_oci_write(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const char *dst,
		  char digest[ENS_OCI_DIGEST_LEN + 1],
		  struct ens_err *err)
{
	struct ens_oci_ref ref;

	if (ens_oci_ref_parse(dst, &ref, err))
		return -1;
	if (ref.transport == ENS_OCI_LAYOUT)
		return write_layout(src, ed, &ref, digest, err);
	return write_archive(src, ed, &ref, digest, err);
}
