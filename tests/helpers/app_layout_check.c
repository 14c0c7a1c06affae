/* Test helper: walk an SGXS file exported by `ensign sign APP --sgxs` and check
 * every rule EADD, EINIT and EENTER impose (sgx-architecture.md §2.3, §3.2)
 * plus the application layout's own promises (docs/layout.md).
 * usage: app_layout_check FILE.sgxs  -> "ok: ..." and exit 0, or the first
 * broken rule on stderr and exit 1. Keeps per-page records: test sizes only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ensign/ensign.h"
#include "ensign/app.h"

struct pg { uint64_t off, flags; uint16_t mask; uint8_t *data; };
struct walk { struct pg *p; size_t n, cap; uint32_t ssa; uint64_t size; };

static int fail(const char *fmt, ...) ENS_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("app_layout_check: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static int on_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	struct walk *w = ctx;

	w->ssa = ssa;
	w->size = size;
	return 0;
}

static int on_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct walk *w = ctx;
	struct pg *p;

	if (!pg->added)
		return 0;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1024;
		w->p = realloc(w->p, w->cap * sizeof *w->p);
		if (!w->p)
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	p = &w->p[w->n++];
	*p = (struct pg){ pg->offset, pg->secinfo_flags, pg->eextend_mask, NULL };
	if (pg->eextend_mask == 0xFFFF) {
		p->data = malloc(ENS_PAGE_SIZE);
		if (!p->data)
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		memcpy(p->data, pg->data, ENS_PAGE_SIZE);
	}
	return 0;
}

static const struct pg *find(const struct walk *w, uint64_t off)
{
	size_t lo = 0, hi = w->n;

	off &= ~(uint64_t)(ENS_PAGE_SIZE - 1);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (w->p[mid].off == off)
			return &w->p[mid];
		if (w->p[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool is_reg(const struct pg *p, uint64_t need)
{
	return p && (p->flags & ENS_SECINFO_PT_MASK) == ENS_SECINFO_REG && (p->flags & need) == need;
}

static int check_tcs(const struct walk *w, const struct pg *p, uint64_t *config)
{
	struct ens_tcs t;
	const struct pg *q;
	static const uint8_t zero[sizeof t.reserved];

	if (p->mask != 0xFFFF)
		return fail("TCS 0x%" PRIx64 " is not fully measured", p->off);
	memcpy(&t, p->data, sizeof t);
	if (t.state || t.cssa || t.aep || memcmp(t.reserved, zero, sizeof zero) || (t.flags & ~3ull))
		return fail("TCS 0x%" PRIx64 ": STATE, CSSA, AEP, reserved bytes or FLAGS not zero", p->off);
	if (!t.nssa)
		return fail("TCS 0x%" PRIx64 ": NSSA is 0", p->off);
	if ((t.ossa | t.ofsbase | t.ogsbase) & (ENS_PAGE_SIZE - 1))
		return fail("TCS 0x%" PRIx64 ": OSSA/OFSBASE/OGSBASE not page-aligned", p->off);
	if ((t.fslimit & 0xFFF) != 0xFFF || (t.gslimit & 0xFFF) != 0xFFF)
		return fail("TCS 0x%" PRIx64 ": FSLIMIT/GSLIMIT low 12 bits not all ones", p->off);
	for (uint64_t i = 0; i < (uint64_t)t.nssa * w->ssa; i++)
		if (!is_reg(find(w, t.ossa + i * ENS_PAGE_SIZE), ENS_SECINFO_R | ENS_SECINFO_W))
			return fail("TCS 0x%" PRIx64 ": SSA page 0x%" PRIx64 " is not an added RW page", p->off,
				    t.ossa + i * ENS_PAGE_SIZE);
	if (!is_reg(find(w, t.oentry), ENS_SECINFO_X) || t.oentry >= w->size)
		return fail("TCS 0x%" PRIx64 ": OENTRY 0x%" PRIx64 " is not in an executable page", p->off,
			    t.oentry);
	if (!is_reg(find(w, t.ofsbase), 0) || !is_reg(find(w, t.ogsbase), 0))
		return fail("TCS 0x%" PRIx64 ": FS/GS base outside the added pages", p->off);
	q = find(w, t.ofsbase);
	if (!q->data)
		return fail("TCS 0x%" PRIx64 ": its thread-local page is not measured", p->off);
	*config = ((const struct ens_app_tls *)(const void *)q->data)->config;
	if (((const struct ens_app_tls *)(const void *)q->data)->tcs != p->off)
		return fail("TCS 0x%" PRIx64 ": its thread-local page names another TCS", p->off);
	return 0;
}

static int check_config(const struct walk *w, uint64_t config, size_t ntcs)
{
	const struct pg *p = find(w, config);
	struct ens_app_config_page c;
	uint64_t heap_pages = 0;

	if (!p || !p->data || p->flags != (ENS_SECINFO_REG | ENS_SECINFO_R))
		return fail("configuration page 0x%" PRIx64 " is not a measured read-only page", config);
	memcpy(&c, p->data, sizeof c);
	if (memcmp(c.magic, ENS_APP_CONFIG_MAGIC, 8) || c.version != 1)
		return fail("configuration page: bad magic or version");
	if (c.enclave_size != w->size || c.tcs != ntcs || c.ssaframesize != w->ssa)
		return fail("configuration page: size, TCS count or SSA frame size disagree with the stream");
	if (c.heap_added != (c.memory_model == 2 ? c.minheap : c.heap))
		return fail("configuration page: heap_added 0x%" PRIx64 " does not fit model %u", c.heap_added,
			    c.memory_model);
	for (size_t i = 0; i < w->n; i++) {
		uint64_t o = w->p[i].off;

		if (o >= c.heap_offset + c.heap_added)
			return fail("page 0x%" PRIx64 " is added above the pre-added heap", o);
		if (o >= c.heap_offset) {
			if (!is_reg(&w->p[i], ENS_SECINFO_R | ENS_SECINFO_W))
				return fail("heap page 0x%" PRIx64 " is not RW", o);
			heap_pages++;
		}
	}
	if (heap_pages * ENS_PAGE_SIZE != c.heap_added)
		return fail("%" PRIu64 " heap pages added, configuration says 0x%" PRIx64 " bytes", heap_pages,
			    c.heap_added);
	if (c.heap_offset + c.heap > w->size)
		return fail("the heap range ends above the enclave");
	printf("ok: size 0x%" PRIx64 ", %zu pages added, %zu TCS, model sgx%u, heap added 0x%" PRIx64 "\n",
	       w->size, w->n, ntcs, c.memory_model, c.heap_added);
	return 0;
}

int main(int argc, char **argv)
{
	struct walk w = { 0 };
	struct ens_layout_check lc;
	struct ens_sink mine, rules, tee;
	struct ens_tee t;
	struct ens_err err = { 0 };
	uint64_t config = UINT64_MAX;
	size_t ntcs = 0;
	int rc = 1;

	if (argc != 2)
		return fail("usage: app_layout_check FILE.sgxs");
	mine = (struct ens_sink){ .ctx = &w, .ecreate = on_ecreate, .page = on_page };
	ens_sink_check(&rules, &lc, true);
	t = (struct ens_tee){ { &rules, &mine }, 2 };
	ens_sink_tee(&tee, &t);
	if (ens_sgxs_read(argv[1], &(struct ens_sgxs_opts){ .canonical = true }, &tee, NULL, &err)) {
		fail("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		const struct pg *p = &w.p[i];
		uint64_t type = p->flags & ENS_SECINFO_PT_MASK, perm = p->flags & 7;

		if (type == ENS_SECINFO_TCS) {
			uint64_t c = 0;

			if (check_tcs(&w, p, &c))
				goto out;
			if (config != UINT64_MAX && c != config)
				{ fail("thread-local pages disagree on the configuration page"); goto out; }
			config = c;
			ntcs++;
		} else if ((perm & ENS_SECINFO_W) && !(perm & ENS_SECINFO_R)) {
			fail("page 0x%" PRIx64 " is writable but not readable", p->off);
			goto out;
		}
	}
	if (!ntcs) {
		fail("no TCS");
		goto out;
	}
	rc = check_config(&w, config, ntcs);
out:
	for (size_t i = 0; i < w.n; i++)
		free(w.p[i].data);
	free(w.p);
	return rc;
}
