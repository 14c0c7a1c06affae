/* ensign keygen [-o FILE]: a new RSA-3072 key with exponent 3, PEM, mode 0600. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

static const char usage[] = "ensign keygen [-o FILE] [--force]\n"
			    "       ensign keygen --pkcs11 URI [--pkcs11-module PATH] [--pubout PUB.pem]";

int cmd_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' },
		{ "force", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "pkcs11", required_argument, 0, 'P' },
		{ "pkcs11-module", required_argument, 0, 'M' },
		{ "pubout", required_argument, 0, 'U' },
		{ 0, 0, 0, 0 },
	};
	const char *out = "ensign-key.pem";
	bool force = false, out_given = false;
	const char *pkcs11 = NULL, *pkcs11_module = NULL, *pubout = NULL;
	struct ens_signer *s;
	struct ens_err err;
	struct stat st;
	uint8_t mr[32];
	char hex[65];
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; out_given = true; break;
		case 'P': pkcs11 = optarg; break;
		case 'M': pkcs11_module = optarg; break;
		case 'U': pubout = optarg; break;
		case 'f': force = true; break;
		case 'h':
			printf("usage: %s\n\nGenerates an RSA-3072 private key with public exponent 3 (what SGX requires)\n"
			       "as PEM (PKCS#8) in FILE (default ensign-key.pem), mode 0600. An existing file is\n"
			       "kept unless --force. Prints the key's MRSIGNER.\n"
			       "With --pkcs11 URI the key pair is generated on a PKCS#11 token instead (object=\n"
			       "and/or id= name it); --pubout writes its public key as PEM.\n", usage);
			return 0;
		default:
			return cli_usage_error(usage, "keygen: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "keygen: unexpected argument '%s'", argv[optind]);
	if (pkcs11 && (out_given || force))
		return cli_usage_error(usage, "keygen: -o and --force do not apply to --pkcs11 (see --pubout)");
	if (!pkcs11 && (pkcs11_module || pubout))
		return cli_usage_error(usage, "keygen: --pkcs11-module and --pubout go with --pkcs11 URI");
	if (pkcs11)
		return cli_keygen_pkcs11(pkcs11, pkcs11_module, pubout);
	if (!force && lstat(out, &st) == 0)
		return cli_errorf("'%s' exists; not overwriting a key (use --force)", out);
	if (ens_keygen_pem(out, &err))
		return cli_error(&err);
	if (ens_signer_open_pem(&s, out, NULL, NULL, 0, &err))
		return cli_error(&err);
	ens_signer_mrsigner(s, mr);
	ens_signer_free(s);
	ens_hex(mr, 32, hex);
	printf("key:      %s\nmrsigner: %s\n", out, hex);
	return 0;
}
