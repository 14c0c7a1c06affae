/* Gramine front end, layout and page stream (gramine-format.md §4): the
 * areas of `gramine-sgx-sign` packed downward from the end of the enclave
 * (manifest, SSA, TCS, TLS, stacks, signal stacks, libpal), then the
 * unmeasured heap. Every area is computed arithmetically, so neither the
 * enclave size nor the number of threads changes the memory used: TCS and TLS
 * pages are built one at a time, libpal pages are read one at a time. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ensign/gramine.h"
#include "ensign/progress.h"
#include "ensign/measure.h"
#include "ensign/util.h"

#define PG ENS_PAGE_SIZE
#define F_R ENS_SECINFO_R
#define F_W ENS_SECINFO_W
#define F_X ENS_SECINFO_X
#define F_REG ENS_SECINFO_REG
#define F_TCS ENS_SECINFO_TCS

static uint64_t down(uint64_t x) { return x & ~(uint64_t)(PG - 1); }
static uint64_t up(uint64_t x) { return down(x + PG - 1); }

struct layout {
	uint64_t E, T, msize;		/* msize: manifest area, page-rounded */
	uint64_t manifest, ssa, tcs, tls, stacks, sigstacks;	/* lowest address of each group */
	uint64_t pal, pal_size, low;	/* low: the last placed address */
	bool pal_fixed;
};

static const char too_small[] = "Enclave size is not large enough";

/* Place 'count' areas of 'size' bytes each below *top. */
static int place(uint64_t *top, uint64_t count, uint64_t size, uint64_t *addr, struct ens_err *err)
{
	uint64_t room = *top - ENS_GR_HEAP_MIN;

	if (*top < ENS_GR_HEAP_MIN || (size && count > room / size))
		return ens_fail(err, ENS_E_FORMAT, "sgx.enclave_size 0x%" PRIx64 ": %s", *top, too_small);
	*top -= count * size;
	*addr = *top;
	return 0;
}

static int plan(const struct ens_gr_layout_in *in, const struct ens_gr_pal *pal, struct layout *l,
		struct ens_err *err)
{
	uint64_t top;

	memset(l, 0, sizeof *l);
	l->E = in->enclave_size;
	l->T = in->max_threads;
	if (in->manifest_len > UINT64_MAX - 2 * PG)
		return ens_fail(err, ENS_E_FORMAT, "manifest too large");
	l->msize = up(in->manifest_len + 1);
	top = l->E;
	if (top < ENS_GR_HEAP_MIN || l->msize > top - ENS_GR_HEAP_MIN)
		return ens_fail(err, ENS_E_FORMAT, "sgx.enclave_size 0x%" PRIx64 ": %s", l->E, too_small);
	top -= l->msize;
	l->manifest = top;
	if (place(&top, l->T, ENS_GR_SSA_FRAME_SIZE * ENS_GR_SSA_FRAME_NUM, &l->ssa, err) ||
	    place(&top, l->T, ENS_GR_TCS_SIZE, &l->tcs, err) || place(&top, l->T, PG, &l->tls, err) ||
	    place(&top, l->T, ENS_GR_STACK_SIZE, &l->stacks, err) ||
	    place(&top, l->T, ENS_GR_SIG_STACK_SIZE, &l->sigstacks, err))
		goto small;
	l->pal_size = pal->mapend - pal->mapaddr;
	if (pal->mapaddr > 0) {
		l->pal_fixed = true;
		l->pal = pal->mapaddr;
	} else if (place(&top, 1, l->pal_size, &l->pal, err)) {
		goto small;
	}
	l->low = top;
	/* Every area must lie below the heap or at or above heap_max = pal. */
	if (l->pal_fixed && l->low < l->pal)
		return ens_fail(err, ENS_E_FORMAT, "libpal '%s' is linked at 0x%" PRIx64 ", above the other areas "
				"(Unexpected memory area is in heap range)", pal->path, l->pal);
	return 0;
small:
	return ens_fail(err, ENS_E_FORMAT, "sgx.enclave_size 0x%" PRIx64 " with %" PRIu64 " threads (sgx.max_threads): %s", l->E, l->T,
			too_small);
}

static void report(const struct ens_gr_report *rep, uint64_t start, uint64_t size, uint64_t flags,
		   const char *desc, bool measured)
{
	struct ens_gr_area a = { .start = start, .end = start + size, .flags = flags, .desc = desc,
				 .measured = measured };

	if (rep && rep->area)
		rep->area(rep->ctx, &a);
}

struct out {
	struct ens_sink *sink;
	uint64_t E;
	struct ens_err *err;
};

static int page(struct out *o, uint64_t addr, uint64_t flags, const uint8_t *data, bool measured)
{
	struct ens_page pg = { .offset = addr, .secinfo_flags = flags, .eextend_mask = measured ? 0xffff : 0,
			       .added = true, .data = data };

	if (addr >= o->E)
		return ens_fail(o->err, ENS_E_FORMAT, "page 0x%" PRIx64 " lies outside the enclave (size 0x%" PRIx64 ")",
				addr, o->E);
	return o->sink->page(o->sink->ctx, &pg, o->err);
}

/* Zero pages from addr: EADD-only runs (the heap: 16.7 M pages at 64 GiB) go
 * to the sink as one run (ens_sink_eadd_run), measured ones page by page. */
static int zeros(struct out *o, uint64_t addr, uint64_t bytes, uint64_t flags, bool measured)
{
	struct ens_page pg = { .secinfo_flags = flags, .eextend_mask = 0xffff, .added = true };

	if (bytes && (addr >= o->E || bytes > o->E - addr))
		return page(o, o->E, flags, NULL, measured);	/* the "outside the enclave" error */
	if (!measured)
		return ens_sink_eadd_run(o->sink, addr, bytes / PG, flags, NULL, o->err);
	for (uint64_t a = addr; a < addr + bytes; a += PG) {
		pg.offset = a;
		if (o->sink->page(o->sink->ctx, &pg, o->err))
			return -1;
	}
	return 0;
}

static int pal_segment(struct out *o, const struct ens_gr_pal *pal, const struct ens_gr_load *ld, uint64_t base,
		       const struct ens_gr_report *rep, uint8_t *buf)
{
	uint64_t flags = F_REG | ((ld->flags & 4) ? F_R : 0) | ((ld->flags & 2) ? F_W : 0) |
			 ((ld->flags & 1) ? F_X : 0);
	uint64_t a = base + ld->vaddr, m_addr = down(a), m_end = up(a + ld->memsz), f_addr = down(ld->offset);
	uint64_t fend = ld->offset + ld->filesz;	/* bytes at or above are zero */

	report(rep, m_addr, m_end - m_addr, flags, (flags & F_X) ? "code" : "data", true);
	for (uint64_t p = m_addr; p < m_end; p += PG) {
		uint64_t start = p - m_addr + f_addr, end = start + PG;
		uint64_t s = start < ld->offset ? ld->offset : start;
		uint64_t e = end > fend ? fend : end;

		memset(buf, 0, PG);
		if (ld->filesz && fend < ld->offset)
			return ens_fail(o->err, ENS_E_FORMAT, "libpal '%s': a PT_LOAD segment runs past the end of "
					"the file (wrong calculation)", pal->path);
		if (s < e) {
			if (e > pal->file_size || pread(pal->fd, buf + (s - start), e - s, (off_t)s) != (ssize_t)(e - s))
				return ens_fail(o->err, ENS_E_FORMAT, "libpal '%s': a PT_LOAD segment runs past the end "
						"of the file (wrong calculation)", pal->path);
		}
		if (page(o, p, flags, buf, true))
			return -1;
	}
	return 0;
}

int ens_gr_stream(const struct ens_gr_layout_in *in, struct ens_gr_pal *pal, struct ens_sink *sink,
		  const struct ens_gr_report *rep, struct ens_err *err)
{
	struct layout l;
	struct out o = { .sink = sink, .err = err };
	struct ens_progress prog;
	uint8_t *buf;
	int rc = -1;

	if (plan(in, pal, &l, err))
		return -1;
	o.E = l.E;
	buf = aligned_alloc(64, PG);
	if (!buf)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (rep && rep->memory)
		rep->memory(rep->ctx);
	ens_progress_start(&prog, l.E, l.E / PG);
	o.sink = sink = ens_progress_sink(&prog, sink);
	if (sink->ecreate(sink->ctx, (uint32_t)(ENS_GR_SSA_FRAME_SIZE / PG), l.E, err))
		goto out;

	/* manifest: the bytes, one NUL, zeros */
	for (uint64_t off = 0; off < l.msize; off += PG) {
		memset(buf, 0, PG);
		if (off < in->manifest_len)
			memcpy(buf, in->manifest + off, in->manifest_len - off < PG ? in->manifest_len - off : PG);
		if (page(&o, l.manifest + off, F_R | F_REG, buf, true))
			goto out;
	}
	report(rep, l.manifest, l.msize, F_R | F_REG, "manifest", true);
	if (zeros(&o, l.ssa, l.T * ENS_GR_SSA_FRAME_SIZE * ENS_GR_SSA_FRAME_NUM, F_R | F_W | F_REG, true))
		goto out;
	report(rep, l.ssa, l.T * ENS_GR_SSA_FRAME_SIZE * ENS_GR_SSA_FRAME_NUM, F_R | F_W | F_REG, "ssa", true);
	for (uint64_t t = 0; t < l.T; t++) {
		struct ens_gr_tcs *tcs = (struct ens_gr_tcs *)buf;
		uint64_t ssa_t = l.ssa + t * ENS_GR_SSA_FRAME_SIZE * ENS_GR_SSA_FRAME_NUM;

		memset(buf, 0, PG);
		tcs->ossa = ssa_t;
		tcs->nssa = ENS_GR_SSA_FRAME_NUM;
		tcs->oentry = l.pal + pal->entry;	/* base added twice for a fixed pal (§4.4) */
		tcs->ogs_base = l.tls + t * PG;
		tcs->ofs_limit = 0xfff;
		tcs->ogs_limit = 0xfff;
		if (page(&o, l.tcs + t * ENS_GR_TCS_SIZE, F_TCS, buf, true))
			goto out;
	}
	report(rep, l.tcs, l.T * ENS_GR_TCS_SIZE, F_TCS, "tcs", true);
	for (uint64_t t = 0; t < l.T; t++) {
		struct ens_gr_tls *tls = (struct ens_gr_tls *)buf;
		uint64_t ssa_t = l.ssa + t * ENS_GR_SSA_FRAME_SIZE * ENS_GR_SSA_FRAME_NUM;
		uint64_t stack_t = l.tls - (t + 1) * ENS_GR_STACK_SIZE;
		uint64_t sig_t = l.stacks - (t + 1) * ENS_GR_SIG_STACK_SIZE;

		memset(buf, 0, PG);
		tls->self = l.tls + t * PG;
		tls->canary = ENS_GR_CANARY;
		tls->enclave_size = l.E;
		tls->tcs_offset = l.tcs + t * ENS_GR_TCS_SIZE;
		tls->initial_stack_addr = stack_t + ENS_GR_STACK_SIZE;
		tls->sig_stack_low = sig_t;
		tls->sig_stack_high = sig_t + ENS_GR_SIG_STACK_SIZE;
		tls->ssa = ssa_t;
		tls->gpr = ssa_t + ENS_GR_SSA_FRAME_SIZE - ENS_GR_GPR_SIZE;
		tls->manifest_size = in->manifest_len + 1;
		tls->heap_min = ENS_GR_HEAP_MIN;
		tls->heap_max = l.pal;
		if (page(&o, l.tls + t * PG, F_R | F_W | F_REG, buf, true))
			goto out;
	}
	report(rep, l.tls, l.T * PG, F_R | F_W | F_REG, "tls", true);
	for (uint64_t t = 0; t < l.T; t++) {	/* stack 0 is the highest */
		uint64_t a = l.tls - (t + 1) * ENS_GR_STACK_SIZE;
		if (zeros(&o, a, ENS_GR_STACK_SIZE, F_R | F_W | F_REG, true))
			goto out;
		report(rep, a, ENS_GR_STACK_SIZE, F_R | F_W | F_REG, "stack", true);
	}
	for (uint64_t t = 0; t < l.T; t++) {
		uint64_t a = l.stacks - (t + 1) * ENS_GR_SIG_STACK_SIZE;
		if (zeros(&o, a, ENS_GR_SIG_STACK_SIZE, F_R | F_W | F_REG, true))
			goto out;
		report(rep, a, ENS_GR_SIG_STACK_SIZE, F_R | F_W | F_REG, "sig_stack", true);
	}
	for (size_t i = 0; i < pal->nload; i++)
		if (pal_segment(&o, pal, &pal->load[i], l.pal - pal->mapaddr, rep, buf))
			goto out;
	if (!in->edmm) {
		uint64_t low = l.low;
		const uint64_t fl = F_R | F_W | F_X | F_REG;

		/* Of the areas, only a pal at a fixed address can end below the last placed one. */
		if (l.pal_fixed && l.pal + l.pal_size < low) {
			if (zeros(&o, l.pal + l.pal_size, low - (l.pal + l.pal_size), fl, false))
				goto out;
			report(rep, l.pal + l.pal_size, low - (l.pal + l.pal_size), fl, "free", false);
			low = l.pal;
		}
		if (low > ENS_GR_HEAP_MIN) {
			if (zeros(&o, ENS_GR_HEAP_MIN, low - ENS_GR_HEAP_MIN, fl, false))
				goto out;
			report(rep, ENS_GR_HEAP_MIN, low - ENS_GR_HEAP_MIN, fl, "free", false);
		}
	}
	rc = 0;
out:
	ens_progress_finish(&prog);
	free(buf);
	return rc;
}

int ens_gr_mrenclave(const struct ens_gr_layout_in *in, struct ens_gr_pal *pal, const struct ens_gr_report *rep,
		     uint8_t mrenclave[32], struct ens_err *err)
{
	struct ens_measure *m = malloc(sizeof *m);
	struct ens_sink sink;
	int rc = -1;

	if (!m)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (ens_measure_init(m, err) == 0) {
		ens_sink_measure(&sink, m);
		if (ens_gr_stream(in, pal, &sink, rep, err) == 0 && ens_measure_final(m, mrenclave, err) == 0)
			rc = 0;
		ens_measure_free(m);
	}
	free(m);
	return rc;
}

/* Python int(s, 0): optional surrounding blanks and sign, 0x/0o/0b prefixes
 * (one '_' may follow the prefix), single '_' between digits, decimal
 * without leading zeros (except all zeros). -1 invalid, -2 too large. */
static int py_int0(const char *s, size_t n, bool *neg, uint64_t *out)
{
	size_t i = 0;
	unsigned base = 10;
	uint64_t v = 0;
	bool zero_lead;

	while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
		n--;
	while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
		i++;
	*neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0' && s[i + 1] && strchr("xXoObB", s[i + 1])) {
		char c = s[i + 1];
		base = (c == 'x' || c == 'X') ? 16 : (c == 'o' || c == 'O') ? 8 : 2;
		i += 2;
		if (i < n && s[i] == '_')
			i++;
	}
	if (i >= n)
		return -1;
	zero_lead = base == 10 && s[i] == '0';
	for (;;) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (d >= base || (zero_lead && d))
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
		if (++i == n)
			break;
		if (s[i] == '_' && ++i == n)
			return -1;
	}
	*out = v;
	return 0;
}

int ens_gr_parse_size(const char *s, uint64_t *out, struct ens_err *err)
{
	size_t n = strlen(s);
	uint64_t scale = 1, v;
	bool neg;
	int rc;

	if (n && (s[n - 1] == 'K' || s[n - 1] == 'M' || s[n - 1] == 'G')) {
		scale = s[n - 1] == 'K' ? 1ull << 10 : s[n - 1] == 'M' ? 1ull << 20 : 1ull << 30;
		n--;
	}
	rc = py_int0(s, n, &neg, &v);
	if (rc == -1)
		return ens_fail(err, ENS_E_FORMAT, "invalid literal for int() with base 0: '%.*s'", (int)n, s);
	if (rc == -2 || v > UINT64_MAX / scale)
		return ens_fail(err, ENS_E_FORMAT, "size '%s' does not fit 64 bits", s);
	if (neg && v)
		return ens_fail(err, ENS_E_FORMAT, "size '%s' is negative (%s)", s, too_small);
	*out = v * scale;
	return 0;
}
