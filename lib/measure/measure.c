/* The measurement engine: MRENCLAVE = SHA-256 over 64-byte records (and EEXTEND
 * data), queued into a 64 KiB buffer so OpenSSL hashes many blocks per call. */
#include <string.h>
#include <openssl/evp.h>
#include "ensign/measure.h"
#include "ensign/util.h"

static const uint8_t zero_page[ENS_PAGE_SIZE];

static void flush(struct ens_measure *m)
{
	if (m->queued && !m->failed && !EVP_DigestUpdate(m->sha, m->queue, m->queued))
		m->failed = true;
	m->queued = 0;
}

static uint8_t *reserve(struct ens_measure *m, size_t len)
{
	if (m->queued + len > sizeof m->queue)
		flush(m);
	if (m->tmpl_end > m->queued)
		m->tmpl_end = m->queued & ~(size_t)63;
	m->queued += len;
	return m->queue + m->queued - len;
}

int ens_measure_init(struct ens_measure *m, struct ens_err *err)
{
	m->queued = 0;
	m->failed = false;
	m->tmpl_end = 0;
	m->tmpl_flags = 0;
	m->sha = EVP_MD_CTX_new();
	if (!m->sha || !EVP_DigestInit_ex(m->sha, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(m->sha);
		m->sha = NULL;
		return ens_fail_crypto(err, "cannot start SHA-256");
	}
	return 0;
}

void ens_measure_ecreate(struct ens_measure *m, uint32_t ssaframesize, uint64_t size)
{
	uint8_t *r = reserve(m, 64);

	memset(r, 0, 64);
	ens_put_le64(r, ENS_TAG_ECREATE);
	ens_put_le32(r + 8, ssaframesize);
	ens_put_le64(r + 12, size);
}

void ens_measure_eadd(struct ens_measure *m, uint64_t offset, uint64_t flags)
{
	uint8_t *r = reserve(m, 64);

	memset(r, 0, 64);
	ens_put_le64(r, ENS_TAG_EADD);
	ens_put_le64(r + 8, offset);
	ens_put_le64(r + 16, flags);
}

void ens_measure_eadd_run(struct ens_measure *m, uint64_t offset, uint64_t n, uint64_t flags)
{
	while (n) {
		size_t room = (sizeof m->queue - m->queued) / 64;

		if (!room) {
			flush(m);
			continue;
		}
		if (room > n)
			room = (size_t)n;
		size_t start = m->queued, end = start + room * 64;
		bool aligned = (start & 63) == 0, same = aligned && m->tmpl_flags == flags && start <= m->tmpl_end;
		/* Slots that already hold an EADD record with these flags (the queue
		 * of the previous batch of this run) keep their tag, flags and zero
		 * bytes: only the offset is stored. */
		size_t t = same && m->tmpl_end < end ? m->tmpl_end : same ? end : start;
		for (uint8_t *q = m->queue + t; q < m->queue + end; q += 64) {
			memset(q, 0, 64);
			ens_put_le64(q, ENS_TAG_EADD);
			ens_put_le64(q + 16, flags);
		}
		uint8_t *r = m->queue + start + 8;
		for (size_t i = 0; i < room; i++, offset += ENS_PAGE_SIZE)
			ens_put_le64(r + 64 * i, offset);
		if (same) {
			if (end > m->tmpl_end)
				m->tmpl_end = end;
		} else if (start == 0) {
			m->tmpl_flags = flags;
			m->tmpl_end = end;
		} else if (m->tmpl_end > (start & ~(size_t)63)) {
			m->tmpl_end = start & ~(size_t)63;
		}
		m->queued = end;
		n -= room;
	}
}

void ens_measure_eextend(struct ens_measure *m, uint64_t offset, const uint8_t chunk[256])
{
	uint8_t *r = reserve(m, 64 + 256);

	memset(r, 0, 64);
	ens_put_le64(r, ENS_TAG_EEXTEND);
	ens_put_le64(r + 8, offset);
	memcpy(r + 64, chunk, 256);
}

void ens_measure_page(struct ens_measure *m, uint64_t offset, uint64_t flags,
		      const uint8_t *data, uint16_t mask)
{
	if (!data)
		data = zero_page;
	ens_measure_eadd(m, offset, flags);
	for (unsigned i = 0; i < ENS_CHUNKS_PER_PAGE; i++)
		if (mask & (1u << i))
			ens_measure_eextend(m, offset + i * ENS_CHUNK_SIZE, data + i * ENS_CHUNK_SIZE);
}

int ens_measure_fork(struct ens_measure *dst, const struct ens_measure *src, struct ens_err *err)
{
	dst->sha = EVP_MD_CTX_new();
	if (!dst->sha || !EVP_MD_CTX_copy_ex(dst->sha, src->sha)) {
		EVP_MD_CTX_free(dst->sha);
		dst->sha = NULL;
		return ens_fail_crypto(err, "cannot copy a SHA-256 context");
	}
	dst->failed = src->failed;
	dst->queued = src->queued;
	dst->tmpl_end = 0;
	dst->tmpl_flags = 0;
	memcpy(dst->queue, src->queue, src->queued);
	return 0;
}

int ens_measure_final(struct ens_measure *m, uint8_t out[32], struct ens_err *err)
{
	unsigned int n = 0;

	flush(m);
	if (m->failed || !EVP_DigestFinal_ex(m->sha, out, &n) || n != 32)
		return ens_fail_crypto(err, "SHA-256 failed");
	return 0;
}

void ens_measure_free(struct ens_measure *m)
{
	if (m && m->sha) {
		EVP_MD_CTX_free(m->sha);
		m->sha = NULL;
	}
}
