/* The SGXS row of the format registry: measure and verify-with-sibling-.sig. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cli_sgxs_mrenclave(const char *path, uint8_t out[32], struct ens_err *err)
{
	return ens_sgxs_mrenclave(path, out, NULL, err);
}

int cli_sgxs_measure(const char *path, int argc, char **argv, bool json)
{
	struct ens_err err;
	uint8_t mr[32];
	char hex[65];

	if (ens_sgxs_mrenclave(path, mr, NULL, &err))
		return cli_error(&err);
	ens_hex(mr, 32, hex);
	if (json)
		printf("{\"file\": "), cli_json_str(path), printf(", \"format\": \"sgxs\", \"mrenclave\": \"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	return 0;
}

int cli_verify_sig_file(const char *sig_path, const uint8_t *mrenclave, const uint8_t *mrsigner);

/* `ensign verify FILE.sgxs`: the SIGSTRUCT is FILE.sig, as ftxsgx-runner finds it. */
int cli_sgxs_verify(const char *path, int argc, char **argv)
{
	char sig[4096];
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - path) : strlen(path);
	struct ens_err err;
	uint8_t mr[32];

	if (stem + 5 > sizeof sig)
		return cli_errorf("path too long: '%s'", path);
	memcpy(sig, path, stem);
	memcpy(sig + stem, ".sig", 5);
	if (ens_sgxs_mrenclave(path, mr, NULL, &err))
		return cli_error(&err);
	return cli_verify_sig_file(sig, mr, NULL);
}
