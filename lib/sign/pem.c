/* PEM framing (RFC 7468, with RFC 1421 headers tolerated): find a BEGIN
 * line, skip headers, gather the base64 body into a buffer that is wiped,
 * decode it with OpenSSL's EVP_DecodeBlock. Lines may end in CRLF. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "pem.h"

#define BEGIN "-----BEGIN "
#define END "-----END "
#define DASHES "-----"

/* [*pos, end of line) without the line break and trailing blanks; *pos moves
 * to the next line. False at the end of the buffer. */
static bool next_line(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **line, size_t *n)
{
	const uint8_t *p, *nl;
	size_t k;

	if (*pos >= len)
		return false;
	p = buf + *pos;
	nl = memchr(p, '\n', len - *pos);
	k = nl ? (size_t)(nl - p) : len - *pos;
	*pos += k + (nl != NULL);
	while (k && (p[k - 1] == '\r' || p[k - 1] == ' ' || p[k - 1] == '\t'))
		k--;
	*line = p;
	*n = k;
	return true;
}

/* "-----BEGIN LABEL-----" or "-----END LABEL-----": the label, or false. */
static bool boundary(const uint8_t *line, size_t n, const char *kind, char *label, size_t label_size)
{
	size_t kl = strlen(kind), ll;

	if (n < kl + 5 || memcmp(line, kind, kl) || memcmp(line + n - 5, DASHES, 5))
		return false;
	ll = n - kl - 5;
	if (ll >= label_size || memchr(line + kl, 0, ll))
		return false;
	memcpy(label, line + kl, ll);
	label[ll] = 0;
	return true;
}

static bool is_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

void pem_block_wipe(struct pem_block *b)
{
	if (b->der)
		OPENSSL_clear_free(b->der, b->der_cap);
	b->der = NULL;
	b->der_len = b->der_cap = 0;
}

/* The body lines up to the END line, base64 characters only, into text. */
static const char *gather(const uint8_t *buf, size_t len, size_t *pos, const char *label, uint8_t *text,
			  size_t cap, size_t *tn, bool *legacy_encrypted)
{
	const uint8_t *line;
	size_t n;
	bool first = true, in_headers = false;
	int pad = 0;
	char end_label[sizeof((struct pem_block *)0)->label];

	*tn = 0;
	while (next_line(buf, len, pos, &line, &n)) {
		if (n >= 9 && !memcmp(line, END, 9)) {
			if (!boundary(line, n, END, end_label, sizeof end_label) || strcmp(end_label, label))
				return "its END line does not match its BEGIN line";
			if (in_headers)
				return "its headers are not followed by a blank line";
			if (*tn % 4)
				return "its base64 body has a length that is not a multiple of 4";
			return *tn ? NULL : "its body is empty";
		}
		if (first && memchr(line, ':', n))
			in_headers = true;	/* RFC 1421: "Proc-Type: 4,ENCRYPTED", "DEK-Info: ..." */
		first = false;
		if (in_headers) {
			if (!n)
				in_headers = false;
			else if (n > 10 && !memcmp(line, "Proc-Type:", 10) && memmem(line, n, "ENCRYPTED", 9))
				*legacy_encrypted = true;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			uint8_t c = line[i];

			if (c == ' ' || c == '\t')
				continue;
			if (c == '=' ? ++pad > 2 : !is_b64(c) || pad)
				return "its body is not base64";
			if (text && *tn == cap)	/* cannot happen: the first pass counted */
				return "its body is not base64";
			if (text)
				text[*tn] = c;
			++*tn;
		}
	}
	/* no line from here on starts an END: no later block can be whole */
	*pos = len;
	return "it has no END line";
}

enum pem_next pem_next_block(const uint8_t *buf, size_t len, size_t *pos, struct pem_block *b,
			     const char **why)
{
	const uint8_t *line;
	size_t n, tn, body, cap;
	uint8_t *text;
	int got;

	memset(b, 0, sizeof *b);
	*why = NULL;
	do {
		if (!next_line(buf, len, pos, &line, &n))
			return PEM_NONE;
	} while (!boundary(line, n, BEGIN, b->label, sizeof b->label));
	body = *pos;
	/* Two passes over the body: count (stopping at the first bad line, so a
	 * file of many broken blocks costs its size once), then copy into
	 * buffers of exactly that size. */
	*why = gather(buf, len, pos, b->label, NULL, 0, &cap, &b->legacy_encrypted);
	if (*why)
		return PEM_MALFORMED;
	text = OPENSSL_malloc(cap + 1);
	b->der_cap = cap + 1;
	b->der = OPENSSL_malloc(b->der_cap);
	if (!text || !b->der) {
		OPENSSL_clear_free(text, cap + 1);
		pem_block_wipe(b);
		*why = "out of memory";
		return PEM_MALFORMED;
	}
	*pos = body;
	*why = gather(buf, len, pos, b->label, text, cap, &tn, &b->legacy_encrypted);
	if (!*why) {
		if (tn > (size_t)INT32_MAX || (got = EVP_DecodeBlock(b->der, text, (int)tn)) < 0)
			*why = "its body is not base64";
		else	/* EVP_DecodeBlock counts the bytes '=' padding stands for */
			b->der_len = (size_t)got - (tn && text[tn - 1] == '=') - (tn > 1 && text[tn - 2] == '=');
	}
	OPENSSL_clear_free(text, cap + 1);
	if (*why) {
		pem_block_wipe(b);
		return PEM_MALFORMED;
	}
	return PEM_FOUND;
}

enum pem_next pem_find_block(const uint8_t *buf, size_t len, bool (*want)(const char *label),
			     bool (*other)(const char *label), bool *saw_other, struct pem_block *b, const char **why)
{
	size_t pos = 0;
	enum pem_next r;

	*saw_other = false;
	while ((r = pem_next_block(buf, len, &pos, b, why)) != PEM_NONE) {
		if (want(b->label))
			return r;
		*saw_other |= other(b->label);
		pem_block_wipe(b);
	}
	return PEM_NONE;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

bool pem_label_is_private(const char *label)
{
	return !strcmp(label, "PRIVATE KEY") || ends_with(label, " PRIVATE KEY");
}

bool pem_label_is_public(const char *label)
{
	return !strcmp(label, "PUBLIC KEY") || ends_with(label, " PUBLIC KEY") || !strcmp(label, "CERTIFICATE") ||
	       ends_with(label, " CERTIFICATE");
}
