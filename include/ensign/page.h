/* The page stream: what a front end yields and what the measurement engine,
 * the SGXS writer and the layout checker consume, in load order. Front ends
 * push into an ens_sink; sinks can be chained with ens_sink_tee. */
#ifndef ENSIGN_PAGE_H
#define ENSIGN_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"

struct ens_page {
	uint64_t offset;		/* enclave offset, page-aligned */
	uint64_t secinfo_flags;		/* ENS_SECINFO_* */
	uint16_t eextend_mask;		/* bit i: chunk i is measured (EEXTEND) */
	uint16_t unmeasured_mask;	/* bit i: chunk i is loaded but not measured (SGXS UNMEASRD) */
	bool added;			/* false: EAUG'd at run time, neither added nor measured */
	const uint8_t *data;		/* 4096 bytes, or NULL for a zero page */
	/* Record order (SGXS, sgxs-format.md §1.2 rule 6, §1.3): when n_chunk_order
	 * is non-zero, chunk_order[0..n-1] are the indices of the page's EEXTEND and
	 * UNMEASRD chunks in the order their records appear, and MRENCLAVE hashes
	 * the EEXTEND records in that order. 0 (the default): ascending order. */
	uint8_t n_chunk_order;
	uint8_t chunk_order[16];
};

struct ens_sink {
	void *ctx;
	/* Called once, first. ssaframesize in pages, size a power of two. */
	int (*ecreate)(void *ctx, uint32_t ssaframesize, uint64_t size, struct ens_err *err);
	int (*page)(void *ctx, const struct ens_page *pg, struct ens_err *err);
};

/* Emit n added pages at offset, offset + 4096, ... with the same SECINFO flags
 * and the same content (data: 4096 bytes, or NULL for zero pages), none of
 * their chunks measured: the heap, stacks and SSAs of a large enclave. Front
 * ends use it for such runs. The sinks of libensign take a run in one call
 * (measure: ens_measure_eadd_run; check; tee, for each of its sinks; the SGXS
 * writer); any other sink gets n page() calls, so struct ens_sink is
 * unchanged and every sink works. */
int ens_sink_eadd_run(struct ens_sink *s, uint64_t offset, uint64_t n, uint64_t secinfo_flags,
		      const uint8_t *data, struct ens_err *err);

/* A sink that feeds an ens_measure (records for added pages only). */
struct ens_measure;
void ens_sink_measure(struct ens_sink *s, struct ens_measure *m);

/* A sink that checks the architectural rules (§2.3): one ECREATE first, size a
 * power of two, offsets aligned and inside the enclave, each page once, valid
 * SECINFO. 'strictly_increasing' additionally requires address order (SGXS
 * canonical form). Keeps a bitmap only when offsets are not increasing. */
struct ens_layout_check {
	uint64_t size;
	uint64_t last;
	bool have_ecreate, any_page, strictly_increasing;
	uint64_t pages_added, pages_measured, pages_eaug;
};
void ens_sink_check(struct ens_sink *s, struct ens_layout_check *c, bool strictly_increasing);

/* Fan out to up to four sinks, in order. */
struct ens_tee { struct ens_sink *to[4]; int n; };
void ens_sink_tee(struct ens_sink *s, struct ens_tee *t);

#endif
