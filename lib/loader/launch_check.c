/* Loader stage: everything ECREATE, EADD (TCS) and EINIT would check, done in
 * software before loading, so a failure names its exact cause instead of an
 * SGX error code (sgx-architecture.md §1.5, §3.2, §4, §6; sgxs-format.md §6). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ensign/fortanix.h"
#include "ensign/sgx.h"
#include "ensign/sigstruct.h"
#include "ensign/util.h"

#define KNOWN_ATTRIBUTES (ENS_ATTR_INIT | ENS_ATTR_DEBUG | ENS_ATTR_MODE64BIT | ENS_ATTR_PROVISIONKEY | \
			  ENS_ATTR_EINITTOKEN_KEY | ENS_ATTR_CET | ENS_ATTR_KSS | ENS_ATTR_AEXNOTIFY)
#define SSA_GPR_SIZE 184u
#define SSA_EXINFO_SIZE 16u

static void add(struct ens_launch_report *r, bool error, const char *fmt, ...) ENS_PRINTF(3, 4);
static void add(struct ens_launch_report *r, bool error, const char *fmt, ...)
{
	if (error)
		r->nerrors++;
	if (r->n >= ENS_LAUNCH_MAX_FINDINGS) {
		r->dropped++;
		return;
	}
	struct ens_launch_finding *f = &r->f[r->n++];
	f->error = error;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof f->msg, fmt, ap);
	va_end(ap);
}

static const char *attr_name(unsigned bit)
{
	switch (1ull << bit) {
	case ENS_ATTR_INIT: return "INIT";
	case ENS_ATTR_DEBUG: return "DEBUG";
	case ENS_ATTR_MODE64BIT: return "MODE64BIT";
	case ENS_ATTR_PROVISIONKEY: return "PROVISIONKEY";
	case ENS_ATTR_EINITTOKEN_KEY: return "EINITTOKEN_KEY";
	case ENS_ATTR_CET: return "CET";
	case ENS_ATTR_KSS: return "KSS";
	case ENS_ATTR_AEXNOTIFY: return "AEXNOTIFY";
	default: return NULL;
	}
}

static const char *xfrm_name(unsigned bit)
{
	static const char *names[] = { "x87", "SSE", "AVX", "MPX BNDREGS", "MPX BNDCSR", "AVX-512 opmask",
				       "AVX-512 ZMM_Hi256", "AVX-512 Hi16_ZMM", "PT", "PKRU" };
	if (bit < sizeof names / sizeof *names)
		return names[bit];
	if (bit == 17)
		return "AMX TILECFG";
	if (bit == 18)
		return "AMX TILEDATA";
	return "unknown";
}

/* (SECS & mask) must equal (SIGSTRUCT & mask), bit by bit, with the cause. */
static void check_masked(struct ens_launch_report *r, const char *field, uint64_t secs, uint64_t sig,
			 uint64_t mask, const char *(*name)(unsigned))
{
	uint64_t diff = (secs ^ sig) & mask;
	for (unsigned b = 0; b < 64; b++) {
		if (!((diff >> b) & 1))
			continue;
		const char *n = name ? name(b) : NULL;
		add(r, true, "%s bit %u%s%s%s (0x%llx): the SECS would have it %s but the SIGSTRUCT requires it %s (the bit is in the %sMASK); EINIT would fail with InvalidAttribute",
		    field, b, n ? " (" : "", n ? n : "", n ? ")" : "", (unsigned long long)(1ull << b),
		    ((secs >> b) & 1) ? "set" : "clear", ((sig >> b) & 1) ? "set" : "clear", field);
	}
}

static void check_signature(struct ens_launch_report *r, const struct ens_run_image *img, const uint8_t *sig,
			    size_t len)
{
	struct ens_verify_report vr;
	memset(&vr, 0, sizeof vr);
	/* What EINIT compares: the enclave as the Linux driver measures it. */
	ens_sigstruct_verify(sig, len, img->reordered_pages ? img->mrenclave_load : img->mrenclave, &vr);
	static const char *what[ENS_VC_COUNT] = {
		[ENS_VC_SIZE] = "size", [ENS_VC_HEADER] = "header", [ENS_VC_EXPONENT] = "exponent",
		[ENS_VC_MODULUS] = "modulus", [ENS_VC_SIGNATURE] = "signature (EINIT: InvalidSignature)",
		[ENS_VC_Q1] = "Q1 (EINIT: InvalidSignature)", [ENS_VC_Q2] = "Q2 (EINIT: InvalidSignature)",
		[ENS_VC_RESERVED] = "reserved fields",
		[ENS_VC_ENCLAVEHASH] = "ENCLAVEHASH (EINIT: InvalidMeasurement, the loaded enclave differs from the signed one)",
	};
	for (int c = 0; c < ENS_VC_COUNT; c++)
		if (vr.failed[c])
			add(r, c != ENS_VC_RESERVED, "SIGSTRUCT %s: %s", what[c] ? what[c] : "check",
			    vr.why[c][0] ? vr.why[c] : "failed");
	if (vr.warn_reserved && !vr.failed[ENS_VC_RESERVED])
		add(r, false, "SIGSTRUCT reserved bytes are not zero");
}

static void check_attributes(struct ens_launch_report *r, const struct ens_sigstruct *s,
			     const struct ens_launch_opts *o, const struct ens_host_cpu *cpu)
{
	uint64_t a = r->attributes;
	if (a & ENS_ATTR_INIT)
		add(r, true, "ATTRIBUTES.INIT (0x1) is set: it is reserved for the CPU (ECREATE would fault)");
	if (a & ~(uint64_t)KNOWN_ATTRIBUTES)
		add(r, true, "reserved ATTRIBUTES bits 0x%llx are set (ECREATE would fault)",
		    (unsigned long long)(a & ~(uint64_t)KNOWN_ATTRIBUTES));
	if (!(a & ENS_ATTR_MODE64BIT))
		add(r, true, "ATTRIBUTES.MODE64BIT is clear: Fortanix SGXS enclaves are 64-bit");
	check_masked(r, "ATTRIBUTES", a, s->attributes, s->attributes_mask, attr_name);
	if (cpu->have_sgx_leaf && cpu->attributes_supported && (a & ~cpu->attributes_supported))
		add(r, true, "ATTRIBUTES 0x%llx not supported by this CPU (CPUID 0x12.1 allows 0x%llx)",
		    (unsigned long long)(a & ~cpu->attributes_supported),
		    (unsigned long long)cpu->attributes_supported);
	if (a & ENS_ATTR_EINITTOKEN_KEY)
		add(r, false, "ATTRIBUTES.EINITTOKEN_KEY is set: EINIT accepts it only for a launch enclave whose MRSIGNER equals IA32_SGXLEPUBKEYHASH");
	if (a & ENS_ATTR_PROVISIONKEY)
		add(r, false, "ATTRIBUTES.PROVISIONKEY is set: the loader needs access to /dev/sgx_provision");

	/* DEBUG versus production. */
	if (!(a & ENS_ATTR_DEBUG) && o->debug_key)
		add(r, true, "production launch (DEBUG clear) with a SIGSTRUCT made by ensign's built-in debug key: sign with your own key, or launch as debug (--debug)");
	else if (!(a & ENS_ATTR_DEBUG) && o->published_key)
		add(r, false, "production launch (DEBUG clear) with a SIGSTRUCT made by a published key: anyone can sign enclaves that share its MRSIGNER");
	if (a & ENS_ATTR_DEBUG)
		add(r, false, "this is a DEBUG enclave: its memory is readable by a debugger and its secrets are not protected");
}

static void check_xfrm(struct ens_launch_report *r, const struct ens_sigstruct *s, const struct ens_run_image *img,
		       const struct ens_host_cpu *cpu)
{
	uint64_t x = r->xfrm;
	check_masked(r, "XFRM", x, s->xfrm, s->xfrm_mask, xfrm_name);
	if ((x & 3) != 3)
		add(r, true, "XFRM 0x%llx lacks x87 and SSE (bits 0 and 1 must both be set; ECREATE would fault)",
		    (unsigned long long)x);
	if ((x & 0x4) && !(x & 0x2))
		add(r, true, "XFRM 0x%llx enables AVX without SSE", (unsigned long long)x);
	if ((x & 0xe0) && ((x & 0xe0) != 0xe0 || !(x & 0x4)))
		add(r, true, "XFRM 0x%llx: AVX-512 bits 5-7 must be all set or all clear, and need AVX",
		    (unsigned long long)x);
	if ((x & 0x18) && (x & 0x18) != 0x18)
		add(r, true, "XFRM 0x%llx: MPX bits 3 and 4 must be both set or both clear", (unsigned long long)x);
	if ((x & 0x60000) && (x & 0x60000) != 0x60000)
		add(r, true, "XFRM 0x%llx: AMX bits 17 and 18 must be both set or both clear", (unsigned long long)x);
	if (cpu->have_xcr0) {
		uint64_t missing = x & ~cpu->xcr0;
		for (unsigned b = 0; b < 64; b++)
			if ((missing >> b) & 1)
				add(r, true, "XFRM bit %u (%s, 0x%llx) is not enabled on this CPU (XCR0 0x%llx%s): ECREATE would fault",
				    b, xfrm_name(b), (unsigned long long)(1ull << b), (unsigned long long)cpu->xcr0,
				    cpu->xcr0_overridden ? ", from ENSIGN_XCR0" : "");
	} else {
		add(r, false, "cannot read XCR0 on this CPU: XFRM 0x%llx not checked against it", (unsigned long long)x);
	}
	uint64_t need = (uint64_t)ens_xsave_size(cpu, x) + SSA_GPR_SIZE +
			((r->miscselect & ENS_MISC_EXINFO) ? SSA_EXINFO_SIZE : 0);
	uint64_t have = (uint64_t)img->ssaframesize * ENS_PAGE_SIZE;
	if (need > have)
		add(r, true, "XFRM 0x%llx needs an SSA frame of %llu bytes (XSAVE %u + GPR %u%s) but SSAFRAMESIZE is %u page(s) (%llu bytes)",
		    (unsigned long long)x, (unsigned long long)need, ens_xsave_size(cpu, x), SSA_GPR_SIZE,
		    (r->miscselect & ENS_MISC_EXINFO) ? " + EXINFO 16" : "", img->ssaframesize,
		    (unsigned long long)have);
}

static void check_misc(struct ens_launch_report *r, const struct ens_sigstruct *s, const struct ens_host_cpu *cpu)
{
	uint32_t m = r->miscselect;
	check_masked(r, "MISCSELECT", m, s->miscselect, s->miscmask, NULL);
	if (m & ~ENS_MISC_EXINFO)
		add(r, true, "reserved MISCSELECT bits 0x%x are set", m & ~ENS_MISC_EXINFO);
	if (cpu->have_sgx_leaf && (m & ~cpu->miscselect_supported))
		add(r, true, "MISCSELECT 0x%x is not supported by this CPU (CPUID 0x12 allows 0x%x)",
		    m & ~cpu->miscselect_supported, cpu->miscselect_supported);
	else if ((m & ENS_MISC_EXINFO) && !cpu->have_sgx_leaf)
		add(r, false, "MISCSELECT.EXINFO needs SGX2 hardware (not checkable here)");
}

static const struct ens_run_page_run *find_run(const struct ens_run_image *img, uint64_t off)
{
	size_t lo = 0, hi = img->nruns;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (off < img->runs[mid].start)
			hi = mid;
		else if (off >= img->runs[mid].end)
			lo = mid + 1;
		else
			return &img->runs[mid];
	}
	return NULL;
}

static void check_tcs(struct ens_launch_report *r, const struct ens_run_image *img)
{
	if (img->ntcs == 0)
		add(r, true, "the enclave has no TCS page: it cannot be entered");
	for (size_t i = 0; i < img->ntcs; i++) {
		const struct ens_run_tcs *t = &img->tcs[i];
		struct ens_tcs tcs;
		memset(&tcs, 0, sizeof tcs);
		memcpy(&tcs, t->head.b, sizeof t->head.b);
		unsigned long long at = (unsigned long long)t->offset;
		if (t->reserved_nonzero)
			add(r, true, "TCS at 0x%llx: reserved bytes 72..4095 are not zero (EADD would fault)", at);
		if (tcs.state)
			add(r, true, "TCS at 0x%llx: STATE is 0x%llx, must be 0", at, (unsigned long long)tcs.state);
		if (tcs.flags & ~(uint64_t)(ENS_TCS_DBGOPTIN | ENS_TCS_AEXNOTIFY))
			add(r, true, "TCS at 0x%llx: reserved FLAGS bits 0x%llx are set", at,
			    (unsigned long long)(tcs.flags & ~(uint64_t)(ENS_TCS_DBGOPTIN | ENS_TCS_AEXNOTIFY)));
		if (tcs.cssa)
			add(r, true, "TCS at 0x%llx: CSSA is %u, must be 0", at, tcs.cssa);
		if (tcs.nssa == 0)
			add(r, true, "TCS at 0x%llx: NSSA is 0, at least one SSA frame is needed", at);
		if (tcs.aep)
			add(r, true, "TCS at 0x%llx: AEP is 0x%llx, must be 0", at, (unsigned long long)tcs.aep);
		if (tcs.ossa % ENS_PAGE_SIZE)
			add(r, true, "TCS at 0x%llx: OSSA 0x%llx is not page-aligned", at, (unsigned long long)tcs.ossa);
		if (tcs.ofsbase % ENS_PAGE_SIZE)
			add(r, true, "TCS at 0x%llx: OFSBASGX 0x%llx is not page-aligned", at, (unsigned long long)tcs.ofsbase);
		if (tcs.ogsbase % ENS_PAGE_SIZE)
			add(r, true, "TCS at 0x%llx: OGSBASGX 0x%llx is not page-aligned", at, (unsigned long long)tcs.ogsbase);
		if ((tcs.fslimit & 0xfff) != 0xfff || (tcs.gslimit & 0xfff) != 0xfff)
			add(r, true, "TCS at 0x%llx: FSLIMIT/GSLIMIT (0x%x/0x%x) must have their low 12 bits set", at,
			    tcs.fslimit, tcs.gslimit);
		uint64_t ssa_bytes = (uint64_t)tcs.nssa * img->ssaframesize * ENS_PAGE_SIZE;
		if (tcs.ossa % ENS_PAGE_SIZE == 0 && tcs.nssa) {
			for (uint64_t p = tcs.ossa; p - tcs.ossa < ssa_bytes; p += ENS_PAGE_SIZE) {
				const struct ens_run_page_run *run = p < img->size ? find_run(img, p) : NULL;
				if (!run) {
					add(r, true, "TCS at 0x%llx: SSA page 0x%llx is not in the enclave", at,
					    (unsigned long long)p);
					break;
				}
				if ((run->secinfo & ENS_SECINFO_PT_MASK) != ENS_SECINFO_REG ||
				    (run->secinfo & (ENS_SECINFO_R | ENS_SECINFO_W)) != (ENS_SECINFO_R | ENS_SECINFO_W)) {
					add(r, true, "TCS at 0x%llx: SSA page 0x%llx is not a readable and writable REG page (SECINFO 0x%llx)",
					    at, (unsigned long long)p, (unsigned long long)run->secinfo);
					break;
				}
				if (p > UINT64_MAX - ENS_PAGE_SIZE)
					break;
			}
		}
		const struct ens_run_page_run *e = tcs.oentry < img->size ? find_run(img, tcs.oentry) : NULL;
		if (!e)
			add(r, true, "TCS at 0x%llx: OENTRY 0x%llx is not in a loaded page", at, (unsigned long long)tcs.oentry);
		else if ((e->secinfo & ENS_SECINFO_PT_MASK) != ENS_SECINFO_REG || !(e->secinfo & ENS_SECINFO_X))
			add(r, true, "TCS at 0x%llx: OENTRY 0x%llx is not in an executable REG page (SECINFO 0x%llx)", at,
			    (unsigned long long)tcs.oentry, (unsigned long long)e->secinfo);
	}
}

unsigned ens_launch_check(const struct ens_run_image *img, const uint8_t *sig, size_t sig_len,
			  const struct ens_host_cpu *cpu, const struct ens_launch_opts *o,
			  struct ens_launch_report *rep)
{
	memset(rep, 0, sizeof *rep);
	if (!ens_is_pow2(img->size))
		add(rep, true, "SECS.SIZE 0x%llx is not a power of two", (unsigned long long)img->size);
	if (img->partial_pages)
		add(rep, true, "%llu page(s) are partially measured: the Linux SGX driver can only add fully measured or unmeasured pages",
		    (unsigned long long)img->partial_pages);
	if (img->reordered_pages) {
		char file[65], load[65];
		const char *holds = "neither";
		ens_hex(img->mrenclave, 32, file);
		ens_hex(img->mrenclave_load, 32, load);
		if (sig_len == ENS_SIGSTRUCT_SIZE) {
			struct ens_sigstruct s;
			memcpy(&s, sig, sizeof s);
			holds = !memcmp(s.enclavehash, img->mrenclave, 32) ? "the file-order value"
				: !memcmp(s.enclavehash, img->mrenclave_load, 32) ? "the driver's value" : "neither";
		}
		add(rep, false, "%llu page(s) list their EEXTEND records out of chunk order: MRENCLAVE in file order %s, "
		    "as loaded by the Linux driver (ascending chunks) %s; the SIGSTRUCT holds %s",
		    (unsigned long long)img->reordered_pages, file, load, holds);
	}
	check_signature(rep, img, sig, sig_len);
	if (sig_len == ENS_SIGSTRUCT_SIZE) {
		struct ens_sigstruct s;
		memcpy(&s, sig, sizeof s);
		/* The SECS copies the SIGSTRUCT (as ftxsgx-runner does), DEBUG on request. */
		rep->attributes = s.attributes;
		rep->xfrm = s.xfrm;
		rep->miscselect = s.miscselect;
		if (o->debug == 1)
			rep->attributes |= ENS_ATTR_DEBUG;
		else if (o->debug == 0)
			rep->attributes &= ~(uint64_t)ENS_ATTR_DEBUG;
		check_attributes(rep, &s, o, cpu);
		check_xfrm(rep, &s, img, cpu);
		check_misc(rep, &s, cpu);
	}
	check_tcs(rep, img);
	return rep->nerrors;
}
