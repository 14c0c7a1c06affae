/* SIGSTRUCT: build, sign (through an ens_signer), parse and verify
 * (sgx-architecture.md §1). All functions take the packed 1808-byte struct. */
#ifndef ENSIGN_SIGSTRUCT_H
#define ENSIGN_SIGSTRUCT_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "sgx.h"

struct ens_signer;

/* Everything that goes into the signed 256 bytes. */
struct ens_sigstruct_fields {
	uint32_t header_type;		/* HEADER bytes 12..15; 0 except Intel ReleaseType */
	uint32_t vendor;
	uint32_t date;			/* BCD */
	uint32_t swdefined;
	uint32_t miscselect, miscmask;
	uint8_t cet_attributes, cet_attributes_mask;
	uint8_t isvfamilyid[16];
	uint64_t attributes, xfrm, attributes_mask, xfrm_mask;
	uint8_t enclavehash[32];
	uint8_t isvextprodid[16];
	uint16_t isvprodid, isvsvn;
};

/* Zero s and fill header, header2 and the fields; modulus, exponent,
 * signature, Q1 and Q2 stay zero until signed. */
void ens_sigstruct_build(struct ens_sigstruct *s, const struct ens_sigstruct_fields *f);
void ens_sigstruct_fields(const struct ens_sigstruct *s, struct ens_sigstruct_fields *f);
/* The 256 signed bytes: header [0,128) ++ body [900,1028). */
void ens_sigstruct_signed_bytes(const struct ens_sigstruct *s, uint8_t out[ENS_SIGNED_SIZE]);
/* Sign the 256 bytes with signer; store modulus, exponent 3, signature, Q1, Q2. */
int ens_sigstruct_sign(struct ens_sigstruct *s, struct ens_signer *signer, struct ens_err *err);
/* Two-step: given the modulus and a raw big-endian signature over the signed
 * bytes, check it and fill modulus, exponent, signature, Q1, Q2. */
int ens_sigstruct_attach(struct ens_sigstruct *s, const uint8_t modulus_be[384],
			 const uint8_t signature_be[384], struct ens_err *err);
/* MRSIGNER = SHA-256 of the stored (LE) modulus. */
void ens_sigstruct_mrsigner(const struct ens_sigstruct *s, uint8_t out[32]);

/* Verification (§1.5): every check, one flag and message each. */
enum ens_verify_check {
	ENS_VC_SIZE, ENS_VC_HEADER, ENS_VC_EXPONENT, ENS_VC_MODULUS, ENS_VC_SIGNATURE,
	ENS_VC_Q1, ENS_VC_Q2, ENS_VC_RESERVED, ENS_VC_ENCLAVEHASH, ENS_VC_COUNT
};
struct ens_verify_report {
	bool failed[ENS_VC_COUNT];
	char why[ENS_VC_COUNT][224];
	bool warn_reserved;		/* reserved bytes non-zero (a warning only) */
	bool header_quirk;		/* header bit 31 (Intel ReleaseType) set */
	int nfailed;
};
/* Verify a buffer of 'len' bytes as a SIGSTRUCT. expected_mrenclave may be NULL.
 * Returns 0 if every check holds, 1 if some failed (see report). */
int ens_sigstruct_verify(const uint8_t *buf, size_t len, const uint8_t *expected_mrenclave,
			 struct ens_verify_report *rep);

extern const uint8_t ens_sigstruct_header[16];
extern const uint8_t ens_sigstruct_header2[16];

#endif
