/* Open Enclave front end, settings stage: oesign's .conf syntax (§A.2) and
 * the merge of its settings into the .oeinfo properties, then oesign's
 * validation. Messages keep oesign's "FILE(LINE): ..." form. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ensign/io.h"
#include "ensign/oe.h"

#define OE_CONF_MAX (1u << 20)

/* Decimal only, whole value, no sign: oesign's str_u64 with its '-' check. */
static bool parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* 36 characters; '-' skipped anywhere; 32 hex digits in text order. */
static bool parse_uuid(const char *s, uint8_t out[16])
{
	size_t n = 0;
	int hi = -1;
	if (strlen(s) != 36)
		return false;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		if (!isxdigit((unsigned char)*s) || n >= 16)
			return false;
		int d = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = d;
		} else {
			out[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return n == 16 && hi < 0;
}

struct setting {
	const char *key;
	enum { S_BOOL, S_U64, S_U16, S_UUID, S_START } type;
	uint64_t max;			/* values must be below this (u64/u16) */
	size_t has, val;		/* offsets in struct ens_oe_conf */
};
#define F(m) offsetof(struct ens_oe_conf, m)
static const struct setting settings[] = {
	{ "Debug", S_BOOL, 0, F(has_debug), F(debug) },
	{ "NumHeapPages", S_U64, UINT64_MAX, F(has_heap), F(num_heap_pages) },
	{ "NumStackPages", S_U64, UINT64_MAX, F(has_stack), F(num_stack_pages) },
	{ "NumTCS", S_U64, ENS_OE_MAX_TCS + 1ull, F(has_tcs), F(num_tcs) },
	{ "ProductID", S_U16, UINT16_MAX, F(has_prodid), F(product_id) },
	{ "SecurityVersion", S_U16, UINT16_MAX, F(has_svn), F(security_version) },
	{ "FamilyID", S_UUID, 0, F(has_family), F(family_id) },
	{ "ExtendedProductID", S_UUID, 0, F(has_extprod), F(extended_product_id) },
	{ "CapturePFGPExceptions", S_BOOL, 0, F(has_pfgp), F(pfgp) },
	{ "CreateZeroBaseEnclave", S_BOOL, 0, F(has_zero_base), F(zero_base) },
	{ "StartAddress", S_START, UINT64_MAX, F(has_start), F(start_address) },
};
#undef F

static int apply(const char *name, size_t line, const struct setting *st, const char *val,
		 struct ens_oe_conf *c, struct ens_err *err)
{
	bool *has = (bool *)((char *)c + st->has);
	void *dst = (char *)c + st->val;
	uint64_t v;

	if (*has)
		return ens_fail(err, ENS_E_FORMAT, "%s(%zu): Duplicate '%s' value provided", name, line,
				st->key);
	switch (st->type) {
	case S_BOOL:
		if (!parse_dec(val, UINT64_MAX, &v) || v > 1)
			return ens_fail(err, ENS_E_FORMAT, "%s(%zu): '%s' value must be 0 or 1", name, line,
					st->key);
		*(bool *)dst = v == 1;
		break;
	case S_U64:
	case S_START:
		if (!parse_dec(val, UINT64_MAX, &v) || v >= st->max ||
		    (st->type == S_START && (v == 0 || v % ENS_PAGE_SIZE)))
			goto bad;
		*(uint64_t *)dst = v;
		break;
	case S_U16:
		if (!parse_dec(val, UINT16_MAX, &v) || v >= st->max)
			goto bad;
		*(uint16_t *)dst = (uint16_t)v;
		break;
	case S_UUID:
		/* oesign accepts a one-character value as an all-zero ID that still
		 * turns KSS on; that is never what the user meant, so refuse it. */
		if (!parse_uuid(val, dst))
			return ens_fail(err, ENS_E_FORMAT,
					"%s(%zu): bad value for '%s': %s (expected a UUID of 36 characters, "
					"e.g. 01234567-89ab-cdef-0123-456789abcdef)", name, line, st->key, val);
		break;
	}
	*has = true;
	return 0;
bad:
	return ens_fail(err, ENS_E_FORMAT, "%s(%zu): bad value for '%s': %s", name, line, st->key, val);
}

int ens_oe_conf_parse(const char *name, const char *text, size_t len, struct ens_oe_conf *c,
		      struct ens_err *err)
{
	char buf[1024];
	size_t line = 0, pos = 0;

	memset(c, 0, sizeof(*c));
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) + 1 : len - pos;
		pos += n;
		line++;
		if (n >= sizeof(buf))
			return ens_fail(err, ENS_E_FORMAT, "%s(%zu): line too long", name, line);
		memcpy(buf, start, n);
		buf[n] = 0;
		if (strlen(buf) != n)
			return ens_fail(err, ENS_E_FORMAT, "%s(%zu): NUL byte in line", name, line);

		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s + strlen(s);
		while (e > s && strchr(" \t\n\r", e[-1]))
			*--e = 0;
		if (*s == '#' || *s == 0)
			continue;

		size_t klen = strcspn(s, " \t=");
		if (klen == 0 || s[klen] == 0)
			return ens_fail(err, ENS_E_FORMAT, "%s(%zu): syntax error", name, line);
		char *val = s + klen + strspn(s + klen, " \t=");
		s[klen] = 0;
		if (*val == 0)
			return ens_fail(err, ENS_E_FORMAT, "%s(%zu): syntax error", name, line);

		const struct setting *st = NULL;
		for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
			if (strcmp(s, settings[i].key) == 0)
				st = &settings[i];
		if (!st)
			/* oesign prints only the value here; the key is what the
			 * user needs, so it leads */
			return ens_fail(err, ENS_E_FORMAT, "%s(%zu): unknown setting '%s' (value %s)", name,
					line, s, val);
		if (apply(name, line, st, val, c, err) < 0)
			return -1;
	}
	return 0;
}

int ens_oe_conf_load(const char *path, struct ens_oe_conf *c, struct ens_err *err)
{
	uint8_t *buf;
	size_t len;
	if (ens_read_file(path, OE_CONF_MAX, &buf, &len, err) < 0)
		return -1;
	int rc = ens_oe_conf_parse(path, (const char *)buf, len, c, err);
	free(buf);
	return rc;
}

int ens_oe_merge(struct ens_oe_props *p, const struct ens_oe_conf *c, struct ens_err *err)
{
	static const struct ens_oe_conf none;
	if (!c)
		c = &none;
	if (p->size != ENS_OE_PROPS_SIZE) {
		p->size = ENS_OE_PROPS_SIZE;
		p->enclave_type = ENS_OE_TYPE_SGX;
		p->attributes = ENS_ATTR_MODE64BIT;
	}
	if (c->has_debug)
		p->attributes = c->debug ? p->attributes | ENS_ATTR_DEBUG : p->attributes & ~(uint64_t)ENS_ATTR_DEBUG;
	if (c->has_prodid)
		p->product_id = c->product_id;
	if (c->has_svn)
		p->security_version = c->security_version;
	/* From OE v0.18.0 an ID absent from the .conf is zeroed, and either ID
	 * turns KSS on. */
	memcpy(p->family_id, c->family_id, 16);
	memcpy(p->extended_product_id, c->extended_product_id, 16);
	if (c->has_family || c->has_extprod)
		p->attributes |= ENS_ATTR_KSS;
	else
		p->attributes &= ~(uint64_t)ENS_ATTR_KSS;
	if (c->has_heap)
		p->num_heap_pages = c->num_heap_pages;
	if (c->has_stack)
		p->num_stack_pages = c->num_stack_pages;
	if (c->has_tcs)
		p->num_tcs = c->num_tcs;
	p->flags &= ~(uint32_t)(ENS_OE_FLAG_CAPTURE_PFGP | ENS_OE_FLAG_ZERO_BASE);
	if (c->has_pfgp && c->pfgp)
		p->flags |= ENS_OE_FLAG_CAPTURE_PFGP;
	if (c->zero_base) {
		p->flags |= ENS_OE_FLAG_ZERO_BASE;
		if (c->has_start)
			p->start_address = c->start_address;
	}
	return ens_oe_validate(p, err);
}

int ens_oe_validate(const struct ens_oe_props *p, struct ens_err *err)
{
	const uint64_t allowed = ENS_ATTR_DEBUG | ENS_ATTR_MODE64BIT | ENS_ATTR_KSS;
	static const uint8_t zero[16];

	if ((p->attributes & ~allowed) || !(p->attributes & ENS_ATTR_MODE64BIT))
		return ens_fail(err, ENS_E_FORMAT,
				"invalid enclave property 'config.attributes': 0x%llx (allowed: DEBUG, "
				"MODE64BIT, KSS; MODE64BIT required)", (unsigned long long)p->attributes);
	if (p->num_heap_pages == UINT64_MAX)
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property "
				"'header.size_settings.num_heap_pages': %llu (set NumHeapPages in the .conf)",
				(unsigned long long)p->num_heap_pages);
	if (p->num_stack_pages == UINT64_MAX)
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property "
				"'header.size_settings.num_stack_pages': %llu (set NumStackPages in the .conf)",
				(unsigned long long)p->num_stack_pages);
	if (p->num_tcs > ENS_OE_MAX_TCS)
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property "
				"'header.size_settings.num_tcs': %llu (at most %u; set NumTCS in the .conf)",
				(unsigned long long)p->num_tcs, ENS_OE_MAX_TCS);
	if (p->product_id == UINT16_MAX)
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property 'config.product_id': "
				"65535 (the .oeinfo placeholder; set ProductID in the .conf)");
	if (p->security_version == UINT16_MAX)
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property "
				"'config.security_version': 65535 (the .oeinfo placeholder; set "
				"SecurityVersion in the .conf)");
	if ((p->flags & ENS_OE_FLAG_ZERO_BASE) &&
	    (p->start_address == 0 || p->start_address % ENS_PAGE_SIZE))
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property 'config.start_address': "
				"0x%llx (zero-base enclaves need a non-zero, page-aligned StartAddress)",
				(unsigned long long)p->start_address);
	if (!(p->attributes & ENS_ATTR_KSS) &&
	    (memcmp(p->family_id, zero, 16) || memcmp(p->extended_product_id, zero, 16)))
		return ens_fail(err, ENS_E_FORMAT, "invalid enclave property 'config.family_id': "
				"KSS IDs set while KSS is off");
	return 0;
}
