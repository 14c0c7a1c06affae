/* ensign's entry point: one binary, one table of commands. A program name that
 * matches a row (sgxs-sign, sgx_sign, oesign, ...) runs that row with the whole
 * argv, as the peer tool would; otherwise argv[1] picks the command. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

int cmd_check(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_sgxs_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sgx_sign(int argc, char **argv);
int cmd_oesign(int argc, char **argv);
int cmd_elf2sgxs(int argc, char **argv);
int cmd_append(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_gramine_sign(int argc, char **argv);
int cmd_gramine_view(int argc, char **argv);
int cmd_enclaveos_signer(int argc, char **argv);
int cmd_scone_signer(int argc, char **argv);
int cmd_myst(int argc, char **argv);

static const struct cmd commands[] = {
	{ "append", cmd_append, "finalize an unsized SGXS and append files to it" },
	{ "check", cmd_check, "start-up check: compare a configuration with a signed application" },
	{ "container", cmd_container, "inspect or re-sign the enclaves of a container image" },
	{ "elf2sgxs", cmd_elf2sgxs, "convert a Fortanix EDP ELF enclave to SGXS" },
	{ "info", cmd_info, "show the fields of a SIGSTRUCT or a signed file" },
	{ "keygen", cmd_keygen, "generate an RSA-3072 signing key with exponent 3" },
	{ "measure", cmd_measure, "print the MRENCLAVE of an enclave" },
	{ "oesign", cmd_oesign, "Open Enclave oesign compatible sign, digest, dump" },
	{ "package", cmd_package, "package an application directory and config.json into one signed executable" },
	{ "run", cmd_run, "check (and run) an SGXS enclave as ftxsgx-runner does" },
	{ "sgx_sign", cmd_sgx_sign, "Intel SGX SDK sgx_sign compatible sign, gendata, catsig, dump" },
	{ "sign", cmd_sign, "sign an enclave (SGXS file or application)" },
	{ "verify", cmd_verify, "check a SIGSTRUCT and the enclave it signs" },
	{ "sgxs-append", cmd_append, "Fortanix sgxs-append compatible (= append)" },
	{ "ftxsgx-elf2sgxs", cmd_elf2sgxs, "Fortanix ftxsgx-elf2sgxs compatible (= elf2sgxs)" },
	{ "ftxsgx-runner", cmd_run, "Fortanix ftxsgx-runner compatible (= run)" },
	{ "sgxs-sign", cmd_sgxs_sign, "Fortanix sgxs-sign compatible signing" },
	{ "gramine-sgx-sign", cmd_gramine_sign, "Gramine gramine-sgx-sign compatible signing" },
	{ "gramine-sgx-sigstruct-view", cmd_gramine_view, "Gramine gramine-sgx-sigstruct-view compatible" },
	{ "enclaveos-signer", cmd_enclaveos_signer, "IBM enclaveos-signer compatible container re-signing" },
	{ "scone-signer", cmd_scone_signer, "SCONE scone-signer compatible: scone-signer sign [flags] APP, in place" },
	{ "myst", cmd_myst, "Mystikos compatible: myst package-sgx APPDIR KEY CONFIG" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ensign <command> [options]\n       ensign <command> --help\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-16s %s\n", "completion", "print bash or zsh completion (ensign completion bash|zsh)");
	fprintf(f, "\nensign %s; see ensign(1) and ensign-<command>(1)\n", ENSIGN_VERSION);
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int finish(int rc)
{
	/* A full disk must be an error, not a silent success (git's run_builtin). */
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		fprintf(stderr, "%s: cannot write standard output\n", cli_prog);
		return rc ? rc : 1;
	}
	return rc;
}

/* --quiet, for every command: no progress line (removed before the command
 * parses its options; "--" ends the search). */
static bool take_quiet(int *argc, char **argv)
{
	/* these parse --quiet themselves (gramine-sgx-sign's also drops its report) */
	static const char *const own[] = { "container", "gramine-sgx-sign", "enclaveos-signer" };
	const char *base = *argc > 0 ? strrchr(argv[0], '/') : NULL;
	const char *name = base ? base + 1 : (*argc > 0 ? argv[0] : "");
	bool quiet = false, keep = false;
	int j = 1;

	if (!find(name) && *argc > 1)
		name = argv[1];
	for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
		keep |= !strcmp(name, own[k]);

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		if (keep || strcmp(argv[i], "--quiet"))
			argv[j++] = argv[i];
	}
	if (*argc > 0) {
		*argc = j;
		argv[j] = NULL;
	}
	return quiet;
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const struct cmd *c;

	cli_progress_init(take_quiet(&argc, argv));

	base = base ? base + 1 : (argc > 0 ? argv[0] : "ensign");
	if (strcmp(base, "ensign") && (c = find(base))) {
		cli_prog = c->name;
		argv[0] = (char *)c->name;
		if (cli_json_take(c->name, &argc, argv))
			return EXIT_USAGE;
		if (argc == 2 && (!strcmp(argv[1], "--version") || (!strcmp(argv[1], "-V") && strchr(c->name, '-')))) {
			printf("%s (ensign %s)\n", c->name, ENSIGN_VERSION);
			return finish(0);
		}
		return finish(c->fn(argc, argv));
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (c = find(argv[2]))) {
			char *args[] = { (char *)c->name, "--help", NULL };

			return finish(c->fn(2, args));
		}
		if (argc > 2) {
			fprintf(stderr, "ensign: help: '%s' is not a command\n", argv[2]);
			usage(stderr);
			return EXIT_USAGE;
		}
		usage(stdout);
		return finish(0);
	}
	if (!strcmp(argv[1], "completion"))
		return finish(cli_completion(commands, sizeof commands / sizeof commands[0], argc - 1, argv + 1));
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ensign %s\n", ENSIGN_VERSION);
		return finish(0);
	}
	c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "ensign: '%s' is not a command\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (cli_json_take(c->name, &argc, argv))
		return EXIT_USAGE;
	return finish(c->fn(argc, argv));
}
