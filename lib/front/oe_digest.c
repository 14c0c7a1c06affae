/* Open Enclave front end, two-step signing (§A.1 digest flow): the digest of
 * the signed bytes, and embedding an external signature checked against a
 * certificate. oesign recomputes DATE at each step and so fails across
 * midnight; ensign recovers the signed digest from the signature (RSA
 * public operation) and finds the date it was made with. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ensign/io.h"
#include "ensign/oe.h"
#include "ensign/signer.h"
#include "ensign/util.h"

#define DAYS_BACK 3660

int ens_oe_digest(const struct ens_sigstruct *s, uint8_t digest[32], struct ens_err *err)
{
	uint8_t m[ENS_SIGNED_SIZE];
	ens_sigstruct_signed_bytes(s, m);
	if (!EVP_Digest(m, sizeof(m), digest, NULL, EVP_sha256(), NULL))
		return ens_fail_crypto(err, "SHA-256 failed");
	return 0;
}

/* The big-endian modulus from an X.509 certificate, or else from a public
 * key PEM (SubjectPublicKeyInfo or PKCS#1); 3072 bits and e = 3 checked. */
static int load_modulus(const char *path, uint8_t modulus[384], struct ens_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = -1;
	if (ens_read_file(path, 1u << 20, &buf, &len, err) < 0)
		return -1;
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(buf);
	if (!x) {
		ERR_clear_error();
		return ens_pubkey_load_modulus(path, modulus, err);
	}
	EVP_PKEY *pk = X509_get_pubkey(x);
	BIGNUM *n = NULL;
	if (!pk)
		ens_fail_crypto(err, "'%s': cannot read the certificate's public key", path);
	else if (ens_key_check((const struct evp_pkey_st *)pk, path, err) == 0) {
		if (EVP_PKEY_get_bn_param(pk, "n", &n) && BN_bn2binpad(n, modulus, 384) == 384)
			rc = 0;
		else
			ens_fail_crypto(err, "'%s': cannot read the RSA modulus", path);
	}
	BN_free(n);
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

/* The SHA-256 a PKCS#1 v1.5 signature was made over: s^3 mod n, then the
 * encoding checked. 1 if it was not made by this key (or not with SHA-256). */
static int recover_digest(const uint8_t modulus[384], const uint8_t sig[384], uint8_t digest[32],
			  struct ens_err *err)
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = BN_bin2bn(modulus, 384, NULL), *s = BN_bin2bn(sig, 384, NULL);
	BIGNUM *e = BN_new(), *m = BN_new();
	uint8_t em[384];
	int rc = -1;

	if (!ctx || !n || !s || !e || !m || !BN_set_word(e, 3)) {
		ens_fail_crypto(err, "out of memory");
		goto out;
	}
	rc = 1;
	if (BN_cmp(s, n) >= 0 || !BN_mod_exp(m, s, e, n, ctx) || BN_bn2binpad(m, em, 384) != 384)
		goto out;
	size_t ps = 384 - 3 - sizeof(prefix) - 32;
	if (em[0] != 0 || em[1] != 1 || em[2 + ps] != 0 || memcmp(em + 3 + ps, prefix, sizeof(prefix)))
		goto out;
	for (size_t i = 2; i < 2 + ps; i++)
		if (em[i] != 0xff)
			goto out;
	memcpy(digest, em + 384 - 32, 32);
	rc = 0;
out:
	BN_CTX_free(ctx);
	BN_free(n);
	BN_free(s);
	BN_free(e);
	BN_free(m);
	return rc;
}

static bool bcd_to_time(uint32_t bcd, time_t *t)
{
	if (!ens_date_is_bcd(bcd))
		return false;
	struct tm tm = { 0 };
	tm.tm_year = (int)((bcd >> 28 & 15) * 1000 + (bcd >> 24 & 15) * 100 + (bcd >> 20 & 15) * 10 +
			   (bcd >> 16 & 15)) - 1900;
	tm.tm_mon = (int)((bcd >> 12 & 15) * 10 + (bcd >> 8 & 15)) - 1;
	tm.tm_mday = (int)((bcd >> 4 & 15) * 10 + (bcd & 15));
	tm.tm_hour = 12;
	*t = timegm(&tm);
	return *t != (time_t)-1;
}

static int find_date(struct ens_sigstruct *s, const uint8_t want[32], bool date_fixed, struct ens_err *err)
{
	uint8_t h[32];
	uint32_t first = s->date;
	time_t t0;

	if (ens_oe_digest(s, h, err) < 0)
		return -1;
	if (!memcmp(h, want, 32))
		return 0;
	if (date_fixed || !bcd_to_time(first, &t0))
		return 1;
	for (long day = 1; day >= -DAYS_BACK; day--) {
		if (day == 0)
			continue;
		s->date = ens_date_from_time((long long)t0 + day * 86400LL);
		if (ens_oe_digest(s, h, err) < 0)
			return -1;
		if (!memcmp(h, want, 32))
			return 0;
	}
	s->date = first;
	return 1;
}

int ens_oe_attach_digest_signature(struct ens_sigstruct *s, const char *cert_path, const char *sig_path,
				   bool date_fixed, struct ens_err *err)
{
	uint8_t *sig = NULL, modulus[384], want[32];
	size_t len;
	int rc = -1;
	char d[16];

	if (load_modulus(cert_path, modulus, err) < 0)
		return -1;
	if (ens_read_file(sig_path, 4096, &sig, &len, err) < 0)
		return -1;
	if (len != 384) {
		ens_fail(err, ENS_E_VERIFY, "'%s': digest signature is %zu bytes, expected 384 (RSA-3072)",
			 sig_path, len);
		goto out;
	}
	int r = recover_digest(modulus, sig, want, err);
	if (r < 0)
		goto out;
	if (r) {
		ens_fail(err, ENS_E_VERIFY, "'%s': not a signature by the key in '%s' (signed with another "
			 "key, or not an RSA PKCS#1 v1.5 SHA-256 signature)", sig_path, cert_path);
		goto out;
	}
	ens_date_format(s->date, d, sizeof(d));
	int found = find_date(s, want, date_fixed, err);
	if (found < 0)
		goto out;
	if (found) {
		if (date_fixed)
			ens_fail(err, ENS_E_VERIFY, "'%s': digest signature does not match this enclave and "
				 "configuration with date %s (the key is right: the image, the .conf or the "
				 "date differ from the digest step)", sig_path, d);
		else
			ens_fail(err, ENS_E_VERIFY, "'%s': digest signature does not match this enclave and "
				 "configuration (the key is right: the image or the .conf differ from the "
				 "digest step; no date from the next day back to %d days before %s matches)",
				 sig_path, DAYS_BACK, d);
		goto out;
	}
	rc = ens_sigstruct_attach(s, modulus, sig, err);
out:
	free(sig);
	return rc;
}
