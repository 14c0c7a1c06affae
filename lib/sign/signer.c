/* Signer dispatch and the two key-file signers: a PEM file and the built-in
 * debug key. The private key lives only in the EVP_PKEY inside the signer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include "debug_key.h"
#include "ensign/signer.h"

int ens_pkey_modulus_be(const EVP_PKEY *pkey, uint8_t n_be[384], struct ens_err *err);

int ens_signer_sign(struct ens_signer *s, const uint8_t *msg, size_t len, uint8_t sig_be[384],
		    struct ens_err *err)
{
	return s->ops->sign(s, msg, len, sig_be, err);
}

void ens_signer_free(struct ens_signer *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

void ens_signer_mrsigner(const struct ens_signer *s, uint8_t out[32])
{
	uint8_t le[384];

	for (int i = 0; i < 384; i++)
		le[i] = s->modulus_be[383 - i];
	SHA256(le, sizeof le, out);
}

static int pkey_sign(struct ens_signer *s, const uint8_t *msg, size_t len, uint8_t sig_be[384],
		     struct ens_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t siglen = 384;
	int rc = -1;

	if (!md || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, s->priv) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_DigestSign(md, sig_be, &siglen, msg, len) <= 0 || siglen != 384)
		ens_fail_crypto(err, "RSA signing with '%s' failed", s->description);
	else
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

static void pkey_free(struct ens_signer *s)
{
	EVP_PKEY_free(s->priv);	/* OpenSSL clears RSA private numbers on free */
	s->priv = NULL;
}

static const struct ens_signer_ops pem_ops = { "pem", pkey_sign, pkey_free };

static int passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	const char *p = u;
	size_t n;

	if (!p)
		p = getenv("ENSIGN_KEY_PASSPHRASE");
	if (!p)
		return -1;
	n = strlen(p);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, p, n);
	return (int)n;
}

static int from_bio(struct ens_signer **out, BIO *bio, const char *what, const char *passphrase,
		    bool debug, struct ens_err *err)
{
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb, (void *)passphrase);
	struct ens_signer *s;

	if (!pkey) {
		unsigned long e = ERR_peek_last_error();

		if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
			ERR_clear_error();
			return ens_fail(err, ENS_E_KEY, "'%s' is not a PEM private key", what);
		}
		if (ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ || ERR_GET_REASON(e) == EVP_R_BAD_DECRYPT ||
		    ERR_GET_REASON(e) == PEM_R_BAD_DECRYPT) {
			ERR_clear_error();
			return ens_fail(err, ENS_E_KEY, "'%s' is encrypted and the passphrase is missing or wrong "
					"(set ENSIGN_KEY_PASSPHRASE)", what);
		}
		ens_fail_crypto(err, "'%s': cannot read the private key", what);
		err->code = ENS_E_KEY;
		return -1;
	}
	if (ens_key_check(pkey, what, err)) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		EVP_PKEY_free(pkey);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	s->ops = &pem_ops;
	s->priv = pkey;
	s->is_debug_key = debug;
	snprintf(s->description, sizeof s->description, "%s", what);
	if (ens_pkey_modulus_be(pkey, s->modulus_be, err)) {
		ens_signer_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static bool is_public_pem(const char *path)
{
	char line[128];
	bool pub = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!pub && fgets(line, sizeof line, f))
		pub = strstr(line, "-----BEGIN PUBLIC KEY") || strstr(line, "-----BEGIN RSA PUBLIC KEY") ||
		      strstr(line, "-----BEGIN CERTIFICATE");
	fclose(f);
	return pub;
}

int ens_signer_open_pem(struct ens_signer **out, const char *path, const char *passphrase,
			char *warning, size_t warning_len, struct ens_err *err)
{
	struct stat st;
	BIO *bio;
	int rc;

	if (warning && warning_len)
		warning[0] = 0;
	bio = BIO_new_file(path, "r");
	if (!bio)
		return ens_fail_errno(err, "cannot open key '%s'", path);
	if (stat(path, &st) == 0 && (st.st_mode & 077) && warning)
		snprintf(warning, warning_len, "key file '%s' is readable by others (mode %03o); "
			 "use chmod 600", path, (unsigned)(st.st_mode & 0777));
	rc = from_bio(out, bio, path, passphrase, false, err);
	BIO_free(bio);
	if (rc && err && err->code == ENS_E_KEY && is_public_pem(path))
		return ens_fail(err, ENS_E_KEY, "'%s' holds a public key or certificate; signing needs the private key",
				path);
	return rc;
}

int ens_signer_open_debug(struct ens_signer **out, struct ens_err *err)
{
	BIO *bio = BIO_new_mem_buf(ens_debug_key_pem, -1);
	int rc;

	if (!bio)
		return ens_fail_crypto(err, "out of memory");
	rc = from_bio(out, bio, "built-in debug key", NULL, true, err);
	BIO_free(bio);
	return rc;
}
