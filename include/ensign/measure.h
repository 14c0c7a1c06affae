/* MRENCLAVE: SHA-256 over the ECREATE/EADD/EEXTEND records in load order
 * (sgx-architecture.md §2). The context is caller-owned; records are queued
 * and hashed in large batches. A failure is sticky and reported by _final.
 * Memory use is constant whatever the enclave size. */
#ifndef ENSIGN_MEASURE_H
#define ENSIGN_MEASURE_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "sgx.h"

#define ENS_MEASURE_BATCH (64u * 1024u)	/* bytes queued before one SHA-256 update */

struct ens_measure {
	void *sha;			/* EVP_MD_CTX */
	size_t queued;
	bool failed;
	/* queue[0..tmpl_end) holds EADD records with SECINFO tmpl_flags (left by
	 * ens_measure_eadd_run): a later run only stores their offsets. */
	size_t tmpl_end;
	uint64_t tmpl_flags;
	uint8_t queue[ENS_MEASURE_BATCH];
};

int ens_measure_init(struct ens_measure *m, struct ens_err *err);
void ens_measure_ecreate(struct ens_measure *m, uint32_t ssaframesize, uint64_t size);
void ens_measure_eadd(struct ens_measure *m, uint64_t offset, uint64_t secinfo_flags);
void ens_measure_eextend(struct ens_measure *m, uint64_t offset, const uint8_t chunk[256]);
/* EADD of one page then EEXTEND of each chunk whose bit is set in mask
 * (bit i = chunk at offset + 256*i). data NULL means a zero page. */
void ens_measure_page(struct ens_measure *m, uint64_t offset, uint64_t secinfo_flags,
		      const uint8_t *data, uint16_t eextend_mask);
/* n EADD records (nothing measured) for the pages at offset, offset + 4096,
 * ..., all with the same SECINFO flags: equal to n ens_measure_eadd calls, but
 * the records are produced in place in the queue (only the offset changes
 * from one to the next), so a 64 GiB heap (16.8 million records) hashes at
 * the speed of SHA-256. */
void ens_measure_eadd_run(struct ens_measure *m, uint64_t offset, uint64_t n, uint64_t secinfo_flags);
/* Clone a measurement in progress (the shared prefix of two layouts). */
int ens_measure_fork(struct ens_measure *dst, const struct ens_measure *src, struct ens_err *err);
int ens_measure_final(struct ens_measure *m, uint8_t mrenclave[32], struct ens_err *err);
void ens_measure_free(struct ens_measure *m);

#endif
