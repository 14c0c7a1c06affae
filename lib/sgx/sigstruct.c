/* SIGSTRUCT construction, signing (RSASSA-PKCS1-v1_5/SHA-256 over header ++ body),
 * Q1/Q2 and MRSIGNER (sgx-architecture.md §1). Big numbers are stored LE. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "ensign/signer.h"
#include "ensign/sigstruct.h"
#include "ensign/util.h"

const uint8_t ens_sigstruct_header[16] = { 0x06, 0, 0, 0, 0xE1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0 };
const uint8_t ens_sigstruct_header2[16] = { 0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0 };

void ens_sigstruct_build(struct ens_sigstruct *s, const struct ens_sigstruct_fields *f)
{
	memset(s, 0, sizeof *s);
	memcpy(s->header, ens_sigstruct_header, 16);
	ens_put_le32(s->header + 12, f->header_type);
	memcpy(s->header2, ens_sigstruct_header2, 16);
	s->vendor = f->vendor;
	s->date = f->date;
	s->swdefined = f->swdefined;
	s->miscselect = f->miscselect;
	s->miscmask = f->miscmask;
	s->cet_attributes = f->cet_attributes;
	s->cet_attributes_mask = f->cet_attributes_mask;
	memcpy(s->isvfamilyid, f->isvfamilyid, 16);
	s->attributes = f->attributes;
	s->xfrm = f->xfrm;
	s->attributes_mask = f->attributes_mask;
	s->xfrm_mask = f->xfrm_mask;
	memcpy(s->enclavehash, f->enclavehash, 32);
	memcpy(s->isvextprodid, f->isvextprodid, 16);
	s->isvprodid = f->isvprodid;
	s->isvsvn = f->isvsvn;
}

void ens_sigstruct_fields(const struct ens_sigstruct *s, struct ens_sigstruct_fields *f)
{
	memset(f, 0, sizeof *f);
	f->header_type = ens_get_le32(s->header + 12);
	f->vendor = s->vendor;
	f->date = s->date;
	f->swdefined = s->swdefined;
	f->miscselect = s->miscselect;
	f->miscmask = s->miscmask;
	f->cet_attributes = s->cet_attributes;
	f->cet_attributes_mask = s->cet_attributes_mask;
	memcpy(f->isvfamilyid, s->isvfamilyid, 16);
	f->attributes = s->attributes;
	f->xfrm = s->xfrm;
	f->attributes_mask = s->attributes_mask;
	f->xfrm_mask = s->xfrm_mask;
	memcpy(f->enclavehash, s->enclavehash, 32);
	memcpy(f->isvextprodid, s->isvextprodid, 16);
	f->isvprodid = s->isvprodid;
	f->isvsvn = s->isvsvn;
}

void ens_sigstruct_signed_bytes(const struct ens_sigstruct *s, uint8_t out[ENS_SIGNED_SIZE])
{
	const uint8_t *b = (const uint8_t *)s;

	memcpy(out, b, 128);
	memcpy(out + 128, b + 900, 128);
}

void ens_sigstruct_mrsigner(const struct ens_sigstruct *s, uint8_t out[32])
{
	SHA256(s->modulus, sizeof s->modulus, out);
}

static int bn_to_le(const BIGNUM *bn, uint8_t out[384])
{
	uint8_t be[384];

	if (BN_bn2binpad(bn, be, 384) != 384)
		return -1;
	ens_reverse(out, be, 384);
	return 0;
}

/* Q1 = floor(s^2 / n), Q2 = floor(s * (s^2 mod n) / n): the CPU's cheap check. */
int ens_rsa_q1q2(const uint8_t n_be[384], const uint8_t s_be[384], uint8_t q1[384],
			uint8_t q2[384], struct ens_err *err)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = NULL, *s = NULL, *t = NULL, *q = NULL, *r = NULL;
	int rc = -1;

	if (!ctx)
		return ens_fail_crypto(err, "out of memory");
	n = BN_bin2bn(n_be, 384, NULL);
	s = BN_bin2bn(s_be, 384, NULL);
	t = BN_new();
	q = BN_new();
	r = BN_new();
	if (!n || !s || !t || !q || !r)
		goto out;
	if (!BN_sqr(t, s, ctx) || !BN_div(q, r, t, n, ctx) || bn_to_le(q, q1))
		goto out;
	if (!BN_mul(t, r, s, ctx) || !BN_div(q, NULL, t, n, ctx) || bn_to_le(q, q2))
		goto out;
	rc = 0;
out:
	BN_free(n);
	BN_free(s);
	BN_free(t);
	BN_free(q);
	BN_free(r);
	BN_CTX_free(ctx);
	return rc ? ens_fail_crypto(err, "cannot compute Q1/Q2") : 0;
}

static int fill_key_fields(struct ens_sigstruct *s, const uint8_t n_be[384], const uint8_t sig_be[384],
			   struct ens_err *err)
{
	uint8_t q1[384], q2[384];

	if (ens_rsa_q1q2(n_be, sig_be, q1, q2, err))
		return -1;
	ens_reverse(s->modulus, n_be, 384);
	s->exponent = 3;
	ens_reverse(s->signature, sig_be, 384);
	memcpy(s->q1, q1, 384);
	memcpy(s->q2, q2, 384);
	return 0;
}

int ens_sigstruct_sign(struct ens_sigstruct *s, struct ens_signer *signer, struct ens_err *err)
{
	uint8_t msg[ENS_SIGNED_SIZE], sig[384];

	ens_sigstruct_signed_bytes(s, msg);
	if (ens_signer_sign(signer, msg, sizeof msg, sig, err))
		return -1;
	/* A signer that lies (a broken token, a wrong external key) must never
	 * produce a SIGSTRUCT that EINIT would reject. */
	if (ens_rsa_verify(signer->modulus_be, 3, msg, sizeof msg, sig, err))
		return ens_err_prefix(err, "signer '%s' returned a bad signature", signer->description);
	return fill_key_fields(s, signer->modulus_be, sig, err);
}

int ens_sigstruct_attach(struct ens_sigstruct *s, const uint8_t n_be[384], const uint8_t sig_be[384],
			 struct ens_err *err)
{
	uint8_t msg[ENS_SIGNED_SIZE];

	ens_sigstruct_signed_bytes(s, msg);
	if (ens_rsa_verify(n_be, 3, msg, sizeof msg, sig_be, err))
		return -1;
	return fill_key_fields(s, n_be, sig_be, err);
}
