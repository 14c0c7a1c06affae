/* DER from a PEM block to an EVP_PKEY: PKCS#1 and PKCS#8 (plain or
 * encrypted) private keys; SubjectPublicKeyInfo, PKCS#1 public keys and
 * certificates.
 *
 * RSA keys are parsed with d2i_RSAPrivateKey / d2i_RSAPublicKey, deprecated
 * in OpenSSL 3 but the one route that does not set up the generic decoder
 * (see pem.h); the RSA structure clears its private numbers when freed. The
 * algorithm of a PKCS#8 key is read from its OID first, so other key types
 * are named without being decoded. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "pem.h"

static EVP_PKEY *wrap_rsa(RSA *rsa, const char *what, struct ens_err *err)
{
	EVP_PKEY *pkey = rsa ? EVP_PKEY_new() : NULL;

	if (!pkey || !EVP_PKEY_assign_RSA(pkey, rsa)) {
		RSA_free(rsa);
		EVP_PKEY_free(pkey);
		ens_fail_crypto(err, "'%s': out of memory", what);
		return NULL;
	}
	return pkey;
}

static EVP_PKEY *malformed(const struct pem_block *b, const char *what, const char *kind, struct ens_err *err)
{
	ERR_clear_error();
	ens_fail(err, ENS_E_KEY, "'%s': cannot read the %s key: its %s is malformed", what, kind, b->label);
	return NULL;
}

static EVP_PKEY *not_rsa(const char *what, int nid, struct ens_err *err)
{
	ens_fail(err, ENS_E_KEY, "'%s' is %s; SGX needs an RSA-3072 key with exponent 3", what,
		 ens_key_type_name(nid));
	return NULL;
}

static EVP_PKEY *from_pkcs8(const PKCS8_PRIV_KEY_INFO *p8, const struct pem_block *b, const char *what,
			    struct ens_err *err)
{
	const ASN1_OBJECT *oid;
	const unsigned char *pk;
	int pklen, nid;
	RSA *rsa;

	if (!PKCS8_pkey_get0(&oid, &pk, &pklen, NULL, p8))
		return malformed(b, what, "private", err);
	nid = OBJ_obj2nid(oid);
	if (nid != NID_rsaEncryption)
		return not_rsa(what, nid, err);
	if (!(rsa = d2i_RSAPrivateKey(NULL, &pk, pklen)))
		return malformed(b, what, "private", err);
	return wrap_rsa(rsa, what, err);
}

void ens_key_fail_passphrase(const char *what, bool missing, struct ens_err *err)
{
	ERR_clear_error();
	if (missing)
		ens_fail(err, ENS_E_KEY, "'%s' is encrypted and no passphrase was given: type it when asked on a "
			 "terminal, or set ENSIGN_KEY_PASSPHRASE or --passphrase-file FILE", what);
	else
		ens_fail(err, ENS_E_KEY, "'%s' is encrypted and the passphrase is wrong: the key does not decrypt "
			 "with it", what);
}

EVP_PKEY *ens_der_private_key(const struct pem_block *b, const char *what, const char *passphrase,
			      struct ens_err *err)
{
	const unsigned char *p = b->der;
	long len = (long)b->der_len;
	EVP_PKEY *pkey = NULL;

	if (!strcmp(b->label, "RSA PRIVATE KEY")) {
		RSA *rsa = d2i_RSAPrivateKey(NULL, &p, len);

		return rsa ? wrap_rsa(rsa, what, err) : malformed(b, what, "private", err);
	}
	if (!strcmp(b->label, "PRIVATE KEY")) {
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);

		if (!p8)
			return malformed(b, what, "private", err);
		pkey = from_pkcs8(p8, b, what, err);
		PKCS8_PRIV_KEY_INFO_free(p8);	/* clears the key octets */
		return pkey;
	}
	if (!strcmp(b->label, "ENCRYPTED PRIVATE KEY")) {
		X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);
		PKCS8_PRIV_KEY_INFO *p8;

		if (!sig)
			return malformed(b, what, "private", err);
		p8 = passphrase ? PKCS8_decrypt(sig, passphrase, (int)strlen(passphrase)) : NULL;
		X509_SIG_free(sig);
		if (!p8) {	/* a wrong passphrase fails the padding check or the parse */
			ens_key_fail_passphrase(what, !passphrase, err);
			return NULL;
		}
		pkey = from_pkcs8(p8, b, what, err);
		PKCS8_PRIV_KEY_INFO_free(p8);
		return pkey;
	}
	if (!strcmp(b->label, "EC PRIVATE KEY"))
		return not_rsa(what, EVP_PKEY_EC, err);
	if (!strcmp(b->label, "DSA PRIVATE KEY"))
		return not_rsa(what, EVP_PKEY_DSA, err);
	if (!strcmp(b->label, "OPENSSH PRIVATE KEY")) {
		ens_fail(err, ENS_E_KEY, "'%s' is in OpenSSH's format; SGX needs an RSA-3072 key in PEM "
			 "(convert a copy with ssh-keygen -p -m PEM -f COPY)", what);
		return NULL;
	}
	ens_fail(err, ENS_E_KEY, "'%s' holds a %s; ensign reads RSA PRIVATE KEY, PRIVATE KEY and "
		 "ENCRYPTED PRIVATE KEY", what, b->label);
	return NULL;
}

EVP_PKEY *ens_der_public_key(const struct pem_block *b, const char *what, struct ens_err *err)
{
	const unsigned char *p = b->der;
	long len = (long)b->der_len;
	EVP_PKEY *pkey = NULL;

	if (!strcmp(b->label, "PUBLIC KEY")) {
		X509_PUBKEY *spki = d2i_X509_PUBKEY(NULL, &p, len);
		ASN1_OBJECT *oid;
		const unsigned char *pk;
		int pklen, nid;

		if (!spki || !X509_PUBKEY_get0_param(&oid, &pk, &pklen, NULL, spki)) {
			X509_PUBKEY_free(spki);
			return malformed(b, what, "public", err);
		}
		nid = OBJ_obj2nid(oid);
		if (nid == NID_rsaEncryption) {
			RSA *rsa = d2i_RSAPublicKey(NULL, &pk, pklen);

			pkey = rsa ? wrap_rsa(rsa, what, err) : malformed(b, what, "public", err);
		} else {
			not_rsa(what, nid, err);
		}
		X509_PUBKEY_free(spki);
		return pkey;
	}
	if (!strcmp(b->label, "RSA PUBLIC KEY")) {
		RSA *rsa = d2i_RSAPublicKey(NULL, &p, len);

		return rsa ? wrap_rsa(rsa, what, err) : malformed(b, what, "public", err);
	}
	if (!strcmp(b->label, "CERTIFICATE") || !strcmp(b->label, "X509 CERTIFICATE") ||
	    !strcmp(b->label, "TRUSTED CERTIFICATE")) {
		X509 *x = b->label[0] == 'T' ? d2i_X509_AUX(NULL, &p, len) : d2i_X509(NULL, &p, len);

		pkey = x ? X509_get_pubkey(x) : NULL;
		X509_free(x);
		if (!pkey) {
			ERR_clear_error();
			ens_fail(err, ENS_E_KEY, "'%s': cannot read the certificate's public key: its %s is malformed",
				 what, b->label);
		}
		return pkey;
	}
	ens_fail(err, ENS_E_KEY, "'%s' holds a %s, not a public key or certificate", what, b->label);
	return NULL;
}
