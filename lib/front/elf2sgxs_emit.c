/* Front end, Fortanix EDP ELF: streams the planned layout (sgxs-format.md
 * §2.4) into a sink in address order: the loaded segments with patches,
 * the heap, then per thread the stack, TLS, TCS and SSA pages. */
#include <string.h>
#include "ensign/sgx.h"
#include "ensign/util.h"
#include "elf2sgxs_internal.h"

#define SECINFO_RW (ENS_SECINFO_REG | ENS_SECINFO_R | ENS_SECINFO_W)

static int push(struct ens_sink *sink, uint64_t off, uint64_t secinfo, const uint8_t *data, uint16_t mask,
		struct ens_err *err)
{
	struct ens_page pg = { .offset = off, .secinfo_flags = secinfo, .eextend_mask = mask,
			       .unmeasured_mask = 0, .added = true, .data = data };
	return sink->page(sink->ctx, &pg, err);
}

static int push_zero_run(struct ens_sink *sink, uint64_t off, uint64_t bytes, struct ens_err *err)
{
	return ens_sink_eadd_run(sink, off, (bytes + ENS_PAGE_SIZE - 1) / ENS_PAGE_SIZE, SECINFO_RW, NULL, err);
}

/* Copy the part of [lo, hi) that overlaps this page. */
static void overlap(uint64_t page, uint64_t lo, uint64_t hi, uint64_t *a, uint64_t *b)
{
	*a = lo > page ? lo : page;
	*b = hi < page + ENS_PAGE_SIZE ? hi : page + ENS_PAGE_SIZE;
}

static void apply_patches(const struct ens_elf2sgxs *e, uint64_t page, uint8_t *buf)
{
	for (unsigned i = 0; i < e->npatch; i++) {
		const struct e2s_patch *p = &e->patches[i];
		uint64_t a, b;
		if (p->no_write)
			continue;
		overlap(page, p->addr, p->addr + p->len, &a, &b);
		if (a >= b)
			continue;
		if (p->nop_fill) {
			memset(buf + (a - page), 0x90, b - a);
		} else {
			uint8_t v[8];
			ens_put_le64(v, p->value);
			memcpy(buf + (a - page), v + (a - p->addr), b - a);
		}
	}
}

static int emit_segment(const struct ens_elf2sgxs *e, const struct e2s_seg *s, struct ens_sink *sink,
			struct ens_err *err)
{
	uint8_t buf[ENS_PAGE_SIZE];
	for (uint64_t page = s->page_base; page < s->page_end; page += ENS_PAGE_SIZE) {
		uint64_t a, b;
		memset(buf, 0, sizeof buf);
		overlap(page, s->vaddr, s->data_end, &a, &b);
		if (a < b)
			memcpy(buf + (a - page), e->buf + s->offset + (a - s->vaddr), b - a);
		apply_patches(e, page, buf);
		if (push(sink, page, s->secinfo, buf, 0xffff, err))
			return -1;
	}
	return 0;
}

static int emit_thread(const struct ens_elf2sgxs *e, uint32_t index, struct ens_sink *sink, struct ens_err *err)
{
	const struct ens_elf2sgxs_layout *L = &e->L;
	uint64_t start = L->thread_start + (uint64_t)index * L->thread_size;
	uint64_t stack = start + ENS_FTX_THREAD_GUARD;
	uint64_t tls = stack + e->o.stack_size;
	uint64_t tcs_off = tls + ENS_FTX_TLS_SIZE;
	uint64_t ssa = tcs_off + ENS_PAGE_SIZE;
	uint8_t page[ENS_PAGE_SIZE];

	if (push_zero_run(sink, stack, e->o.stack_size, err))
		return -1;
	/* TLS: top of stack, then the "secondary thread" flag the runtime reads. */
	memset(page, 0, sizeof page);
	ens_put_le64(page, tls);
	ens_put_le64(page + 8, (index >= 1 && !e->o.library) ? 1 : 0);
	if (push(sink, tls, SECINFO_RW, page, 0xffff, err))
		return -1;

	struct ens_tcs tcs;
	memset(&tcs, 0, sizeof tcs);
	tcs.ossa = ssa;
	tcs.nssa = ENS_FTX_NSSA;
	tcs.oentry = L->entry;
	tcs.ofsbase = tls;
	tcs.ogsbase = tls;
	tcs.fslimit = 0xfff;
	tcs.gslimit = 0xfff;
	memcpy(page, &tcs, sizeof page);
	if (push(sink, tcs_off, ENS_SECINFO_TCS, page, 0xffff, err))
		return -1;
	return push_zero_run(sink, ssa, (uint64_t)ENS_FTX_NSSA * e->o.ssaframesize * ENS_PAGE_SIZE, err);
}

int e2s_emit(struct ens_elf2sgxs *e, struct ens_sink *sink, struct ens_err *err)
{
	if (sink->ecreate(sink->ctx, e->L.ssaframesize, e->L.enclave_size, err))
		return -1;
	for (unsigned i = 0; i < e->nseg; i++)
		if (emit_segment(e, &e->segs[i], sink, err))
			return -1;
	if (push_zero_run(sink, e->L.heap_addr, e->o.heap_size, err))
		return -1;
	for (uint32_t t = 0; t < e->o.threads; t++)
		if (emit_thread(e, t, sink, err))
			return -1;
	return 0;
}
