/* Container images (enclaveos-signer style): read an image from an OCI
 * layout, a `docker save` archive or a registry, find the enclaves in its
 * merged filesystem by streaming the layers, and write a new image that is
 * the source plus one layer of replaced files (lib/image/; where images
 * live is the transport interface of include/ensign/image.h). */
#ifndef ENSIGN_OCI_H
#define ENSIGN_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct json_t;
struct ens_image_opts;

/* References, named after skopeo's transports:
 *   oci:DIR[:TAG]                 OCI image layout directory
 *   docker-archive:FILE[:NAME:TAG] docker save tar
 *   docker://HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]  registry (distribution
 *                                 API v2); docker.io short names as skopeo */
enum ens_oci_transport { ENS_OCI_LAYOUT = 1, ENS_OCI_DOCKER_ARCHIVE, ENS_OCI_REGISTRY };
struct ens_oci_ref {
	enum ens_oci_transport transport;
	char path[4096];		/* docker://: the repository ("library/alpine") */
	char tag[512];			/* "" when not given */
	char text[4700];		/* the reference as written, for messages */
	char host[256];			/* docker://: "host[:port]" as in the API URL */
	char digest[72];		/* docker://: "sha256:..." after '@', else "" */
};
int ens_oci_ref_parse(const char *s, struct ens_oci_ref *ref, struct ens_err *err);

#define ENS_OCI_DIGEST_LEN 71		/* "sha256:" + 64 hex digits */

struct ens_oci_layer {
	char *media_type;		/* as in the manifest (docker-archive: an OCI tar type) */
	char digest[ENS_OCI_DIGEST_LEN + 1];
	uint64_t size;
	bool gzip;
	char *member;			/* docker-archive: the tar member holding it */
	struct json_t *desc;		/* OCI: its manifest descriptor (kept in the new manifest) */
};

/* A directory's owner and mode, for the parents of replaced files. */
struct ens_oci_dir {
	char *path;
	uint32_t mode;
	int64_t uid, gid;
};

struct ens_oci_image {
	struct ens_oci_ref ref;
	struct json_t *manifest;	/* OCI: the manifest; docker-archive: NULL */
	char manifest_digest[ENS_OCI_DIGEST_LEN + 1];	/* "" for docker-archive */
	char *manifest_media_type;
	struct json_t *config;		/* the image configuration */
	char config_digest[ENS_OCI_DIGEST_LEN + 1];
	struct json_t *repo_tags;	/* docker-archive: RepoTags of the entry */
	size_t nlayers;
	struct ens_oci_layer *layers;
	size_t ndirs;			/* filled by ens_oci_find_enclaves */
	struct ens_oci_dir *dirs;
	struct ens_image_opts *opts;	/* transport options (image.h) */
	void *priv;			/* the transport's state (registry connection) */
};

/* Parse the reference's index/manifest/config, checking digests, sizes and
 * media types. Layers are checked when read. With default transport options
 * (ens_image_open in image.h takes them). */
int ens_oci_open(struct ens_oci_image *img, const char *ref, struct ens_err *err);
void ens_oci_close(struct ens_oci_image *img);

/* A file of the merged filesystem kept in memory because it may be an
 * enclave: an ELF with the section ".ensign.app", or a path listed in the
 * label org.ensign.enclaves. */
#define ENS_OCI_LABEL_ENCLAVES "org.ensign.enclaves"
struct ens_oci_file {
	char *path;			/* no leading slash: "opt/app/hello" */
	uint8_t *data;
	size_t len;
	uint32_t mode;			/* permission bits */
	int64_t uid, gid;
	bool listed;			/* named by the label */
	unsigned layer;			/* index of the layer it came from */
};
/* Apply the layers in order (whiteouts honoured; every layer's digest
 * checked) and return the candidates sorted by path. A listed path that
 * is missing, or not a regular file, is an error. */
int ens_oci_find_enclaves(struct ens_oci_image *img, struct ens_oci_file **files, size_t *n,
			  struct ens_err *err);
void ens_oci_files_free(struct ens_oci_file *files, size_t n);

/* What the new image changes. */
struct ens_oci_add {
	const char *path;		/* in the image, no leading slash */
	const char *src;		/* local file with the new content */
	uint32_t mode;
	int64_t uid, gid;
};
struct ens_oci_label {
	const char *key;
	const char *value;		/* NULL: remove the label */
};
enum ens_oci_compression { ENS_OCI_GZIP, ENS_OCI_UNCOMPRESSED };
struct ens_oci_edit {
	const struct ens_oci_add *files;	/* sorted by path */
	size_t nfiles;
	const struct ens_oci_label *labels;
	size_t nlabels;
	const char *created;		/* RFC 3339 time of the history entry */
	const char *created_by;		/* history entry */
	const char *comment;
	enum ens_oci_compression compression;	/* of the new layer (oci: only) */
};
/* Write src plus one layer to dst (a reference), atomically: nothing at
 * dst on error; an existing oci: directory is refused; a registry tag is
 * changed only by the last request. 'digest' receives the new manifest's
 * digest (oci:, docker://) or config digest (docker-archive:). */
int ens_oci_write(const struct ens_oci_image *src, const struct ens_oci_edit *edit, const char *dst,
		  char digest[ENS_OCI_DIGEST_LEN + 1], struct ens_err *err);

/* The value of a label of the image configuration, or NULL. */
const char *ens_oci_label(const struct ens_oci_image *img, const char *key);

#endif
