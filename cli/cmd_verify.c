/* ensign verify --sig FILE.sig [INPUT] [--mrenclave HEX] [--mrsigner HEX], or
 * ensign verify SIGNED-FILE: one line per failed check, exit 0 only if all hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ensign/probe.h"

static const char usage[] = "ensign verify --sig FILE.sig [INPUT] [--mrenclave HEX] [--mrsigner HEX]\n"
			    "       ensign verify SIGNED-FILE";

int cli_verify_sig_file(const char *sig_path, const uint8_t *mrenclave, const uint8_t *mrsigner)
{
	struct ens_verify_report rep;
	struct ens_sigstruct s;
	struct ens_err err;
	uint8_t *buf, signer[32];
	size_t len;
	char hex[65];
	int bad;

	if ((bad = cli_expect_kind(sig_path, ENS_KBIT(ENS_K_SIGSTRUCT), "a SIGSTRUCT")))
		return bad;
	if (ens_read_file(sig_path, 1 << 20, &buf, &len, &err))
		return cli_error(&err);
	bad = ens_sigstruct_verify(buf, len, mrenclave, &rep);
	for (int i = 0; i < ENS_VC_COUNT; i++)
		if (rep.failed[i])
			printf("FAIL %s: %s\n", sig_path, rep.why[i]);
	if (len == sizeof s) {
		memcpy(&s, buf, sizeof s);
		ens_sigstruct_mrsigner(&s, signer);
		if (mrsigner && memcmp(mrsigner, signer, 32)) {
			char want[65];

			ens_hex(signer, 32, hex);
			ens_hex(mrsigner, 32, want);
			printf("FAIL %s: MRSIGNER is %s, expected %s\n", sig_path, hex, want);
			bad = 1;
		}
		if (rep.warn_reserved)
			cli_warn("'%s': reserved SIGSTRUCT bytes are not zero", sig_path);
		if (rep.header_quirk)
			cli_note("'%s': HEADER type has bit 31 set (Intel ReleaseType)", sig_path);
		if (!bad) {
			ens_hex(s.enclavehash, 32, hex);
			printf("OK %s\nmrenclave: %s%s\n", sig_path, hex, mrenclave ? " (matches)" : "");
			ens_hex(signer, 32, hex);
			printf("mrsigner:  %s\n", hex);
		}
	}
	free(buf);
	return bad ? 1 : 0;
}

static int verify_text(int argc, char **argv);

struct jargs { int argc; char **argv; };
static int verify_cb(void *a)
{
	struct jargs *j = a;

	return verify_text(j->argc, j->argv);
}

/* --json: the report's lines in one object (cli_json_capture) */
int cmd_verify(int argc, char **argv)
{
	struct jargs j = { argc, argv };
	struct ens_err err;
	const char *file;
	const struct cli_format *fmt;

	if (!cli_json)
		return verify_text(argc, argv);
	file = cli_find_input(argc, argv);
	fmt = file ? cli_format_detect(file, &err) : NULL;
	return cli_json_capture("verify", file, fmt ? fmt->name : NULL, verify_cb, &j);
}

static int verify_text(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sig", required_argument, 0, 's' },
		{ "mrenclave", required_argument, 0, 'e' },
		{ "mrsigner", required_argument, 0, 'r' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *sig = NULL, *mre_hex = NULL, *mrs_hex = NULL;
	uint8_t mre[32], mrs[32], computed[32];
	const uint8_t *want = NULL;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': sig = optarg; break;
		case 'e': mre_hex = optarg; break;
		case 'r': mrs_hex = optarg; break;
		case 'h':
			printf("usage: %s\n\nChecks the header constants, exponent 3, the 3072-bit modulus, the RSA\n"
			       "signature, Q1, Q2 and reserved bytes; with INPUT or --mrenclave also that\n"
			       "ENCLAVEHASH matches. Without --sig, verifies a signed file (signed application,\n"
			       "SDK or Open Enclave enclave, package; an SGXS file with FILE.sig beside it).\n", usage);
			return 0;
		default:
			if (!sig) /* unknown options belong to a format's verify */
				goto format;
			return cli_usage_error(usage, "verify: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!sig)
		goto format;
	if (mre_hex && ens_unhex(mre_hex, mre, 32))
		return cli_usage_error(usage, "verify: --mrenclave '%s' is not 64 hex digits", mre_hex);
	if (mrs_hex && ens_unhex(mrs_hex, mrs, 32))
		return cli_usage_error(usage, "verify: --mrsigner '%s' is not 64 hex digits", mrs_hex);
	if (mre_hex)
		want = mre;
	if (optind < argc) {
		struct ens_err err;
		const struct cli_format *fmt = cli_format_detect(argv[optind], &err);

		if (!fmt)
			return cli_error(&err);
		if (!fmt->mrenclave)
			return cli_errorf("'%s': cannot compute the MRENCLAVE of a %s file", argv[optind], fmt->name);
		if (fmt->mrenclave(argv[optind], computed, &err))
			return cli_error(&err);
		if (want && memcmp(want, computed, 32))
			return cli_errorf("--mrenclave differs from the MRENCLAVE of '%s'", argv[optind]);
		want = computed;
	}
	return cli_verify_sig_file(sig, want, mrs_hex ? mrs : NULL);

format: {
		struct ens_err err;
		const char *path = cli_find_input(argc, argv);
		const struct cli_format *fmt;

		if (!path) {
			for (int i = 1; i < argc; i++)	/* a named file that is not there: exit 1 */
				if (argv[i][0] != '-')
					return cli_input_missing(argv[i]);
			return cli_usage_error(usage, "verify: give --sig FILE.sig or a signed file");
		}
		fmt = cli_format_detect(path, &err);
		if (!fmt)
			return cli_error(&err);
		if (!strcmp(fmt->name, "sigstruct"))
			return cli_verify_sig_file(path, NULL, NULL);
		if (!fmt->verify)
			return cli_errorf("'%s': a %s file carries no signature; use --sig", path, fmt->name);
		return fmt->verify(path, argc, argv);
	}
}
