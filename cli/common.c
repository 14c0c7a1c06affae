/* Helpers shared by the commands: opening signers with the project's key
 * policy, writing SIGSTRUCTs, locating the input file in an argument list. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "ensign/probe.h"
#include <unistd.h>
#include <openssl/crypto.h>
#include "ensign/pkcs11.h"

int cli_open_signer(const char *keyspec, bool production, struct ens_signer **out, struct ens_err *err)
{
	char warning[512];

	*out = NULL;
	if (!keyspec || !*keyspec || !strcmp(keyspec, "debug")) {
		if (production)
			return ens_fail(err, ENS_E_USAGE, "--production needs a key (--key): the built-in debug "
					"key is public and can only sign debug enclaves");
		if (ens_signer_open_debug(out, err))
			return -1;
		cli_warn("signing with the built-in debug key (MRSIGNER is public; debug enclaves only)");
		return 0;
	}
	if (ens_pkcs11_is_uri(keyspec))
		return cli_open_pkcs11(keyspec, NULL, out, err);
	/* PEM files of every kind go to the key reader, which says what they hold */
	if (ens_probe_expect(keyspec, ~(ENS_KBITS_ELF | ENS_KBIT(ENS_K_SGXS) | ENS_KBIT(ENS_K_SGXS_UNSIZED) |
				       ENS_KBIT(ENS_K_SIGSTRUCT) | ENS_KBIT(ENS_K_PACKAGE) | ENS_KBIT(ENS_K_ARCHIVE)),
			     "a private key", err))
		return -1;
	if (cli_passphrase_file) {
		char pass[1024];
		FILE *f = fopen(cli_passphrase_file, "r");
		int r;

		if (!f)
			return ens_fail_errno(err, "--passphrase-file: cannot open '%s'", cli_passphrase_file);
		if (!fgets(pass, sizeof pass, f))
			pass[0] = 0;
		fclose(f);
		pass[strcspn(pass, "\r\n")] = 0;	/* the first line, as openssl's -passin file: */
		r = ens_signer_open_pem_prompt(out, keyspec, pass, NULL, NULL, warning, sizeof warning, err);
		OPENSSL_cleanse(pass, sizeof pass);
		if (r)
			return -1;
	} else if (ens_signer_open_pem_prompt(out, keyspec, NULL, isatty(STDIN_FILENO) ? cli_tty_prompt : NULL, NULL,
					      warning, sizeof warning, err)) {
		return -1;
	}
	if (warning[0])
		cli_warn("%s", warning);
	return 0;
}

int cli_write_sigstruct(const char *path, const struct ens_sigstruct *s, struct ens_err *err)
{
	return ens_write_file(path, s, sizeof *s, 0644, err);
}

bool cli_has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], flag))
			return true;
	}
	return false;
}

const char *cli_find_input(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (!strcmp(argv[i], "--")) {
			return i + 1 < argc ? argv[i + 1] : NULL;
		}
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		/* skip the value of a separated option ("--key k.pem") */
		if (i > 1 && argv[i - 1][0] == '-' && argv[i - 1][1] == '-' && !strchr(argv[i - 1], '=') &&
		    strcmp(argv[i - 1], "--json") && strcmp(argv[i - 1], "--production") &&
		    strcmp(argv[i - 1], "--pages") && strcmp(argv[i - 1], "--env") &&
		    strcmp(argv[i - 1], "--in-place") && strcmp(argv[i - 1], "--debug"))
			continue;
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
			return argv[i];
	}
	for (int i = 1; i < argc; i++) {	/* fall back: any existing regular file */
		struct stat st;

		if (argv[i][0] != '-' && stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
			return argv[i];
	}
	return NULL;
}

/* Why an input named on the command line is not a readable regular file. */
int cli_input_missing(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return cli_errorf("cannot open '%s': %s", path, strerror(errno));
	return cli_errorf("'%s' is %s", path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
}

const struct cli_format *cli_input_format(int argc, char **argv, const char *usage, const char **path, int *rc)
{
	const struct cli_format *fmt;
	struct ens_err err;

	*path = cli_find_input(argc, argv);
	if (!*path) {
		for (int i = 1; i < argc; i++)
			if (argv[i][0] != '-') {
				*rc = cli_input_missing(argv[i]);
				return NULL;
			}
		*rc = cli_usage_error(usage, "%s: no input file", argv[0]);
		return NULL;
	}
	fmt = cli_format_detect(*path, &err);
	if (!fmt)
		*rc = cli_error(&err);
	return fmt;
}
