/* Fuzz target (registry transport): every document a registry or its token
 * endpoint sends, through the registry client's own parsers: the
 * WWW-Authenticate header, the token answer, the manifest or index served
 * for a tag (digest, media type, platform entry), an error body, and the
 * auth file the credentials come from. No network. */
#include <jansson.h>
#include "ensign/image.h"
#include "image/oci_int.h"
#include "image/registry.h"
#include "fuzz_common.h"

void reg_free_secret(char *s);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ens_oci_image img;	/* 13 KiB: off the stack */
	static struct ens_image_opts opts;
	struct ens_www_auth wa;
	struct ens_err err;
	char *s = fuzz_string(data, size), *token = NULL, *user = NULL, *pass = NULL, text[400];
	json_t *desc = NULL;

	memset(&err, 0, sizeof err);
	if (ens_www_auth_parse(s, &wa, &err)) {
		if (!err.msg[0])
			abort();
	} else if (wa.scheme == ENS_AUTH_BEARER && !wa.realm[0]) {
		abort();
	}
	free(s);
	memset(&err, 0, sizeof err);
	if (ens_registry_token_parse((const char *)data, size, &token, &err) == 0) {
		for (const char *c = token; *c; c++)
			if (*c <= ' ' || *c > '~')
				abort();
		free(token);
	} else if (!err.msg[0]) {
		abort();
	}
	oci_registry_error_text(404, data, size, text, sizeof text);
	for (const char *c = text; *c; c++)
		if (*c < ' ' || *c > '~')
			abort();
	ens_image_opts_default(&opts);
	for (int i = 0; i < 2; i++) {
		memset(&img, 0, sizeof img);
		img.opts = &opts;
		if (ens_oci_ref_parse(i ? "docker://127.0.0.1:5000/app/x@sha256:0000000000000000000000000000000000000000000000000000000000000000"
					: "docker://127.0.0.1:5000/app/x:v1", &img.ref, &err))
			abort();
		memset(&err, 0, sizeof err);
		if (oci_registry_doc(&img, data, size, i ? NULL : MT_OCI_INDEX, &desc, &err) == 0) {
			if (!json_is_object(desc))
				abort();
			json_decref(desc);
		} else if (!err.msg[0]) {
			abort();
		}
	}
	opts.authfile = fuzz_path(data, size);
	memset(&err, 0, sizeof err);
	if (reg_find_creds("127.0.0.1:5000", &opts, &user, &pass, &err) == 0) {
		if (!user != !pass)
			abort();
		reg_free_secret(user);
		reg_free_secret(pass);
	} else if (!err.msg[0]) {
		abort();
	}
	return 0;
}
