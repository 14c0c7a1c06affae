/* ensign container: what cli/cmd_container.c shares with the package
 * support in cli/container_pkg.c. */
#ifndef ENSIGN_CLI_CONTAINER_H
#define ENSIGN_CLI_CONTAINER_H

#include "cli.h"
#include "ensign/app.h"

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
