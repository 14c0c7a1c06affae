/* Image transport docker://: a registry (OCI distribution API v2) through
 * registry_http.c. Source: the manifest by tag or digest (an image index
 * or manifest list gives the platform's entry), blobs streamed and checked
 * against digest and size by oci_blob_*. Destination: each blob checked
 * with HEAD first, mounted from the source repository when both are on one
 * registry, else uploaded (in chunks of bounded size); the manifest is put
 * last, so a failure leaves the tag as it was. */
#include <stdlib.h>
#include <string.h>
#include "oci_int.h"
#include "registry.h"

#define ACCEPT_MANIFESTS MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_LIST
#define UPLOAD_CHUNK (16u << 20)

static int nomem(struct ens_err *err) { return ens_fail(err, ENS_E_NOMEM, "out of memory"); }

/* "HTTP n CODE: message" of a registry error body, or "HTTP n". */
void oci_registry_error_text(long status, const uint8_t *body, size_t blen, char *out, size_t len)
{
	json_t *o = body && blen ? json_loadb((const char *)body, blen, 0, NULL) : NULL;
	json_t *e = json_array_get(json_object_get(o, "errors"), 0);
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (code)
		snprintf(out, len, "HTTP %ld %.64s%s%.200s", status, code, msg ? ": " : "", msg ? msg : "");
	else
		snprintf(out, len, "HTTP %ld", status);
	/* the registry's words: printable ASCII only */
	for (char *c = out; *c; c++)
		if (*c < ' ' || *c > '~')
			*c = '?';
	json_decref(o);
}

static void answer_text(const struct reg_resp *resp, char *out, size_t len)
{
	oci_registry_error_text(resp->status, resp->body, resp->len, out, len);
}

/* ---- source */

/* The document a registry served for a tag or digest: its digest checked
 * against a wanted one, its media type (Content-Type, else its mediaType),
 * an index's entry for the platform; *desc the manifest descriptor to open. */
int oci_registry_doc(struct ens_oci_image *img, const uint8_t *body, size_t len, const char *ctype,
		     json_t **desc, struct ens_err *err)
{
	char mt[256], digest[ENS_OCI_DIGEST_LEN + 1];
	json_t *doc = NULL, *d;
	int rc = -1;

	*desc = NULL;
	if (oci_sha_buf(body, len, digest, err) || oci_parse_json(img, "manifest", body, len, &doc, err))
		return -1;
	if (*img->ref.digest && strcmp(digest, img->ref.digest)) {
		ens_fail(err, ENS_E_VERIFY, "'%s': the manifest's digest is %s", img->ref.text, digest);
		goto out;
	}
	snprintf(mt, sizeof mt, "%s", ctype ? ctype : "");
	mt[strcspn(mt, "; ")] = 0;
	if (json_is_string(json_object_get(doc, "mediaType")))
		snprintf(mt, sizeof mt, "%s", json_string_value(json_object_get(doc, "mediaType")));
	if (oci_mt_index(mt)) {
		if (!(d = oci_pick(img, doc, "", true, err)))
			goto out;
		*desc = json_incref(d);
	} else if (!(*desc = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)len))) {
		nomem(err);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

static int reg_open(struct ens_oci_image *img, struct ens_err *err)
{
	struct reg *r = calloc(1, sizeof *r);
	struct reg_resp resp = { .max = OCI_MAX_JSON };
	const char *ref = *img->ref.digest ? img->ref.digest : *img->ref.tag ? img->ref.tag : "latest";
	char path[4700], text[400];
	json_t *desc = NULL;
	int rc = -1;

	if (!r)
		return nomem(err);
	if (reg_init(r, &img->ref, img->opts, false, NULL, err)) {
		free(r);
		return -1;
	}
	img->priv = r;
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", r->repo, ref);
	if (reg_request(r, "GET", path, ACCEPT_MANIFESTS, NULL, NULL, 0, &resp, err))
		goto out;
	if (resp.status != 200) {
		oci_registry_error_text(resp.status, resp.body, resp.len, text, sizeof text);
		ens_fail(err, ENS_E_FORMAT, "'%s': %s: no image '%s:%s' (%s)", img->ref.text, r->host, r->repo, ref, text);
		goto out;
	}
	if (oci_registry_doc(img, resp.body ? resp.body : (const uint8_t *)"", resp.len, resp.ctype, &desc, err))
		goto out;
	rc = oci_open_descriptor(img, desc, err);
out:
	json_decref(desc);
	reg_resp_free(&resp);
	return rc;
}

int ens_image_registry_get_index(const char *ref, struct ens_image_opts *opts, char **text, size_t *len, char *mt,
				 size_t mtlen, struct ens_err *err)
{
	static struct ens_oci_ref rf;
	struct reg r;
	struct reg_resp resp = { .max = OCI_MAX_JSON };
	char path[4700], msg[400], digest[ENS_OCI_DIGEST_LEN + 1];
	json_t *doc = NULL;
	const char *tag;
	int rc = -1;

	*text = NULL;
	if (ens_oci_ref_parse(ref, &rf, err))
		return -1;
	if (rf.transport != ENS_OCI_REGISTRY)
		return ens_fail(err, ENS_E_USAGE, "'%s': not a docker:// reference", ref);
	tag = *rf.digest ? rf.digest : *rf.tag ? rf.tag : "latest";
	if (reg_init(&r, &rf, opts, false, NULL, err))
		return -1;
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", r.repo, tag);
	if (reg_request(&r, "GET", path, ACCEPT_MANIFESTS, NULL, NULL, 0, &resp, err))
		goto out;
	if (resp.status != 200) {
		answer_text(&resp, msg, sizeof msg);
		ens_fail(err, ENS_E_FORMAT, "'%s': %s: no image '%s:%s' (%s)", ref, r.host, r.repo, tag, msg);
		goto out;
	}
	if (oci_sha_buf(resp.body, resp.len, digest, err))
		goto out;
	if (*rf.digest && strcmp(digest, rf.digest)) {
		ens_fail(err, ENS_E_VERIFY, "'%s': the index's digest is %s", ref, digest);
		goto out;
	}
	doc = resp.body ? json_loadb((const char *)resp.body, resp.len, 0, NULL) : NULL;
	snprintf(mt, mtlen, "%s", json_is_string(json_object_get(doc, "mediaType")) ?
		 json_string_value(json_object_get(doc, "mediaType")) : resp.ctype);
	mt[strcspn(mt, "; ")] = 0;
	if (!json_is_object(doc) || !oci_mt_index(mt)) {
		ens_fail(err, ENS_E_USAGE, "'%s': not an image index or manifest list (media type '%s'): drop"
			 " --all-platforms", ref, mt);
		goto out;
	}
	*text = (char *)resp.body;
	*len = resp.len;
	resp.body = NULL;
	rc = 0;
out:
	json_decref(doc);
	reg_resp_free(&resp);
	reg_free(&r);
	return rc;
}

int ens_image_registry_put_index(const char *dst, const char *tag, struct ens_image_opts *opts, const char *mt,
				 const char *text, size_t len, char digest[ENS_OCI_DIGEST_LEN + 1], struct ens_err *err)
{
	static struct ens_oci_ref rf;
	struct reg r;
	struct reg_resp resp = { .max = 1u << 16 };
	char path[4700], msg[400];
	int rc = -1;

	if (ens_oci_ref_parse(dst, &rf, err) || oci_sha_buf(text, len, digest, err))
		return -1;
	if (reg_init(&r, &rf, opts, true, NULL, err))
		return -1;
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", r.repo, tag);
	if (reg_request(&r, "PUT", path, NULL, mt, text, len, &resp, err))
		goto out;
	if (resp.status != 201) {
		answer_text(&resp, msg, sizeof msg);
		ens_fail(err, ENS_E_IO, "'%s': %s: the index was refused (%s)", dst, r.host, msg);
		goto out;
	}
	opts->bytes_uploaded += len;
	rc = 0;
out:
	reg_resp_free(&resp);
	reg_free(&r);
	return rc;
}

static void reg_close(struct ens_oci_image *img)
{
	if (img->priv) {
		reg_free(img->priv);
		free(img->priv);
	}
	img->priv = NULL;
}

static int reg_blob_open(struct oci_blob *b, const char *digest, const char *what, struct ens_err *err)
{
	struct reg *r = b->img->priv;
	char path[4700];

	if (!digest || !oci_digest_valid(digest))
		return ens_fail(err, ENS_E_FORMAT, "'%s': bad digest '%s'", b->img->ref.text, digest ? digest : "");
	snprintf(b->name, sizeof b->name, "%s %s", what ? what : "blob", digest);
	snprintf(path, sizeof path, "/v2/%s/%s/%s", r->repo, b->manifest ? "manifests" : "blobs", digest);
	return reg_stream_open(r, path, b->manifest ? ACCEPT_MANIFESTS : NULL, b->name, (struct reg_stream **)&b->priv,
			       err);
}

static ssize_t reg_blob_read(struct oci_blob *b, void *p, size_t n, struct ens_err *err)
{
	const struct ens_image_opts *o = b->img->opts;
	ssize_t got = reg_stream_read(b->priv, p, n, err);

	if (got >= 0 && o->progress && !b->manifest)
		o->progress(o->progress_ctx, b->name, b->nread + (uint64_t)got, b->expect_size, got == 0);
	return got;
}

static void reg_blob_close(struct oci_blob *b)
{
	reg_stream_close(b->priv);
	b->priv = NULL;
}

/* ---- destination */

struct push {
	struct reg r;
	char tag[512];
	char location[4096];
	char digest[ENS_OCI_DIGEST_LEN + 1];
	uint64_t size, sent;
	uint8_t *buf;
	size_t len;
};

static void reg_abort(struct oci_dest *d)
{
	struct push *p = d->priv;

	if (!p)
		return;
	reg_free(&p->r);
	free(p->buf);
	free(p);
	d->priv = NULL;
}

static int reg_dst_open(struct oci_dest *d, struct ens_err *err)
{
	const struct ens_oci_image *src = d->src;
	const char *from = NULL;
	struct push *p;

	if (*d->ref.digest)
		return ens_fail(err, ENS_E_USAGE, "'%s': a destination is a tag, not a digest", d->ref.text);
	if (!(p = calloc(1, sizeof *p)))
		return nomem(err);
	if (src->ref.transport == ENS_OCI_REGISTRY && !strcmp(src->ref.host, d->ref.host) &&
	    strcmp(src->ref.path, d->ref.path))
		from = src->ref.path;
	if (reg_init(&p->r, &d->ref, d->opts, true, from, err)) {
		free(p);
		return -1;
	}
	snprintf(p->tag, sizeof p->tag, "%s", *d->ref.tag ? d->ref.tag :
		 *src->ref.tag && src->ref.transport != ENS_OCI_DOCKER_ARCHIVE ? src->ref.tag : "latest");
	d->priv = p;
	return 0;
}

static int reg_blob_begin(struct oci_dest *d, enum oci_blob_kind kind, const char *digest, uint64_t size,
			  bool *have, struct ens_err *err)
{
	struct push *p = d->priv;
	struct reg_resp resp = { .max = 1u << 16 };
	char path[8400], text[400];
	int rc = -1;

	*have = false;
	snprintf(p->digest, sizeof p->digest, "%s", digest);
	p->size = size;
	p->sent = 0;
	p->len = 0;
	snprintf(path, sizeof path, "/v2/%s/blobs/%s", p->r.repo, digest);
	if (reg_request(&p->r, "HEAD", path, NULL, NULL, NULL, 0, &resp, err))
		goto out;
	if (resp.status == 200) {
		*have = true;
		d->opts->blobs_skipped++;
		rc = 0;
		goto out;
	}
	if (*p->r.mount_from)
		snprintf(path, sizeof path, "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->r.repo, digest,
			 p->r.mount_from);
	else
		snprintf(path, sizeof path, "/v2/%s/blobs/uploads/", p->r.repo);
	if (reg_request(&p->r, "POST", path, NULL, NULL, NULL, 0, &resp, err))
		goto out;
	if (resp.status == 201 && *p->r.mount_from) {
		*have = true;
		d->opts->blobs_mounted++;
		rc = 0;
		goto out;
	}
	if (resp.status != 202 || !*resp.location) {
		answer_text(&resp, text, sizeof text);
		ens_fail(err, ENS_E_IO, "'%s': %s: cannot start an upload to '%s' (%s)", d->ref.text, p->r.host,
			 p->r.repo, text);
		goto out;
	}
	snprintf(p->location, sizeof p->location, "%s", resp.location);
	if (!p->buf && !(p->buf = malloc(UPLOAD_CHUNK))) {
		nomem(err);
		goto out;
	}
	rc = 0;
out:
	reg_resp_free(&resp);
	return rc;
}

/* PATCH (more to come) or PUT ?digest= (the end) of what is buffered. */
static int flush(struct oci_dest *d, bool last, struct ens_err *err)
{
	struct push *p = d->priv;
	struct reg_resp resp = { .max = 1u << 16 };
	char url[8400], text[400];
	const struct ens_image_opts *o = d->opts;
	int rc = -1;

	if (last)
		snprintf(url, sizeof url, "%s%sdigest=%s", p->location, strchr(p->location, '?') ? "&" : "?", p->digest);
	else
		snprintf(url, sizeof url, "%s", p->location);
	if (reg_request(&p->r, last ? "PUT" : "PATCH", url, NULL, "application/octet-stream", p->buf, p->len, &resp,
			err))
		goto out;
	if (resp.status != (last ? 201 : 202)) {
		answer_text(&resp, text, sizeof text);
		ens_fail(err, ENS_E_IO, "'%s': %s: upload of %s refused (%s)", d->ref.text, p->r.host, p->digest, text);
		goto out;
	}
	d->opts->bytes_uploaded += p->len;
	p->sent += p->len;
	p->len = 0;
	if (!last && *resp.location)
		snprintf(p->location, sizeof p->location, "%s", resp.location);
	if (o->progress) {
		char what[100];

		snprintf(what, sizeof what, "push %s", p->digest);
		o->progress(o->progress_ctx, what, p->sent, p->size, last);
	}
	rc = 0;
out:
	reg_resp_free(&resp);
	return rc;
}

static int reg_blob_write(struct oci_dest *d, const void *data, size_t n, struct ens_err *err)
{
	struct push *p = d->priv;
	const uint8_t *s = data;

	while (n) {
		size_t k = UPLOAD_CHUNK - p->len < n ? UPLOAD_CHUNK - p->len : n;

		memcpy(p->buf + p->len, s, k);
		p->len += k;
		s += k;
		n -= k;
		if (p->len == UPLOAD_CHUNK && flush(d, false, err))
			return -1;
	}
	return 0;
}

static int reg_blob_end(struct oci_dest *d, struct ens_err *err)
{
	return flush(d, true, err);
}

static int reg_put_manifest(struct oci_dest *d, const char *mt, const char *text, size_t len, const char *digest,
			    char *out, struct ens_err *err)
{
	struct push *p = d->priv;
	struct reg_resp resp = { .max = 1u << 16 };
	char path[4700], msg[400];
	int rc = -1;

	snprintf(path, sizeof path, "/v2/%s/manifests/%s", p->r.repo, d->opts->manifest_by_digest ? digest : p->tag);
	if (reg_request(&p->r, "PUT", path, NULL, mt, text, len, &resp, err))
		goto out;
	if (resp.status != 201) {
		answer_text(&resp, msg, sizeof msg);
		ens_fail(err, ENS_E_IO, "'%s': %s: the manifest was refused (%s)", d->ref.text, p->r.host, msg);
		goto out;
	}
	if (*resp.digest && strcmp(resp.digest, digest)) {
		ens_fail(err, ENS_E_VERIFY, "'%s': %s stored the manifest as %s, not %s", d->ref.text, p->r.host,
			 resp.digest, digest);
		goto out;
	}
	d->opts->bytes_uploaded += len;
	d->opts->manifest_size = len;
	snprintf(d->opts->manifest_mt, sizeof d->opts->manifest_mt, "%s", mt);
	strcpy(out, digest);
	rc = 0;
out:
	reg_resp_free(&resp);
	return rc;
}

static int reg_commit(struct oci_dest *d, struct ens_err *err)
{
	reg_abort(d);	/* the manifest put was the commit */
	return 0;
}

const struct oci_transport oci_transport_registry = {
	.name = "docker",
	.open = reg_open,
	.close = reg_close,
	.blob_open = reg_blob_open,
	.blob_read = reg_blob_read,
	.blob_close = reg_blob_close,
	.dst_open = reg_dst_open,
	.dst_blob_begin = reg_blob_begin,
	.dst_blob_write = reg_blob_write,
	.dst_blob_end = reg_blob_end,
	.dst_put_manifest = reg_put_manifest,
	.dst_commit = reg_commit,
	.dst_abort = reg_abort,
};
