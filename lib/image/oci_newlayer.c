/* Container images, writing side: the new layer (the replaced files and
 * their parent directories, sorted, mtime 0, so the same input gives the
 * same bytes) as tar or tar+gzip, with its digest and diff_id; and copies
 * of the source layers, checked on the way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "oci_int.h"

struct hashed_out {
	FILE *f;		/* NULL: hash only */
	struct oci_sha sha;
	uint64_t size;
	struct ens_err err;
};

static la_ssize_t out_cb(struct archive *a, void *data, const void *p, size_t n)
{
	struct hashed_out *o = data;

	if (o->f && fwrite(p, 1, n, o->f) != n) {
		ens_fail_errno(&o->err, "cannot write the new layer");
		archive_set_error(a, EIO, "%s", o->err.msg);
		return -1;
	}
	if (oci_sha_update(&o->sha, p, n, &o->err)) {
		archive_set_error(a, EIO, "%s", o->err.msg);
		return -1;
	}
	o->size += n;
	return (la_ssize_t)n;
}

struct item {
	const char *path;
	const struct ens_oci_add *file;		/* NULL: a parent directory */
};

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->path, ((const struct item *)b)->path);
}

static void dir_meta(const struct ens_oci_image *img, const char *path, struct archive_entry *e)
{
	archive_entry_set_perm(e, 0755);
	for (size_t i = img->ndirs; i-- > 0;)
		if (!strcmp(img->dirs[i].path, path)) {
			archive_entry_set_perm(e, img->dirs[i].mode);
			archive_entry_set_uid(e, img->dirs[i].uid);
			archive_entry_set_gid(e, img->dirs[i].gid);
			return;
		}
}

static int copy_file(struct archive *a, const struct ens_oci_add *f, struct ens_err *err)
{
	FILE *in = fopen(f->src, "rb");
	static __thread char buf[65536];
	size_t n;
	int rc = 0;

	if (!in)
		return ens_fail_errno(err, "cannot open '%s'", f->src);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (archive_write_data(a, buf, n) != (la_ssize_t)n) {
			rc = ens_fail(err, ENS_E_IO, "cannot write the new layer: %s", archive_error_string(a));
			break;
		}
	if (!rc && ferror(in))
		rc = ens_fail_errno(err, "cannot read '%s'", f->src);
	fclose(in);
	return rc;
}

/* Parent directories plus files, sorted (parents sort before children). */
static int items(const struct ens_oci_edit *ed, struct item **out, size_t *n, char ***dirs, size_t *ndirs,
		 struct ens_err *err)
{
	size_t cap = ed->nfiles, k = 0, nd = 0;
	struct item *v;
	char **d = NULL;

	for (size_t i = 0; i < ed->nfiles; i++)
		for (const char *s = ed->files[i].path; *s; s++)
			cap += *s == '/';
	v = calloc(cap + 1, sizeof *v);
	d = calloc(cap + 1, sizeof *d);
	if (!v || !d) {
		free(v);
		free(d);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < ed->nfiles; i++) {
		const char *p = ed->files[i].path;

		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			char *dir = strndup(p, (size_t)(s - p));
			bool dup = false;

			if (!dir) {
				for (size_t j = 0; j < nd; j++)
					free(d[j]);
				free(d);
				free(v);
				return ens_fail(err, ENS_E_NOMEM, "out of memory");
			}
			for (size_t j = 0; j < nd && !dup; j++)
				dup = !strcmp(d[j], dir);
			if (dup) {
				free(dir);
				continue;
			}
			d[nd++] = dir;
			v[k++] = (struct item){ dir, NULL };
		}
		v[k++] = (struct item){ p, &ed->files[i] };
	}
	qsort(v, k, sizeof *v, by_path);
	*out = v;
	*n = k;
	*dirs = d;
	*ndirs = nd;
	return 0;
}

static int write_tar(const struct ens_oci_image *img, const struct ens_oci_edit *ed, bool gzip,
		     struct hashed_out *o, struct ens_err *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct item *v = NULL;
	char **dirs = NULL;
	size_t n = 0, nd = 0;
	int rc = -1;

	if (!a || !e) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	if (items(ed, &v, &n, &dirs, &nd, err))
		goto out;
	archive_write_set_format_pax_restricted(a);
	if (gzip && (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		     archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK)) {
		ens_fail(err, ENS_E_UNSUPPORTED, "gzip: %s", archive_error_string(a));
		goto out;
	}
	/* no padding after the end of the archive: Go's gzip reader rejects it
	 * after a gzip stream, and both passes must see the same tar (diff_id) */
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, o, NULL, out_cb, NULL) != ARCHIVE_OK)
		goto archive_failed;
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, v[i].path);
		archive_entry_set_mtime(e, 0, 0);
		if (v[i].file) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, v[i].file->mode & 07777);
			archive_entry_set_uid(e, v[i].file->uid);
			archive_entry_set_gid(e, v[i].file->gid);
			{
				FILE *f = fopen(v[i].file->src, "rb");

				if (!f || fseeko(f, 0, SEEK_END)) {
					if (f)
						fclose(f);
					ens_fail_errno(err, "cannot open '%s'", v[i].file->src);
					goto out;
				}
				archive_entry_set_size(e, ftello(f));
				fclose(f);
			}
		} else {
			archive_entry_set_filetype(e, AE_IFDIR);
			dir_meta(img, v[i].path, e);
		}
		if (archive_write_header(a, e) != ARCHIVE_OK)
			goto archive_failed;
		if (v[i].file && copy_file(a, v[i].file, err))
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto archive_failed;
	rc = 0;
	goto out;
archive_failed:
	if (o->err.code != ENS_OK)
		*err = o->err;
	else
		ens_fail(err, ENS_E_IO, "cannot write the new layer: %s", archive_error_string(a));
out:
	if (a)
		archive_write_free(a);
	archive_entry_free(e);
	for (size_t i = 0; i < nd; i++)
		free(dirs[i]);
	free(dirs);
	free(v);
	return rc;
}

int oci_newlayer(const struct ens_oci_image *img, const struct ens_oci_edit *ed, bool gzip, FILE *f,
		 struct oci_newlayer *nl, struct ens_err *err)
{
	struct hashed_out o = { 0 };

	memset(nl, 0, sizeof *nl);
	/* the diff_id is the digest of the plain tar: write it (or only hash it) */
	o.f = gzip ? NULL : f;
	if (oci_sha_init(&o.sha, err))
		return -1;
	if (write_tar(img, ed, false, &o, err)) {
		oci_sha_free(&o.sha);
		return -1;
	}
	if (oci_sha_final(&o.sha, nl->diff_id, err))
		return -1;
	nl->tar_size = o.size;
	if (!gzip) {
		strcpy(nl->digest, nl->diff_id);
		nl->size = o.size;
		return 0;
	}
	memset(&o, 0, sizeof o);
	o.f = f;
	if (oci_sha_init(&o.sha, err))
		return -1;
	if (write_tar(img, ed, true, &o, err)) {
		oci_sha_free(&o.sha);
		return -1;
	}
	nl->size = o.size;
	return oci_sha_final(&o.sha, nl->digest, err);
}

int oci_copy_layer(const struct ens_oci_image *img, size_t i, bool decompress, oci_write_fn write, void *ctx,
		   uint64_t *size, char *diff_id, struct ens_err *err)
{
	struct oci_layer_reader *r = malloc(sizeof *r);
	struct oci_sha sha = { 0 };
	uint64_t n = 0;
	int rc = -1;

	if (!r)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (!decompress) {
		ssize_t got;

		if (oci_blob_open(&r->blob, img, img->layers[i].digest, img->layers[i].size,
				  img->layers[i].member ? img->layers[i].member : "layer", err)) {
			free(r);
			return -1;
		}
		while ((got = oci_blob_read(&r->blob, r->blob.buf, sizeof r->blob.buf, err)) > 0) {
			if (write(ctx, r->blob.buf, (size_t)got, err))
				break;
			n += (uint64_t)got;
		}
		oci_blob_close(&r->blob);
		free(r);
		if (got)
			return -1;
		*size = n;
		if (diff_id)
			strcpy(diff_id, img->layers[i].digest);
		return 0;
	}
	/* gzip layer -> plain tar: through libarchive's raw format */
	{
		struct archive_entry *e;
		static __thread uint8_t buf[65536];
		la_ssize_t got;

		if (oci_layer_open(r, img, i, true, err)) {
			free(r);
			return -1;
		}
		if (oci_sha_init(&sha, err))
			goto out;
		if (archive_read_next_header(r->ar, &e) != ARCHIVE_OK) {
			oci_layer_fail(r, err);
			goto out;
		}
		while ((got = archive_read_data(r->ar, buf, sizeof buf)) > 0) {
			if (write(ctx, buf, (size_t)got, err) || oci_sha_update(&sha, buf, (size_t)got, err))
				goto out;
			n += (uint64_t)got;
		}
		if (got < 0) {
			oci_layer_fail(r, err);
			goto out;
		}
		if (oci_layer_finish(r, err))
			goto out;
		*size = n;
		rc = diff_id ? oci_sha_final(&sha, diff_id, err) : 0;
	}
out:
	oci_sha_free(&sha);
	oci_layer_close(r);
	free(r);
	return rc;
}
