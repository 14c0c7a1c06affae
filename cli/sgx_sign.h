/* sgx_sign personality: declarations shared by cli/cmd_sgx_sign.c,
 * cli/sgx_sign_*.c and cli/fmt_intel.c. */
#ifndef ENSIGN_CLI_SGX_SIGN_H
#define ENSIGN_CLI_SGX_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "ensign/err.h"

/* The dump text of the metadata chain in area (malloc'd into *text), in the
 * format of the sgx_sign of SDK 'sdk' (an ENS_SDK() code; 0 = 2.26). */
int sgx_dump_text(const uint8_t *area, size_t len, unsigned sdk, char **text, size_t *text_len,
		  struct ens_err *err);

#endif
