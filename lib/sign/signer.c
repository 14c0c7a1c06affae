/* Signer dispatch and the two key-file signers: a PEM file and the built-in
 * debug key. The private key lives only in the EVP_PKEY inside the signer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/proverr.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include "debug_key.h"
#include "pem.h"
#include "ensign/io.h"
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
		return -1;
	n = strlen(p);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, p, n);
	return (int)n;
}

/* OpenSSL 3 reports a wrong passphrase from the PEM, EVP or provider layer. */
static bool is_bad_passphrase(unsigned long e)
{
	int r = ERR_GET_REASON(e);

	return r == PEM_R_BAD_PASSWORD_READ || r == PEM_R_BAD_DECRYPT || r == EVP_R_BAD_DECRYPT ||
	       (ERR_GET_LIB(e) == ERR_LIB_PROV && r == PROV_R_BAD_DECRYPT);
}

/* The traditional encrypted format (RFC 1421 "Proc-Type: 4,ENCRYPTED") is
 * the one key format left to OpenSSL's PEM reader. */
static EVP_PKEY *read_legacy_encrypted(const uint8_t *buf, size_t len, const char *what, const char *passphrase,
				       struct ens_err *err)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *pkey = bio && passphrase ? PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb, (void *)passphrase)
					   : NULL;
	unsigned long e = ERR_peek_last_error();

	BIO_free(bio);
	if (pkey)
		return pkey;
	if (!passphrase || is_bad_passphrase(e) || is_bad_passphrase(ERR_peek_error())) {
		ens_key_fail_passphrase(what, !passphrase, err);
	} else if (bio) {
		/* a wrong passphrase can decrypt to bytes with valid padding (1 in
		 * 256): the decoder then fails on them */
		ERR_clear_error();
		ens_fail(err, ENS_E_KEY, "'%s' is encrypted and the passphrase is wrong, or the key is damaged: it "
			 "does not decrypt to a key", what);
	} else {
		ens_fail_crypto(err, "'%s': cannot read the private key", what);
		err->code = ENS_E_KEY;
	}
	return NULL;
}

/* The first private-key block of a PEM file (other blocks, such as EC
 * PARAMETERS or a certificate before the key, are passed over). The
 * passphrase defaults to ENSIGN_KEY_PASSPHRASE. */
static EVP_PKEY *read_private_key(const uint8_t *buf, size_t len, const char *what, const char *passphrase,
				  ens_pass_prompt_fn prompt, void *prompt_arg, struct ens_err *err)
{
	struct pem_block b;
	bool saw_public;
	const char *why;
	EVP_PKEY *pkey;
	char typed[1024], text[600];

	if (!passphrase)
		passphrase = getenv("ENSIGN_KEY_PASSPHRASE");
	switch (pem_find_block(buf, len, pem_label_is_private, pem_label_is_public, &saw_public, &b, &why)) {
	case PEM_MALFORMED:
		ens_fail(err, ENS_E_KEY, "'%s': cannot read the private key: %s", what, why);
		return NULL;
	case PEM_FOUND:
		/* encrypted, no passphrase given: ask (a terminal), as PKCS#11 PINs are */
		if (!passphrase && prompt && (b.legacy_encrypted || !strcmp(b.label, "ENCRYPTED PRIVATE KEY"))) {
			snprintf(text, sizeof text, "Passphrase for '%s': ", what);
			if (!prompt(text, typed, sizeof typed, prompt_arg))
				passphrase = typed;
		}
		pkey = b.legacy_encrypted ? read_legacy_encrypted(buf, len, what, passphrase, err)
					  : ens_der_private_key(&b, what, passphrase, err);
		OPENSSL_cleanse(typed, sizeof typed);
		pem_block_wipe(&b);
		return pkey;
	case PEM_NONE:
		break;
	}
	if (saw_public)
		ens_fail(err, ENS_E_KEY, "'%s' holds a public key or certificate; signing needs the private key", what);
	else
		ens_fail(err, ENS_E_KEY, "'%s' is not a PEM private key%s", what,
			 len && buf[0] == 0x30 ? " (DER? convert it with openssl pkey -out KEY.pem)" : "");
	return NULL;
}

static int make_signer(struct ens_signer **out, EVP_PKEY *pkey, const char *what, bool debug,
		       struct ens_err *err)
{
	struct ens_signer *s;

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

/* Key files are read whole into a buffer that is wiped before it is freed
 * (*cap bytes): a stdio or BIO file buffer would leave copies of the key in
 * freed heap. Pipes (--key <(...)) work: the buffer grows as needed. */
#define ENS_KEY_FILE_MAX ((size_t)1 << 20)
int ens_key_file_read(const char *path, uint8_t **buf, size_t *len, size_t *cap, mode_t *mode,
			 struct ens_err *err)
{
	struct stat st;
	uint8_t *b;
	size_t n = 0, c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ens_fail_errno(err, "cannot open key '%s'", path);
	if (fstat(fd, &st)) {
		close(fd);
		return ens_fail_errno(err, "cannot stat key '%s'", path);
	}
	*mode = st.st_mode;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return ens_fail(err, ENS_E_KEY, "key '%s' is a directory", path);
	}
	c = st.st_size > 0 && (uint64_t)st.st_size < ENS_KEY_FILE_MAX ? (size_t)st.st_size + 1 : 4096;
	b = OPENSSL_malloc(c);
	while (b) {
		ssize_t got = read(fd, b + n, c - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ens_fail_errno(err, "cannot read key '%s'", path);
			break;
		}
		if (got == 0) {
			close(fd);
			*buf = b;
			*len = n;
			*cap = c;
			return 0;
		}
		n += (size_t)got;
		if (n == c) {
			uint8_t *bigger;

			if (c >= ENS_KEY_FILE_MAX) {
				ens_fail(err, ENS_E_KEY, "key '%s' is too large for a key file (over 1 MiB)", path);
				break;
			}
			bigger = OPENSSL_malloc(c * 2);
			if (bigger)
				memcpy(bigger, b, n);
			OPENSSL_clear_free(b, c);
			b = bigger;
			c *= 2;
		}
	}
	close(fd);
	if (!b)
		return ens_fail(err, ENS_E_NOMEM, "out of memory reading key '%s'", path);
	OPENSSL_clear_free(b, c);
	return -1;
}

int ens_signer_open_pem(struct ens_signer **out, const char *path, const char *passphrase,
			char *warning, size_t warning_len, struct ens_err *err)
{
	return ens_signer_open_pem_prompt(out, path, passphrase, NULL, NULL, warning, warning_len, err);
}

int ens_signer_open_pem_prompt(struct ens_signer **out, const char *path, const char *passphrase,
			       ens_pass_prompt_fn prompt, void *prompt_arg, char *warning, size_t warning_len,
			       struct ens_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	mode_t mode = 0;
	EVP_PKEY *pkey;

	if (warning && warning_len)
		warning[0] = 0;
	if (ens_key_file_read(path, &buf, &len, &cap, &mode, err))
		return -1;
	ens_out_protect(path, "the signing key");
	if ((mode & 077) && warning)
		snprintf(warning, warning_len, "key file '%s' is readable by others (mode %03o); "
			 "use chmod 600", path, (unsigned)(mode & 0777));
	pkey = read_private_key(buf, len, path, passphrase, prompt, prompt_arg, err);
	OPENSSL_clear_free(buf, cap);
	if (!pkey)
		return -1;
	return make_signer(out, pkey, path, false, err);
}

int ens_signer_open_debug(struct ens_signer **out, struct ens_err *err)
{
	EVP_PKEY *pkey = read_private_key((const uint8_t *)ens_debug_key_pem, strlen(ens_debug_key_pem),
					  "built-in debug key", NULL, NULL, NULL, err);

	return pkey ? make_signer(out, pkey, "built-in debug key", true, err) : -1;
}
