/* Container images, shared internals of lib/back/oci_*.c: reading blobs
 * with their digest checked as they stream, SHA-256 helpers, media types. */
#ifndef ENSIGN_OCI_INT_H
#define ENSIGN_OCI_INT_H

#include <stdio.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "ensign/oci.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define OCI_MAX_JSON (16u << 20)	/* index, manifest, config */

/* Streaming SHA-256. */
struct oci_sha {
	EVP_MD_CTX *ctx;
};
int oci_sha_init(struct oci_sha *s, struct ens_err *err);
int oci_sha_update(struct oci_sha *s, const void *p, size_t n, struct ens_err *err);
/* "sha256:<hex>" into out (ENS_OCI_DIGEST_LEN + 1); frees the context. */
int oci_sha_final(struct oci_sha *s, char *out, struct ens_err *err);
void oci_sha_free(struct oci_sha *s);
int oci_sha_buf(const void *p, size_t n, char *out, struct ens_err *err);
/* "sha256:" followed by 64 lower-case hex digits. */
bool oci_digest_valid(const char *d);

/* A blob read from its source, hashed on the way; finish checks it. */
struct oci_blob {
	const struct ens_oci_image *img;
	char name[600];			/* for messages */
	char expect[ENS_OCI_DIGEST_LEN + 1];	/* "" = no digest to check */
	uint64_t expect_size;		/* UINT64_MAX = unknown */
	uint64_t nread;
	FILE *f;
	struct archive *outer;		/* docker-archive */
	struct oci_sha sha;
	bool eof;
	unsigned char buf[65536];
};
/* OCI: digest names blobs/sha256/<hex> and member is a word for messages
 * ("manifest", "layer"; NULL: "blob"); docker-archive: member names the tar
 * member (digest may be NULL or "" when nothing names its content). */
int oci_blob_open(struct oci_blob *b, const struct ens_oci_image *img, const char *digest,
		  uint64_t size, const char *member, struct ens_err *err);
/* Up to n bytes; 0 at the end (after which the digest was checked). */
ssize_t oci_blob_read(struct oci_blob *b, void *p, size_t n, struct ens_err *err);
/* Read to the end and check digest and size. */
int oci_blob_finish(struct oci_blob *b, struct ens_err *err);
void oci_blob_close(struct oci_blob *b);
/* A whole small blob (JSON) in memory, checked. */
int oci_blob_slurp(const struct ens_oci_image *img, const char *digest, uint64_t size, const char *member,
		   uint8_t **out, size_t *len, struct ens_err *err);

/* A layer as a libarchive reader (tar, gzip or plain), digest checked at
 * the end of the stream. */
struct oci_layer_reader {
	struct oci_blob blob;
	struct archive *ar;
	struct ens_err *err;		/* where the read callback reports */
};
int oci_layer_open(struct oci_layer_reader *r, const struct ens_oci_image *img, size_t i, bool raw,
		   struct ens_err *err);
/* Consume what is left of the blob and check its digest. */
int oci_layer_finish(struct oci_layer_reader *r, struct ens_err *err);
void oci_layer_close(struct oci_layer_reader *r);
/* libarchive's message for r, into err. */
int oci_layer_fail(struct oci_layer_reader *r, struct ens_err *err);

/* Media type classes. */
bool oci_mt_layer(const char *mt, bool *gzip);

/* docker-archive: the member named 'name' (a symbolic link is followed
 * once) positioned for reading in a new archive *out. */
int oci_docker_member(const char *file, const char *name, struct archive **out, int64_t *size,
		      struct ens_err *err);

/* Read index/manifest/config of each transport (oci_layout.c, oci_docker.c). */
int oci_layout_open(struct ens_oci_image *img, struct ens_err *err);
int oci_docker_open(struct ens_oci_image *img, struct ens_err *err);

/* The new layer (oci_newlayer.c), written to f: tar, or tar+gzip. */
struct oci_newlayer {
	char digest[ENS_OCI_DIGEST_LEN + 1];	/* of the blob as written */
	char diff_id[ENS_OCI_DIGEST_LEN + 1];	/* of the plain tar */
	uint64_t size, tar_size;
};
int oci_newlayer(const struct ens_oci_image *img, const struct ens_oci_edit *ed, bool gzip, FILE *f,
		 struct oci_newlayer *nl, struct ens_err *err);
/* Source layer i to write(ctx, ...), digest checked; decompress turns a
 * gzip layer into its plain tar and sets diff_id (else the blob's digest). */
typedef int (*oci_write_fn)(void *ctx, const void *p, size_t n, struct ens_err *err);
int oci_copy_layer(const struct ens_oci_image *img, size_t i, bool decompress, oci_write_fn write, void *ctx,
		   uint64_t *size, char *diff_id, struct ens_err *err);

#endif
