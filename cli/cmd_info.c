/* ensign info FILE [--json]: every field of a SIGSTRUCT, or what a format's
 * row reports for a signed file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage[] = "ensign info FILE [--json]";

int cli_sigstruct_info(const char *path, int argc, char **argv, bool json)
{
	struct ens_sigstruct s;
	struct ens_err err;
	uint8_t *buf;
	size_t len;

	if (ens_read_file(path, 1 << 20, &buf, &len, &err))
		return cli_error(&err);
	if (len != sizeof s) {
		free(buf);
		return cli_errorf("'%s': %zu bytes, a SIGSTRUCT has 1808", path, len);
	}
	memcpy(&s, buf, sizeof s);
	free(buf);
	if (json) {
		printf("{\"file\": ");
		cli_json_str(path);
		printf(", \"format\": \"sigstruct\", ");
		cli_json_sigstruct_members(&s);
		printf("}\n");
		return 0;
	}
	printf("file:            %s\nformat:          SIGSTRUCT (1808 bytes)\n", path);
	cli_print_sigstruct(&s, false, NULL);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	const struct cli_format *fmt;
	const char *path;
	int rc = 1;

	if (cli_has_flag(argc, argv, "--help") || cli_has_flag(argc, argv, "-h")) {
		printf("usage: %s\n\nShows every field of a SIGSTRUCT (.sig) with attributes decoded by name,\n"
		       "MRENCLAVE, MRSIGNER and date; or the summary of an SGXS file or a signed file.\n", usage);
		return 0;
	}
	fmt = cli_input_format(argc, argv, usage, &path, &rc);
	if (!fmt)
		return rc;
	if (!fmt->info)
		return cli_errorf("'%s': no information available for a %s file", path, fmt->name);
	return fmt->info(path, argc, argv, cli_has_flag(argc, argv, "--json"));
}
