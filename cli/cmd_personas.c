/* Two more tools' names: scone-signer (SCONE) and myst (Mystikos). Each maps
 * the tool's own command line onto an ensign command; verbs ensign does not
 * provide get a one-line refusal naming the one it does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli_app.h"

int cmd_package(int argc, char **argv);

/* The translated argv, reachable while the command runs (ensign completion
 * leaves a command from inside getopt_long: cli/completion.c). */
static char **args_in_use;

static int run_with(int (*fn)(int, char **), int n, char **args)
{
	int rc;

	free(args_in_use);
	args_in_use = args;
	rc = fn(n, args);
	args_in_use = NULL;
	free(args);
	return rc;
}

/* scone-signer sign [flags] APP: the application flags and SCONE_* variables
 * (with --env, as scone-signer), the signed application written over APP
 * (atomically, mode kept: images run it under its own path) unless -o names
 * another output. */
int cmd_scone_signer(int argc, char **argv)
{
	char **args;
	int n = 0;
	bool output = false;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? stderr : stdout;

		fprintf(f, "usage: scone-signer sign [flags] APPLICATION   (signs APPLICATION in place; -o OUT for another"
			" file)\n       scone-signer sign --help                (the flags; see ensign-sign-app(1))\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "sign")) {
		fprintf(stderr, "scone-signer: '%s' is not provided: ensign provides `scone-signer sign` (signing an"
			" application)\nusage: scone-signer sign [flags] APPLICATION\n", argv[1]);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output") || !strncmp(argv[i], "--output=", 9) ||
		    (!strncmp(argv[i], "-o", 2) && argv[i][2]) || !strcmp(argv[i], "--in-place"))
			output = true;
	if (!(args = calloc((size_t)argc + 2, sizeof *args)))
		return cli_errorf("out of memory");
	args[n++] = "sign";
	if (!output)
		args[n++] = "--in-place";
	for (int i = 2; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return run_with(cli_sign_app, n, args);
}

/* myst package-sgx [--outfile=F | -o=F | -o F] APPDIR PEM|NULL CONFIG.json. */
int cmd_myst(int argc, char **argv)
{
	char **args;
	int n = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? stderr : stdout;

		fprintf(f, "usage: myst package-sgx [--outfile=F | -o F] APPDIR PEM|NULL CONFIG.json\n"
			"       myst package-sgx --help   (the options; see ensign-package(1))\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "package-sgx") && strcmp(argv[1], "package")) {
		fprintf(stderr, "myst: '%s' is not provided: ensign provides `myst package-sgx` (one signed executable"
			" from APPDIR and config.json)\nusage: myst package-sgx [--outfile=F | -o F] APPDIR PEM|NULL"
			" CONFIG.json\n", argv[1]);
		return EXIT_USAGE;
	}
	if (!(args = calloc((size_t)argc * 2 + 1, sizeof *args)))
		return cli_errorf("out of memory");
	args[n++] = "package";
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--outfile=", 10) || !strncmp(a, "-o=", 3)) {
			args[n++] = "-o";
			args[n++] = (char *)strchr(a, '=') + 1;
		} else if (!strcmp(a, "--outfile")) {
			args[n++] = "-o";
		} else if (!strncmp(a, "--pubkey", 8) || !strncmp(a, "--roothash", 10) ||
			   !strncmp(a, "--signing-engine", 16)) {
			free(args);
			return cli_usage_error(NULL, "package-sgx: '%s' is not supported (ensign packages sign the"
					       " whole archive; keys on tokens: --key pkcs11:URI)", a);
		} else {
			args[n++] = argv[i];
		}
	}
	args[n] = NULL;
	return run_with(cmd_package, n, args);
}
