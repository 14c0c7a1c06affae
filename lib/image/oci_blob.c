/* Container images, reading side: SHA-256 digests, and blobs streamed from
 * any transport with their digest and size checked on the way, including
 * layers opened as libarchive readers. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "oci_int.h"
#include "ensign/util.h"

int oci_sha_init(struct oci_sha *s, struct ens_err *err)
{
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
		oci_sha_free(s);
		return ens_fail_crypto(err, "cannot start SHA-256");
	}
	return 0;
}

int oci_sha_update(struct oci_sha *s, const void *p, size_t n, struct ens_err *err)
{
	if (n && !EVP_DigestUpdate(s->ctx, p, n))
		return ens_fail_crypto(err, "SHA-256 failed");
	return 0;
}

int oci_sha_final(struct oci_sha *s, char *out, struct ens_err *err)
{
	uint8_t md[32];
	int ok = EVP_DigestFinal_ex(s->ctx, md, NULL);

	oci_sha_free(s);
	if (!ok)
		return ens_fail_crypto(err, "SHA-256 failed");
	memcpy(out, "sha256:", 7);
	ens_hex(md, 32, out + 7);
	return 0;
}

void oci_sha_free(struct oci_sha *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

int oci_sha_buf(const void *p, size_t n, char *out, struct ens_err *err)
{
	struct oci_sha s;

	if (oci_sha_init(&s, err))
		return -1;
	if (oci_sha_update(&s, p, n, err)) {
		oci_sha_free(&s);
		return -1;
	}
	return oci_sha_final(&s, out, err);
}

bool oci_digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) || strlen(d) != ENS_OCI_DIGEST_LEN)
		return false;
	for (d += 7; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return false;
	return true;
}

bool oci_mt_layer(const char *mt, bool *gzip)
{
	static const char *const plain[] = { MT_OCI_LAYER, "application/vnd.oci.image.layer.nondistributable.v1.tar",
					     "application/vnd.docker.image.rootfs.diff.tar" };
	static const char *const gz[] = { MT_OCI_LAYER_GZIP, MT_DOCKER_LAYER_GZIP,
					  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
					  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" };

	for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
		if (!strcmp(mt, plain[i])) {
			*gzip = false;
			return true;
		}
	for (size_t i = 0; i < sizeof gz / sizeof *gz; i++)
		if (!strcmp(mt, gz[i])) {
			*gzip = true;
			return true;
		}
	return false;
}

int oci_blob_open(struct oci_blob *b, const struct ens_oci_image *img, const char *digest,
		  uint64_t size, const char *member, struct ens_err *err)
{
	bool manifest = member && (!strcmp(member, "manifest") || !strcmp(member, "image index"));

	memset(b, 0, offsetof(struct oci_blob, buf));	/* buf needs no clearing */
	b->img = img;
	b->expect_size = size;
	b->manifest = manifest;
	if (digest)
		snprintf(b->expect, sizeof b->expect, "%s", digest);
	if (oci_sha_init(&b->sha, err))
		return -1;
	if (oci_transport_of(img->ref.transport)->blob_open(b, digest, member, err)) {
		oci_sha_free(&b->sha);
		return -1;
	}
	return 0;
}

static int blob_check(struct oci_blob *b, struct ens_err *err)
{
	char got[ENS_OCI_DIGEST_LEN + 1];

	if (oci_sha_final(&b->sha, got, err))
		return -1;
	if (b->expect_size != UINT64_MAX && b->nread != b->expect_size)
		return ens_fail(err, ENS_E_VERIFY, "'%s': %s has %" PRIu64 " bytes, the manifest says %" PRIu64,
				b->img->ref.text, b->name, b->nread, b->expect_size);
	if (*b->expect && strcmp(got, b->expect))
		return ens_fail(err, ENS_E_VERIFY, "'%s': %s is corrupted: its digest is %s", b->img->ref.text,
				b->name, got);
	return 0;
}

ssize_t oci_blob_read(struct oci_blob *b, void *p, size_t n, struct ens_err *err)
{
	ssize_t got;

	if (b->eof)
		return 0;
	got = oci_transport_of(b->img->ref.transport)->blob_read(b, p, n, err);
	if (got < 0)
		return -1;
	if (!got) {
		b->eof = true;
		return blob_check(b, err);
	}
	b->nread += (uint64_t)got;
	if (b->expect_size != UINT64_MAX && b->nread > b->expect_size)
		return ens_fail(err, ENS_E_VERIFY, "'%s': %s is larger than the manifest says (%" PRIu64 " bytes)",
				b->img->ref.text, b->name, b->expect_size);
	if (oci_sha_update(&b->sha, p, (size_t)got, err))
		return -1;
	return got;
}

int oci_blob_finish(struct oci_blob *b, struct ens_err *err)
{
	ssize_t r;

	while ((r = oci_blob_read(b, b->buf, sizeof b->buf, err)) > 0)
		;
	return r < 0 ? -1 : 0;
}

void oci_blob_close(struct oci_blob *b)
{
	if (b->img)
		oci_transport_of(b->img->ref.transport)->blob_close(b);
	oci_sha_free(&b->sha);
}

#define SLURP_CHUNK 8192
int oci_blob_slurp(const struct ens_oci_image *img, const char *digest, uint64_t size, const char *member,
		   uint8_t **out, size_t *len, struct ens_err *err)
{
	struct oci_blob *b = malloc(sizeof *b);
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;

	if (!b)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (oci_blob_open(b, img, digest, size, member, err)) {
		free(b);
		return -1;
	}
	/* JSON documents are mostly a few KiB: start small, double as needed */
	do {
		if (n + SLURP_CHUNK + 1 > cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : SLURP_CHUNK * 2;
			if (cap > OCI_MAX_JSON + SLURP_CHUNK * 2 || !(nb = realloc(buf, cap))) {
				r = ens_fail(err, cap > OCI_MAX_JSON ? ENS_E_FORMAT : ENS_E_NOMEM,
					     cap > OCI_MAX_JSON ? "'%s': %s is too large" : "out of memory",
					     img->ref.text, b->name);
				break;
			}
			buf = nb;
		}
		r = oci_blob_read(b, buf + n, SLURP_CHUNK, err);
		if (r > 0)
			n += (size_t)r;
	} while (r > 0);
	oci_blob_close(b);
	free(b);
	if (r < 0) {
		free(buf);
		return -1;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static la_ssize_t layer_read_cb(struct archive *a, void *data, const void **p)
{
	struct oci_layer_reader *r = data;
	ssize_t n = oci_blob_read(&r->blob, r->blob.buf, sizeof r->blob.buf, r->err);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", r->err->msg);
		return -1;
	}
	*p = r->blob.buf;
	return n;
}

int oci_layer_open(struct oci_layer_reader *r, const struct ens_oci_image *img, size_t i, bool raw,
		   struct ens_err *err)
{
	const struct ens_oci_layer *l = &img->layers[i];

	memset(r, 0, sizeof *r);
	r->err = err;
	if (oci_blob_open(&r->blob, img, l->digest, l->size, l->member ? l->member : "layer", err))
		return -1;
	if (!(r->ar = archive_read_new())) {
		oci_blob_close(&r->blob);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	if (raw)
		archive_read_support_format_raw(r->ar);
	else
		archive_read_support_format_tar(r->ar);
	if (l->gzip)
		archive_read_support_filter_gzip(r->ar);
	if (archive_read_open(r->ar, r, NULL, layer_read_cb, NULL) != ARCHIVE_OK) {
		oci_layer_fail(r, err);
		oci_layer_close(r);
		return -1;
	}
	return 0;
}

int oci_layer_fail(struct oci_layer_reader *r, struct ens_err *err)
{
	struct ens_err digest_err = { 0 };

	/* a damaged blob usually breaks gzip or tar first: name the real cause */
	if (!r->blob.eof)
		oci_blob_finish(&r->blob, &digest_err);
	if (digest_err.code == ENS_E_VERIFY) {
		*err = digest_err;
		return -1;
	}
	if (err->code == ENS_OK)
		ens_fail(err, ENS_E_FORMAT, "'%s': %s: %s", r->blob.img->ref.text, r->blob.name,
			 archive_error_string(r->ar) ? archive_error_string(r->ar) : "unreadable tar");
	return -1;
}

int oci_layer_finish(struct oci_layer_reader *r, struct ens_err *err)
{
	return oci_blob_finish(&r->blob, err);
}

void oci_layer_close(struct oci_layer_reader *r)
{
	if (r->ar)
		archive_read_free(r->ar);
	r->ar = NULL;
	oci_blob_close(&r->blob);
}
