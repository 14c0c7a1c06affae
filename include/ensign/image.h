/* Image transports: where a container image lives. One interface (resolve a
 * reference to a manifest, read a blob as a stream, write a blob, put a
 * manifest, commit or abort; lib/image/oci_int.h) with three
 * implementations: oci: (lib/image/transport_oci.c), docker-archive:
 * (transport_docker_archive.c) and docker:// (transport_registry.c). The
 * re-signing code (ens_oci_find_enclaves, ens_image_write) does not know
 * which one it talks to. This header holds what a caller chooses. */
#ifndef ENSIGN_IMAGE_H
#define ENSIGN_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "ensign/oci.h"

/* Progress of one blob: what ("pull sha256:..." / "push sha256:..."),
 * bytes so far and the total (UINT64_MAX: unknown); done at the end. */
typedef void (*ens_image_progress_fn)(void *ctx, const char *what, uint64_t bytes, uint64_t total, bool done);

struct ens_image_opts {
	bool tls_verify;		/* default true; false also allows plain HTTP */
	const char *creds;		/* "USER[:PASSWORD]", or NULL */
	const char *authfile;		/* containers-auth.json, or NULL (then the usual places) */
	const char *cert_dir;		/* CAs (.crt), client pair (.cert, .key); NULL: /etc/containers/certs.d/HOST */
	unsigned retry_times;		/* retries of a failed request (429, 5xx, reset); default 3 */
	unsigned retry_delay_ms;	/* first backoff; doubles each time; default 500 */
	const char *platform;		/* "OS/ARCH[/VARIANT]" picked from an index; NULL: linux/amd64 */
	ens_image_progress_fn progress;	/* NULL: none */
	void *progress_ctx;
	/* registry stats, filled by the transport (for tests and the bench) */
	uint64_t bytes_uploaded;	/* request bodies of blob uploads and manifests */
	unsigned blobs_mounted, blobs_skipped;
	/* docker:// destination: put the manifest under its digest, not a tag
	 * (the entries of an index); the last manifest written, for the index */
	bool manifest_by_digest;
	uint64_t manifest_size;
	char manifest_mt[128];
};
void ens_image_opts_default(struct ens_image_opts *o);

/* As ens_oci_open, with the options (kept by pointer: they must outlive img). */
int ens_image_open(struct ens_oci_image *img, const char *ref, struct ens_image_opts *opts, struct ens_err *err);
/* As ens_oci_write, with the options. */
int ens_image_write(const struct ens_oci_image *src, const struct ens_oci_edit *edit, const char *dst,
		    struct ens_image_opts *opts, char digest[ENS_OCI_DIGEST_LEN + 1], struct ens_err *err);

/* --all-platforms (docker:// only): the image index or manifest list a tag
 * names (its digest checked when the reference has one), as served; and a
 * new index put under a tag of DST's repository ('digest' receives its). */
int ens_image_registry_get_index(const char *ref, struct ens_image_opts *opts, char **text, size_t *len, char *mt,
				 size_t mtlen, struct ens_err *err);
int ens_image_registry_put_index(const char *dst, const char *tag, struct ens_image_opts *opts, const char *mt,
				 const char *text, size_t len, char digest[ENS_OCI_DIGEST_LEN + 1], struct ens_err *err);

/* The registry's WWW-Authenticate header, parsed (RFC 7235 challenges;
 * the first Bearer or Basic one). Exposed for the fuzz target and tests. */
struct ens_www_auth {
	enum { ENS_AUTH_NONE, ENS_AUTH_BASIC, ENS_AUTH_BEARER } scheme;
	char realm[1024];
	char service[256];
	char scope[512];
	char error[64];
};
int ens_www_auth_parse(const char *header, struct ens_www_auth *out, struct ens_err *err);

/* A bearer-token response ({"token"|"access_token": "...", "expires_in"}),
 * into a malloc'd token. */
int ens_registry_token_parse(const char *body, size_t len, char **token, struct ens_err *err);

#endif
