/* Signers: where the RSA-3072/e=3 private operation happens. The key never
 * leaves the signer object; ens_signer_free wipes it. New signers (PKCS#11,
 * external command, two-step) implement ens_signer_ops. */
#ifndef ENSIGN_SIGNER_H
#define ENSIGN_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct ens_signer;
struct ens_signer_ops {
	const char *name;
	/* RSASSA-PKCS1-v1_5/SHA-256 over msg; sig_be is the big-endian integer. */
	int (*sign)(struct ens_signer *s, const uint8_t *msg, size_t len, uint8_t sig_be[384],
		    struct ens_err *err);
	void (*free)(struct ens_signer *s);
};
struct ens_signer {
	const struct ens_signer_ops *ops;
	uint8_t modulus_be[384];	/* public modulus, big-endian */
	bool is_debug_key;		/* the built-in debug key: never for production */
	char description[256];		/* for messages: file name or URI, never key bytes */
	void *priv;
};

/* PEM private key (PKCS#1 or PKCS#8, optionally encrypted). passphrase may be
 * NULL (then ENSIGN_KEY_PASSPHRASE is tried). Warns (via *warning, may be NULL)
 * when the file is readable by group or others. */
int ens_signer_open_pem(struct ens_signer **out, const char *path, const char *passphrase,
			char *warning, size_t warning_len, struct ens_err *err);
/* The same, and when the key is encrypted and no passphrase is given (neither
 * passphrase nor ENSIGN_KEY_PASSPHRASE), prompt (may be NULL: no terminal) is
 * asked for it; it returns 0 with the NUL-terminated passphrase in pass, or -1.
 * A missing and a wrong passphrase are two different messages. */
typedef int (*ens_pass_prompt_fn)(const char *prompt, char *pass, size_t len, void *arg);
int ens_signer_open_pem_prompt(struct ens_signer **out, const char *path, const char *passphrase,
			       ens_pass_prompt_fn prompt, void *prompt_arg, char *warning, size_t warning_len,
			       struct ens_err *err);
/* A key on a PKCS#11 token named by an RFC 7512 URI ("pkcs11:token=...;
 * object=..."); see include/ensign/pkcs11.h for the module and PIN options.
 * Checks the token key is 3072-bit with exponent 3 before any signing. */
struct ens_pkcs11_opts;
int ens_signer_open_pkcs11(struct ens_signer **out, const char *uri,
			   const struct ens_pkcs11_opts *o, struct ens_err *err);
/* Run CMD through /bin/sh with msg on its standard input; its standard output
 * must be exactly the 384-byte signature (big-endian, or little-endian when
 * little_endian). The signature is not checked here. */
int ens_sign_command_run(const char *cmd, const uint8_t *msg, size_t len, bool little_endian,
			 uint8_t sig_be[384], struct ens_err *err);
/* Why an external signature (two-step, --sign-command) fails, so that each
 * cause gets its own message. */
enum ens_extsig {
	ENS_EXTSIG_OK,
	ENS_EXTSIG_OTHER_DATA,		/* the key's signature, over other bytes */
	ENS_EXTSIG_OTHER_KEY,		/* not this key's (or damaged) */
	ENS_EXTSIG_REVERSED,		/* valid once byte-reversed: wrong endianness */
};
enum ens_extsig ens_extsig_classify(const uint8_t modulus_be[384], const uint8_t *msg, size_t len,
				    const uint8_t sig_be[384]);
/* SubjectPublicKeyInfo PEM for modulus n, e = 3 (malloc'd, NUL-terminated). */
int ens_pubkey_pem_from_modulus(const uint8_t modulus_be[384], char **pem, size_t *len,
				struct ens_err *err);
/* The project's built-in debug key (published MRSIGNER in README.md). */
int ens_signer_open_debug(struct ens_signer **out, struct ens_err *err);
int ens_signer_sign(struct ens_signer *s, const uint8_t *msg, size_t len, uint8_t sig_be[384],
		    struct ens_err *err);
void ens_signer_free(struct ens_signer *s);
/* MRSIGNER of the signer's key. */
void ens_signer_mrsigner(const struct ens_signer *s, uint8_t out[32]);

/* Key checks shared by every signer: 3072-bit modulus, e = 3. The message
 * names the property and the value found. 'what' names the key in messages. */
struct evp_pkey_st;
int ens_key_check(const struct evp_pkey_st *pkey, const char *what, struct ens_err *err);
/* Load a public key PEM (SubjectPublicKeyInfo or PKCS#1) and return its
 * big-endian modulus after the 3072/e=3 checks. */
int ens_pubkey_load_modulus(const char *path, uint8_t modulus_be[384], struct ens_err *err);
/* True when path is a PEM file holding a private key ("... PRIVATE KEY"), so
 * that a caller wanting a public key can say so plainly. */
bool ens_pem_is_private_key(const char *path);

/* Generate an RSA-3072 e=3 key as PEM (PKCS#8 unencrypted) into a new file,
 * mode 0600, atomically. */
int ens_keygen_pem(const char *path, struct ens_err *err);

/* Raw RSA helper: verify a PKCS#1 v1.5 SHA-256 signature (big-endian) over msg. */
int ens_rsa_verify(const uint8_t modulus_be[384], uint32_t e, const uint8_t *msg, size_t len,
		   const uint8_t sig_be[384], struct ens_err *err);

/* Q1 = floor(s^2 / n), Q2 = floor(s * (s^2 mod n) / n), as SIGSTRUCT stores them (LE). */
int ens_rsa_q1q2(const uint8_t n_be[384], const uint8_t s_be[384], uint8_t q1_le[384], uint8_t q2_le[384],
		 struct ens_err *err);

#endif
