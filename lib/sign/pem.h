/* PEM blocks (RFC 7468) read from a key file held in memory, and the DER
 * inside them turned into keys. Internal to lib/sign.
 *
 * Why not PEM_read_bio_*: OpenSSL 3.0's PEM reader frees a line buffer
 * holding key text without wiping it, and its generic decoder costs about
 * 330 us per key in set-up alone (against 3 us for the DER parse); the
 * framing is a dozen lines, the DER stays OpenSSL's. */
#ifndef ENSIGN_SIGN_PEM_H
#define ENSIGN_SIGN_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include "ensign/err.h"

struct pem_block {
	char label[80];			/* "RSA PRIVATE KEY", "CERTIFICATE"... */
	bool legacy_encrypted;		/* RFC 1421 "Proc-Type: 4,ENCRYPTED" headers */
	uint8_t *der;			/* decoded body, wiped on pem_block_wipe */
	size_t der_len, der_cap;
};

enum pem_next { PEM_NONE = 0, PEM_FOUND = 1, PEM_MALFORMED = -1 };

/* The next block at or after *pos. PEM_FOUND: b filled, *pos after its END
 * line. PEM_MALFORMED: b->label set, *why says what is wrong, *pos after
 * what was read (scanning can go on). PEM_NONE: no BEGIN line is left. */
enum pem_next pem_next_block(const uint8_t *buf, size_t len, size_t *pos, struct pem_block *b,
			     const char **why);
void pem_block_wipe(struct pem_block *b);
/* The first block whose label 'want' accepts (PEM_FOUND or PEM_MALFORMED,
 * as above), or PEM_NONE; blocks passed over are wiped, and *saw_other tells
 * whether one of them had a label 'other' accepts. */
enum pem_next pem_find_block(const uint8_t *buf, size_t len, bool (*want)(const char *label),
			     bool (*other)(const char *label), bool *saw_other, struct pem_block *b, const char **why);

/* A key file read whole into a buffer of *cap bytes that the caller wipes
 * and frees with OPENSSL_clear_free (pipes work; at most 1 MiB). */
int ens_key_file_read(const char *path, uint8_t **buf, size_t *len, size_t *cap, mode_t *mode,
		      struct ens_err *err);

/* "an EC key", "an Ed25519 key"... for an EVP_PKEY id or OID NID. */
const char *ens_key_type_name(int id);
/* The messages for a missing (none given) and a wrong passphrase; clears OpenSSL's errors. */
void ens_key_fail_passphrase(const char *what, bool missing, struct ens_err *err);

/* Label classes. */
bool pem_label_is_private(const char *label);	/* "... PRIVATE KEY" */
bool pem_label_is_public(const char *label);	/* public key or certificate */

/* DER to key (key_der.c). Each returns NULL and fills err (code ENS_E_KEY)
 * naming 'what'. The private key is checked only for being RSA; passphrase
 * (NULL: none) decrypts an ENCRYPTED PRIVATE KEY. */
EVP_PKEY *ens_der_private_key(const struct pem_block *b, const char *what, const char *passphrase,
			      struct ens_err *err);
EVP_PKEY *ens_der_public_key(const struct pem_block *b, const char *what, struct ens_err *err);

#endif
