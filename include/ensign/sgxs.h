/* SGXS front end (sgxs-format.md §1): reads a sized SGXS/ESGXS file as a
 * page stream, streaming, checking canonical order. Also a writer sink. */
#ifndef ENSIGN_SGXS_H
#define ENSIGN_SGXS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "err.h"
#include "page.h"
#include "sgx.h"

struct ens_sgxs_opts {
	bool canonical;		/* enforce the canonical rules (default on) */
	bool allow_unsized;	/* report UNSIZED via *unsized instead of failing */
};
struct ens_sgxs_summary {
	uint32_t ssaframesize;
	uint64_t size;
	bool unsized;
	uint64_t unsized_slot;	/* UNSIZED: offset of the size slot */
	uint64_t n_eadd, n_eextend, n_unmeasrd;
};
/* Stream the file at 'path' into sink. Errors name the path and the record's file offset. */
int ens_sgxs_read(const char *path, const struct ens_sgxs_opts *o, struct ens_sink *sink,
		  struct ens_sgxs_summary *sum, struct ens_err *err);
/* Same, from an open stream; 'name' is used in messages. */
int ens_sgxs_read_stream(FILE *f, const char *name, const struct ens_sgxs_opts *o,
			 struct ens_sink *sink, struct ens_sgxs_summary *sum, struct ens_err *err);
/* MRENCLAVE of an SGXS file (UNMEASRD skipped; UNSIZED is an error). */
int ens_sgxs_mrenclave(const char *path, uint8_t mrenclave[32], struct ens_sgxs_summary *sum,
		       struct ens_err *err);

/* A sink that writes SGXS records to a FILE (EADD, then EEXTEND/UNMEASRD per
 * mask in chunk order; pages with added=false are skipped). */
struct ens_sgxs_writer { FILE *f; bool failed; };
void ens_sink_sgxs_writer(struct ens_sink *s, struct ens_sgxs_writer *w);
/* The writer sink's functions (ctx: the ens_sgxs_writer): one page, and n
 * EADD-only pages written in blocks (what ens_sink_eadd_run calls). */
int ens_sgxs_writer_page(void *ctx, const struct ens_page *pg, struct ens_err *err);
int ens_sgxs_writer_eadd_run(void *ctx, uint64_t offset, uint64_t n, uint64_t secinfo_flags, const uint8_t *data,
			     struct ens_err *err);

#endif
