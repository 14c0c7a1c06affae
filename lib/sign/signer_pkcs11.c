/* PKCS#11 signer (sign stage): the RSA private operation runs on a token
 * (HSM, smart card, SoftHSM) reached through a dlopen'ed PKCS#11 module;
 * the key never leaves it. Also generates RSA-3072 e=3 keys on a token. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <p11-kit/pkcs11.h>
#include "ensign/pkcs11.h"
#include "ensign/signer.h"

#define MODULUS_BYTES 384
#define PIN_MAX 256

struct p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	bool finalize;		/* we initialised the module, so we finalise it */
	CK_SLOT_ID slot;
	CK_TOKEN_INFO token;
	char label[33];		/* token label, trimmed */
	CK_SESSION_HANDLE session;
	bool have_session, logged_in;
	CK_OBJECT_HANDLE key;
	bool use_sha256_mech;	/* else CKM_RSA_PKCS over a DigestInfo */
	char what[200];		/* the URI without its PIN, for messages */
};

static const char *rv_name(CK_RV rv)
{
	static const struct { CK_RV rv; const char *name; } names[] = {
		{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
		{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
		{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
		{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
		{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
		{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
		{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
		{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
		{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
		{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
		{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
		{ CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE" },
		{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
		{ CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID" },
		{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
		{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
		{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
		{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
		{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
		{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
		{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
		{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
		{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
		{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
		{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
		{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
		{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	};
	static __thread char other[32];
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(other, sizeof other, "CKR 0x%lx", (unsigned long)rv);
	return other;
}

static int p11_fail(struct p11 *p, struct ens_err *err, const char *call, CK_RV rv)
{
	return ens_fail(err, ENS_E_SIGNER, "'%s': %s failed: %s", p->what, call, rv_name(rv));
}

/* Blank-padded fixed-size PKCS#11 string -> C string. */
static void p11_str(const unsigned char *s, size_t n, char *out)
{
	while (n && s[n - 1] == ' ')
		n--;
	memcpy(out, s, n);
	out[n] = 0;
}

static void p11_close(struct p11 *p)
{
	if (p->f) {
		if (p->logged_in)
			p->f->C_Logout(p->session);
		if (p->have_session)
			p->f->C_CloseSession(p->session);
		if (p->finalize)
			p->f->C_Finalize(NULL);
	}
	/* The module stays mapped: unloading it while its atexit handlers or
	 * thread-local destructors are still registered crashes some modules. */
	memset(p, 0, sizeof *p);
}

static int p11_load(struct p11 *p, const struct ens_pkcs11_uri *u, const struct ens_pkcs11_opts *o,
		    struct ens_err *err)
{
	const char *module = o && o->module && *o->module ? o->module : NULL;
	char byname[300];

	if (!module)
		module = u->module_path;
	if (!module && u->module_name) {
		snprintf(byname, sizeof byname, "%s.so", u->module_name);
		module = byname;
	}
	if (!module) {
		const char *env = getenv("ENSIGN_PKCS11_MODULE");
		module = env && *env ? env : NULL;
	}
	if (!module)
		return ens_fail(err, ENS_E_USAGE,
				"'%s': no PKCS#11 module: give --pkcs11-module PATH, module-path= in the "
				"URI, or ENSIGN_PKCS11_MODULE", p->what);
	p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl)
		return ens_fail(err, ENS_E_SIGNER, "cannot load PKCS#11 module '%s': %s", module,
				dlerror());
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
	if (!get)
		return ens_fail(err, ENS_E_SIGNER, "'%s' is not a PKCS#11 module (no C_GetFunctionList)",
				module);
	CK_RV rv = get(&p->f);
	if (rv != CKR_OK || !p->f)
		return ens_fail(err, ENS_E_SIGNER, "'%s': C_GetFunctionList failed: %s", module,
				rv_name(rv));
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	rv = p->f->C_Initialize(&args);
	if (rv == CKR_OK)
		p->finalize = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return ens_fail(err, ENS_E_SIGNER, "'%s': C_Initialize failed: %s", module, rv_name(rv));
	return 0;
}

static bool field_matches(const char *want, const unsigned char *have, size_t n)
{
	char buf[65];
	if (!want)
		return true;
	p11_str(have, n, buf);
	return strcmp(want, buf) == 0;
}

static int p11_find_token(struct p11 *p, const struct ens_pkcs11_uri *u, struct ens_err *err)
{
	CK_ULONG n = 0;
	CK_RV rv = p->f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_GetSlotList", rv);
	CK_SLOT_ID *slots = calloc(n ? n : 1, sizeof *slots);
	if (!slots)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	rv = p->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		free(slots);
		return p11_fail(p, err, "C_GetSlotList", rv);
	}
	int found = 0;
	char seen[256] = "";
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		char label[33];
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		p11_str(ti.label, sizeof ti.label, label);
		size_t sl = strlen(seen);
		if (sl + strlen(label) + 5 < sizeof seen)
			snprintf(seen + sl, sizeof seen - sl, "%s'%s'", sl ? ", " : "", label);
		if (!field_matches(u->token, ti.label, sizeof ti.label) ||
		    !field_matches(u->manufacturer, ti.manufacturerID, sizeof ti.manufacturerID) ||
		    !field_matches(u->model, ti.model, sizeof ti.model) ||
		    !field_matches(u->serial, ti.serialNumber, sizeof ti.serialNumber) ||
		    (u->has_slot_id && u->slot_id != slots[i]))
			continue;
		if (found++ == 0) {
			p->slot = slots[i];
			p->token = ti;
			memcpy(p->label, label, sizeof label);
		}
	}
	free(slots);
	if (found == 0)
		return ens_fail(err, ENS_E_KEY, "'%s': no PKCS#11 token matches (tokens present: %s)",
				p->what, *seen ? seen : "none");
	if (found > 1)
		return ens_fail(err, ENS_E_USAGE,
				"'%s': %d tokens match; add token=, serial= or slot-id= (tokens present: %s)",
				p->what, found, seen);
	return 0;
}

/* PIN from the URI, pin-source, ENSIGN_PKCS11_PIN or the prompt, in that
 * order. *from names the source for messages (never the PIN). */
static int p11_get_pin(struct p11 *p, const struct ens_pkcs11_uri *u, const struct ens_pkcs11_opts *o,
		       char pin[PIN_MAX], const char **from, struct ens_err *err)
{
	const char *env = getenv("ENSIGN_PKCS11_PIN");

	if (u->pin_value) {
		*from = "pin-value in the URI";
		if (strlen(u->pin_value) >= PIN_MAX)
			return ens_fail(err, ENS_E_USAGE, "'%s': pin-value is too long", p->what);
		strcpy(pin, u->pin_value);
		return 0;
	}
	if (u->pin_source) {
		const char *path = u->pin_source;
		if (strncmp(path, "file://", 7) == 0)
			path += 7;
		else if (strncmp(path, "file:", 5) == 0)
			path += 5;
		*from = "pin-source";
		FILE *fp = fopen(path, "r");
		if (!fp)
			return ens_fail_errno(err, "cannot read PIN file '%s'", path);
		size_t len = fread(pin, 1, PIN_MAX - 1, fp);
		fclose(fp);
		pin[len] = 0;
		pin[strcspn(pin, "\r\n")] = 0;
		return 0;
	}
	if (env) {
		*from = "ENSIGN_PKCS11_PIN";
		if (strlen(env) >= PIN_MAX)
			return ens_fail(err, ENS_E_USAGE, "ENSIGN_PKCS11_PIN is too long");
		strcpy(pin, env);
		return 0;
	}
	char prompt[96];
	snprintf(prompt, sizeof prompt, "PIN for token '%s': ", p->label);
	*from = "the prompt";
	if (o && o->prompt && o->prompt(prompt, pin, PIN_MAX, o->prompt_arg) == 0)
		return 0;
	return ens_fail(err, ENS_E_KEY,
			"'%s': token '%s' needs a PIN: give pin-source=file:PATH in the URI, set "
			"ENSIGN_PKCS11_PIN, or run on a terminal", p->what, p->label);
}

static int p11_open_session(struct p11 *p, const struct ens_pkcs11_uri *u,
			    const struct ens_pkcs11_opts *o, bool rw, struct ens_err *err)
{
	CK_FLAGS fl = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_RV rv = p->f->C_OpenSession(p->slot, fl, NULL, NULL, &p->session);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_OpenSession", rv);
	p->have_session = true;
	if (p->token.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		rv = p->f->C_Login(p->session, CKU_USER, NULL, 0);
	} else {
		char pin[PIN_MAX];
		const char *from = NULL;
		/* Tokens without CKF_LOGIN_REQUIRED may still hide private keys
		 * until login: log in whenever a PIN is available. */
		if (!(p->token.flags & CKF_LOGIN_REQUIRED) && !u->pin_value && !u->pin_source &&
		    !getenv("ENSIGN_PKCS11_PIN"))
			return 0;
		if (p11_get_pin(p, u, o, pin, &from, err) < 0) {
			OPENSSL_cleanse(pin, sizeof pin);
			return -1;
		}
		rv = p->f->C_Login(p->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		OPENSSL_cleanse(pin, sizeof pin);
		if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE)
			return ens_fail(err, ENS_E_KEY, "'%s': wrong PIN for token '%s' (from %s)",
					p->what, p->label, from);
	}
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv == CKR_PIN_LOCKED)
		return ens_fail(err, ENS_E_KEY, "'%s': the PIN of token '%s' is locked", p->what,
				p->label);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_Login", rv);
	p->logged_in = true;
	return 0;
}

/* Handles of objects of class cls matching object= and id=. */
static int p11_find(struct p11 *p, const struct ens_pkcs11_uri *u, CK_OBJECT_CLASS cls,
		    CK_OBJECT_HANDLE *h, CK_ULONG *count, struct ens_err *err)
{
	CK_KEY_TYPE kt = CKK_RSA;
	CK_ATTRIBUTE tmpl[4] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_KEY_TYPE, &kt, sizeof kt },
	};
	CK_ULONG nt = 2;
	if (u->object)
		tmpl[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, u->object, strlen(u->object) };
	if (u->has_id)
		tmpl[nt++] = (CK_ATTRIBUTE){ CKA_ID, u->id, u->id_len };
	CK_RV rv = p->f->C_FindObjectsInit(p->session, tmpl, nt);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_FindObjectsInit", rv);
	rv = p->f->C_FindObjects(p->session, h, 2, count);
	p->f->C_FindObjectsFinal(p->session);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_FindObjects", rv);
	return 0;
}

/* Read n and e of obj and check them: 3072 bits, exponent 3. */
static int p11_check_key(struct p11 *p, CK_OBJECT_HANDLE obj, uint8_t modulus_be[MODULUS_BYTES],
			 struct ens_err *err)
{
	uint8_t n[1024], e[64];
	CK_ATTRIBUTE a[2] = {
		{ CKA_MODULUS, n, sizeof n },
		{ CKA_PUBLIC_EXPONENT, e, sizeof e },
	};
	CK_RV rv = p->f->C_GetAttributeValue(p->session, obj, a, 2);
	if (rv != CKR_OK)
		return ens_fail(err, ENS_E_KEY,
				"'%s': cannot read the key's modulus and public exponent: %s", p->what,
				rv_name(rv));
	const uint8_t *np = n, *ep = e;
	CK_ULONG nl = a[0].ulValueLen, el = a[1].ulValueLen;
	while (nl && !*np)
		np++, nl--;
	while (el && !*ep)
		ep++, el--;
	unsigned bits = nl ? (unsigned)(nl - 1) * 8 : 0;
	for (uint8_t top = nl ? np[0] : 0; top; top >>= 1)
		bits++;
	if (bits != 3072)
		return ens_fail(err, ENS_E_KEY, "'%s': key size is %u bits, SGX requires 3072", p->what,
				bits);
	if (el != 1 || ep[0] != 3) {
		char hex[2 * sizeof e + 1] = "";
		for (CK_ULONG i = 0; i < el && i < sizeof e; i++)
			snprintf(hex + 2 * i, 3, "%02x", ep[i]);
		unsigned long long ev = 0;
		for (CK_ULONG i = 0; i < el && i < 8; i++)
			ev = ev << 8 | ep[i];
		if (el <= 8)
			return ens_fail(err, ENS_E_KEY,
					"'%s': public exponent is %llu, SGX requires 3", p->what, ev);
		return ens_fail(err, ENS_E_KEY, "'%s': public exponent is 0x%s, SGX requires 3",
				p->what, hex);
	}
	memcpy(modulus_be, np, MODULUS_BYTES);
	return 0;
}

static bool p11_has_mechanism(struct p11 *p, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_INFO info;
	return p->f->C_GetMechanismInfo(p->slot, m, &info) == CKR_OK && (info.flags & CKF_SIGN);
}

static int p11_begin(struct p11 *p, const char *uri, struct ens_pkcs11_uri *u,
		     const struct ens_pkcs11_opts *o, bool rw, struct ens_err *err)
{
	memset(p, 0, sizeof *p);
	ens_pkcs11_uri_redact(uri, p->what, sizeof p->what);
	if (ens_pkcs11_uri_parse(uri, u, err) < 0)
		return -1;
	if (p11_load(p, u, o, err) < 0 || p11_find_token(p, u, err) < 0 ||
	    p11_open_session(p, u, o, rw, err) < 0) {
		ens_pkcs11_uri_free(u);
		p11_close(p);
		return -1;
	}
	return 0;
}

/* ---- signer ---- */

static const uint8_t sha256_digestinfo[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

static int pkcs11_sign(struct ens_signer *s, const uint8_t *msg, size_t len, uint8_t sig_be[384],
		       struct ens_err *err)
{
	struct p11 *p = s->priv;
	uint8_t buf[sizeof sha256_digestinfo + SHA256_DIGEST_LENGTH];
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	const uint8_t *data = msg;
	CK_ULONG dlen = len;
	uint8_t out[1024];
	CK_ULONG olen = sizeof out;

	if (!p->use_sha256_mech) {
		mech.mechanism = CKM_RSA_PKCS;
		memcpy(buf, sha256_digestinfo, sizeof sha256_digestinfo);
		SHA256(msg, len, buf + sizeof sha256_digestinfo);
		data = buf;
		dlen = sizeof buf;
	}
	CK_RV rv = p->f->C_SignInit(p->session, &mech, p->key);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_SignInit", rv);
	rv = p->f->C_Sign(p->session, (CK_BYTE_PTR)data, dlen, out, &olen);
	if (rv != CKR_OK)
		return p11_fail(p, err, "C_Sign", rv);
	if (olen > MODULUS_BYTES)
		return ens_fail(err, ENS_E_SIGNER, "'%s': token returned a %lu-byte signature, expected 384",
				p->what, (unsigned long)olen);
	memset(sig_be, 0, MODULUS_BYTES - olen);
	memcpy(sig_be + MODULUS_BYTES - olen, out, olen);
	/* A token whose private key does not match its public attributes
	 * would otherwise yield a SIGSTRUCT that EINIT rejects. */
	if (ens_rsa_verify(s->modulus_be, 3, msg, len, sig_be, err) < 0)
		return ens_err_prefix(err, "'%s': the token's signature does not verify", p->what);
	return 0;
}

static void pkcs11_free(struct ens_signer *s)
{
	struct p11 *p = s->priv;
	if (p) {
		p11_close(p);
		free(p);
	}
}

static const struct ens_signer_ops pkcs11_ops = {
	.name = "pkcs11",
	.sign = pkcs11_sign,
	.free = pkcs11_free,
};

int ens_signer_open_pkcs11(struct ens_signer **out, const char *uri, const struct ens_pkcs11_opts *o,
			   struct ens_err *err)
{
	struct ens_pkcs11_uri u;
	struct ens_signer *s = calloc(1, sizeof *s);
	struct p11 *p = calloc(1, sizeof *p);
	CK_OBJECT_HANDLE h[2];
	CK_ULONG count = 0;

	*out = NULL;
	if (!s || !p) {
		free(s);
		free(p);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	if (p11_begin(p, uri, &u, o, false, err) < 0)
		goto fail_nouri;
	if (u.type && strcmp(u.type, "private") != 0) {
		ens_fail(err, ENS_E_USAGE, "'%s': type=%s cannot sign; use type=private or leave it out",
			 p->what, u.type);
		goto fail;
	}
	if (p11_find(p, &u, CKO_PRIVATE_KEY, h, &count, err) < 0)
		goto fail;
	if (count == 0) {
		ens_fail(err, ENS_E_KEY, "'%s': no RSA private key on token '%s' matches%s", p->what,
			 p->label, p->logged_in ? "" : " (not logged in: give a PIN)");
		goto fail;
	}
	if (count > 1) {
		ens_fail(err, ENS_E_USAGE, "'%s': several RSA private keys on token '%s' match; add "
			 "object= or id=", p->what, p->label);
		goto fail;
	}
	p->key = h[0];
	if (p11_check_key(p, p->key, s->modulus_be, err) < 0)
		goto fail;
	const char *mech = getenv("ENSIGN_PKCS11_MECHANISM");
	if (mech && strcmp(mech, "RSA_PKCS") == 0)
		p->use_sha256_mech = false;
	else if (mech && strcmp(mech, "SHA256_RSA_PKCS") == 0)
		p->use_sha256_mech = true;
	else if (mech && *mech) {
		ens_fail(err, ENS_E_USAGE,
			 "ENSIGN_PKCS11_MECHANISM is '%s'; expected SHA256_RSA_PKCS or RSA_PKCS", mech);
		goto fail;
	} else
		p->use_sha256_mech = p11_has_mechanism(p, CKM_SHA256_RSA_PKCS);
	if (!p->use_sha256_mech && !mech && !p11_has_mechanism(p, CKM_RSA_PKCS)) {
		ens_fail(err, ENS_E_SIGNER, "'%s': token '%s' offers neither CKM_SHA256_RSA_PKCS nor "
			 "CKM_RSA_PKCS signing", p->what, p->label);
		goto fail;
	}
	ens_pkcs11_uri_free(&u);
	s->ops = &pkcs11_ops;
	s->priv = p;
	snprintf(s->description, sizeof s->description, "%s", p->what);
	*out = s;
	return 0;
fail:
	ens_pkcs11_uri_free(&u);
	p11_close(p);
fail_nouri:
	free(p);
	free(s);
	return -1;
}

/* ---- keygen ---- */

int ens_pkcs11_keygen(const char *uri, const struct ens_pkcs11_opts *o, uint8_t modulus_be[384],
		      struct ens_err *err)
{
	struct p11 p;
	struct ens_pkcs11_uri u;
	CK_OBJECT_HANDLE h[2], pub = 0, priv = 0;
	CK_ULONG count = 0;
	int ret = -1;

	if (p11_begin(&p, uri, &u, o, true, err) < 0)
		return -1;
	if (!u.object && !u.has_id) {
		ens_fail(err, ENS_E_USAGE, "'%s': name the new key with object= and/or id=", p.what);
		goto out;
	}
	if (p11_find(&p, &u, CKO_PRIVATE_KEY, h, &count, err) < 0)
		goto out;
	if (count) {
		ens_fail(err, ENS_E_KEY, "'%s': token '%s' already holds a key with this object=/id=; "
			 "choose another name", p.what, p.label);
		goto out;
	}
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 3072;
	CK_BYTE e3[] = { 3 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pubt[8] = {
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_MODULUS_BITS, &bits, sizeof bits },
		{ CKA_PUBLIC_EXPONENT, e3, sizeof e3 },
		{ CKA_VERIFY, &yes, sizeof yes },
		{ CKA_ENCRYPT, &no, sizeof no },
	};
	CK_ATTRIBUTE privt[8] = {
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_PRIVATE, &yes, sizeof yes },
		{ CKA_SENSITIVE, &yes, sizeof yes },
		{ CKA_EXTRACTABLE, &no, sizeof no },
		{ CKA_SIGN, &yes, sizeof yes },
		{ CKA_DECRYPT, &no, sizeof no },
	};
	CK_ULONG npub = 5, npriv = 6;
	if (u.object) {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, u.object, strlen(u.object) };
		privt[npriv++] = (CK_ATTRIBUTE){ CKA_LABEL, u.object, strlen(u.object) };
	}
	if (u.has_id) {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_ID, u.id, u.id_len };
		privt[npriv++] = (CK_ATTRIBUTE){ CKA_ID, u.id, u.id_len };
	}
	CK_RV rv = p.f->C_GenerateKeyPair(p.session, &mech, pubt, npub, privt, npriv, &pub, &priv);
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_FUNCTION_NOT_SUPPORTED) {
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': token '%s' cannot generate RSA key pairs (%s)",
			 p.what, p.label, rv_name(rv));
		goto out;
	}
	if (rv != CKR_OK) {
		ens_fail(err, ENS_E_SIGNER, "'%s': token '%s' refused to generate an RSA-3072 key with "
			 "exponent 3: %s", p.what, p.label, rv_name(rv));
		goto out;
	}
	/* Some tokens ignore CKA_PUBLIC_EXPONENT: check what we got. */
	if (p11_check_key(&p, pub, modulus_be, err) < 0) {
		p.f->C_DestroyObject(p.session, priv);
		p.f->C_DestroyObject(p.session, pub);
		ens_err_prefix(err, "token '%s' made an unusable key, deleted it", p.label);
		goto out;
	}
	ret = 0;
out:
	ens_pkcs11_uri_free(&u);
	p11_close(&p);
	return ret;
}
