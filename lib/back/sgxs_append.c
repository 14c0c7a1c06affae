/* Back end, sgxs-append (sgxs-format.md §3): finalizes an unsized SGXS and
 * appends files after its last page. The input is checked with the canonical
 * SGXS reader, then copied record by record (UNSIZED becomes ECREATE, the
 * size slot is patched); appended pages go through the SGXS writer sink. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ensign/fortanix.h"
#include "ensign/sgx.h"
#include "ensign/sgxs.h"
#include "ensign/util.h"

/* ---- pass 1: what the input holds ---- */
struct scan {
	uint64_t slot;
	uint64_t last_page;
	bool any_page;
	bool slot_page_seen, slot_measured;
};
static int scan_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err) { return 0; }
static int scan_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct scan *s = ctx;
	s->last_page = pg->offset;
	s->any_page = true;
	if (s->slot >= pg->offset && s->slot - pg->offset < ENS_PAGE_SIZE) {
		unsigned chunk = (unsigned)((s->slot - pg->offset) / ENS_CHUNK_SIZE);
		s->slot_page_seen = true;
		s->slot_measured = (pg->eextend_mask >> chunk) & 1;
	}
	return 0;
}

/* ---- the placement engine, run twice: dry (sizes only), then for real ---- */
struct engine {
	const struct ens_append_opts *o;
	bool dry;
	struct ens_sink *sink;
	struct ens_append_result *res;
	uint64_t cur;
	bool first, have_prev, prev_measured;
	uint64_t prev_perms;
	/* the pending page */
	uint64_t base, perms;
	bool has;
	uint16_t meas, unmeas;
	uint8_t data[ENS_PAGE_SIZE];
};

static uint64_t round_up(uint64_t x, uint64_t a, bool *overflow)
{
	uint64_t r = (x + a - 1) & ~(a - 1);
	if (r < x)
		*overflow = true;
	return r;
}

static int flush(struct engine *g, uint64_t perms, struct ens_err *err)
{
	if (!g->has)
		return 0;
	if (perms != g->perms)
		g->res->perm_bug_changed = true;
	uint16_t all = g->meas | g->unmeas;
	if (g->meas && g->meas != 0xffff) {
		g->res->partial_pages++;
		if (!g->dry && g->o->warn_partial)
			g->o->warn_partial(g->o->warn_ctx, g->base, g->meas);
	}
	if (!g->dry && g->o->compat_permission_bug && (all & (all + 1)) && g->o->warn_compat) {
		char msg[200];
		snprintf(msg, sizeof msg,
			 "page 0x%llx has a chunk without data before a chunk with data: upstream sgxs-append would record shifted data there; ensign writes the real bytes",
			 (unsigned long long)g->base);
		g->o->warn_compat(g->o->warn_ctx, msg);
	}
	if (!g->dry) {
		struct ens_page pg = { .offset = g->base, .secinfo_flags = ENS_SECINFO_REG | perms,
				       .eextend_mask = g->meas, .unmeasured_mask = g->unmeas,
				       .added = true, .data = g->data };
		if (g->sink->page(g->sink->ctx, &pg, err))
			return -1;
	}
	g->res->pages_added++;
	g->res->end = g->base + ENS_PAGE_SIZE;
	g->has = false;
	g->meas = g->unmeas = 0;
	memset(g->data, 0, sizeof g->data);
	return 0;
}

static int place_file(struct engine *g, const struct ens_append_item *it, FILE *f, uint64_t size,
		      struct ens_err *err)
{
	uint64_t align = ENS_PAGE_SIZE;
	bool overflow = false;
	if (g->have_prev && it->secinfo_perms == g->prev_perms)
		align = it->measured == g->prev_measured ? 1 : ENS_CHUNK_SIZE;
	g->cur = round_up(g->cur, align, &overflow);
	/* Starting a file past the pending page writes it; upstream gives it the
	 * permissions of the file being started (the permission bug). */
	if (g->has && g->cur >= g->base + ENS_PAGE_SIZE) {
		if (!g->dry && !g->o->compat_permission_bug && it->secinfo_perms != g->perms && g->o->warn_compat) {
			char msg[200];
			snprintf(msg, sizeof msg,
				 "page 0x%llx keeps the permissions of its data; upstream sgxs-append gives it those of '%s' (see --compat-permission-bug)",
				 (unsigned long long)g->base, it->path);
			g->o->warn_compat(g->o->warn_ctx, msg);
		}
		if (flush(g, g->o->compat_permission_bug ? it->secinfo_perms : g->perms, err))
			return -1;
	}
	uint64_t left = size;
	while (left) {
		if (g->has && g->cur >= g->base + ENS_PAGE_SIZE && flush(g, g->perms, err))
			return -1;
		if (!g->has)
			g->base = g->cur & ~(uint64_t)(ENS_PAGE_SIZE - 1);
		uint64_t in_page = g->cur - g->base;
		uint64_t n = ENS_PAGE_SIZE - in_page;
		if (n > left)
			n = left;
		if (!g->dry && fread(g->data + in_page, 1, n, f) != n)
			return ens_fail(err, ENS_E_IO, "'%s': file changed or unreadable while appending", it->path);
		for (uint64_t c = in_page / ENS_CHUNK_SIZE; c <= (in_page + n - 1) / ENS_CHUNK_SIZE; c++) {
			if (it->measured)
				g->meas |= (uint16_t)(1u << c);
			else
				g->unmeas |= (uint16_t)(1u << c);
		}
		g->has = true;
		g->perms = it->secinfo_perms;
		if (__builtin_add_overflow(g->cur, n, &g->cur))
			overflow = true;
		left -= n;
	}
	if (overflow)
		return ens_fail(err, ENS_E_FORMAT, "'%s': appended data would pass the end of the address space", it->path);
	g->have_prev = true;
	g->prev_perms = it->secinfo_perms;
	g->prev_measured = it->measured;
	return 0;
}

static int run_engine(struct engine *g, const uint64_t *sizes, struct ens_err *err)
{
	for (unsigned i = 0; i < g->o->nitems; i++) {
		const struct ens_append_item *it = &g->o->items[i];
		if (it->is_align) {
			bool overflow = false;
			g->cur = round_up(g->cur, it->align, &overflow);
			if (overflow)
				return ens_fail(err, ENS_E_USAGE, "-align %llu passes the end of the address space",
						(unsigned long long)it->align);
			continue;
		}
		FILE *f = NULL;
		if (!g->dry && !(f = fopen(it->path, "rb")))
			return ens_fail_errno(err, "cannot open '%s'", it->path);
		int rc = place_file(g, it, f, sizes[i], err);
		if (f)
			fclose(f);
		if (rc)
			return -1;
	}
	return flush(g, g->perms, err);
}

/* ---- pass 2: copy the input records, finalized ---- */
static int copy_input(const char *path, FILE *out, uint64_t size, uint64_t slot, struct ens_err *err)
{
	FILE *in = fopen(path, "rb");
	if (!in)
		return ens_fail_errno(err, "cannot open '%s'", path);
	uint8_t rec[64 + ENS_CHUNK_SIZE];
	bool first = true, patched = false;
	size_t got;
	int rc = 0;
	while ((got = fread(rec, 1, 64, in)) == 64) {
		uint64_t tag = ens_get_le64(rec);
		size_t len = 64;
		if (first) {
			if (tag != ENS_TAG_UNSIZED) {
				rc = ens_fail(err, ENS_E_FORMAT, "'%s' changed while appending", path);
				break;
			}
			uint32_t ssa = ens_get_le32(rec + 8);
			memset(rec, 0, 64);
			ens_put_le64(rec, ENS_TAG_ECREATE);
			ens_put_le32(rec + 8, ssa);
			ens_put_le64(rec + 12, size);
			first = false;
		} else if (tag == ENS_TAG_EEXTEND || tag == ENS_TAG_UNMEASRD) {
			if (fread(rec + 64, 1, ENS_CHUNK_SIZE, in) != ENS_CHUNK_SIZE) {
				rc = ens_fail(err, ENS_E_FORMAT, "'%s': truncated record", path);
				break;
			}
			len += ENS_CHUNK_SIZE;
			uint64_t chunk = ens_get_le64(rec + 8);
			if (tag == ENS_TAG_EEXTEND && slot >= chunk && slot - chunk < ENS_CHUNK_SIZE) {
				ens_put_le64(rec + 64 + (slot - chunk), size);
				patched = true;
			}
		}
		if (fwrite(rec, 1, len, out) != len) {
			rc = ens_fail_errno(err, "write failed");
			break;
		}
	}
	if (!rc && (ferror(in) || got != 0))
		rc = ens_fail(err, ENS_E_FORMAT, "'%s': truncated record", path);
	if (!rc && !patched)
		rc = ens_fail(err, ENS_E_FORMAT, "'%s' changed while appending", path);
	fclose(in);
	return rc;
}

int ens_sgxs_append(const char *in_path, const struct ens_append_opts *o, FILE *out,
		    struct ens_append_result *res, struct ens_err *err)
{
	struct ens_append_result dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof *res);

	struct ens_sgxs_opts ro = { .canonical = true, .allow_unsized = true };
	struct ens_sgxs_summary sum;
	struct scan sc = { 0 };
	struct ens_sink scan_sink = { .ctx = &sc, .ecreate = scan_ecreate, .page = scan_page };
	/* The slot is only known from the header; read it first. */
	{
		FILE *f = fopen(in_path, "rb");
		uint8_t hdr[64];
		if (!f)
			return ens_fail_errno(err, "cannot open '%s'", in_path);
		size_t n = fread(hdr, 1, sizeof hdr, f);
		fclose(f);
		if (n != sizeof hdr || ens_get_le64(hdr) != ENS_TAG_UNSIZED)
			return ens_fail(err, ENS_E_FORMAT, "'%s': can only append to unsized SGXS files (the first record is not UNSIZED)", in_path);
		sc.slot = ens_get_le64(hdr + 12);
	}
	if (sc.slot % 8)
		return ens_fail(err, ENS_E_FORMAT, "'%s': the unsized size slot 0x%llx is not 8-byte aligned",
				in_path, (unsigned long long)sc.slot);
	if (ens_sgxs_read(in_path, &ro, &scan_sink, &sum, err))
		return -1;
	if (!sum.unsized)
		return ens_fail(err, ENS_E_FORMAT, "'%s': can only append to unsized SGXS files", in_path);
	if (!sc.slot_page_seen || !sc.slot_measured)
		return ens_fail(err, ENS_E_FORMAT, "'%s': the size slot 0x%llx is not inside a measured (EEXTEND) chunk",
				in_path, (unsigned long long)sc.slot);

	uint64_t *sizes = calloc(o->nitems ? o->nitems : 1, sizeof *sizes);
	if (!sizes)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	int rc = -1;
	for (unsigned i = 0; i < o->nitems; i++) {
		const struct ens_append_item *it = &o->items[i];
		struct stat st;
		if (it->is_align) {
			if (!ens_is_pow2(it->align)) {
				ens_fail(err, ENS_E_USAGE, "-align %llu is not a power of two", (unsigned long long)it->align);
				goto out;
			}
			continue;
		}
		FILE *f = fopen(it->path, "rb");
		if (!f) {
			ens_fail_errno(err, "cannot open '%s'", it->path);
			goto out;
		}
		int sr = fstat(fileno(f), &st);
		fclose(f);
		if (sr != 0 || !S_ISREG(st.st_mode)) {
			ens_fail(err, ENS_E_IO, "'%s' is not a regular file", it->path);
			goto out;
		}
		sizes[i] = (uint64_t)st.st_size;
	}

	uint64_t start = (sc.any_page ? sc.last_page : 0) + ENS_PAGE_SIZE;
	struct engine *g = calloc(1, sizeof *g);
	if (!g) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	g->o = o;
	g->dry = true;
	g->res = res;
	g->cur = start;
	res->old_end = res->end = start;
	if (run_engine(g, sizes, err)) {
		free(g);
		goto out;
	}
	res->size = ens_next_pow2(res->end);
	if (res->size == 0) {
		free(g);
		ens_fail(err, ENS_E_FORMAT, "the enclave size overflows");
		goto out;
	}
	uint64_t size = res->size;

	if (copy_input(in_path, out, size, sc.slot, err) == 0) {
		struct ens_sgxs_writer w = { .f = out };
		struct ens_sink sink;
		ens_sink_sgxs_writer(&sink, &w);
		struct ens_append_result real = { 0 };
		memset(g, 0, sizeof *g);
		g->o = o;
		g->sink = &sink;
		g->res = &real;
		g->cur = start;
		real.old_end = real.end = start;
		if (run_engine(g, sizes, err) == 0) {
			if (w.failed)
				ens_fail_errno(err, "write failed");
			else if (real.end != res->end)
				ens_fail(err, ENS_E_IO, "an appended file changed while appending");
			else {
				*res = real;
				res->size = size;
				rc = 0;
			}
		}
	}
	free(g);
out:
	free(sizes);
	return rc;
}
