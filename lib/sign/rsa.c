/* RSA helpers shared by every signer: the 3072/e=3 key rule, raw PKCS#1 v1.5
 * verification with any exponent, public-key loading, key generation. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "ensign/io.h"
#include "ensign/signer.h"
#include "ensign/util.h"
#include "pem.h"

static const uint8_t sha256_digestinfo[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

const char *ens_key_type_name(int id)
{
	switch (id) {
	case EVP_PKEY_EC: return "an EC key";
	case EVP_PKEY_ED25519: return "an Ed25519 key";
	case EVP_PKEY_ED448: return "an Ed448 key";
	case EVP_PKEY_X25519: return "an X25519 key";
	case EVP_PKEY_X448: return "an X448 key";
	case EVP_PKEY_DH: case EVP_PKEY_DHX: return "a DH key";
	case EVP_PKEY_DSA: return "a DSA key";
	case EVP_PKEY_RSA_PSS: return "an RSA-PSS key";
	default: return "not an RSA key";
	}
}

int ens_key_check(const struct evp_pkey_st *pkey, const char *what, struct ens_err *err)
{
	BIGNUM *e = NULL;
	int bits, id = EVP_PKEY_get_base_id(pkey);
	int rc = 0;

	if (id != EVP_PKEY_RSA)
		return ens_fail(err, ENS_E_KEY, "'%s' is %s; SGX needs an RSA-3072 key with exponent 3",
				what, ens_key_type_name(id));
	bits = EVP_PKEY_get_bits(pkey);
	if (bits != 3072)
		return ens_fail(err, ENS_E_KEY, "'%s' is a %d-bit RSA key; SGX needs 3072 bits", what, bits);
	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		return ens_fail_crypto(err, "'%s': cannot read the public exponent", what);
	if (!BN_is_word(e, 3)) {
		char *dec = BN_bn2dec(e);

		rc = ens_fail(err, ENS_E_KEY, "'%s' has public exponent %s; SGX needs exponent 3",
			      what, dec ? dec : "?");
		OPENSSL_free(dec);
	}
	BN_free(e);
	return rc;
}

int ens_pkey_modulus_be(const EVP_PKEY *pkey, uint8_t n_be[384], struct ens_err *err);
int ens_pkey_modulus_be(const EVP_PKEY *pkey, uint8_t n_be[384], struct ens_err *err)
{
	BIGNUM *n = NULL;
	int ok;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n))
		return ens_fail_crypto(err, "cannot read the RSA modulus");
	ok = BN_bn2binpad(n, n_be, 384) == 384;
	BN_free(n);
	return ok ? 0 : ens_fail(err, ENS_E_KEY, "RSA modulus does not fit 384 bytes");
}

int ens_rsa_verify(const uint8_t n_be[384], uint32_t e_word, const uint8_t *msg, size_t len,
		   const uint8_t sig_be[384], struct ens_err *err)
{
	uint8_t em[384], want[384];
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = BN_bin2bn(n_be, 384, NULL), *s = BN_bin2bn(sig_be, 384, NULL);
	BIGNUM *e = BN_new(), *m = BN_new();
	int rc = -1;

	if (!ctx || !n || !s || !e || !m || !BN_set_word(e, e_word)) {
		ens_fail_crypto(err, "out of memory");
		goto out;
	}
	if (BN_cmp(s, n) >= 0) {
		ens_fail(err, ENS_E_VERIFY, "the signature is not less than the modulus");
		goto out;
	}
	if (!BN_mod_exp(m, s, e, n, ctx) || BN_bn2binpad(m, em, 384) != 384) {
		ens_fail_crypto(err, "RSA operation failed");
		goto out;
	}
	/* EM = 00 01 FF..FF 00 DigestInfo(SHA-256) H */
	want[0] = 0;
	want[1] = 1;
	memset(want + 2, 0xff, 384 - 3 - 19 - 32);
	want[384 - 19 - 32 - 1] = 0;
	memcpy(want + 384 - 19 - 32, sha256_digestinfo, 19);
	SHA256(msg, len, want + 384 - 32);
	if (memcmp(em, want, 384)) {
		if (memcmp(em, want, 384 - 32) == 0)
			ens_fail(err, ENS_E_VERIFY, "the signature is for other signed bytes (digest mismatch)");
		else
			ens_fail(err, ENS_E_VERIFY, "the signature was not made with this key (padding mismatch)");
		goto out;
	}
	rc = 0;
out:
	BN_free(n);
	BN_free(s);
	BN_free(e);
	BN_free(m);
	BN_CTX_free(ctx);
	return rc;
}

bool ens_pem_is_private_key(const char *path)
{
	uint8_t *buf;
	size_t len, cap;
	mode_t mode;
	struct pem_block b;
	struct ens_err err;
	const char *why;
	bool saw_public, found;

	if (ens_key_file_read(path, &buf, &len, &cap, &mode, &err))
		return false;
	found = pem_find_block(buf, len, pem_label_is_private, pem_label_is_public, &saw_public, &b, &why) != PEM_NONE;
	pem_block_wipe(&b);
	OPENSSL_clear_free(buf, cap);
	return found;
}

/* The first public key or certificate block of a PEM file. */
int ens_pubkey_load_modulus(const char *path, uint8_t n_be[384], struct ens_err *err)
{
	uint8_t *buf;
	size_t len, cap;
	mode_t mode;
	struct pem_block b;
	const char *why;
	bool saw_private;
	enum pem_next r;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (ens_key_file_read(path, &buf, &len, &cap, &mode, err))
		return -1;
	r = pem_find_block(buf, len, pem_label_is_public, pem_label_is_private, &saw_private, &b, &why);
	if (r == PEM_MALFORMED)
		ens_fail(err, ENS_E_KEY, "'%s': cannot read the public key: %s", path, why);
	else if (r == PEM_FOUND)
		pkey = ens_der_public_key(&b, path, err);
	pem_block_wipe(&b);
	OPENSSL_clear_free(buf, cap);
	if (r == PEM_NONE && saw_private)
		return ens_fail(err, ENS_E_KEY, "'%s' is a private key; a public key is needed here "
				"(openssl rsa -in '%s' -pubout)", path, path);
	if (r == PEM_NONE)
		return ens_fail(err, ENS_E_KEY, "'%s' is not a PEM public key or certificate", path);
	if (pkey && ens_key_check(pkey, path, err) == 0 && ens_pkey_modulus_be(pkey, n_be, err) == 0)
		rc = 0;
	EVP_PKEY_free(pkey);
	return rc;
}

int ens_keygen_pem(const char *path, struct ens_err *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *pkey = NULL;
	BIGNUM *e = BN_new();
	BIO *mem = NULL;
	char *pem;
	long len;
	int rc = -1;

	if (!ctx || !e || !BN_set_word(e, 3) || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0) {
		ens_fail_crypto(err, "RSA-3072 key generation failed");
		goto out;
	}
	mem = BIO_new(BIO_s_secmem());
	if (!mem || !PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL)) {
		ens_fail_crypto(err, "cannot encode the key");
		goto out;
	}
	len = BIO_get_mem_data(mem, &pem);
	rc = ens_write_file(path, pem, (size_t)len, 0600, err);
	OPENSSL_cleanse(pem, (size_t)len);
out:
	BIO_free(mem);
	BN_free(e);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}
