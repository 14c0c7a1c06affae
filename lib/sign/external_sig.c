/* External signatures (sign stage, two-step and --sign-command): tells a
 * signature by another key from one over other bytes or in the wrong byte
 * order, and turns a bare modulus back into a public key file. */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include "ensign/signer.h"
#include "ensign/util.h"

static const uint8_t sha256_digestinfo[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

static EVP_PKEY *pkey_from_modulus(const uint8_t modulus_be[384])
{
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = BN_bin2bn(modulus_be, 384, NULL), *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if (!n || !e || !bld || !BN_set_word(e, 3) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* 1: valid PKCS#1 v1.5 block whose SHA-256 DigestInfo holds hash; 0: valid
 * block, other hash; -1: not a signature by this key. */
static int recover(EVP_PKEY *pkey, const uint8_t sig_be[384], const uint8_t hash[32])
{
	uint8_t out[384];
	size_t outlen = sizeof out;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int r = -1;

	if (ctx && EVP_PKEY_verify_recover_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_verify_recover(ctx, out, &outlen, sig_be, 384) > 0) {
		if (outlen == sizeof sha256_digestinfo + 32 &&
		    memcmp(out, sha256_digestinfo, sizeof sha256_digestinfo) == 0 &&
		    memcmp(out + sizeof sha256_digestinfo, hash, 32) == 0)
			r = 1;
		else
			r = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

enum ens_extsig ens_extsig_classify(const uint8_t modulus_be[384], const uint8_t *msg, size_t len,
				    const uint8_t sig_be[384])
{
	uint8_t hash[32], rev[384];
	EVP_PKEY *pkey = pkey_from_modulus(modulus_be);
	enum ens_extsig why = ENS_EXTSIG_OTHER_KEY;

	if (!pkey)
		return ENS_EXTSIG_OTHER_KEY;
	SHA256(msg, len, hash);
	int r = recover(pkey, sig_be, hash);
	if (r == 1)
		why = ENS_EXTSIG_OK;
	else if (r == 0)
		why = ENS_EXTSIG_OTHER_DATA;
	else {
		ens_reverse(rev, sig_be, 384);
		if (recover(pkey, rev, hash) == 1)
			why = ENS_EXTSIG_REVERSED;
	}
	EVP_PKEY_free(pkey);
	return why;
}

int ens_pubkey_pem_from_modulus(const uint8_t modulus_be[384], char **pem, size_t *len,
				struct ens_err *err)
{
	EVP_PKEY *pkey = pkey_from_modulus(modulus_be);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ret = -1;

	if (!pkey || !bio || !PEM_write_bio_PUBKEY(bio, pkey) || (n = BIO_get_mem_data(bio, &data)) <= 0)
		ens_fail_crypto(err, "cannot encode the public key");
	else if (!(*pem = malloc((size_t)n + 1)))
		ens_fail(err, ENS_E_NOMEM, "out of memory");
	else {
		memcpy(*pem, data, (size_t)n);
		(*pem)[n] = 0;
		*len = (size_t)n;
		ret = 0;
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return ret;
}
