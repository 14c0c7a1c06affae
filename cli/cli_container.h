/* ensign container: what cli/cmd_container.c shares with the package
 * support in cli/container_pkg.c. */
#ifndef ENSIGN_CLI_CONTAINER_H
#define ENSIGN_CLI_CONTAINER_H

#include "cli.h"
#include "ensign/app.h"
#include "ensign/image.h"

/* Transport options of ensign container and enclaveos-signer (as skopeo
 * spells them): add CLI_IMAGE_LONGOPTS to the getopt_long table, pass
 * option codes to cli_image_opt (1: taken; *rc non-zero: a usage error),
 * then cli_image_opts_ready before opening an image. */
enum { CLI_OPT_TLS_VERIFY = 0x400, CLI_OPT_CREDS, CLI_OPT_AUTHFILE, CLI_OPT_CERT_DIR, CLI_OPT_RETRY_TIMES,
       CLI_OPT_PLATFORM, CLI_OPT_QUIET };
#define CLI_IMAGE_LONGOPTS \
	{ "tls-verify", optional_argument, 0, CLI_OPT_TLS_VERIFY }, \
	{ "creds", required_argument, 0, CLI_OPT_CREDS }, \
	{ "authfile", required_argument, 0, CLI_OPT_AUTHFILE }, \
	{ "cert-dir", required_argument, 0, CLI_OPT_CERT_DIR }, \
	{ "retry-times", required_argument, 0, CLI_OPT_RETRY_TIMES }, \
	{ "platform", required_argument, 0, CLI_OPT_PLATFORM }, \
	{ "quiet", no_argument, 0, CLI_OPT_QUIET }
struct cli_image_opts {
	struct ens_image_opts img;
	bool quiet;
};
void cli_image_opts_init(struct cli_image_opts *o);
int cli_image_opt(int c, const char *arg, struct cli_image_opts *o, const char *usage, int *rc);
void cli_image_opts_ready(struct cli_image_opts *o);

struct cli_container_sign {
	unsigned models;
	bool svn_given, prodid_given, production;
	uint16_t isvsvn, isvprodid;
	const struct cli_sign_opts *sign;
};
struct cli_container_found {
	unsigned models;
	struct ens_sigstruct sig[2];
};

bool cli_container_is_package(const uint8_t *data, size_t len);
/* Both take over data (malloc'd), even on failure. */
int cli_container_inspect_package(const char *name, uint8_t *data, size_t len, struct cli_container_found *out,
				  struct ens_err *err);
/* Re-sign for sgx1 into outpath; mr and mrsigner receive the result. */
int cli_container_sign_package(const char *name, uint8_t *data, size_t len, const struct cli_container_sign *o,
			       uint32_t date, const char *outpath, uint8_t mr[32], uint8_t mrsigner[32],
			       struct ens_err *err);

#endif
