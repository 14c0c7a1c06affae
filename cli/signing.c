/* The signing step every command shares: one-step with a key, or the two-step
 * and external-signer modes (--gendata, --digest-out, --signature, --sign-command). */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cli_sign_opt(int c, const char *arg, struct cli_sign_opts *o)
{
	switch (c) {
	case CLI_OPT_KEY: o->key = arg; return 1;
	case CLI_OPT_PKCS11_MODULE: o->pkcs11_module = arg; return 1;
	case CLI_OPT_PRODUCTION: o->production = true; return 1;
	case CLI_OPT_GENDATA: o->gendata_out = arg; return 1;
	case CLI_OPT_DIGEST_OUT: o->digest_out = arg; return 1;
	case CLI_OPT_SIGNATURE: o->signature = arg; return 1;
	case CLI_OPT_SIGNATURE_LE: o->signature_le = true; return 1;
	case CLI_OPT_PUBKEY: o->pubkey = arg; return 1;
	case CLI_OPT_UNSIGNED: o->unsigned_in = arg; return 1;
	case CLI_OPT_SIGN_COMMAND: o->sign_command = arg; return 1;
	}
	return 0;
}

bool cli_sign_is_step1(const struct cli_sign_opts *o)
{
	return o->gendata_out || o->digest_out;
}

int cli_sign_sigstruct(struct ens_sigstruct *s, const struct cli_sign_opts *o, struct ens_err *err)
{
	struct ens_signer *signer;
	int rc;

	if (cli_sign_is_step1(o) || o->signature || o->sign_command)
		return ens_fail(err, ENS_E_UNSUPPORTED, "two-step and external signing are not available in this build");
	if (cli_open_signer(o->key, o->production, &signer, err))
		return -1;
	rc = ens_sigstruct_sign(s, signer, err);
	ens_signer_free(signer);
	return rc;
}
