/* The registry client under transport_registry.c: one connection per
 * image (host, repository, scheme, credentials, bearer token), requests with
 * authentication and bounded retries (registry_http.c), the WWW-Authenticate
 * parser and credential lookup (registry_auth.c). Credentials are kept
 * only here, wiped when freed, never in a message. */
#ifndef ENSIGN_REGISTRY_H
#define ENSIGN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ensign/image.h"

struct reg {
	char host[256];
	char repo[4096];
	char text[4700];		/* the image reference, for messages */
	char base[300];			/* "https://HOST" or "http://HOST" */
	struct ens_image_opts *opts;
	char *user, *pass;		/* NULL: anonymous */
	struct ens_www_auth chal;	/* the last challenge seen */
	char *token;			/* bearer token in use */
	char actions[16];		/* "pull" or "pull,push" */
	char mount_from[4096];		/* another repository of the host to pull from ("" none) */
	char *ca;			/* CA bundle (system + cert dir), or NULL: curl's default */
	size_t ca_len;
	char cert[4200], key[4200];	/* client certificate pair from the cert dir ("" none) */
	bool conn_failed;		/* the last failure was the connection's, not an answer */
};

struct reg_resp {
	long status;
	char ctype[256];
	char location[4096];
	char digest[128];		/* Docker-Content-Digest */
	char www_auth[2048];
	uint8_t *body;			/* up to max bytes (more is an error) */
	size_t len, cap, max;
};

int reg_init(struct reg *r, const struct ens_oci_ref *ref, struct ens_image_opts *opts, bool push,
	     const char *mount_from, struct ens_err *err);
void reg_free(struct reg *r);
/* One request with authentication and retries; path is "/v2/..." or a full
 * URL of the same registry (an upload Location). resp->max bounds the body. */
int reg_request(struct reg *r, const char *method, const char *path, const char *accept, const char *ctype,
		const void *body, size_t len, struct reg_resp *resp, struct ens_err *err);
void reg_resp_free(struct reg_resp *resp);

/* A response body as a stream (GET path), resumed once or more with Range
 * after a reset (within the retries); for blobs of any size. */
struct reg_stream;
int reg_stream_open(struct reg *r, const char *path, const char *accept, const char *what, struct reg_stream **out,
		    struct ens_err *err);
ssize_t reg_stream_read(struct reg_stream *s, void *p, size_t n, struct ens_err *err);
void reg_stream_close(struct reg_stream *s);

/* Credentials for host from --creds, the auth files (registry_auth.c). */
int reg_find_creds(const char *host, const struct ens_image_opts *opts, char **user, char **pass,
		   struct ens_err *err);

#endif
