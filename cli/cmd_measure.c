/* ensign measure FILE [format options] [--json]: one MRENCLAVE per memory model. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage[] = "ensign measure FILE [--json] [options of FILE's format]";

int cmd_measure(int argc, char **argv)
{
	const struct cli_format *fmt;
	const char *path;
	int rc = 1;

	if (cli_has_flag(argc, argv, "--help") || cli_has_flag(argc, argv, "-h")) {
		printf("usage: %s\n\nPrints the MRENCLAVE of FILE, one line per memory model (64 lowercase hex\n"
		       "digits; exactly one line for an SGXS file). --json prints one JSON object.\n", usage);
		return 0;
	}
	fmt = cli_input_format(argc, argv, usage, &path, &rc);
	if (!fmt)
		return rc;
	if (!fmt->measure)
		return cli_errorf("'%s': a %s file has no MRENCLAVE to compute (try ensign info)", path, fmt->name);
	return fmt->measure(path, argc, argv, cli_has_flag(argc, argv, "--json"));
}
