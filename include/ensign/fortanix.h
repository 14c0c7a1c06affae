/* Fortanix EDP flow (sgxs-format.md §2, §3): the ELF-to-SGXS front end
 * (ftxsgx-elf2sgxs layout) and the SGXS appender/finalizer (sgxs-append).
 * Both push pages into an ens_sink; the CLI writes them as SGXS. */
#ifndef ENSIGN_FORTANIX_H
#define ENSIGN_FORTANIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "err.h"
#include "page.h"

/* Fortanix layout constants (§2.4). */
#define ENS_FTX_THREAD_GUARD 0x10000u
#define ENS_FTX_TLS_SIZE 0x1000u
#define ENS_FTX_NSSA 1u

struct ens_elf2sgxs_opts {
	uint64_t heap_size;		/* bytes, page multiple */
	uint64_t stack_size;		/* bytes, page multiple */
	uint32_t threads;		/* >= 1 */
	uint32_t ssaframesize;		/* pages, >= 1 */
	bool debug;			/* DEBUG byte = 1 */
	bool library;			/* TLS secondary word always 0 */
	bool unsized;			/* leave ENCLAVE_SIZE unpatched */
};

/* What the layout turned out to be (for messages and the UNSIZED header). */
struct ens_elf2sgxs_layout {
	uint64_t heap_addr;
	uint64_t thread_start;
	uint64_t thread_size;
	uint64_t memory_size;		/* = CFGDATA_BASE */
	uint64_t enclave_size;		/* next_pow2(memory_size) */
	uint64_t enclave_size_slot;	/* st_value of ENCLAVE_SIZE */
	uint64_t entry;			/* st_value of sgx_entry */
	uint32_t ssaframesize;
	unsigned nload;			/* PT_LOAD segments */
};

struct ens_elf2sgxs;
/* Read and check the ELF at path (every check of §2.2 plus the entry-page,
 * ordering, size and patch-placement checks), and compute the layout.
 * Nothing is emitted; a rejected input names the rule it breaks. */
int ens_elf2sgxs_open(struct ens_elf2sgxs **out, const char *path,
		      const struct ens_elf2sgxs_opts *o, struct ens_err *err);
const struct ens_elf2sgxs_layout *ens_elf2sgxs_layout(const struct ens_elf2sgxs *e);
/* Push ECREATE (SIZE = enclave_size, also when unsized) and every page, in
 * address order. */
int ens_elf2sgxs_emit(struct ens_elf2sgxs *e, struct ens_sink *sink, struct ens_err *err);
void ens_elf2sgxs_close(struct ens_elf2sgxs *e);

/* A 64-byte SGXS UNSIZED header (§1): SSAFRAMESIZE and the size-slot offset. */
void ens_sgxs_unsized_record(uint8_t rec[64], uint32_t ssaframesize, uint64_t slot);

/* sgxs-append (§3). */
enum { ENS_APPEND_MAX_ITEMS = 4096 };
struct ens_append_item {
	bool is_align;			/* -align N */
	uint64_t align;			/* power of two */
	const char *path;		/* a file */
	uint64_t secinfo_perms;		/* ENS_SECINFO_R|W|X */
	bool measured;			/* 'm' */
};
struct ens_append_opts {
	const struct ens_append_item *items;
	unsigned nitems;
	bool compat_permission_bug;	/* reproduce upstream's wrong SECINFO on flushed pages */
	/* Called for each page written with some but not all chunks measured
	 * (Linux cannot load it); may be NULL. */
	void (*warn_partial)(void *ctx, uint64_t page_offset, uint16_t eextend_mask);
	/* Called when --compat-permission-bug output differs from upstream's
	 * for another reason (chunk data bug §3); may be NULL. */
	void (*warn_compat)(void *ctx, const char *msg);
	void *warn_ctx;
};
struct ens_append_result {
	uint64_t old_end, end, size;
	uint64_t pages_added;
	uint64_t partial_pages;
	bool perm_bug_changed;		/* the compat flag changed some page's SECINFO */
};
/* Read the unsized SGXS at in_path, append the files and write the finalized
 * sized SGXS to out. Every input is checked (and every file opened and sized)
 * before the first byte is written. */
int ens_sgxs_append(const char *in_path, const struct ens_append_opts *o, FILE *out,
		    struct ens_append_result *res, struct ens_err *err);

/* ---- ftxsgx-runner: what EINIT would check, before loading (§6) ---- */

/* The host's SGX-relevant CPU state (CPUID, XGETBV). */
struct ens_host_cpu {
	bool have_xcr0;
	uint64_t xcr0;			/* enabled XSAVE features */
	bool xcr0_overridden;		/* from ENSIGN_XCR0 (tests) */
	uint32_t xsave_end[64];		/* CPUID(0xD,i): offset+size of component i, 0 if unknown */
	bool have_sgx;			/* CPUID.7.EBX.SGX */
	bool have_sgx_leaf;		/* CPUID 0x12 readable */
	uint32_t miscselect_supported;	/* CPUID(0x12,0).EBX */
	uint64_t attributes_supported, xfrm_supported;	/* CPUID(0x12,1) */
};
void ens_host_cpu_probe(struct ens_host_cpu *h);
/* Bytes of the (non-compacted) XSAVE area for xfrm. */
uint32_t ens_xsave_size(const struct ens_host_cpu *h, uint64_t xfrm);
/* ftxsgx-runner's generate_xfrm: XCR0 features that fit ssaframesize pages,
 * AMX tiles both or neither. */
uint64_t ens_ftx_runner_xfrm(const struct ens_host_cpu *h, uint32_t ssaframesize);

/* What the loader would build from an SGXS file (sized, canonical). */
struct ens_run_page_run { uint64_t start, end, secinfo; };	/* [start, end) */
struct ens_run_tcs { uint64_t offset; struct ens_tcs_head { uint8_t b[72]; } head; bool reserved_nonzero; };
struct ens_run_image {
	uint8_t mrenclave[32];
	uint64_t size;
	uint32_t ssaframesize;
	uint64_t pages, partial_pages;
	struct ens_run_page_run *runs;	/* address order, equal SECINFO merged */
	size_t nruns, cap_runs;
	struct ens_run_tcs *tcs;
	size_t ntcs, cap_tcs;
	/* Pages whose EEXTEND records are not in ascending chunk order: mrenclave
	 * hashes them in file order (sgxs-format.md §1.3, as sgxs-sign does), but
	 * the Linux driver measures a page in ascending order (SGX_PAGE_MEASURE),
	 * so the enclave it loads measures mrenclave_load. Equal when 0. */
	uint64_t reordered_pages;
	uint8_t mrenclave_load[32];
};
int ens_run_image_read(const char *path, struct ens_run_image *img, struct ens_err *err);
void ens_run_image_free(struct ens_run_image *img);

enum { ENS_LAUNCH_MAX_FINDINGS = 64 };
struct ens_launch_finding { bool error; char msg[320]; };
struct ens_launch_opts {
	int debug;			/* -1: SECS copies SIGSTRUCT (upstream); 0 production; 1 debug */
	bool debug_key;			/* made with ensign's built-in debug key: never production */
	bool published_key;		/* made with another published key (Fortanix dummy, SDK sample) */
};
struct ens_launch_report {
	/* the SECS the loader would use */
	uint64_t attributes, xfrm;
	uint32_t miscselect;
	struct ens_launch_finding f[ENS_LAUNCH_MAX_FINDINGS];
	unsigned n, nerrors, dropped;
};
/* Every EINIT-time check (signature, Q1/Q2, MRENCLAVE, ATTRIBUTES/XFRM/
 * MISCSELECT against the masks, the SECS and this CPU, DEBUG vs production,
 * TCS layout). Returns the number of errors (0: EINIT would succeed as far
 * as software can tell). */
unsigned ens_launch_check(const struct ens_run_image *img, const uint8_t *sig, size_t sig_len,
			  const struct ens_host_cpu *cpu, const struct ens_launch_opts *o,
			  struct ens_launch_report *rep);

/* Linux driver loader (sgx-architecture.md §8). Not tested on hardware. */
struct ens_enclave { int fd; uint8_t *base; uint64_t size; };
/* The device node of the upstream driver, or NULL when SGX is unavailable. */
const char *ens_sgx_device(void);
/* Name of an EINIT error code (§8.4). */
const char *ens_sgx_einit_error(int code);
/* ECREATE with this SECS, ADD_PAGES in file order (MEASURE for fully
 * measured pages), map, EINIT with sig. */
int ens_enclave_load(const char *path, const struct ens_run_image *img, const uint8_t sig[1808],
		     uint64_t attributes, uint64_t xfrm, uint32_t miscselect, struct ens_enclave *enc,
		     struct ens_err *err);
/* EENTER the TCS at tcs_offset through the vDSO with rdi, rsi, rdx, r8, r9. */
int ens_enclave_enter(struct ens_enclave *enc, uint64_t tcs_offset, uint64_t args[5], struct ens_err *err);
void ens_enclave_unload(struct ens_enclave *enc);

#endif
