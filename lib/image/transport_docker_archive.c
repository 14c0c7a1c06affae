/* Image transport docker-archive: a `docker save` tar. Source:
 * manifest.json, configuration <hex>.json, uncompressed layer tars whose
 * digests are the configuration's diff_ids; a blob is a tar member.
 * Destination: plain layer tars, <config>.json and manifest.json written
 * as one tar stream into an atomic file (lib/io/atomic.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "oci_int.h"
#include "ensign/io.h"

static int docker_member(const char *file, const char *name, struct archive **out, int64_t *size,
		      struct ens_err *err)
{
	char want[1024], link[1024] = "";

	if (strlen(name) >= sizeof want)
		return ens_fail(err, ENS_E_FORMAT, "'%s': member name too long", file);
	strcpy(want, name);
	for (int hops = 0; hops < 2; hops++) {
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		int r;

		if (!a)
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		archive_read_support_format_tar(a);
		if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK) {
			ens_fail(err, ENS_E_IO, "cannot read '%s': %s", file, archive_error_string(a));
			archive_read_free(a);
			return -1;
		}
		while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
			const char *p = archive_entry_pathname(e);

			if (p && !strncmp(p, "./", 2))
				p += 2;
			if (!p || strcmp(p, want))
				continue;
			if (archive_entry_filetype(e) == AE_IFREG) {
				*out = a;
				*size = archive_entry_size(e);
				return 0;
			}
			if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e)) {
				/* legacy "ID/layer.tar -> ../DIGEST.tar" */
				const char *t = archive_entry_symlink(e), *slash = strrchr(want, '/');
				size_t dl = slash ? (size_t)(slash - want) : 0;

				while (!strncmp(t, "../", 3) && dl) {
					t += 3;
					while (dl && want[dl - 1] != '/')
						dl--;
					if (dl)
						dl--;
				}
				snprintf(link, sizeof link, "%.*s%s%s", (int)dl, want, dl ? "/" : "", t);
				break;
			}
			r = ARCHIVE_EOF;
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_EOF) {
			ens_fail(err, ENS_E_FORMAT, "'%s': %s", file, archive_error_string(a));
			archive_read_free(a);
			return -1;
		}
		archive_read_free(a);
		if (!*link)
			break;
		strcpy(want, link);
		*link = 0;
	}
	return ens_fail(err, ENS_E_FORMAT, "'%s': no file '%s' in the archive", file, name);
}


static int slurp_member(const struct ens_oci_image *img, const char *name, const char *digest, uint8_t **buf,
			size_t *len, json_t **out, struct ens_err *err)
{
	json_error_t je;

	if (oci_blob_slurp(img, digest, UINT64_MAX, name, buf, len, err))
		return -1;
	*out = json_loadb((const char *)*buf, *len, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return ens_fail(err, ENS_E_FORMAT, "'%s': '%s' is not valid JSON: %s (line %d)", img->ref.text, name,
				je.text, je.line);
	return 0;
}

static bool tag_matches(const char *have, const char *want)
{
	static const char *const prefixes[] = { "", "docker.io/", "docker.io/library/" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(have, prefixes[i], n) && !strcmp(have + n, want))
			return true;
	}
	return false;
}

static json_t *pick(const struct ens_oci_image *img, json_t *list, struct ens_err *err)
{
	size_t i, j;
	json_t *e, *t;

	if (!json_is_array(list) || !json_array_size(list)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': manifest.json lists no image", img->ref.text);
		return NULL;
	}
	if (!*img->ref.tag) {
		if (json_array_size(list) == 1)
			return json_array_get(list, 0);
		ens_fail(err, ENS_E_USAGE, "'%s': the archive holds %zu images: name one with docker-archive:FILE:NAME:TAG",
			 img->ref.text, json_array_size(list));
		return NULL;
	}
	json_array_foreach(list, i, e) {
		json_array_foreach(json_object_get(e, "RepoTags"), j, t)
			if (json_is_string(t) && tag_matches(json_string_value(t), img->ref.tag))
				return e;
	}
	ens_fail(err, ENS_E_FORMAT, "'%s': no image tagged '%s' in the archive", img->ref.text, img->ref.tag);
	return NULL;
}

/* "<64 hex>.json" (docker save before 25, skopeo) or "blobs/sha256/<64 hex>"
 * (docker save 25 and later) names its own digest. */
static void digest_from_name(const char *name, const char *ext, char *out)
{
	const char *base = strrchr(name, '/');
	size_t n;
	char d[ENS_OCI_DIGEST_LEN + 1];

	*out = 0;
	base = base ? base + 1 : name;
	n = strlen(base);
	if (n == 64 + strlen(ext) && !strcmp(base + 64, ext))
		;
	else if (n != 64 || base - name < 13 || strncmp(base - 13, "blobs/sha256/", 13))
		return;
	snprintf(d, sizeof d, "sha256:%.64s", base);
	if (oci_digest_valid(d))
		strcpy(out, d);
}

static int docker_open(struct ens_oci_image *img, struct ens_err *err)
{
	json_t *list = NULL, *entry, *layers, *l, *diff_ids;
	uint8_t *buf = NULL;
	size_t len, i;
	const char *cfgname;
	char want[ENS_OCI_DIGEST_LEN + 1];
	int rc = -1;

	if (slurp_member(img, "manifest.json", NULL, &buf, &len, &list, err))
		goto out;
	free(buf);
	buf = NULL;
	if (!(entry = pick(img, list, err)))
		goto out;
	cfgname = json_string_value(json_object_get(entry, "Config"));
	layers = json_object_get(entry, "Layers");
	if (!cfgname || !json_is_array(layers)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': manifest.json entry lacks Config or Layers", img->ref.text);
		goto out;
	}
	digest_from_name(cfgname, ".json", want);
	if (slurp_member(img, cfgname, want, &buf, &len, &img->config, err) ||
	    oci_sha_buf(buf, len, img->config_digest, err))
		goto out;
	if (!json_is_object(img->config)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': the configuration is not a JSON object", img->ref.text);
		goto out;
	}
	img->repo_tags = json_incref(json_object_get(entry, "RepoTags"));
	diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	if (json_array_size(diff_ids) != json_array_size(layers)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': %zu layers but %zu diff_ids in the configuration", img->ref.text,
			 json_array_size(layers), json_array_size(diff_ids));
		goto out;
	}
	if (!(img->layers = calloc(json_array_size(layers) + 1, sizeof *img->layers))) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(layers, i, l) {
		struct ens_oci_layer *ly = &img->layers[i];
		const char *d = json_string_value(json_array_get(diff_ids, i));

		if (!json_is_string(l) || !d || !oci_digest_valid(d)) {
			ens_fail(err, ENS_E_FORMAT, "'%s': layer %zu: bad name or diff_id", img->ref.text, i + 1);
			goto out;
		}
		/* docker save layers are plain tars: their digest is the diff_id */
		strcpy(ly->digest, d);
		ly->size = UINT64_MAX;
		if (!(ly->member = strdup(json_string_value(l))) || !(ly->media_type = strdup(MT_OCI_LAYER))) {
			ens_fail(err, ENS_E_NOMEM, "out of memory");
			img->nlayers = i + 1;
			goto out;
		}
		img->nlayers = i + 1;
	}
	rc = 0;
out:
	free(buf);
	json_decref(list);
	return rc;
}

static int docker_blob_open(struct oci_blob *b, const char *digest, const char *member, struct ens_err *err)
{
	int64_t msize;

	snprintf(b->name, sizeof b->name, "'%s'", member);
	if (docker_member(b->img->ref.path, member, &b->outer, &msize, err))
		return -1;
	if (b->expect_size == UINT64_MAX)
		b->expect_size = (uint64_t)msize;
	return 0;
}

static ssize_t docker_blob_read(struct oci_blob *b, void *p, size_t n, struct ens_err *err)
{
	la_ssize_t got = archive_read_data(b->outer, p, n);

	if (got < 0)
		return ens_fail(err, ENS_E_IO, "'%s': cannot read '%s': %s", b->img->ref.text, b->name,
				archive_error_string(b->outer));
	return got;
}

static void docker_blob_close(struct oci_blob *b)
{
	if (b->outer)
		archive_read_free(b->outer);
	b->outer = NULL;
}

/* ---- destination */

struct tar_out {
	struct ens_out out;
	struct archive *a;
	struct ens_err err;
	json_t *names;			/* layer members in order */
	char config[100];		/* config member */
	char config_digest[ENS_OCI_DIGEST_LEN + 1];
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

static void docker_abort(struct oci_dest *d)
{
	struct tar_out *t = d->priv;

	if (!t)
		return;
	if (t->a)
		archive_write_free(t->a);
	ens_out_abort(&t->out);
	json_decref(t->names);
	free(t);
	d->priv = NULL;
}

static int docker_dst_open(struct oci_dest *d, struct ens_err *err)
{
	struct tar_out *t = calloc(1, sizeof *t);

	if (!t)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (ens_out_open(&t->out, d->ref.path, 0644, err)) {
		free(t);
		return -1;
	}
	d->priv = t;
	if (!(t->names = json_array()) || !(t->a = archive_write_new())) {
		docker_abort(d);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	archive_write_set_format_pax_restricted(t->a);
	if (archive_write_open(t->a, t, NULL, tar_cb, NULL) != ARCHIVE_OK) {
		tar_fail(t, err);
		docker_abort(d);
		return -1;
	}
	return 0;
}

static int docker_blob_begin(struct oci_dest *d, enum oci_blob_kind kind, const char *digest, uint64_t size,
			     bool *have, struct ens_err *err)
{
	struct tar_out *t = d->priv;
	struct archive_entry *e;
	char name[100];
	int r;

	*have = false;
	snprintf(name, sizeof name, "%s%s", digest + 7, kind == OCI_BLOB_CONFIG ? ".json" : ".tar");
	if (kind == OCI_BLOB_CONFIG) {
		strcpy(t->config, name);
		strcpy(t->config_digest, digest);
	} else if (json_array_append_new(t->names, json_string(name))) {
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	if (!(e = archive_entry_new()))
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(t->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : tar_fail(t, err);
}

static int docker_blob_write(struct oci_dest *d, const void *p, size_t n, struct ens_err *err)
{
	struct tar_out *t = d->priv;

	if (archive_write_data(t->a, p, n) != (la_ssize_t)n)
		return tar_fail(t, err);
	return 0;
}

static int docker_blob_end(struct oci_dest *d, struct ens_err *err) { return 0; }

/* manifest.json from the members written; the manifest itself is not kept. */
static int docker_put_manifest(struct oci_dest *d, const char *mt, const char *text, size_t len, const char *digest,
			       char *out, struct ens_err *err)
{
	struct tar_out *t = d->priv;
	json_t *tags, *list = NULL;
	char *mtext = NULL;
	bool have;
	int rc = -1;

	if (*d->ref.tag)
		tags = json_pack("[s]", d->ref.tag);
	else
		tags = d->src->repo_tags ? json_deep_copy(d->src->repo_tags) : json_array();
	if (!tags || !(list = json_pack("[{s:s, s:o, s:O}]", "Config", t->config, "RepoTags", tags, "Layers",
					t->names)) ||
	    !(mtext = json_dumps(list, JSON_COMPACT))) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	/* manifest.json is a member like the others, with a fixed name */
	{
		struct archive_entry *e = archive_entry_new();
		int r;

		if (!e) {
			ens_fail(err, ENS_E_NOMEM, "out of memory");
			goto out;
		}
		archive_entry_set_pathname(e, "manifest.json");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0444);
		archive_entry_set_size(e, (la_int64_t)strlen(mtext));
		archive_entry_set_mtime(e, 0, 0);
		r = archive_write_header(t->a, e);
		archive_entry_free(e);
		if (r != ARCHIVE_OK) {
			tar_fail(t, err);
			goto out;
		}
	}
	(void)have;
	if (docker_blob_write(d, mtext, strlen(mtext), err))
		goto out;
	strcpy(out, t->config_digest);
	rc = 0;
out:
	json_decref(list);
	free(mtext);
	return rc;
}

static int docker_commit(struct oci_dest *d, struct ens_err *err)
{
	struct tar_out *t = d->priv;

	if (archive_write_close(t->a) != ARCHIVE_OK) {
		tar_fail(t, err);
		docker_abort(d);
		return -1;
	}
	archive_write_free(t->a);
	t->a = NULL;
	if (ens_out_commit(&t->out, err)) {
		docker_abort(d);
		return -1;
	}
	json_decref(t->names);
	free(t);
	d->priv = NULL;
	return 0;
}

const struct oci_transport oci_transport_docker_archive = {
	.name = "docker-archive",
	.open = docker_open,
	.blob_open = docker_blob_open,
	.blob_read = docker_blob_read,
	.blob_close = docker_blob_close,
	.plain_layers = true,
	.dst_open = docker_dst_open,
	.dst_blob_begin = docker_blob_begin,
	.dst_blob_write = docker_blob_write,
	.dst_blob_end = docker_blob_end,
	.dst_put_manifest = docker_put_manifest,
	.dst_commit = docker_commit,
	.dst_abort = docker_abort,
};
