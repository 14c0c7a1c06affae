/* PKCS#11 key references (RFC 7512 "pkcs11:" URIs) for the token signer and
 * for keygen on a token. Parsing is pure; the token work is in
 * lib/sign/signer_pkcs11.c. */
#ifndef ENSIGN_PKCS11_H
#define ENSIGN_PKCS11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* The attributes ensign uses; NULL (or has_* false) when absent. Strings are
 * percent-decoded and NUL-terminated. */
struct ens_pkcs11_uri {
	char *token;			/* token label (CK_TOKEN_INFO.label) */
	char *manufacturer;		/* token manufacturer */
	char *model;			/* token model */
	char *serial;			/* token serial number */
	char *object;			/* key label (CKA_LABEL) */
	char *type;			/* "private", "public", "cert", ... */
	uint8_t *id;			/* CKA_ID, binary */
	size_t id_len;
	bool has_id;
	unsigned long slot_id;
	bool has_slot_id;
	char *pin_value;		/* wiped by ens_pkcs11_uri_free */
	char *pin_source;		/* "file:PATH" or a path */
	char *module_path;
	char *module_name;
};

bool ens_pkcs11_is_uri(const char *s);
/* Parse uri into u (zeroed first). On error u holds nothing to free. */
int ens_pkcs11_uri_parse(const char *uri, struct ens_pkcs11_uri *u, struct ens_err *err);
void ens_pkcs11_uri_free(struct ens_pkcs11_uri *u);
/* The URI again with pin-value hidden, for messages (buf >= 64). */
void ens_pkcs11_uri_redact(const char *uri, char *buf, size_t len);

/* Ask the user for a PIN: write a NUL-terminated PIN of at most len-1 bytes
 * into pin and return 0, or return -1 when nobody can be asked. */
typedef int (*ens_pin_prompt_fn)(const char *prompt, char *pin, size_t len, void *arg);

struct ens_pkcs11_opts {
	const char *module;		/* --pkcs11-module; else module-path=, ENSIGN_PKCS11_MODULE */
	ens_pin_prompt_fn prompt;	/* may be NULL: no terminal */
	void *prompt_arg;
};

/* Generate an RSA-3072 e=3 key pair on the token named by uri (object= and/or
 * id= name the new key; a key with that name must not exist yet). Returns the
 * public modulus, big-endian. */
int ens_pkcs11_keygen(const char *uri, const struct ens_pkcs11_opts *o, uint8_t modulus_be[384],
		      struct ens_err *err);

#endif
