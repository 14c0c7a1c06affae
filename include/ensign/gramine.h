/* Gramine v1.9 (gramine-format.md): the libpal.so reader, the enclave layout
 * and page stream of `gramine-sgx-sign` (§4), the manifest expansion that
 * turns APP.manifest into APP.manifest.sgx (§2), and the SIGSTRUCT fields it
 * signs (§5). The library prints nothing: the verbose report of §1.3 goes
 * through callbacks. */
#ifndef ENSIGN_GRAMINE_H
#define ENSIGN_GRAMINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "page.h"
#include "sgx.h"
#include "sigstruct.h"

/* Constants of Gramine's build (§7). */
#define ENS_GR_HEAP_MIN		0x10000ull	/* MMAP_MIN_ADDR */
#define ENS_GR_SSA_FRAME_SIZE	0x4000ull	/* 4 pages */
#define ENS_GR_SSA_FRAME_NUM	2u
#define ENS_GR_TCS_SIZE		0x1000ull
#define ENS_GR_STACK_SIZE	0x40000ull
#define ENS_GR_SIG_STACK_SIZE	0x10000ull
#define ENS_GR_GPR_SIZE		0xb8ull
#define ENS_GR_CANARY		0xbadbadbadbadull
#define ENS_GR_XFRM_LEGACY	0x3ull
#define ENS_GR_XFRM_MASK	0xfffffffffff9ff1bull

/* TCS page of one thread (sgx_arch_tcs_t, §4.5). */
struct ens_gr_tcs {
	uint64_t reserved0;		/* 0x00 */
	uint64_t flags;			/* 0x08 */
	uint64_t ossa;			/* 0x10 */
	uint32_t cssa;			/* 0x18 */
	uint32_t nssa;			/* 0x1c */
	uint64_t oentry;		/* 0x20 */
	uint64_t aep;			/* 0x28 */
	uint64_t ofs_base;		/* 0x30 */
	uint64_t ogs_base;		/* 0x38 */
	uint32_t ofs_limit;		/* 0x40 */
	uint32_t ogs_limit;		/* 0x44 */
	uint8_t reserved[4096 - 0x48];
} ENS_PACKED;
_Static_assert(sizeof(struct ens_gr_tcs) == 4096, "Gramine TCS page");
_Static_assert(offsetof(struct ens_gr_tcs, ossa) == 0x10, "TCS_OSSA");
_Static_assert(offsetof(struct ens_gr_tcs, nssa) == 0x1c, "TCS_NSSA");
_Static_assert(offsetof(struct ens_gr_tcs, oentry) == 0x20, "TCS_OENTRY");
_Static_assert(offsetof(struct ens_gr_tcs, ogs_base) == 0x38, "TCS_OGS_BASE");
_Static_assert(offsetof(struct ens_gr_tcs, ofs_limit) == 0x40, "TCS_OFS_LIMIT");
_Static_assert(offsetof(struct ens_gr_tcs, ogs_limit) == 0x44, "TCS_OGS_LIMIT");

/* TLS page of one thread (struct pal_enclave_tcb, §4.6). */
struct ens_gr_tls {
	uint64_t self;			/* 0x000 SGX_COMMON_SELF */
	uint64_t canary;		/* 0x008 */
	uint8_t pad0[0x110 - 0x10];
	uint64_t enclave_size;		/* 0x110 */
	uint64_t tcs_offset;		/* 0x118 */
	uint64_t initial_stack_addr;	/* 0x120 */
	uint64_t pad1;			/* 0x128 */
	uint64_t sig_stack_low;		/* 0x130 */
	uint64_t sig_stack_high;	/* 0x138 */
	uint64_t pad2;			/* 0x140 */
	uint64_t ssa;			/* 0x148 */
	uint64_t gpr;			/* 0x150 */
	uint8_t pad3[0x1a0 - 0x158];
	uint64_t manifest_size;		/* 0x1a0 */
	uint64_t heap_min;		/* 0x1a8 */
	uint64_t heap_max;		/* 0x1b0 */
	uint8_t reserved[4096 - 0x1b8];
} ENS_PACKED;
_Static_assert(sizeof(struct ens_gr_tls) == 4096, "Gramine TLS page");
_Static_assert(offsetof(struct ens_gr_tls, canary) == 0x8, "SGX_COMMON_STACK_PROTECTOR_CANARY");
_Static_assert(offsetof(struct ens_gr_tls, enclave_size) == 0x110, "SGX_ENCLAVE_SIZE");
_Static_assert(offsetof(struct ens_gr_tls, tcs_offset) == 0x118, "SGX_TCS_OFFSET");
_Static_assert(offsetof(struct ens_gr_tls, initial_stack_addr) == 0x120, "SGX_INITIAL_STACK_ADDR");
_Static_assert(offsetof(struct ens_gr_tls, sig_stack_low) == 0x130, "SGX_SIG_STACK_LOW");
_Static_assert(offsetof(struct ens_gr_tls, sig_stack_high) == 0x138, "SGX_SIG_STACK_HIGH");
_Static_assert(offsetof(struct ens_gr_tls, ssa) == 0x148, "SGX_SSA");
_Static_assert(offsetof(struct ens_gr_tls, gpr) == 0x150, "SGX_GPR");
_Static_assert(offsetof(struct ens_gr_tls, manifest_size) == 0x1a0, "SGX_MANIFEST_SIZE");
_Static_assert(offsetof(struct ens_gr_tls, heap_min) == 0x1a8, "SGX_HEAP_MIN");
_Static_assert(offsetof(struct ens_gr_tls, heap_max) == 0x1b0, "SGX_HEAP_MAX");

/* ---- libpal.so (§4.4): e_entry and the PT_LOAD headers, any ELF class and
 * byte order; no sections, no symbols. ---- */
struct ens_gr_load {
	uint64_t offset, vaddr, filesz, memsz;
	uint32_t flags;			/* p_flags: 4 R, 2 W, 1 X */
};
struct ens_gr_pal {
	char *path;
	int fd;
	uint64_t file_size;
	uint64_t entry;
	size_t nload;
	struct ens_gr_load *load;
	uint64_t mapaddr, mapend;	/* page-rounded span of the PT_LOADs */
	bool x86_64;			/* ELF64, little-endian, EM_X86_64 (others are read alike) */
};
int ens_gr_pal_open(const char *path, struct ens_gr_pal *pal, struct ens_err *err);
void ens_gr_pal_close(struct ens_gr_pal *pal);

/* ---- Layout and page stream (§4) ---- */
struct ens_gr_layout_in {
	const uint8_t *manifest;	/* the .manifest.sgx bytes (a NUL is added) */
	size_t manifest_len;
	uint64_t enclave_size;
	uint64_t max_threads;
	bool edmm;
};
/* One line of the "Memory:" report (§1.3); end is exclusive. */
struct ens_gr_area {
	uint64_t start, end, flags;
	const char *desc;		/* manifest, ssa, tcs, tls, stack, sig_stack, code, data, free */
	bool measured;
};
struct ens_gr_report {
	void *ctx;
	void (*memory)(void *ctx);	/* the layout is placed: "Memory:" */
	void (*area)(void *ctx, const struct ens_gr_area *a);
};
/* Place the areas and push ECREATE and every page, in Gramine's order, into
 * sink. rep may be NULL. Memory use does not depend on the enclave size or
 * the number of threads. */
int ens_gr_stream(const struct ens_gr_layout_in *in, struct ens_gr_pal *pal, struct ens_sink *sink,
		  const struct ens_gr_report *rep, struct ens_err *err);
int ens_gr_mrenclave(const struct ens_gr_layout_in *in, struct ens_gr_pal *pal,
		     const struct ens_gr_report *rep, uint8_t mrenclave[32], struct ens_err *err);

/* Python int(s, 0) with K/M/G suffixes (§4.1 parse_size). */
int ens_gr_parse_size(const char *s, uint64_t *out, struct ens_err *err);

/* ---- The manifest (§2): APP.manifest -> APP.manifest.sgx ---- */
struct ens_toml;
#define ENS_GR_PKGLIBDIR "/usr/lib/x86_64-linux-gnu/gramine"
struct ens_gr_expand_opts {
	const char *chroot;		/* --chroot DIR, or NULL */
	const char *pkglibdir;		/* for the default loader.entrypoint.uri; NULL: ENS_GR_PKGLIBDIR */
	unsigned threads;		/* hashing threads; 0: one per online CPU */
	/* Warnings that change no output byte (a given sha256 that differs from the file). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};
struct ens_gr_expanded {
	char **deps;			/* on-disk path of every trusted file, final order (§1.2) */
	size_t ndeps;
	bool missing_file;		/* the error was "Missing trusted file" (exit 2 in Gramine) */
};
/* Fill in the defaults (§2.2), hash the entrypoint, expand, de-duplicate and
 * hash the trusted files (§2.3), in place. On error nothing of the tree is
 * to be written. */
int ens_gr_expand(struct ens_toml *root, const struct ens_gr_expand_opts *o, struct ens_gr_expanded *out,
		  struct ens_err *err);
void ens_gr_expanded_free(struct ens_gr_expanded *x);

/* ---- Reading a .manifest.sgx back (§4.1, §5) ---- */
struct ens_gr_attrs {
	uint64_t enclave_size;
	char size_text[32];		/* "%#x" of it */
	char threads_text[64];		/* Python str() of sgx.max_threads */
	char edmm_text[64];		/* Python str() of sgx.edmm_enable */
	const char *ra_text;		/* "None", "DCAP/ECDSA", "<unrecognized>" */
	bool edmm;
	bool threads_ok;		/* max_threads usable; else threads_err (after the RA lines) */
	uint64_t max_threads;
	char threads_err[160];
};
/* The layout inputs; enclave_size errors come before anything is printed. */
int ens_gr_attrs(const struct ens_toml *root, struct ens_gr_attrs *a, struct ens_err *err);
/* SIGSTRUCT fields of §5 (ATTRIBUTES, XFRM and masks, MISCSELECT, ISV ids,
 * DATE as BCD, ENCLAVEHASH). */
int ens_gr_sigstruct_fields(const struct ens_toml *root, uint32_t date_bcd, const uint8_t mrenclave[32],
			    struct ens_sigstruct_fields *f, struct ens_err *err);
/* Python's type name of a TOML value (int, str, bool, float, list, dict,
 * datetime.datetime, datetime.date, datetime.time). */
const char *ens_gr_pytype(const struct ens_toml *v);

#endif
