/* SGXS front end (sgxs-format.md §1): streams a sized SGXS/ESGXS file record by
 * record, assembling one page at a time, and pushes pages into a sink. The
 * canonical rules are checked with a message naming the record's file offset. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include "ensign/measure.h"
#include "ensign/progress.h"
#include "ensign/sgxs.h"
#include "ensign/util.h"

struct reader {
	const char *name;
	const struct ens_sgxs_opts *o;
	struct ens_sink *sink;
	struct ens_sgxs_summary *sum;
	struct ens_page pg;
	uint8_t data[ENS_PAGE_SIZE];
	bool pending;
	uint64_t last_eadd;
	bool any_eadd;
};

static int flush_page(struct reader *r, struct ens_err *err)
{
	if (!r->pending)
		return 0;
	r->pending = false;
	return r->sink->page(r->sink->ctx, &r->pg, err);
}

static int read_full(FILE *f, uint8_t *buf, size_t len, const char *name, uint64_t at, struct ens_err *err)
{
	size_t n = fread(buf, 1, len, f);

	if (n == len)
		return 1;
	if (ferror(f))
		return ens_fail_errno(err, "cannot read '%s'", name);
	if (n == 0 && len == 64)
		return 0;	/* clean end of file */
	return ens_fail(err, ENS_E_FORMAT, "'%s': truncated record at file offset %" PRIu64 " (%zu of %zu bytes)",
			name, at, n, len);
}

int ens_sgxs_read_stream(FILE *f, const char *name, const struct ens_sgxs_opts *o,
			 struct ens_sink *sink, struct ens_sgxs_summary *sum_out, struct ens_err *err)
{
	static const struct ens_sgxs_opts defaults = { .canonical = true };
	struct ens_sgxs_summary sum_local;
	struct reader r = { .name = name, .o = o ? o : &defaults, .sink = sink };
	uint8_t rec[64], chunk[256];
	uint64_t at = 0;
	bool have_header = false;

	r.sum = sum_out ? sum_out : &sum_local;
	memset(r.sum, 0, sizeof *r.sum);
	for (;;) {
		int got = read_full(f, rec, 64, name, at, err);
		uint64_t tag, off;

		if (got < 0)
			return -1;
		if (got == 0)
			break;
		tag = ens_get_le64(rec);
		off = ens_get_le64(rec + 8);
		if (tag == ENS_TAG_ECREATE || tag == ENS_TAG_UNSIZED) {
			uint32_t ssa = ens_get_le32(rec + 8);
			uint64_t size = ens_get_le64(rec + 12);

			if (have_header)
				return ens_fail(err, ENS_E_FORMAT, "'%s': duplicate %s at file offset %" PRIu64,
						name, tag == ENS_TAG_ECREATE ? "ECREATE" : "UNSIZED", at);
			have_header = true;
			r.sum->ssaframesize = ssa;
			if (tag == ENS_TAG_UNSIZED) {
				r.sum->unsized = true;
				r.sum->unsized_slot = size;
				if (!r.o->allow_unsized)
					return ens_fail(err, ENS_E_FORMAT, "'%s' is an UNSIZED SGXS stream: finalize it "
							"first (ensign append -i '%s')", name, name);
				/* An unsized stream has no size yet: tell the sink the largest. */
				size = UINT64_C(1) << 63;
			} else {
				r.sum->size = size;
			}
			if (sink->ecreate(sink->ctx, ssa, size, err))
				return ens_err_prefix(err, "'%s': at file offset %" PRIu64, name, at);
		} else if (!have_header) {
			return ens_fail(err, ENS_E_FORMAT, "'%s': the first record is not ECREATE (tag 0x%016" PRIx64 ")",
					name, tag);
		} else if (tag == ENS_TAG_EADD) {
			if (flush_page(&r, err))
				return ens_err_prefix(err, "'%s'", name);
			if (off & (ENS_PAGE_SIZE - 1))
				return ens_fail(err, ENS_E_FORMAT, "'%s': EADD offset 0x%" PRIx64 " at file offset %" PRIu64
						" is not page-aligned", name, off, at);
			if (r.o->canonical && r.any_eadd && off <= r.last_eadd)
				return ens_fail(err, ENS_E_FORMAT, "'%s': EADD offset 0x%" PRIx64 " at file offset %" PRIu64
						" is not above the previous page 0x%" PRIx64 " (not canonical)",
						name, off, at, r.last_eadd);
			r.any_eadd = true;
			r.last_eadd = off;
			memset(&r.pg, 0, sizeof r.pg);
			r.pg.offset = off;
			r.pg.secinfo_flags = ens_get_le64(rec + 16);
			r.pg.added = true;
			r.pg.data = NULL;	/* a zero page until its first chunk */
			r.pending = true;
			r.sum->n_eadd++;
		} else if (tag == ENS_TAG_EEXTEND || tag == ENS_TAG_UNMEASRD) {
			const char *what = tag == ENS_TAG_EEXTEND ? "EEXTEND" : "UNMEASRD";
			unsigned idx;
			uint16_t bit;
			int g = read_full(f, chunk, 256, name, at, err);

			if (g <= 0)
				return g < 0 ? -1 : ens_fail(err, ENS_E_FORMAT, "'%s': truncated %s at file offset %" PRIu64,
							     name, what, at);
			if (!r.pending)
				return ens_fail(err, ENS_E_FORMAT, "'%s': %s at file offset %" PRIu64 " has no EADD before it",
						name, what, at);
			if (off & (ENS_CHUNK_SIZE - 1))
				return ens_fail(err, ENS_E_FORMAT, "'%s': %s offset 0x%" PRIx64 " at file offset %" PRIu64
						" is not 256-byte aligned", name, what, off, at);
			if ((off & ~(uint64_t)(ENS_PAGE_SIZE - 1)) != r.pg.offset)
				return ens_fail(err, ENS_E_FORMAT, "'%s': %s offset 0x%" PRIx64 " at file offset %" PRIu64
						" is outside its EADD page 0x%" PRIx64, name, what, off, at, r.pg.offset);
			idx = (unsigned)((off & (ENS_PAGE_SIZE - 1)) / ENS_CHUNK_SIZE);
			bit = (uint16_t)(1u << idx);
			if ((r.pg.eextend_mask | r.pg.unmeasured_mask) & bit)
				return ens_fail(err, ENS_E_FORMAT, "'%s': chunk 0x%" PRIx64 " at file offset %" PRIu64
						" appears twice", name, off, at);
			if (!r.pg.data) {
				memset(r.data, 0, sizeof r.data);
				r.pg.data = r.data;
			}
			memcpy(r.data + idx * ENS_CHUNK_SIZE, chunk, 256);
			r.pg.chunk_order[r.pg.n_chunk_order++] = (uint8_t)idx;
			if (tag == ENS_TAG_EEXTEND) {
				r.pg.eextend_mask |= bit;
				r.sum->n_eextend++;
			} else {
				r.pg.unmeasured_mask |= bit;
				r.sum->n_unmeasrd++;
			}
			at += 256;
		} else {
			return ens_fail(err, ENS_E_FORMAT, "'%s': unknown record tag 0x%016" PRIx64 " at file offset %" PRIu64,
					name, tag, at);
		}
		at += 64;
	}
	if (!have_header)
		return ens_fail(err, ENS_E_FORMAT, "'%s' is empty: no ECREATE record", name);
	if (flush_page(&r, err))
		return ens_err_prefix(err, "'%s'", name);
	return 0;
}

int ens_sgxs_read(const char *path, const struct ens_sgxs_opts *o, struct ens_sink *sink,
		  struct ens_sgxs_summary *sum, struct ens_err *err)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return ens_fail_errno(err, "cannot open '%s'", path);
	rc = ens_sgxs_read_stream(f, path, o, sink, sum, err);
	fclose(f);
	return rc;
}

/* ---- MRENCLAVE at the speed of the hash ----
 * The records are parsed in place in large reads and the same bytes go to
 * SHA-256 in file order (sgxs-format.md §1.3): one update per stretch of
 * measured records, broken only by an UNMEASRD record (skipped with its data)
 * or a record whose unused header bytes are not zero (hashed as the zeroed
 * record the CPU would see). Every check of the page-stream reader plus the
 * layout checker (ens_sink_check, strictly increasing) is made, with the same
 * messages, per record in a few instructions; memory is one buffer. */
#define HASH_BUF (256u * 1024u)

struct hstate {
	const char *name;
	EVP_MD_CTX *sha;
	bool failed;
};

static void hupdate(struct hstate *h, const uint8_t *p, size_t n)
{
	if (n && !h->failed && !EVP_DigestUpdate(h->sha, p, n))
		h->failed = true;
}

/* Header bytes from..63 the format leaves unused (from: 16 or 24; ECREATE's
 * 20..23 are checked by the caller). */
static bool reserved_zero(const uint8_t *r, unsigned from)
{
	uint64_t acc = 0;

	for (unsigned i = from; i < 64; i += 8)
		acc |= ens_get_le64(r + i);
	return acc == 0;
}

static int hash_fd(int fd, const char *name, uint8_t mr[32], struct ens_sgxs_summary *sum, struct ens_err *err)
{
	struct hstate h = { .name = name };
	/* Page-aligned, and the data kept at buf offsets equal to their file
	 * offsets modulo 4096: the kernel then copies page to page at the same
	 * alignment (a destination a little ahead of the source costs 4K-aliasing
	 * stalls, measured at 2-3x the time of read()). */
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, 4096, HASH_BUF + 4096))
		buf = NULL;
	size_t len = 0, pos = 0, run = 0;
	uint64_t at = 0, size = 0, page = 0, last_eadd = 0;
	uint16_t seen = 0;
	bool have_header = false, pending = false, eof = false, progress = false;
	struct ens_progress prog;
	struct stat fst;
	uint64_t file_size = fstat(fd, &fst) == 0 && fst.st_size > 0 ? (uint64_t)fst.st_size : 0;
	int rc = -1;

	memset(sum, 0, sizeof *sum);
	h.sha = EVP_MD_CTX_new();
	if (!buf || !h.sha || !EVP_DigestInit_ex(h.sha, EVP_sha256(), NULL)) {
		ens_fail(err, buf ? ENS_E_CRYPTO : ENS_E_NOMEM, buf ? "cannot start SHA-256" : "out of memory");
		goto out;
	}
	for (;;) {
		/* Refill: hash what is parsed, keep the partial record, read more. */
		if (len - pos < 320 && !eof) {
			size_t tail = len - pos, base = (size_t)(at & 4095);
			/* progress in pages (EADD records), the total estimated from the
			 * share of the file read so far */
			if (have_header && size && at && file_size) {
				if (!progress)
					ens_progress_start(&prog, size, 0);
				progress = true;
				ens_progress_update(&prog, sum->n_eadd,
						    (uint64_t)((double)sum->n_eadd * (double)file_size / (double)at));
			}
			hupdate(&h, buf + run, pos - run);
			memmove(buf + base, buf + pos, tail);
			pos = run = base;
			len = base + tail;
			while (len < HASH_BUF + 4096) {
				ssize_t n = read(fd, buf + len, HASH_BUF + 4096 - len);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					ens_fail_errno(err, "cannot read '%s'", name);
					goto out;
				}
				if (n == 0) {
					eof = true;
					break;
				}
				len += (size_t)n;
			}
		}
		size_t left = len - pos;
		if (left == 0)
			break;
		if (left < 64) {
			ens_fail(err, ENS_E_FORMAT, "'%s': truncated record at file offset %" PRIu64 " (%zu of %zu bytes)",
				 name, at, left, (size_t)64);
			goto out;
		}
		const uint8_t *r = buf + pos;
		uint64_t tag = ens_get_le64(r), off = ens_get_le64(r + 8);

		if (tag == ENS_TAG_EADD && have_header) {
			uint64_t f = ens_get_le64(r + 16), type = (f & ENS_SECINFO_PT_MASK) >> ENS_SECINFO_PT_SHIFT;

			if (off & (ENS_PAGE_SIZE - 1)) {
				ens_fail(err, ENS_E_FORMAT, "'%s': EADD offset 0x%" PRIx64 " at file offset %" PRIu64
					 " is not page-aligned", name, off, at);
				goto out;
			}
			if (pending && off <= last_eadd) {
				ens_fail(err, ENS_E_FORMAT, "'%s': EADD offset 0x%" PRIx64 " at file offset %" PRIu64
					 " is not above the previous page 0x%" PRIx64 " (not canonical)", name, off, at, last_eadd);
				goto out;
			}
			if (off >= size) {
				ens_fail(err, ENS_E_FORMAT, "'%s': page offset 0x%" PRIx64 " is outside the enclave (size 0x%"
					 PRIx64 ")", name, off, size);
				goto out;
			}
			if ((f & ~(uint64_t)(ENS_SECINFO_PT_MASK | 7)) || (type != ENS_PT_REG && type != ENS_PT_TCS) ||
			    (type == ENS_PT_TCS && (f & 7))) {
				if (f & ~(uint64_t)(ENS_SECINFO_PT_MASK | 7))
					ens_fail(err, ENS_E_FORMAT, "'%s': page 0x%" PRIx64 ": SECINFO flags 0x%" PRIx64
						 " have bits other than type and R/W/X", name, off, f);
				else if (type != ENS_PT_REG && type != ENS_PT_TCS)
					ens_fail(err, ENS_E_FORMAT, "'%s': page 0x%" PRIx64 ": page type %" PRIu64
						 " cannot be added (only REG and TCS)", name, off, type);
				else
					ens_fail(err, ENS_E_FORMAT, "'%s': page 0x%" PRIx64 ": a TCS page must have R/W/X clear",
						 name, off);
				goto out;
			}
			if (!reserved_zero(r, 24)) {
				uint8_t z[64] = { 0 };
				memcpy(z, r, 24);
				hupdate(&h, buf + run, pos - run);
				hupdate(&h, z, 64);
				run = pos + 64;
			}
			pending = true;
			page = last_eadd = off;
			seen = 0;
			sum->n_eadd++;
			pos += 64;
			at += 64;
			/* The records that follow while they are plain EADDs (the heap,
			 * stacks and SSAs of a large enclave): the same checks in a few
			 * instructions each; any doubt goes back to the general path
			 * above, which names the problem. */
			const uint8_t *q = buf + pos, *qend = buf + len;
			while (qend - q >= 64 && ens_get_le64(q) == ENS_TAG_EADD) {
				uint64_t o = ens_get_le64(q + 8), fl = ens_get_le64(q + 16);
				if ((o & (ENS_PAGE_SIZE - 1)) || o <= last_eadd || o >= size ||
				    (fl - (ENS_SECINFO_REG | 0) > 7 && fl != ENS_SECINFO_TCS) ||
				    (ens_get_le64(q + 24) | ens_get_le64(q + 32) | ens_get_le64(q + 40) |
				     ens_get_le64(q + 48) | ens_get_le64(q + 56)))
					break;
				last_eadd = o;
				q += 64;
			}
			if (q != buf + pos) {
				size_t adv = (size_t)(q - (buf + pos));
				page = last_eadd;
				sum->n_eadd += adv / 64;
				pos += adv;
				at += adv;
			}
			continue;
		}
		if ((tag == ENS_TAG_EEXTEND || tag == ENS_TAG_UNMEASRD) && have_header) {
			const char *what = tag == ENS_TAG_EEXTEND ? "EEXTEND" : "UNMEASRD";
			uint16_t bit;

			if (left < 320) {
				ens_fail(err, ENS_E_FORMAT, "'%s': truncated record at file offset %" PRIu64
					 " (%zu of %zu bytes)", name, at, left - 64, (size_t)256);
				goto out;
			}
			if (!pending) {
				ens_fail(err, ENS_E_FORMAT, "'%s': %s at file offset %" PRIu64 " has no EADD before it",
					 name, what, at);
				goto out;
			}
			if (off & (ENS_CHUNK_SIZE - 1)) {
				ens_fail(err, ENS_E_FORMAT, "'%s': %s offset 0x%" PRIx64 " at file offset %" PRIu64
					 " is not 256-byte aligned", name, what, off, at);
				goto out;
			}
			if ((off & ~(uint64_t)(ENS_PAGE_SIZE - 1)) != page) {
				ens_fail(err, ENS_E_FORMAT, "'%s': %s offset 0x%" PRIx64 " at file offset %" PRIu64
					 " is outside its EADD page 0x%" PRIx64, name, what, off, at, page);
				goto out;
			}
			bit = (uint16_t)(1u << ((off & (ENS_PAGE_SIZE - 1)) / ENS_CHUNK_SIZE));
			if (seen & bit) {
				ens_fail(err, ENS_E_FORMAT, "'%s': chunk 0x%" PRIx64 " at file offset %" PRIu64
					 " appears twice", name, off, at);
				goto out;
			}
			seen |= bit;
			if (tag == ENS_TAG_UNMEASRD) {
				hupdate(&h, buf + run, pos - run);	/* not measured: skipped, data too */
				run = pos + 320;
				sum->n_unmeasrd++;
			} else {
				if (!reserved_zero(r, 16)) {
					uint8_t z[64] = { 0 };
					memcpy(z, r, 16);
					hupdate(&h, buf + run, pos - run);
					hupdate(&h, z, 64);
					run = pos + 64;
				}
				sum->n_eextend++;
			}
			pos += 320;
			at += 320;
			continue;
		}
		if (tag == ENS_TAG_ECREATE || tag == ENS_TAG_UNSIZED) {
			uint32_t ssa = ens_get_le32(r + 8);

			size = ens_get_le64(r + 12);
			if (have_header) {
				ens_fail(err, ENS_E_FORMAT, "'%s': duplicate %s at file offset %" PRIu64,
					 name, tag == ENS_TAG_ECREATE ? "ECREATE" : "UNSIZED", at);
				goto out;
			}
			have_header = true;
			sum->ssaframesize = ssa;
			if (tag == ENS_TAG_UNSIZED) {
				sum->unsized = true;
				sum->unsized_slot = size;
				ens_fail(err, ENS_E_FORMAT, "'%s' is an UNSIZED SGXS stream: finalize it "
					 "first (ensign append -i '%s')", name, name);
				goto out;
			}
			sum->size = size;
			if (!ens_is_pow2(size))
				ens_fail(err, ENS_E_FORMAT, "enclave size 0x%" PRIx64 " is not a power of two", size);
			else if (size < ENS_PAGE_SIZE)
				ens_fail(err, ENS_E_FORMAT, "enclave size 0x%" PRIx64 " is smaller than a page", size);
			else if (ssa == 0)
				ens_fail(err, ENS_E_FORMAT, "SSA frame size 0");
			else
				goto ecreate_ok;
			ens_err_prefix(err, "'%s': at file offset %" PRIu64, name, at);
			goto out;
ecreate_ok:
			if (ens_get_le32(r + 20) || !reserved_zero(r, 24)) {
				uint8_t z[64] = { 0 };
				memcpy(z, r, 20);
				hupdate(&h, buf + run, pos - run);
				hupdate(&h, z, 64);
				run = pos + 64;
			}
			pos += 64;
			at += 64;
			continue;
		}
		if (!have_header)
			ens_fail(err, ENS_E_FORMAT, "'%s': the first record is not ECREATE (tag 0x%016" PRIx64 ")", name, tag);
		else
			ens_fail(err, ENS_E_FORMAT, "'%s': unknown record tag 0x%016" PRIx64 " at file offset %" PRIu64,
				 name, tag, at);
		goto out;
	}
	if (!have_header) {
		ens_fail(err, ENS_E_FORMAT, "'%s' is empty: no ECREATE record", name);
		goto out;
	}
	hupdate(&h, buf + run, pos - run);
	unsigned int n = 0;
	if (h.failed || !EVP_DigestFinal_ex(h.sha, mr, &n) || n != 32) {
		ens_fail_crypto(err, "SHA-256 failed");
		goto out;
	}
	rc = 0;
out:
	if (progress)
		ens_progress_finish(&prog);
	EVP_MD_CTX_free(h.sha);
	free(buf);
	return rc;
}

int ens_sgxs_mrenclave(const char *path, uint8_t mr[32], struct ens_sgxs_summary *sum, struct ens_err *err)
{
	struct ens_sgxs_summary local;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return ens_fail_errno(err, "cannot open '%s'", path);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = hash_fd(fd, path, mr, sum ? sum : &local, err);
	close(fd);
	return rc;
}
