/* Intel SDK front end, stage 0: Enclave.config.xml (intel-sdk-format.md §3).
 * Parsed with libxml2; values accepted as strtoull(v, 0) does (hex, decimal,
 * leading-zero octal); every option's default, range and cross-check. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "ensign/intel_sdk.h"
#include "ensign/io.h"
#include "ensign/util.h"

#define U64MAX UINT64_MAX
#define I64MAX ((uint64_t)INT64_MAX)

static const struct {
	const char *name;
	uint64_t def, min, max;
} opts[EIO_COUNT] = {
	[EIO_PRODID] = {"ProdID", 0, 0, 0xFFFF},
	[EIO_ISVSVN] = {"ISVSVN", 0, 0, 0xFFFF},
	[EIO_RELEASETYPE] = {"ReleaseType", 0, 0, 1},
	[EIO_INTELSIGNED] = {"IntelSigned", 0, 0, 1},
	[EIO_PROVISIONKEY] = {"ProvisionKey", 0, 0, 1},
	[EIO_LAUNCHKEY] = {"LaunchKey", 0, 0, 1},
	[EIO_DISABLEDEBUG] = {"DisableDebug", 0, 0, 1},
	[EIO_HW] = {"HW", 0, 0, 0x10},
	[EIO_TCSNUM] = {"TCSNum", 1, 1, 0xFFFFFFFF},
	[EIO_TCSMAXNUM] = {"TCSMaxNum", 1, 1, 0xFFFFFFFF},
	[EIO_TCSMINPOOL] = {"TCSMinPool", 1, 0, 0xFFFFFFFF},
	[EIO_TCSPOLICY] = {"TCSPolicy", 1, 0, 1},
	[EIO_STACKMAX] = {"StackMaxSize", 0x40000, 0x2000, I64MAX},
	[EIO_STACKMIN] = {"StackMinSize", 0x2000, 0x2000, I64MAX},
	[EIO_HEAPMAX] = {"HeapMaxSize", 0x1000000, 0, I64MAX},
	[EIO_HEAPMIN] = {"HeapMinSize", 0x1000, 0, I64MAX},
	[EIO_HEAPINIT] = {"HeapInitSize", 0x1000000, 0, I64MAX},
	[EIO_RSRVMAX] = {"ReservedMemMaxSize", 0, 0, I64MAX},
	[EIO_RSRVMIN] = {"ReservedMemMinSize", 0, 0, I64MAX},
	[EIO_RSRVINIT] = {"ReservedMemInitSize", 0, 0, I64MAX},
	[EIO_RSRVEXEC] = {"ReservedMemExecutable", 0, 0, 1},
	[EIO_MISCSELECT] = {"MiscSelect", 0, 0, 0xFFFFFFFF},
	[EIO_MISCMASK] = {"MiscMask", 0xFFFFFFFF, 0, 0xFFFFFFFF},
	[EIO_ENABLEKSS] = {"EnableKSS", 0, 0, 1},
	[EIO_FAMILYID_H] = {"ISVFAMILYID_H", 0, 0, U64MAX},
	[EIO_FAMILYID_L] = {"ISVFAMILYID_L", 0, 0, U64MAX},
	[EIO_EXTPRODID_H] = {"ISVEXTPRODID_H", 0, 0, U64MAX},
	[EIO_EXTPRODID_L] = {"ISVEXTPRODID_L", 0, 0, U64MAX},
	[EIO_IMAGEADDR] = {"EnclaveImageAddress", 0, 0x1000, U64MAX},
	[EIO_ELRANGESTART] = {"ELRangeStartAddress", 0, 0, U64MAX},
	[EIO_ELRANGESIZE] = {"ELRangeSize", 0, 0x1000, U64MAX},
	[EIO_PKRU] = {"PKRU", 0, 0, 2},
	[EIO_AMX] = {"AMX", 0, 0, 2},
	[EIO_USERREGION] = {"UserRegionSize", 0, 0, I64MAX},
	[EIO_AEXNOTIFY] = {"EnableAEXNotify", 0, 0, 1},
	[EIO_IPPFIPS] = {"EnableIPPFIPS", 0, 0, 1},
	[EIO_OSSLFIPS] = {"EnableOSSLFIPS", 0, 0, 1},
};

const char *ens_intel_opt_name(enum ens_intel_opt o) { return opts[o].name; }

/* The first SDK whose sgx_sign knows the key (intel-sdk-versions.md §4.4, §6). */
static unsigned since(int o)
{
	switch (o) {
	case EIO_RSRVMAX: case EIO_RSRVMIN: case EIO_RSRVINIT: return ENS_SDK(6, 0);
	case EIO_RSRVEXEC: return ENS_SDK(8, 0);
	case EIO_ENABLEKSS: case EIO_FAMILYID_H: case EIO_FAMILYID_L: case EIO_EXTPRODID_H: case EIO_EXTPRODID_L:
		return ENS_SDK(4, 0);
	case EIO_IMAGEADDR: case EIO_ELRANGESTART: case EIO_ELRANGESIZE: return ENS_SDK(14, 0);
	case EIO_PKRU: return ENS_SDK(16, 0);
	case EIO_AMX: case EIO_USERREGION: return ENS_SDK(18, 0);
	case EIO_AEXNOTIFY: return ENS_SDK(20, 0);
	case EIO_IPPFIPS: return ENS_SDK(25, 0);
	case EIO_OSSLFIPS: return ENS_SDK(26, 0);
	default: return ENS_SDK(0, 0);
	}
}

const char *ens_intel_opt_name_v(enum ens_intel_opt o, unsigned sdk)
{
	if (!sdk)
		sdk = ENS_SDK_LATEST;
	if (sdk < since(o))
		return NULL;
	if (sdk < ENS_SDK(8, 0)) {	/* 2.6 - 2.7.1 spell reserved memory Rsrv* */
		if (o == EIO_RSRVMAX)
			return "RsrvMaxSize";
		if (o == EIO_RSRVMIN)
			return "RsrvMinSize";
		if (o == EIO_RSRVINIT)
			return "RsrvInitSize";
	}
	return opts[o].name;
}

static bool is_stack_heap(int o)
{
	return o == EIO_STACKMAX || o == EIO_STACKMIN || o == EIO_HEAPMAX || o == EIO_HEAPMIN || o == EIO_HEAPINIT;
}

void ens_intel_config_defaults(struct ens_intel_config *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < EIO_COUNT; i++)
		c->v[i] = opts[i].def;
}

static int parse_value(const char *text, uint64_t *out)
{
	const char *s = text;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || strchr(s, '-') || !isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int ens_intel_config_parse(struct ens_intel_config *c, const char *xml, size_t len,
			   const char *name, struct ens_err *err)
{
	return ens_intel_config_parse_v(c, xml, len, name, 0, err);
}

static void defaults_v(struct ens_intel_config *c, unsigned sdk)
{
	ens_intel_config_defaults(c);
	if (sdk && sdk < ENS_SDK(4, 0))
		c->v[EIO_STACKMIN] = 0x1000;	/* STACK_SIZE_MIN before 2.4 */
}

int ens_intel_config_parse_v(struct ens_intel_config *c, const char *xml, size_t len, const char *name,
			     unsigned sdk, struct ens_err *err)
{
	char ver[16];
	if (!sdk)
		sdk = ENS_SDK_LATEST;
	ens_intel_sdk_str(sdk, ver, sizeof(ver));
	defaults_v(c, sdk);
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, name, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *xe = xmlGetLastError();
		char why[256] = "";
		size_t n;

		/* libxml2 ends its messages with a newline: keep ours one line */
		if (xe && xe->message)
			snprintf(why, sizeof why, ": %s", xe->message);
		for (n = strlen(why); n && (why[n - 1] == '\n' || why[n - 1] == ' '); n--)
			why[n - 1] = 0;
		return ens_fail(err, ENS_E_FORMAT, "'%s': not well-formed XML%s", name, why);
	}
	int rc = -1;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "EnclaveConfiguration")) {
		ens_fail(err, ENS_E_FORMAT, "'%s': root element must be <EnclaveConfiguration>", name);
		goto out;
	}
	for (xmlNodePtr n = root->children; n; n = n->next) {
		if (n->type == XML_TEXT_NODE) {
			for (const xmlChar *p = n->content; p && *p; p++)
				if (!isspace(*p)) {
					ens_fail(err, ENS_E_FORMAT,
						 "'%s': <EnclaveConfiguration> must not contain text", name);
					goto out;
				}
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int o;
		for (o = 0; o < EIO_COUNT; o++) {
			const char *nm = ens_intel_opt_name_v((enum ens_intel_opt)o, sdk);
			if (nm && !strcmp((const char *)n->name, nm))
				break;
		}
		if (o == EIO_COUNT) {
			/* A key of another SDK version: say which, as that sgx_sign would refuse it. */
			int other = -1;
			for (int k = 0; k < EIO_COUNT && other < 0; k++)
				if (!strcmp((const char *)n->name, opts[k].name) ||
				    !strcmp((const char *)n->name, ens_intel_opt_name_v((enum ens_intel_opt)k, ENS_SDK(6, 0)) ?
					    ens_intel_opt_name_v((enum ens_intel_opt)k, ENS_SDK(6, 0)) : ""))
					other = k;
			if (other >= 0 && sdk < since(other)) {
				char since_s[16];
				ens_intel_sdk_str(since(other), since_s, sizeof(since_s));
				ens_fail(err, ENS_E_FORMAT,
					 "'%s': element <%s> (line %ld) is unknown to the sgx_sign of SDK %s, which built "
					 "this enclave (the key came with SDK %s); that sgx_sign refuses the configuration",
					 name, (const char *)n->name, xmlGetLineNo(n), ver, since_s);
			} else if (other >= 0) {
				ens_fail(err, ENS_E_FORMAT,
					 "'%s': element <%s> (line %ld) is unknown to the sgx_sign of SDK %s, which built "
					 "this enclave (it spells the key <%s>)", name, (const char *)n->name,
					 xmlGetLineNo(n), ver, ens_intel_opt_name_v((enum ens_intel_opt)other, sdk));
			} else {
				ens_fail(err, ENS_E_FORMAT, "'%s': unknown element <%s> (line %ld)", name,
					 (const char *)n->name, xmlGetLineNo(n));
			}
			goto out;
		}
		if (c->set[o]) {
			ens_fail(err, ENS_E_FORMAT, "'%s': element <%s> given twice (line %ld)", name,
				 opts[o].name, xmlGetLineNo(n));
			goto out;
		}
		if (n->properties) {
			ens_fail(err, ENS_E_FORMAT, "'%s': element <%s> must not have attributes", name,
				 opts[o].name);
			goto out;
		}
		xmlChar *txt = xmlNodeGetContent(n);
		uint64_t v = 0;
		int bad = !txt || parse_value((const char *)txt, &v);
		if (bad) {
			ens_fail(err, ENS_E_FORMAT,
				 "'%s': <%s> value '%s' is not a non-negative number (decimal, 0x hex or 0 octal)",
				 name, opts[o].name, txt ? (const char *)txt : "");
			xmlFree(txt);
			goto out;
		}
		xmlFree(txt);
		uint64_t lo = opts[o].min, hi = opts[o].max;
		if (sdk < ENS_SDK(4, 0) && (o == EIO_STACKMIN || o == EIO_STACKMAX))
			lo = 0x1000;
		if (sdk < ENS_SDK(13, 0) && is_stack_heap(o))
			hi = 0x1FFFFFFFFFull;
		if (v < lo || v > hi) {
			ens_fail(err, ENS_E_FORMAT, "'%s': %s 0x%llx out of range [0x%llx, 0x%llx]%s%s", name,
				 (const char *)n->name, (unsigned long long)v, (unsigned long long)lo,
				 (unsigned long long)hi, sdk == ENS_SDK_LATEST ? "" : " for SDK ",
				 sdk == ENS_SDK_LATEST ? "" : ver);
			goto out;
		}
		c->v[o] = v;
		c->set[o] = true;
	}
	if (!c->set[EIO_TCSMAXNUM])
		c->v[EIO_TCSMAXNUM] = c->v[EIO_TCSNUM];
	if (!c->set[EIO_HEAPINIT])
		c->v[EIO_HEAPINIT] = c->v[EIO_HEAPMAX];
	if (!c->set[EIO_RSRVINIT])
		c->v[EIO_RSRVINIT] = c->v[EIO_RSRVMAX];
	rc = ens_intel_config_check(c, name, err);
out:
	xmlFreeDoc(doc);
	return rc;
}

#define PAGE_ALIGNED(x) (((x) & 0xfffu) == 0)

int ens_intel_config_check(const struct ens_intel_config *c, const char *name, struct ens_err *err)
{
	static const int sizes[] = {EIO_STACKMAX, EIO_STACKMIN, EIO_HEAPMAX, EIO_HEAPMIN, EIO_HEAPINIT,
				    EIO_RSRVMAX, EIO_RSRVMIN, EIO_RSRVINIT, EIO_USERREGION};
	const uint64_t *v = c->v;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!PAGE_ALIGNED(v[sizes[i]]))
			return ens_fail(err, ENS_E_FORMAT, "'%s': %s 0x%llx is not a multiple of 4096 (page size)",
					name, opts[sizes[i]].name, (unsigned long long)v[sizes[i]]);
	if (v[EIO_HEAPMIN] > v[EIO_HEAPINIT] || v[EIO_HEAPINIT] > v[EIO_HEAPMAX])
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': heap sizes must satisfy HeapMinSize (0x%llx) <= HeapInitSize (0x%llx) <= HeapMaxSize (0x%llx); "
				"HeapMin is always committed, HeapInit is added at load, the rest up to HeapMax grows on SGX2",
				name, (unsigned long long)v[EIO_HEAPMIN], (unsigned long long)v[EIO_HEAPINIT],
				(unsigned long long)v[EIO_HEAPMAX]);
	if (v[EIO_RSRVMIN] > v[EIO_RSRVINIT] || v[EIO_RSRVINIT] > v[EIO_RSRVMAX])
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': reserved memory sizes must satisfy ReservedMemMinSize (0x%llx) <= ReservedMemInitSize (0x%llx) <= ReservedMemMaxSize (0x%llx)",
				name, (unsigned long long)v[EIO_RSRVMIN], (unsigned long long)v[EIO_RSRVINIT],
				(unsigned long long)v[EIO_RSRVMAX]);
	if (v[EIO_STACKMIN] > v[EIO_STACKMAX])
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': StackMinSize (0x%llx) must not exceed StackMaxSize (0x%llx)", name,
				(unsigned long long)v[EIO_STACKMIN], (unsigned long long)v[EIO_STACKMAX]);
	if ((v[EIO_HW] != 0) != (v[EIO_LAUNCHKEY] == 1))
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': HW (0x%llx) must be non-zero exactly when LaunchKey is 1 (LaunchKey %llu)",
				name, (unsigned long long)v[EIO_HW], (unsigned long long)v[EIO_LAUNCHKEY]);
	if (v[EIO_TCSMAXNUM] < v[EIO_TCSNUM])
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': TCSMaxNum (%llu) must be at least TCSNum (%llu): TCSNum threads are created at load, up to TCSMaxNum in all",
				name, (unsigned long long)v[EIO_TCSMAXNUM], (unsigned long long)v[EIO_TCSNUM]);
	uint64_t pool_cap = c->set[EIO_TCSMAXNUM] ? v[EIO_TCSMAXNUM] : v[EIO_TCSNUM];
	if (v[EIO_TCSMINPOOL] > pool_cap)
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': TCSMinPool (%llu) must not exceed %s (%llu): it counts threads that are never removed",
				name, (unsigned long long)v[EIO_TCSMINPOOL],
				c->set[EIO_TCSMAXNUM] ? "TCSMaxNum" : "TCSNum", (unsigned long long)pool_cap);
	static const int kss[] = {EIO_FAMILYID_H, EIO_FAMILYID_L, EIO_EXTPRODID_H, EIO_EXTPRODID_L};
	for (int i = 0; i < 4; i++)
		if (c->set[kss[i]] && v[EIO_ENABLEKSS] != 1)
			return ens_fail(err, ENS_E_FORMAT, "'%s': %s requires EnableKSS=1", name, opts[kss[i]].name);
	if ((c->set[EIO_IMAGEADDR] || c->set[EIO_ELRANGESTART]) && !c->set[EIO_ELRANGESIZE])
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': EnclaveImageAddress and ELRangeStartAddress require ELRangeSize", name);
	if (c->set[EIO_ELRANGESIZE]) {
		uint64_t img = v[EIO_IMAGEADDR], start = v[EIO_ELRANGESTART], size = v[EIO_ELRANGESIZE];
		if (!PAGE_ALIGNED(img) || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(size))
			return ens_fail(err, ENS_E_FORMAT,
					"'%s': EnclaveImageAddress, ELRangeStartAddress and ELRangeSize must be page-aligned",
					name);
		if (!ens_is_pow2(size))
			return ens_fail(err, ENS_E_FORMAT, "'%s': ELRangeSize 0x%llx is not a power of two", name,
					(unsigned long long)size);
		if (start & (size - 1))
			return ens_fail(err, ENS_E_FORMAT,
					"'%s': ELRangeStartAddress 0x%llx is not aligned to ELRangeSize 0x%llx", name,
					(unsigned long long)start, (unsigned long long)size);
		if (start > img)
			return ens_fail(err, ENS_E_FORMAT,
					"'%s': ELRangeStartAddress 0x%llx is above EnclaveImageAddress 0x%llx", name,
					(unsigned long long)start, (unsigned long long)img);
	}
	if (v[EIO_IPPFIPS] && v[EIO_OSSLFIPS])
		return ens_fail(err, ENS_E_FORMAT, "'%s': EnableIPPFIPS and EnableOSSLFIPS are exclusive", name);
	if (v[EIO_USERREGION] && (!(v[EIO_MISCSELECT] & 1) || !(v[EIO_MISCMASK] & 1)))
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': UserRegionSize requires MiscSelect[0] and MiscMask[0] set to 1 (an SGX2-only enclave)",
				name);
	return 0;
}

int ens_intel_config_load(struct ens_intel_config *c, const char *path, struct ens_err *err)
{
	return ens_intel_config_load_v(c, path, 0, err);
}

int ens_intel_config_load_v(struct ens_intel_config *c, const char *path, unsigned sdk, struct ens_err *err)
{
	if (!path) {
		defaults_v(c, sdk);
		c->v[EIO_TCSMAXNUM] = c->v[EIO_TCSNUM];
		c->v[EIO_HEAPINIT] = c->v[EIO_HEAPMAX];
		c->v[EIO_RSRVINIT] = c->v[EIO_RSRVMAX];
		return 0;
	}
	uint8_t *buf;
	size_t len;
	if (ens_read_file(path, 1u << 20, &buf, &len, err))
		return -1;
	int rc = ens_intel_config_parse_v(c, (const char *)buf, len, path, sdk, err);
	free(buf);
	return rc;
}
