/* Container images, shared internals of lib/image/: the transport
 * interface, reading blobs with their digest checked as they stream,
 * SHA-256 helpers, media types. */
#ifndef ENSIGN_OCI_INT_H
#define ENSIGN_OCI_INT_H

#include <stdio.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "ensign/oci.h"
#include "ensign/image.h"

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
	bool manifest;			/* a manifest, not a blob (registry: /manifests/) */
	FILE *f;			/* oci: */
	struct archive *outer;		/* docker-archive */
	void *priv;			/* docker:// stream */
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

/* ---- The transport interface: one of these per transport. */
enum oci_blob_kind { OCI_BLOB_LAYER, OCI_BLOB_CONFIG };
struct oci_dest {
	const struct oci_transport *tp;
	struct ens_oci_ref ref;
	const struct ens_oci_image *src;
	struct ens_image_opts *opts;
	void *priv;
};
struct oci_transport {
	const char *name;
	/* Source: resolve img->ref to manifest, config and layers. */
	int (*open)(struct ens_oci_image *img, struct ens_err *err);
	void (*close)(struct ens_oci_image *img);
	/* A blob (or, b->manifest, a manifest) by digest as a stream of raw
	 * bytes; oci_blob_* hashes and checks them. 'what' names it (docker-
	 * archive: the tar member). blob_open may set b->expect_size. */
	int (*blob_open)(struct oci_blob *b, const char *digest, const char *what, struct ens_err *err);
	ssize_t (*blob_read)(struct oci_blob *b, void *p, size_t n, struct ens_err *err);
	void (*blob_close)(struct oci_blob *b);
	/* Destination: layers must be plain tars (docker-archive). */
	bool plain_layers;
	/* d->ref, d->src, d->opts set; refuses a destination it would overwrite. */
	int (*dst_open)(struct oci_dest *d, struct ens_err *err);
	/* Begin a blob of known digest and size; *have: the destination has it
	 * already (or mounted it): do not write it. */
	int (*dst_blob_begin)(struct oci_dest *d, enum oci_blob_kind kind, const char *digest, uint64_t size,
			      bool *have, struct ens_err *err);
	int (*dst_blob_write)(struct oci_dest *d, const void *p, size_t n, struct ens_err *err);
	int (*dst_blob_end)(struct oci_dest *d, struct ens_err *err);
	/* The manifest, last; 'digest' is its digest; out: what the caller
	 * reports (manifest digest, or docker-archive's config digest). */
	int (*dst_put_manifest)(struct oci_dest *d, const char *mt, const char *text, size_t len, const char *digest,
				char *out, struct ens_err *err);
	int (*dst_commit)(struct oci_dest *d, struct ens_err *err);
	void (*dst_abort)(struct oci_dest *d);
};
extern const struct oci_transport oci_transport_layout, oci_transport_docker_archive, oci_transport_registry;
const struct oci_transport *oci_transport_of(enum ens_oci_transport t);

/* Shared by the transports' open (oci_image.c): the JSON object in buf;
 * from an index the entry for the platform (nested) or tag; a manifest
 * descriptor (an index is followed to its platform's entry) to manifest,
 * config and layers. */
int oci_parse_json(const struct ens_oci_image *img, const char *what, const uint8_t *buf, size_t len, json_t **out,
		   struct ens_err *err);
json_t *oci_pick(const struct ens_oci_image *img, json_t *index, const char *tag, bool nested, struct ens_err *err);
int oci_open_descriptor(struct ens_oci_image *img, json_t *d, struct ens_err *err);
bool oci_mt_index(const char *mt);
/* docker:// (transport_registry.c): the document served for a tag or
 * digest to the manifest descriptor to open; an error body to text. */
int oci_registry_doc(struct ens_oci_image *img, const uint8_t *body, size_t len, const char *ctype,
		     json_t **desc, struct ens_err *err);
void oci_registry_error_text(long status, const uint8_t *body, size_t blen, char *out, size_t len);
bool oci_mt_manifest(const char *mt);

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
