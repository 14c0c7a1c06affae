/* Container images, writing side, the same for every transport: the
 * source layers copied (or, when the destination has them, skipped), the
 * new layer, the new configuration (diff_id, history, labels) and the
 * manifest, last, through the destination's transport (oci_int.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "oci_int.h"

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

static json_t *descriptor(const char *mt, const char *digest, uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)size);
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

static int dest_write(void *ctx, const void *p, size_t n, struct ens_err *err)
{
	struct oci_dest *d = ctx;

	return d->tp->dst_blob_write(d, p, n, err);
}

/* Source layer i to the destination (as a plain tar when it wants those). */
static int put_layer(struct oci_dest *d, size_t i, json_t *layers, struct ens_err *err)
{
	const struct ens_oci_image *src = d->src;
	const struct ens_oci_layer *l = &src->layers[i];
	bool unzip = d->tp->plain_layers && l->gzip, have;
	char digest[ENS_OCI_DIGEST_LEN + 1];
	uint64_t size, got;

	/* a gzip layer becomes a plain tar: one pass for its size, one to copy */
	if (unzip ? oci_copy_layer(src, i, true, discard, NULL, &size, digest, err) : plain_size(src, i, &size, err))
		return -1;
	if (!unzip)
		strcpy(digest, l->digest);
	if (d->tp->dst_blob_begin(d, OCI_BLOB_LAYER, digest, size, &have, err))
		return -1;
	if (!have && (oci_copy_layer(src, i, unzip, dest_write, d, &got, NULL, err) || d->tp->dst_blob_end(d, err)))
		return -1;
	if (l->desc ? json_array_append(layers, l->desc)
		    : json_array_append_new(layers, descriptor(l->media_type, l->digest, size)))
		return nomem(err);
	return 0;
}

static int put_file(struct oci_dest *d, enum oci_blob_kind kind, const char *digest, FILE *f, uint64_t size,
		    struct ens_err *err)
{
	static __thread char buf[65536];
	bool have;
	size_t n;

	if (d->tp->dst_blob_begin(d, kind, digest, size, &have, err))
		return -1;
	if (have)
		return 0;
	rewind(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		if (d->tp->dst_blob_write(d, buf, n, err))
			return -1;
	if (ferror(f))
		return ens_fail_errno(err, "cannot read the new layer");
	return d->tp->dst_blob_end(d, err);
}

static int put_mem(struct oci_dest *d, enum oci_blob_kind kind, const char *digest, const void *p, size_t n,
		   struct ens_err *err)
{
	bool have;

	if (d->tp->dst_blob_begin(d, kind, digest, n, &have, err))
		return -1;
	if (have)
		return 0;
	if (d->tp->dst_blob_write(d, p, n, err))
		return -1;
	return d->tp->dst_blob_end(d, err);
}

static int build(struct oci_dest *d, const struct ens_oci_edit *ed, char *digest, struct ens_err *err)
{
	const struct ens_oci_image *src = d->src;
	bool docker_mt = src->manifest_media_type && !strcmp(src->manifest_media_type, MT_DOCKER_MANIFEST);
	bool gzip = !d->tp->plain_layers && ed->compression == ENS_OCI_GZIP;
	const char *mmt = docker_mt ? MT_DOCKER_MANIFEST : MT_OCI_MANIFEST;
	json_t *man = NULL, *layers;
	struct oci_newlayer nl;
	char *cfg = NULL, *mtext = NULL, cdigest[ENS_OCI_DIGEST_LEN + 1], mdigest[ENS_OCI_DIGEST_LEN + 1];
	size_t clen = 0;
	FILE *f = NULL;
	int rc = -1;

	man = src->manifest ? json_deep_copy(src->manifest)
			    : json_pack("{s:i, s:s}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST);
	if (!man || (!src->manifest && json_object_set_new(man, "layers", json_array()))) {
		nomem(err);
		goto out;
	}
	layers = json_object_get(man, "layers");
	json_array_clear(layers);
	for (size_t i = 0; i < src->nlayers; i++)
		if (put_layer(d, i, layers, err))
			goto out;
	if (!(f = tmpfile())) {
		ens_fail_errno(err, "cannot create a temporary file");
		goto out;
	}
	if (oci_newlayer(src, ed, gzip, f, &nl, err))
		goto out;
	if (fflush(f)) {
		ens_fail_errno(err, "cannot write the new layer");
		goto out;
	}
	if (put_file(d, OCI_BLOB_LAYER, nl.digest, f, nl.size, err))
		goto out;
	if (json_array_append_new(layers, descriptor(docker_mt ? (gzip ? MT_DOCKER_LAYER_GZIP :
								  "application/vnd.docker.image.rootfs.diff.tar")
							       : (gzip ? MT_OCI_LAYER_GZIP : MT_OCI_LAYER),
						     nl.digest, nl.size))) {
		nomem(err);
		goto out;
	}
	if (new_config(src, ed, nl.diff_id, &cfg, &clen, err) || oci_sha_buf(cfg, clen, cdigest, err) ||
	    put_mem(d, OCI_BLOB_CONFIG, cdigest, cfg, clen, err))
		goto out;
	if (json_object_set_new(man, "config", descriptor(docker_mt ? MT_DOCKER_CONFIG : MT_OCI_CONFIG, cdigest, clen)) ||
	    !(mtext = json_dumps(man, JSON_COMPACT))) {
		nomem(err);
		goto out;
	}
	if (oci_sha_buf(mtext, strlen(mtext), mdigest, err) ||
	    d->tp->dst_put_manifest(d, mmt, mtext, strlen(mtext), mdigest, digest, err))
		goto out;
	rc = 0;
out:
	if (f)
		fclose(f);
	json_decref(man);
	free(cfg);
	free(mtext);
	return rc;
}

int ens_image_write(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const char *dst,
		    struct ens_image_opts *opts, char digest[ENS_OCI_DIGEST_LEN + 1], struct ens_err *err)
{
	struct oci_dest d = { 0 };

	if (ens_oci_ref_parse(dst, &d.ref, err))
		return -1;
	d.tp = oci_transport_of(d.ref.transport);
	d.src = src;
	d.opts = opts ? opts : src->opts;
	if (d.tp->dst_open(&d, err))
		return -1;
	if (build(&d, ed, digest, err)) {
		d.tp->dst_abort(&d);
		return -1;
	}
	return d.tp->dst_commit(&d, err);
}

int ens_oci_write(const struct ens_oci_image *src, const struct ens_oci_edit *ed, const char *dst,
		  char digest[ENS_OCI_DIGEST_LEN + 1], struct ens_err *err)
{
	return ens_image_write(src, ed, dst, NULL, digest, err);
}
