/* Intel SDK front end, stage 1b: what sgx_sign 2.26 derives from the ELF and
 * the config (intel-sdk-format.md §4, §6-§9): layout table, TCS and
 * g_global_data templates, patch table, the measured primary metadata, the
 * compatible copies and the SIGSTRUCT fields; and what the sgx_sign of every
 * older release 2.0 ... 2.25 does differently (intel-sdk-versions.md §3-§7). */
#include <stdlib.h>
#include <string.h>
#include "ensign/intel_sdk.h"
#include "ensign/util.h"

#define PAGE 4096ull
#define ROUND(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define MAXL 64

struct tab {
	struct ens_intel_layout l[MAXL];
	int n;
	uint64_t rva;
	bool overflow;
};

static struct ens_intel_layout *add(struct tab *t, uint16_t id, uint16_t attr, uint64_t pages, uint64_t si)
{
	if (t->n == MAXL || pages > UINT32_MAX) {
		t->overflow = true;
		return &t->l[MAXL - 1];
	}
	struct ens_intel_layout *l = &t->l[t->n++];
	*l = (struct ens_intel_layout){.id = id, .attributes = attr, .page_count = (uint32_t)pages, .rva = t->rva,
				       .si_flags = si};
	if (t->rva + pages * PAGE < t->rva)
		t->overflow = true;
	t->rva += pages * PAGE;
	return l;
}

static void add_group(struct tab *t, uint16_t id, int count, uint64_t times)
{
	uint64_t step = 0;
	for (int i = t->n - count; i < t->n; i++)
		step += (uint64_t)t->l[i].page_count * PAGE;
	if (t->n == MAXL || times > UINT32_MAX) {
		t->overflow = true;
		return;
	}
	struct ens_intel_layout *l = &t->l[t->n++];
	*l = (struct ens_intel_layout){.id = id, .attributes = (uint16_t)count, .page_count = (uint32_t)times,
				       .rva = step};
	t->rva += times * step;
}

enum thread_kind { T_UTILITY, T_KEPT, T_EREMOVE, T_DYN };

struct params {
	uint64_t stack_min_pages, stack_extra_pages, ssa, td_pages;
	bool old_threads;		/* 2.0 - 2.1.2: the utility STACK_MAX has no POST_ADD|POST_REMOVE */
};

/* One thread context (template T); returns its entry count. */
static int add_thread(struct tab *t, const struct params *p, enum thread_kind k)
{
	int n0 = t->n;
	uint16_t base = ENS_PA_EADD | ENS_PA_EEXTEND;
	uint16_t other = k == T_DYN ? (ENS_PA_POST_ADD | ENS_PA_DYN_THREAD) : k == T_EREMOVE ? (base | ENS_PA_EREMOVE) : base;
	uint16_t dyn = k == T_DYN ? 10 : 0;
	add(t, ENS_LAYOUT_GUARD, 0, 16, 0);
	if (p->stack_extra_pages) {
		uint16_t a = base | ENS_PA_GROW_DOWN;
		if (k == T_UTILITY && !p->old_threads)
			a |= ENS_PA_POST_ADD | ENS_PA_POST_REMOVE;
		else if (k == T_EREMOVE)
			a |= ENS_PA_EREMOVE;
		else if (k == T_DYN)
			a = ENS_PA_POST_ADD | ENS_PA_GROW_DOWN;
		add(t, ENS_LAYOUT_STACK_MAX + dyn, a, p->stack_extra_pages, 0x203)->content_size = 0xCCCCCCCC;
	}
	add(t, ENS_LAYOUT_STACK_MIN + dyn, other, p->stack_min_pages, 0x203)->content_size = 0xCCCCCCCC;
	add(t, ENS_LAYOUT_GUARD, 0, 16, 0);
	add(t, ENS_LAYOUT_TCS + dyn, other, 1, ENS_SECINFO_TCS)->content_size = 72;
	add(t, ENS_LAYOUT_SSA + dyn, other, 2 * p->ssa, 0x203);
	add(t, ENS_LAYOUT_GUARD, 0, 16, 0);
	add(t, ENS_LAYOUT_TD + dyn, other, p->td_pages, 0x203);
	return t->n - n0;
}

static uint64_t round_to(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }
static uint64_t asz(uint64_t sz) { uint64_t r = round_to(sz + 8, 8); return r < 16 ? 16 : r; }
/* Bookkeeping cost of one EMA node of 'pages' pages: 2.20+ ([F] §4.2), 2.19
 * (formula M) and 2.18 (formula L, sizes of sgx-emm unverified) (§4.4). */
static uint64_t node(int node_style, uint64_t pages)
{
	if (node_style == 19)
		return 80 + 32 + round_to(pages, 0x80) / 8;
	if (node_style == 18)
		return 72 + 24 + round_to(pages, 8) / 8;
	return 80 + 32 + asz(round_to(pages, 8) / 8);
}

static uint64_t bk_overhead(int node_style, const struct ens_intel_elf *e, const uint64_t *v, const struct params *p,
			    uint64_t minpool, uint64_t eremove, int tentries)
{
	uint64_t ov = 0, E = node_style == 18 ? 72 : 80;
	if (v[EIO_USERREGION] && !node_style) {
		uint64_t u = ROUND(v[EIO_USERREGION] >> 15);
		ov += u < 0x1000 ? 0x1000 : u;
	}
	ov += node(node_style, v[EIO_HEAPMIN] / PAGE);
	if (v[EIO_HEAPINIT] > v[EIO_HEAPMIN])
		ov += node(node_style, (v[EIO_HEAPINIT] - v[EIO_HEAPMIN]) / PAGE);
	if (v[EIO_HEAPMAX] > v[EIO_HEAPINIT])
		ov += node(node_style, (v[EIO_HEAPMAX] - v[EIO_HEAPINIT]) / PAGE);
	ov += node(node_style, v[EIO_RSRVMIN] / PAGE);
	if (v[EIO_RSRVINIT] > v[EIO_RSRVMIN])
		ov += node(node_style, (v[EIO_RSRVINIT] - v[EIO_RSRVMIN]) / PAGE);
	if (v[EIO_RSRVMAX] > v[EIO_RSRVINIT])
		ov += node(node_style, (v[EIO_RSRVMAX] - v[EIO_RSRVINIT]) / PAGE);
	uint64_t nr = E + node(node_style, p->stack_min_pages) + (p->stack_extra_pages ? node(node_style, p->stack_extra_pages) : 0) + E +
		      node(node_style, 1) + node(node_style, 2 * p->ssa) + E + node(node_style, p->td_pages);
	uint64_t r = E * (uint64_t)tentries;
	ov += (1 + minpool) * nr;
	ov += (1 + eremove) * r;
	if (v[EIO_TCSMAXNUM] > minpool + 1)
		ov += (v[EIO_TCSMAXNUM] - minpool) * nr;
	for (int i = 0; i < e->nseg; i++)
		ov += node(node_style, ROUND(e->seg[i].memsz) / PAGE);
	if (node_style)
		return ov;
	ov += E;
	return round_to(ov + 32, 0x10000);
}

/* USER_REGION page count (§4.4): 2.18 formula L, 2.19 formula M, 2.20+ [F]. */
static int user_region_pages(unsigned sdk, uint64_t ov, uint64_t urs, uint64_t *pages)
{
	if (sdk >= ENS_SDK(20, 0)) {
		*pages = (urs + ov + 0x10000) / PAGE;
		return 0;
	}
	if (sdk < ENS_SDK(19, 0)) {
		*pages = (ROUND(ov + 0x20000) + urs + ROUND(urs >> 15)) / PAGE;
		return 0;
	}
	uint64_t x = round_to(ov, 0x10000) >> 16;
	unsigned r = 0;
	while (x >> r)
		r++;
	if (r >= 30)
		return -1;
	*pages = ((((uint64_t)1 << r) - 1 + r) * 0x10000 + urs + ROUND(urs >> 15)) / PAGE;
	return 0;
}

static int xsave_size(unsigned sdk, uint64_t xfrm, uint32_t *out, struct ens_err *err)
{
	struct { uint64_t bits; uint32_t size; } rows[] = {
		{0x3, 576}, {0x6, 832}, {0x18, 1088}, {0xE6, 2688}, {0x200, 2752}, {0x60000, 11008}};
	size_t nrows = sdk >= ENS_SDK(18, 0) ? 6 : sdk >= ENS_SDK(16, 0) ? 5 : 4;
	if (sdk < ENS_SDK(1, 0)) {	/* 2.0: MPX 912, AVX-512 2512 */
		rows[2].size = 912;
		rows[3].size = 2512;
	}
	if (!xfrm || (xfrm & ~0x602FFull))
		return ens_fail(err, ENS_E_FORMAT, "XFRM 0x%llx is not a supported feature set", (unsigned long long)xfrm);
	*out = 0;
	for (size_t i = 0; i < nrows; i++)
		if ((xfrm & rows[i].bits) == rows[i].bits)
			*out = rows[i].size;
	if (!*out)
		return ens_fail(err, ENS_E_FORMAT, "XFRM 0x%llx lacks the legacy x87/SSE state", (unsigned long long)xfrm);
	return 0;
}

static void sigstruct_fields(struct ens_sigstruct_fields *f, const struct ens_intel_elf *e, const uint64_t *v,
			     unsigned sdk)
{
	memset(f, 0, sizeof(*f));
	f->header_type = v[EIO_RELEASETYPE] ? 0x80000000u : 0;
	f->vendor = v[EIO_INTELSIGNED] ? 0x8086 : 0;
	f->swdefined = (uint32_t)v[EIO_HW];
	f->miscselect = (uint32_t)(sdk >= ENS_SDK(22, 0) ? v[EIO_MISCSELECT] & v[EIO_MISCMASK] : v[EIO_MISCSELECT]);
	f->miscmask = (uint32_t)v[EIO_MISCMASK];
	uint64_t feat = (v[EIO_PROVISIONKEY] ? ENS_ATTR_PROVISIONKEY : 0) | (v[EIO_LAUNCHKEY] ? ENS_ATTR_EINITTOKEN_KEY : 0) |
			(v[EIO_ENABLEKSS] ? ENS_ATTR_KSS : 0) | (v[EIO_AEXNOTIFY] ? ENS_ATTR_AEXNOTIFY : 0);
	f->attributes = (e->is64 ? ENS_ATTR_MODE64BIT : 0) | feat;
	f->attributes_mask = (sdk >= ENS_SDK(18, 0) ? 0xFF00FFFFFFFFFFFDull : 0xFFFFFFFFFFFFFFFDull) | feat |
			     (v[EIO_DISABLEDEBUG] ? ENS_ATTR_DEBUG : 0);
	f->xfrm = 0x3 | (v[EIO_PKRU] == 1 ? 0x200 : 0) | (v[EIO_AMX] == 1 ? 0x60000 : 0);
	f->xfrm_mask = 0xFFFFFFFFFFFFFF1Bull & ~(v[EIO_PKRU] == 2 ? 0x200ull : 0) & ~(v[EIO_AMX] == 2 ? 0x60000ull : 0);
	if (sdk < ENS_SDK(5, 0))	/* XFRM_RESERVED = ~0x7 before 2.5 */
		f->xfrm_mask = 0xFFFFFFFFFFFFFFFBull;
	ens_put_le64(f->isvfamilyid, v[EIO_FAMILYID_L]);
	ens_put_le64(f->isvfamilyid + 8, v[EIO_FAMILYID_H]);
	ens_put_le64(f->isvextprodid, v[EIO_EXTPRODID_L]);
	ens_put_le64(f->isvextprodid + 8, v[EIO_EXTPRODID_H]);
	f->isvprodid = (uint16_t)v[EIO_PRODID];
	f->isvsvn = (uint16_t)v[EIO_ISVSVN];
}

static enum ens_intel_kind select_kind(const uint64_t *v, uint64_t minpool, const char **note)
{
	bool dynamic = v[EIO_HEAPMIN] != v[EIO_HEAPINIT] || v[EIO_HEAPINIT] != v[EIO_HEAPMAX] ||
		       v[EIO_STACKMIN] != v[EIO_STACKMAX] || v[EIO_RSRVMIN] != v[EIO_RSRVINIT] ||
		       v[EIO_RSRVINIT] != v[EIO_RSRVMAX] || v[EIO_TCSMAXNUM] != minpool + 1;
	bool sel = v[EIO_MISCSELECT] & 1, mask = v[EIO_MISCMASK] & 1;
	if (v[EIO_USERREGION]) {
		*note = "UserRegionSize requires the enclave to be run on an SGX2 platform";
		return ENS_INTEL_SGX2;
	}
	if (dynamic && !sel) {
		*note = "dynamic settings with MiscSelect[0]=0: an SGX1 enclave that cannot use dynamic features "
			"(set MiscMask[0]=0 and MiscSelect[0]=1 to run on both SGX1 and SGX2)";
		return ENS_INTEL_SGX1;
	}
	if (dynamic && mask) {
		*note = "an SGX2-only enclave";
		return ENS_INTEL_SGX2;
	}
	if (dynamic) {
		*note = "the enclave can run on both SGX1 and SGX2 platforms";
		return ENS_INTEL_SGX2_SGX1;
	}
	*note = sel ? "no dynamic settings: an SGX1 enclave (MiscSelect[0]=1 is not needed)" : "an SGX1-only enclave";
	return ENS_INTEL_SGX1;
}

static int first(const struct tab *t, uint16_t id)
{
	for (int i = 0; i < t->n; i++)
		if (t->l[i].id == id)
			return i;
	return -1;
}

/* global_data_t offsets of one SDK version (intel-sdk-versions.md §3); NO = absent. */
#define NO UINT32_MAX
struct gdl {
	uint32_t size, enclave_size, heap_offset, heap_size, rsrv_offset, rsrv_size, rsrv_exec, policy, tcs_max,
		tcs_num, td, td_size, tcs, entry, layout, slots, elr, edmm, fips;
};

static void gd_layout(unsigned sdk, struct gdl *g)
{
	uint32_t b = sdk >= ENS_SDK(9, 1) ? 8 : 0;	/* sdk_version comes first from 2.9.1 */
	g->enclave_size = b;
	g->heap_offset = b + 8;
	g->heap_size = b + 16;
	g->rsrv_exec = g->tcs_max = g->tcs_num = NO;
	if (sdk < ENS_SDK(6, 0)) {
		g->rsrv_offset = g->rsrv_size = NO;
		g->policy = 24;
		g->td = 32;
	} else if (sdk < ENS_SDK(8, 0)) {
		g->rsrv_offset = 24;
		g->rsrv_size = 32;
		g->policy = 40;
		g->td = 48;
	} else {
		g->rsrv_offset = b + 24;
		g->rsrv_size = b + 32;
		g->rsrv_exec = b + 40;
		g->policy = b + 48;
		g->tcs_max = b + 56;
		g->td = b + 64;
	}
	if (sdk >= ENS_SDK(17, 0)) {
		g->tcs_num = 72;
		g->td = 80;
	}
	g->td_size = sdk >= ENS_SDK(20, 0) ? 192 : 160;
	g->tcs = g->td + g->td_size;
	g->entry = g->tcs + 72;
	g->layout = g->entry + 8;
	g->slots = sdk < ENS_SDK(6, 0) ? 38 : sdk < ENS_SDK(19, 0) ? 42 : 43;
	uint32_t end = g->layout + 32 * g->slots;
	g->elr = sdk >= ENS_SDK(14, 0) ? end : NO;
	end += g->elr != NO ? 24 : 0;
	g->edmm = sdk >= ENS_SDK(20, 0) ? end : NO;
	end += g->edmm != NO ? 8 : 0;
	g->fips = sdk >= ENS_SDK(25, 0) ? end : NO;
	end += g->fips != NO ? 8 : 0;
	g->size = end;
}

int ens_intel_gd_offsets(uint32_t gd_size, uint32_t *policy, uint32_t *xsave)
{
	static const unsigned firsts[] = {ENS_SDK(0, 0), ENS_SDK(6, 0), ENS_SDK(8, 0), ENS_SDK(9, 1), ENS_SDK(14, 0),
					  ENS_SDK(17, 0), ENS_SDK(19, 0), ENS_SDK(20, 0), ENS_SDK(25, 0)};
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		struct gdl g;
		gd_layout(firsts[i], &g);
		if (g.size == gd_size) {
			*policy = g.policy;
			*xsave = g.td + 56;
			return 0;
		}
	}
	return -1;
}

/* The primary metadata version sgx_sign of 'sdk' writes (§4.1). */
static uint64_t primary_version(unsigned sdk, bool elrange)
{
	uint32_t major, minor;
	if (sdk < ENS_SDK(1, 0))
		major = 2, minor = 1;
	else if (sdk < ENS_SDK(1, 3))
		major = 2, minor = 2;
	else if (sdk < ENS_SDK(4, 0))
		major = 2, minor = 3;
	else if (sdk < ENS_SDK(18, 0))
		major = 2, minor = 4;
	else
		major = 3, minor = sdk < ENS_SDK(22, 0) ? 0 : sdk < ENS_SDK(24, 0) ? 1 : sdk < ENS_SDK(26, 0) ? 2 : 3;
	if (elrange)
		major = major == 2 ? 12 : 13;
	return ENS_INTEL_VERSION(major, minor);
}

int ens_intel_build(struct ens_intel_build *b, const struct ens_intel_elf *e,
		    const struct ens_intel_config *cfg, struct ens_err *err)
{
	const uint64_t *v = cfg->v;
	unsigned sdk = e->sdk ? e->sdk : ENS_SDK_LATEST;
	char ver[16];
	ens_intel_sdk_str(sdk, ver, sizeof(ver));
	memset(b, 0, sizeof(*b));
	b->sdk = sdk;
	if (v[EIO_OSSLFIPS] || v[EIO_IPPFIPS])
		return ens_fail(err, ENS_E_UNSUPPORTED, "EnableIPPFIPS and EnableOSSLFIPS are not supported");
	struct gdl G;
	gd_layout(sdk, &G);
	if (G.size != ens_intel_sdk_gd_size(sdk))
		return ens_fail(err, ENS_E_UNSUPPORTED, "global_data_t of SDK %s: %u bytes, table says %u", ver, G.size,
				ens_intel_sdk_gd_size(sdk));
	if (e->gd_size && e->is64 && e->gd_size != G.size)
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': g_global_data is %llu bytes, but the sgx_sign of SDK %s writes a %u-byte "
				"template: give the SDK that built the enclave with --sdk-version",
				e->path, (unsigned long long)e->gd_size, ver, G.size);
	sigstruct_fields(&b->fields, e, v, sdk);
	const struct ens_sigstruct_fields *f = &b->fields;
	uint64_t meta_xfrm = ~f->xfrm_mask | (f->xfrm & f->xfrm_mask);
	uint32_t xsave;
	if (xsave_size(sdk, meta_xfrm, &xsave, err))
		return -1;
	uint64_t ssa_pages = sdk >= ENS_SDK(18, 0) ? ROUND(xsave + 184ull) / PAGE : 1;
	struct params p = {v[EIO_STACKMIN] / PAGE, (v[EIO_STACKMAX] - v[EIO_STACKMIN]) / PAGE, ssa_pages,
			   1 + (e->has_tls ? ROUND(e->tls_size) / PAGE : 0), sdk < ENS_SDK(1, 3)};
	uint64_t tcs_num = v[EIO_TCSNUM], tcs_max = v[EIO_TCSMAXNUM];
	uint64_t minpool = v[EIO_TCSMINPOOL] < tcs_num - 1 ? v[EIO_TCSMINPOOL] : tcs_num - 1;
	uint64_t eremove = tcs_num - 1 - minpool;
	uint64_t rsrv_init = v[EIO_RSRVINIT];	/* g_global_data.rsrv_size: grows with a merged padding */
	if (sdk >= ENS_SDK(18, 0)) {
		b->kind = select_kind(v, minpool, &b->kind_note);
	} else {
		b->kind = ENS_INTEL_SGX2_SGX1;
		b->kind_note = "SDKs before 2.18 write every metadata block of their family, whatever the configuration";
	}
	bool sgx2 = b->kind != ENS_INTEL_SGX1 && sdk >= ENS_SDK(18, 0);
	bool elrange = cfg->set[EIO_ELRANGESIZE];
	uint64_t delta = elrange ? v[EIO_IMAGEADDR] - v[EIO_ELRANGESTART] : 0;
	b->tcs_num = (uint32_t)tcs_num;
	b->elrange = elrange;

	struct tab *t = calloc(1, sizeof(*t));
	if (!t)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	int rc = -1;
	t->rva = e->image_end;
	add(t, ENS_LAYOUT_HEAP_MIN, ENS_PA_EADD, v[EIO_HEAPMIN] / PAGE, 0x203);
	if (v[EIO_HEAPINIT] > v[EIO_HEAPMIN])
		add(t, ENS_LAYOUT_HEAP_INIT, ENS_PA_EADD | ENS_PA_POST_ADD | ENS_PA_POST_REMOVE,
		    (v[EIO_HEAPINIT] - v[EIO_HEAPMIN]) / PAGE, 0x203);
	if (v[EIO_HEAPMAX] > v[EIO_HEAPINIT])
		add(t, ENS_LAYOUT_HEAP_MAX, ENS_PA_POST_ADD, (v[EIO_HEAPMAX] - v[EIO_HEAPINIT]) / PAGE, 0x203);
	int tn = add_thread(t, &p, T_UTILITY);
	if (p.old_threads) {
		/* 2.0 - 2.1.2: the minpool threads are a group of the utility thread (§4.4) */
		if (minpool)
			add_group(t, ENS_LAYOUT_THREAD_GROUP, tn, minpool);
	} else if (minpool) {
		add_thread(t, &p, T_KEPT);
		if (minpool > 1)
			add_group(t, ENS_LAYOUT_THREAD_GROUP, tn, minpool - 1);
	}
	if (eremove) {
		add_thread(t, &p, T_EREMOVE);
		if (eremove > 1)
			add_group(t, ENS_LAYOUT_THREAD_GROUP, tn, eremove - 1);
	}
	if (tcs_max > minpool + 1) {
		add_thread(t, &p, T_DYN);
		if (!p.old_threads || tcs_max > v[EIO_TCSMINPOOL])
			add_group(t, ENS_LAYOUT_THREAD_GROUP_DYN, tn, tcs_max - minpool - 1);
	}
	if (sdk >= ENS_SDK(6, 0) && (v[EIO_RSRVMAX] || v[EIO_RSRVMIN] || v[EIO_RSRVINIT])) {
		uint64_t si = v[EIO_RSRVEXEC] ? 0x207 : 0x203;
		add(t, ENS_LAYOUT_RSRV_MIN, ENS_PA_EADD, v[EIO_RSRVMIN] / PAGE, si);
		if (v[EIO_RSRVINIT] > v[EIO_RSRVMIN])
			add(t, ENS_LAYOUT_RSRV_INIT, ENS_PA_EADD | ENS_PA_POST_ADD | ENS_PA_POST_REMOVE,
			    (v[EIO_RSRVINIT] - v[EIO_RSRVMIN]) / PAGE, si);
		if (v[EIO_RSRVMAX] > v[EIO_RSRVINIT])
			add(t, ENS_LAYOUT_RSRV_MAX, ENS_PA_POST_ADD, (v[EIO_RSRVMAX] - v[EIO_RSRVINIT]) / PAGE, 0x203);
	}
	uint64_t edmm = 0;
	if (sgx2) {
		int ns = sdk < ENS_SDK(19, 0) ? 18 : sdk < ENS_SDK(20, 0) ? 19 : 0;
		uint64_t ov = bk_overhead(ns, e, v, &p, minpool, eremove, tn), pages;
		if (user_region_pages(sdk, ov, v[EIO_USERREGION], &pages)) {
			ens_fail(err, ENS_E_FORMAT, "'%s': the EDMM bookkeeping of SDK %s overflows (sgx_sign fails)",
				 e->path, ver);
			goto out;
		}
		if (sdk >= ENS_SDK(20, 0))
			edmm = ov;
		add(t, ENS_LAYOUT_USER_REGION, ENS_PA_POST_ADD, pages, 0x203);
	}
	uint64_t end = t->rva;
	uint64_t enclave_size = ens_next_pow2(end);
	uint64_t limit = e->is64 ? UINT64_MAX : UINT32_MAX;
	if (t->overflow || !enclave_size || enclave_size > limit) {
		ens_fail(err, ENS_E_FORMAT, "'%s': the enclave layout overflows (too large a heap, stack or thread count)",
			 e->path);
		goto out;
	}
	if (end < enclave_size) {
		struct ens_intel_layout *last = &t->l[t->n - 1];
		uint64_t extra = (enclave_size - end) / PAGE;
		/* 2.6 - 2.9.1 grow a trailing reserved-memory entry instead (§4.4) */
		bool merge = sdk >= ENS_SDK(6, 0) && sdk <= ENS_SDK(9, 1) && t->n &&
			     (last->id == ENS_LAYOUT_RSRV_INIT || last->id == ENS_LAYOUT_RSRV_MAX ||
			      (last->id == ENS_LAYOUT_RSRV_MIN && last->page_count));
		if (merge && last->page_count + extra <= UINT32_MAX) {
			last->page_count += (uint32_t)extra;
			/* RSRV_MAX last grows rsrv_max (not in g_global_data); RSRV_INIT and
			 * RSRV_MIN last both grow rsrv_init (upstream's always-true test) */
			if (last->id != ENS_LAYOUT_RSRV_MAX)
				rsrv_init += extra * PAGE;
		} else {
			add(t, ENS_LAYOUT_GUARD, 0, extra, 0);
		}
	}
	if (t->n > (int)G.slots || t->overflow) {
		ens_fail(err, ENS_E_FORMAT, "'%s': %d layout entries, more than the %u the sgx_sign of SDK %s allows",
			 e->path, t->n, G.slots, ver);
		goto out;
	}
	if (elrange && (v[EIO_IMAGEADDR] + enclave_size < v[EIO_IMAGEADDR] ||
			v[EIO_IMAGEADDR] + enclave_size > v[EIO_ELRANGESTART] + v[EIO_ELRANGESIZE])) {
		ens_fail(err, ENS_E_FORMAT,
			 "ELRANGE: the image [0x%llx, +0x%llx) does not fit in [ELRangeStartAddress 0x%llx, +ELRangeSize 0x%llx)",
			 (unsigned long long)v[EIO_IMAGEADDR], (unsigned long long)enclave_size,
			 (unsigned long long)v[EIO_ELRANGESTART], (unsigned long long)v[EIO_ELRANGESIZE]);
		goto out;
	}

	/* Data area, bump-allocated in sgx_sign's order (§8.3); 2 dirs before 2.24. */
	uint8_t *m = b->meta;
	uint32_t off = sdk >= ENS_SDK(24, 0) ? sizeof(struct ens_intel_meta) : sizeof(struct ens_intel_meta) - 16;
	struct ens_intel_meta h = {0};
	if (elrange) {
		struct ens_intel_elrange r = {v[EIO_IMAGEADDR], v[EIO_ELRANGESTART], v[EIO_ELRANGESIZE]};
		if (sdk >= ENS_SDK(24, 0)) {
			h.dirs[ENS_INTEL_DIR_ELRANGE] = (struct ens_intel_dir){off, sizeof(r)};
		} else {	/* 2.14 - 2.23: a {offset, size} directory at the start of the data area */
			ens_put_le32(m + off, off + 8);
			ens_put_le32(m + off + 4, sizeof(r));
			off += 8;
		}
		memcpy(m + off, &r, sizeof(r));
		off += sizeof(r);
	}
	int tcs = first(t, ENS_LAYOUT_TCS), td = first(t, ENS_LAYOUT_TD), ssa = first(t, ENS_LAYOUT_SSA),
	    smin = first(t, ENS_LAYOUT_STACK_MIN);
	uint64_t tcs_rva = t->l[tcs].rva, td_rva = t->l[td].rva, ssa_rva = t->l[ssa].rva;
	uint64_t td_addr = td_rva - tcs_rva + (p.td_pages - 1) * PAGE;
	uint32_t tcs_off = off;
	struct ens_tcs tcsb;
	memset(&tcsb, 0, sizeof(tcsb));
	tcsb.flags = v[EIO_AEXNOTIFY] && sdk >= ENS_SDK(20, 0) ? ENS_TCS_AEXNOTIFY : 0;
	tcsb.ossa = ssa_rva - tcs_rva + delta;
	tcsb.nssa = 2;
	tcsb.oentry = e->entry + delta;
	tcsb.ofsbase = tcsb.ogsbase = td_addr + delta;
	tcsb.fslimit = tcsb.gslimit = 0xFFFFFFFF;
	memcpy(m + off, &tcsb, 72);
	off += 72;
	for (int i = 0; i < t->n; i++)
		if (!(t->l[i].id & ENS_LAYOUT_GROUP_FLAG) && t->l[i].si_flags == ENS_SECINFO_TCS)
			t->l[i].content_offset = tcs_off;

	uint32_t gd_off = off;
	uint8_t *g = m + off;
	int rmin = first(t, ENS_LAYOUT_RSRV_MIN);
	ens_put_le64(g + G.enclave_size, enclave_size);
	ens_put_le64(g + G.heap_offset, t->l[first(t, ENS_LAYOUT_HEAP_MIN)].rva);
	ens_put_le64(g + G.heap_size, v[EIO_HEAPINIT]);
	if (rmin >= 0 && G.rsrv_offset != NO) {
		ens_put_le64(g + G.rsrv_offset, t->l[rmin].rva);
		ens_put_le64(g + G.rsrv_size, rsrv_init);
		if (G.rsrv_exec != NO)
			ens_put_le64(g + G.rsrv_exec, v[EIO_RSRVEXEC]);
	}
	ens_put_le64(g + G.policy, v[EIO_TCSPOLICY]);
	if (G.tcs_max != NO)
		ens_put_le64(g + G.tcs_max, tcs_max);
	if (G.tcs_num != NO)
		ens_put_le64(g + G.tcs_num, tcs_num);
	uint8_t *tdt = g + G.td;
	uint32_t tls_off = G.td_size == 192 ? 104 : 80;
	uint64_t stack_base = t->l[smin].rva + v[EIO_STACKMIN] - tcs_rva;
	ens_put_le64(tdt + 0, td_addr);
	ens_put_le64(tdt + 8, stack_base);
	ens_put_le64(tdt + 16, stack_base);
	ens_put_le64(tdt + 24, stack_base - v[EIO_STACKMAX]);
	ens_put_le64(tdt + 32, ssa_rva - tcs_rva + p.ssa * PAGE - 184);
	ens_put_le64(tdt + 56, xsave);
	if (G.td_size == 192)
		ens_put_le64(tdt + 88, ssa_rva - tcs_rva);
	ens_put_le64(tdt + tls_off, e->has_tls ? td_addr - e->tls_size : td_rva - tcs_rva);
	ens_put_le64(tdt + tls_off + 8, td_addr + tls_off);
	memcpy(g + G.tcs, &tcsb, 72);
	ens_put_le32(g + G.entry, (uint32_t)t->n);
	memcpy(g + G.layout, t->l, (size_t)t->n * 32);
	if (G.elr != NO && elrange) {
		ens_put_le64(g + G.elr, v[EIO_IMAGEADDR]);
		ens_put_le64(g + G.elr + 8, v[EIO_ELRANGESTART]);
		ens_put_le64(g + G.elr + 16, v[EIO_ELRANGESIZE]);
	} else if (G.elr != NO && sdk < ENS_SDK(25, 0)) {
		ens_put_le64(g + G.elr + 16, enclave_size);	/* 2.14 - 2.24 without ELRANGE */
	}
	if (G.edmm != NO)
		ens_put_le64(g + G.edmm, edmm);
	if (G.fips != NO)
		ens_put_le32(g + G.fips, (uint32_t)v[EIO_IPPFIPS]);
	off += G.size;

	uint32_t zero_off = off;
	off += e->is64 ? 8 : (e->relro_phoff ? 32 : 4);
	struct ens_intel_patch pt[5] = {
		{.dst = e->gd_fileoff, .src = gd_off, .size = G.size},
		{.dst = e->is64 ? 0x3C : 0x30, .src = zero_off, .size = 2},
		{.dst = e->is64 ? 0x28 : 0x20, .src = zero_off, .size = e->is64 ? 8 : 4},
		{.dst = e->is64 ? 0x3E : 0x32, .src = zero_off, .size = 2},
		{.dst = e->relro_phoff, .src = zero_off, .size = 32},
	};
	int npatch = (!e->is64 && e->relro_phoff) ? 5 : 4;
	h.dirs[ENS_INTEL_DIR_PATCH] = (struct ens_intel_dir){off, (uint32_t)npatch * 32};
	memcpy(m + off, pt, (size_t)npatch * 32);
	off += (uint32_t)npatch * 32;
	h.dirs[ENS_INTEL_DIR_LAYOUT] = (struct ens_intel_dir){off, (uint32_t)t->n * 32};
	uint32_t area = ens_intel_sdk_area_size(sdk);
	if (off + (uint32_t)t->n * 32 > area) {
		ens_fail(err, ENS_E_FORMAT, "metadata does not fit in 0x%x bytes", area);
		goto out;
	}
	memcpy(m + off, t->l, (size_t)t->n * 32);
	off += (uint32_t)t->n * 32;

	h.magic = ENS_INTEL_META_MAGIC;
	h.version = primary_version(sdk, elrange);
	h.size = off;
	h.tcs_policy = (uint32_t)v[EIO_TCSPOLICY];
	h.ssa_frame_size = (uint32_t)p.ssa;
	h.max_save_buffer_size = sdk >= ENS_SDK(18, 0) ? xsave : 2632;
	h.desired_misc_select = sdk >= ENS_SDK(22, 0) ? (uint32_t)v[EIO_MISCSELECT] : 0;
	h.tcs_min_pool = (uint32_t)v[EIO_TCSMINPOOL];
	h.enclave_size = enclave_size;
	h.attr_flags = f->attributes;
	h.attr_xfrm = meta_xfrm;
	/* the header ends at the data area: 2 dirs before 2.24 */
	memcpy(m, &h, sdk >= ENS_SDK(24, 0) ? sizeof(h) : sizeof(h) - 16);
	b->meta_len = off;
	rc = 0;
out:
	free(t);
	return rc;
}

/* Rewrite of the layout table for the 1.x block by SDKs 2.0 - 2.2
 * (intel-sdk-versions.md §4.5, algorithms A, B, C); returns the new count, or
 * -1 for "algorithm D applies" (C's general case). */
static int old_sgx1_table(struct ens_intel_layout *l, int n, int u0, int u1, char algo, uint32_t tcs_num,
			  bool *cleanup_d)
{
	int d = -1;
	for (int i = 0; i < n && d < 0; i++)
		if (l[i].id == ENS_LAYOUT_STACK_MAX + 10 || l[i].id == ENS_LAYOUT_STACK_MIN + 10)
			d = i;
	*cleanup_d = false;
	if (d < 0)
		return -2;	/* no dynamic threads: an unchanged copy, no cleanup */
	int g = d > 0 && l[d - 1].id == ENS_LAYOUT_GUARD ? d - 1 : d;
	n = g;
	if (algo == 'C') {
		*cleanup_d = true;
		if (u1 == n - 1)
			return n;
		uint64_t step = 0;
		for (int i = u0; i <= u1; i++)
			step += (uint64_t)l[i].page_count * PAGE;
		l[u1 + 1] = (struct ens_intel_layout){.id = ENS_LAYOUT_THREAD_GROUP, .attributes = (uint16_t)(u1 - u0 + 1),
						      .page_count = tcs_num - 1, .rva = step};
		return u1 + 2;
	}
	int fi = u1 + 1, li = g - 1;
	if (algo == 'A' && (fi >= g || fi == li))
		return n;
	if (fi >= n)
		return n;
	struct ens_intel_layout *first = &l[fi], *last = &l[li];
	bool lg = last->id & ENS_LAYOUT_GROUP_FLAG;
	if (first->id == ENS_LAYOUT_THREAD_GROUP) {
		if (lg && fi != li)
			first->page_count += last->page_count + 1;
		else if (!lg)
			first->page_count += 1;
		return fi + 1;
	}
	uint32_t count = lg ? (uint32_t)(li - fi) : (uint32_t)(li - fi + 1);
	uint32_t times = lg ? last->page_count + 1 : 1;
	uint64_t step = 0;
	for (uint32_t k = 0; k < count && fi + (int)k < n; k++)
		step += (uint64_t)l[fi + k].page_count * PAGE;
	l[fi] = (struct ens_intel_layout){.id = ENS_LAYOUT_THREAD_GROUP, .attributes = (uint16_t)count,
					  .page_count = times, .rva = step};
	return fi + 1;
}

/* The SGX1-compatible copy of the primary block (§6 of [F], §4.5 of the
 * addendum): same bytes, version 1.x (11.x with ELRANGE), the layout table
 * rewritten for loaders without EDMM by the algorithm of 'sdk'. */
static int sgx1_copy(const uint8_t *src, uint32_t tcs_num, unsigned sdk, uint8_t *dst, size_t room, uint32_t *len,
		     struct ens_err *err)
{
	struct ens_intel_meta h;
	memcpy(&h, src, sizeof(h));
	struct ens_intel_dir ld = h.dirs[ENS_INTEL_DIR_LAYOUT];
	int n = (int)(ld.size / 32), out = n;
	struct ens_intel_layout in[MAXL], l[MAXL + 4];
	if (n > MAXL)
		return ens_fail(err, ENS_E_FORMAT, "too many layout entries");
	memcpy(in, src + ld.offset, ld.size);
	memcpy(l, in, ld.size);
	int u0 = -1, u1 = -1;
	for (int i = 0; i < n; i++) {
		if (u0 < 0 && in[i].id == ENS_LAYOUT_GUARD)
			u0 = i;
		if (u0 >= 0 && in[i].id == ENS_LAYOUT_TD) {
			u1 = i;
			break;
		}
	}
	if (u0 < 0 || u1 < 0)
		return ens_fail(err, ENS_E_FORMAT, "layout has no thread context");
	char algo = sdk < ENS_SDK(1, 0) ? 'A' : sdk < ENS_SDK(1, 3) ? 'B' : sdk < ENS_SDK(3, 0) ? 'C' : 'D';
	int cleanup = 2;	/* 0 none, 1 heap only (A, B), 2 algorithm D's */
	if (algo != 'D') {
		bool d_clean;
		int r = old_sgx1_table(l, n, u0, u1, algo, tcs_num, &d_clean);
		out = r == -2 ? n : r;
		cleanup = r == -2 ? 0 : d_clean ? 2 : 1;
	} else {
		int next = u1 + 1;
		if (next < n && in[next].id != ENS_LAYOUT_RSRV_MIN) {
			uint64_t step = 0;
			for (int i = u0; i <= u1; i++)
				step += (uint64_t)in[i].page_count * PAGE;
			l[next] = (struct ens_intel_layout){.id = ENS_LAYOUT_THREAD_GROUP,
							    .attributes = (uint16_t)(u1 - u0 + 1),
							    .page_count = tcs_num - 1, .rva = step};
			out = next + 1;
			for (int i = next; i < n; i++)
				if (in[i].id >= ENS_LAYOUT_RSRV_MIN && in[i].id <= ENS_LAYOUT_RSRV_MAX)
					l[out++] = in[i];
		}
	}
	bool heap_max = false, rsrv_max = false, stack_max = false;
	for (int i = 0; i < out && cleanup; i++) {
		struct ens_intel_layout *x = &l[i];
		if (x->id & ENS_LAYOUT_GROUP_FLAG)
			continue;
		if ((x->id == ENS_LAYOUT_HEAP_MAX && !heap_max) || (x->id == ENS_LAYOUT_RSRV_MAX && !rsrv_max)) {
			heap_max |= x->id == ENS_LAYOUT_HEAP_MAX;
			rsrv_max |= x->id == ENS_LAYOUT_RSRV_MAX;
			x->si_flags = 0;
			x->attributes = 0;
		} else if (x->id == ENS_LAYOUT_HEAP_INIT || x->id == ENS_LAYOUT_RSRV_INIT) {
			x->attributes &= (uint16_t)~ENS_PA_POST_ADD;
		} else if (x->id == ENS_LAYOUT_STACK_MAX && !stack_max && cleanup == 2) {
			stack_max = true;
			x->attributes &= (uint16_t)~ENS_PA_POST_ADD;
		}
	}
	uint32_t size = ld.offset + (uint32_t)out * 32;
	if (size > room)
		return ens_fail(err, ENS_E_FORMAT, "metadata does not fit in the metadata area");
	memcpy(dst, src, ld.offset);
	memcpy(dst + ld.offset, l, (size_t)out * 32);
	uint32_t major = (uint32_t)(h.version >> 32) >= 12 ? 11 : 1;
	h.version = ENS_INTEL_VERSION(major, sdk >= ENS_SDK(24, 0) ? 5 : 4);
	h.size = size;
	h.dirs[ENS_INTEL_DIR_LAYOUT].size = (uint32_t)out * 32;
	memcpy(dst, &h, ens_intel_meta_new_format(h.version) ? sizeof(h) : sizeof(h) - 16);
	*len = size;
	return 0;
}

int ens_intel_area(const struct ens_intel_build *b, const struct ens_sigstruct *css, uint8_t *area,
		   size_t area_len, struct ens_err *err)
{
	unsigned sdk = b->sdk ? b->sdk : ENS_SDK_LATEST;
	uint8_t *m3 = malloc(b->meta_len);
	if (!m3)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	memcpy(m3, b->meta, b->meta_len);
	memcpy(m3 + offsetof(struct ens_intel_meta, css), css, sizeof(*css));
	memset(area, 0, area_len);
	size_t off = 0;
	int rc = -1;
	bool all = sdk < ENS_SDK(18, 0);	/* before 2.18: every block of the family */
	if (all || b->kind != ENS_INTEL_SGX1) {
		if (b->meta_len > area_len) {
			ens_fail(err, ENS_E_FORMAT, "metadata (0x%x bytes) does not fit in the 0x%zx-byte metadata area",
				 b->meta_len, area_len);
			goto out;
		}
		memcpy(area, m3, b->meta_len);
		off = b->meta_len;
	}
	/* 2.1 - 2.17.1 append a copy with version 2.1 (not 2.14 - 2.17.1 with ELRANGE) */
	if (all && sdk >= ENS_SDK(1, 0) && !b->elrange) {
		if (b->meta_len > area_len - off) {
			ens_fail(err, ENS_E_FORMAT, "metadata does not fit in the 0x%zx-byte metadata area", area_len);
			goto out;
		}
		memcpy(area + off, m3, b->meta_len);
		ens_put_le64(area + off + 8, ENS_INTEL_VERSION(2, 1));
		off += b->meta_len;
	}
	if (all || b->kind != ENS_INTEL_SGX2) {
		uint32_t len;
		if (sgx1_copy(m3, b->tcs_num, sdk, area + off, area_len - off, &len, err))
			goto out;
	}
	rc = 0;
out:
	free(m3);
	return rc;
}
