/* Signing options shared by every signing command (sign stage): one-step
 * (PEM, debug key, PKCS#11 token), two-step (export the 256 signed bytes,
 * import a signature) and an external --sign-command. External signatures
 * are verified against the public key and the rebuilt bytes before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "cli.h"
#include "ensign/pkcs11.h"

int cli_sign_opt(int c, const char *arg, struct cli_sign_opts *o)
{
	switch (c) {
	case CLI_OPT_KEY: o->key = arg; break;
	case CLI_OPT_PKCS11_MODULE: o->pkcs11_module = arg; break;
	case CLI_OPT_PRODUCTION: o->production = true; break;
	case CLI_OPT_GENDATA: o->gendata_out = arg; break;
	case CLI_OPT_DIGEST_OUT: o->digest_out = arg; break;
	case CLI_OPT_SIGNATURE: o->signature = arg; break;
	case CLI_OPT_SIGNATURE_LE: o->signature_le = true; break;
	case CLI_OPT_PUBKEY: o->pubkey = arg; break;
	case CLI_OPT_UNSIGNED: o->unsigned_in = arg; break;
	case CLI_OPT_SIGN_COMMAND: o->sign_command = arg; break;
	case CLI_OPT_PASSPHRASE_FILE: cli_passphrase_file = arg; break;
	default: return 0;
	}
	return 1;
}

bool cli_sign_is_step1(const struct cli_sign_opts *o)
{
	return o->gendata_out || o->digest_out;
}

/* Option combinations that cannot mean anything: refused up front so that a
 * typo never silently signs with the debug key. */
static int check_combination(const struct cli_sign_opts *o, struct ens_err *err)
{
	bool external = o->signature || o->sign_command;

	if (cli_sign_is_step1(o) && (external || o->pubkey || o->unsigned_in))
		return ens_fail(err, ENS_E_USAGE, "--gendata/--digest-out (step 1) cannot be combined "
				"with --signature, --sign-command, --pubkey or --unsigned (step 2)");
	if (cli_sign_is_step1(o) && o->key)
		return ens_fail(err, ENS_E_USAGE, "--gendata/--digest-out (step 1) uses no key: drop --key");
	if (o->signature && o->sign_command)
		return ens_fail(err, ENS_E_USAGE, "give --signature or --sign-command, not both");
	if (external && o->key)
		return ens_fail(err, ENS_E_USAGE, "--key cannot be combined with %s: the key is held "
				"elsewhere; give its public key with --pubkey",
				o->signature ? "--signature" : "--sign-command");
	if (external && !o->pubkey)
		return ens_fail(err, ENS_E_USAGE, "%s needs --pubkey PUB.pem, the public key that "
				"makes the signature", o->signature ? "--signature" : "--sign-command");
	if (!external && (o->pubkey || o->unsigned_in || o->signature_le))
		return ens_fail(err, ENS_E_USAGE, "%s is used only with --signature or --sign-command",
				o->pubkey ? "--pubkey" : o->unsigned_in ? "--unsigned" : "--signature-le");
	if (o->pkcs11_module && !ens_pkcs11_is_uri(o->key))
		return ens_fail(err, ENS_E_USAGE, "--pkcs11-module is used only with --key 'pkcs11:...'");
	return 0;
}

/* ---- step 1 ---- */

static int write_step1(const struct ens_sigstruct *s, const struct cli_sign_opts *o,
		       struct ens_err *err)
{
	uint8_t m[ENS_SIGNED_SIZE], digest[SHA256_DIGEST_LENGTH];
	struct ens_out g = { .fd = -1 }, d = { .fd = -1 };
	bool have_g = false, have_d = false;

	ens_sigstruct_signed_bytes(s, m);
	SHA256(m, sizeof m, digest);
	if (o->gendata_out && o->digest_out && ens_check_not_same(o->gendata_out, o->digest_out, err) < 0)
		return -1;
	/* Both files are prepared before either replaces its target. */
	if (o->gendata_out) {
		if (ens_out_open(&g, o->gendata_out, 0644, err) < 0)
			goto fail;
		have_g = true;
		if (ens_out_write(&g, m, sizeof m, err) < 0)
			goto fail;
	}
	if (o->digest_out) {
		if (ens_out_open(&d, o->digest_out, 0644, err) < 0)
			goto fail;
		have_d = true;
		if (ens_out_write(&d, digest, sizeof digest, err) < 0)
			goto fail;
	}
	if (have_g) {
		have_g = false;
		if (ens_out_commit(&g, err) < 0)
			goto fail;
	}
	if (have_d) {
		have_d = false;
		if (ens_out_commit(&d, err) < 0)
			goto fail;
	}
	return 1;
fail:
	if (have_g)
		ens_out_abort(&g);
	if (have_d)
		ens_out_abort(&d);
	return -1;
}

/* ---- step 2 and --sign-command ---- */

/* Fields of the 256 signed bytes, by offset in them, to say what differs. */
static const struct { unsigned off, len; const char *name; } signed_fields[] = {
	{ 0, 12, "HEADER" }, { 12, 4, "HEADER type" }, { 16, 4, "VENDOR" }, { 20, 4, "DATE" },
	{ 24, 16, "HEADER2" }, { 40, 4, "SWDEFINED" }, { 44, 84, "reserved bytes" },
	{ 128, 4, "MISCSELECT" }, { 132, 4, "MISCMASK" }, { 136, 1, "CET_ATTRIBUTES" },
	{ 137, 1, "CET_ATTRIBUTES_MASK" }, { 138, 2, "reserved bytes" }, { 140, 16, "ISVFAMILYID" },
	{ 156, 8, "ATTRIBUTES" }, { 164, 8, "XFRM" }, { 172, 8, "ATTRIBUTEMASK" },
	{ 180, 8, "XFRMMASK" }, { 188, 32, "ENCLAVEHASH" }, { 220, 16, "reserved bytes" },
	{ 236, 16, "ISVEXTPRODID" }, { 252, 2, "ISVPRODID" }, { 254, 2, "ISVSVN" },
};
#define ENCLAVEHASH_OFF 188

static void field_value(const uint8_t *p, unsigned len, char *buf, size_t size)
{
	if (len <= 8) {
		uint64_t v = 0;
		memcpy(&v, p, len);
		snprintf(buf, size, "0x%llx", (unsigned long long)v);
	} else {
		char hex[2 * 16 + 1];
		unsigned n = len > 16 ? 16 : len;
		ens_hex(p, n, hex);
		snprintf(buf, size, "%s%s", hex, len > n ? "..." : "");
	}
}

/* Check step 1's material against the bytes rebuilt now (whose DATE was
 * already taken from the material) and name what differs. */
static int compare_material(const char *path, const uint8_t mat[ENS_SIGNED_SIZE],
			    const uint8_t now[ENS_SIGNED_SIZE], struct ens_err *err)
{
	char a[48], b[48], names[200] = "";

	if (memcmp(mat, now, ENS_SIGNED_SIZE) == 0)
		return 0;
	if (memcmp(mat + ENCLAVEHASH_OFF, now + ENCLAVEHASH_OFF, 32) != 0) {
		ens_hex(mat + ENCLAVEHASH_OFF, 8, a);
		ens_hex(now + ENCLAVEHASH_OFF, 8, b);
		return ens_fail(err, ENS_E_VERIFY, "'%s' was made for another enclave: its ENCLAVEHASH "
				"is %s..., this enclave's is %s...", path, a, b);
	}
	const char *first = NULL;
	unsigned first_i = 0;
	for (unsigned i = 0; i < sizeof signed_fields / sizeof *signed_fields; i++) {
		const uint8_t *x = mat + signed_fields[i].off, *y = now + signed_fields[i].off;
		if (memcmp(x, y, signed_fields[i].len) == 0)
			continue;
		size_t l = strlen(names);
		snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", signed_fields[i].name);
		if (!first) {
			first = signed_fields[i].name;
			first_i = i;
		}
	}
	field_value(mat + signed_fields[first_i].off, signed_fields[first_i].len, a, sizeof a);
	field_value(now + signed_fields[first_i].off, signed_fields[first_i].len, b, sizeof b);
	return ens_fail(err, ENS_E_VERIFY, "'%s' was made with other options: %s differ%s (%s is %s "
			"there, %s now); run step 2 with the options of step 1", path, names,
			strchr(names, ',') ? "" : "s", first, a, b);
}

static int read_material(const char *path, uint8_t mat[ENS_SIGNED_SIZE], struct ens_err *err)
{
	uint8_t *buf;
	size_t len;

	if (ens_read_file(path, 1 << 20, &buf, &len, err) < 0)
		return -1;
	if (len != ENS_SIGNED_SIZE) {
		free(buf);
		return ens_fail(err, ENS_E_FORMAT, "'%s' is %zu bytes; step 1 material (--gendata) is "
				"exactly 256 bytes", path, len);
	}
	memcpy(mat, buf, ENS_SIGNED_SIZE);
	free(buf);
	if (memcmp(mat, ens_sigstruct_header, 12) != 0 || memcmp(mat + 24, ens_sigstruct_header2, 16) != 0)
		return ens_fail(err, ENS_E_FORMAT, "'%s' is not SIGSTRUCT material from --gendata "
				"(its HEADER is not a SIGSTRUCT header)", path);
	return 0;
}

static int read_signature(const char *path, bool le, uint8_t sig_be[384], struct ens_err *err)
{
	uint8_t *buf;
	size_t len;

	if (ens_read_file(path, 1 << 20, &buf, &len, err) < 0)
		return -1;
	if (len != 384) {
		free(buf);
		return ens_fail(err, ENS_E_FORMAT, "'%s' is %zu bytes; expected a 384-byte raw RSA "
				"signature", path, len);
	}
	if (le)
		ens_reverse(sig_be, buf, 384);
	else
		memcpy(sig_be, buf, 384);
	free(buf);
	return 0;
}

static int check_external(const uint8_t m[ENS_SIGNED_SIZE], const uint8_t modulus[384],
			  const uint8_t sig[384], const struct ens_sigstruct *s,
			  const struct cli_sign_opts *o, struct ens_err *err)
{
	char from[300], date[16];

	if (o->signature)
		snprintf(from, sizeof from, "signature in '%s'", o->signature);
	else
		snprintf(from, sizeof from, "signature from the sign command");
	switch (ens_extsig_classify(modulus, m, ENS_SIGNED_SIZE, sig)) {
	case ENS_EXTSIG_OK:
		return 0;
	case ENS_EXTSIG_REVERSED:
		return ens_fail(err, ENS_E_VERIFY, "%s is %s-endian: %s --signature-le", from,
				o->signature_le ? "big" : "little", o->signature_le ? "drop" : "add");
	case ENS_EXTSIG_OTHER_KEY:
		return ens_fail(err, ENS_E_VERIFY, "%s was not made with the key in '%s' (or is damaged)",
				from, o->pubkey);
	case ENS_EXTSIG_OTHER_DATA:
		break;
	}
	if (o->unsigned_in)
		return ens_fail(err, ENS_E_VERIFY, "%s is by the key in '%s' but over other bytes than "
				"'%s': it was made from other step 1 material", from, o->pubkey,
				o->unsigned_in);
	ens_date_format(s->date, date, sizeof date);
	return ens_fail(err, ENS_E_VERIFY, "%s is by the key in '%s' but over other bytes: this "
			"enclave with these options and date %s gives other material; if step 1 "
			"used another date or day, pass its output with --unsigned GENDATA", from,
			o->pubkey, date);
}

static bool is_debug_modulus(const uint8_t modulus[384])
{
	struct ens_signer *debug;
	struct ens_err ignored;
	bool same;

	if (ens_signer_open_debug(&debug, &ignored) < 0)
		return false;
	same = memcmp(debug->modulus_be, modulus, 384) == 0;
	ens_signer_free(debug);
	return same;
}

static int sign_external(struct ens_sigstruct *s, const struct cli_sign_opts *o, struct ens_err *err)
{
	uint8_t modulus[384], sig[384], m[ENS_SIGNED_SIZE], mat[ENS_SIGNED_SIZE];

	if (ens_pubkey_load_modulus(o->pubkey, modulus, err) < 0)
		return -1;
	if (o->production && is_debug_modulus(modulus))
		return ens_fail(err, ENS_E_KEY, "--production: '%s' is the built-in debug key, which is "
				"public and can only sign debug enclaves", o->pubkey);
	if (o->unsigned_in) {
		if (read_material(o->unsigned_in, mat, err) < 0)
			return -1;
		/* Step 1's date wins: step 2 may run on a later day. */
		s->date = ens_get_le32(mat + 20);
		ens_sigstruct_signed_bytes(s, m);
		if (compare_material(o->unsigned_in, mat, m, err) < 0)
			return -1;
	} else {
		ens_sigstruct_signed_bytes(s, m);
	}
	if (o->signature) {
		if (read_signature(o->signature, o->signature_le, sig, err) < 0)
			return -1;
	} else if (ens_sign_command_run(o->sign_command, m, sizeof m, o->signature_le, sig, err) < 0) {
		return -1;
	}
	if (check_external(m, modulus, sig, s, o, err) < 0)
		return -1;
	return ens_sigstruct_attach(s, modulus, sig, err);
}

/* ---- one-step ---- */

static int sign_with_key(struct ens_sigstruct *s, const struct cli_sign_opts *o, struct ens_err *err)
{
	struct ens_signer *signer = NULL;
	int r;

	if (ens_pkcs11_is_uri(o->key))
		r = cli_open_pkcs11(o->key, o->pkcs11_module, &signer, err);
	else
		r = cli_open_signer(o->key, o->production, &signer, err);
	if (r < 0)
		return -1;
	r = ens_sigstruct_sign(s, signer, err);
	ens_signer_free(signer);
	return r;
}

int cli_sign_sigstruct(struct ens_sigstruct *s, const struct cli_sign_opts *o, struct ens_err *err)
{
	if (check_combination(o, err) < 0)
		return -1;
	if (cli_sign_is_step1(o))
		return write_step1(s, o, err);
	if (o->signature || o->sign_command)
		return sign_external(s, o, err);
	return sign_with_key(s, o, err);
}
