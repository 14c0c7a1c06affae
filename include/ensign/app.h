/* Applications (scone-signer style): an x86-64 ELF plus a configuration
 * (heap, stack, threads, ...) laid out as an enclave by the front end
 * lib/front/app_*.c, and the signed file written by lib/back/elf_signed.c.
 * The layout is described in docs/layout.md. */
#ifndef ENSIGN_APP_H
#define ENSIGN_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "page.h"
#include "sgx.h"

/* Memory models, usable as a bit set (ENS_MM_ALL = both). */
enum ens_mm { ENS_MM_SGX1 = 1, ENS_MM_SGX2 = 2, ENS_MM_ALL = 3 };
const char *ens_mm_name(enum ens_mm mm);	/* "sgx1", "sgx2" */

/* Defaults: part of the product's contract, never changed silently. */
#define ENS_APP_DEFAULT_STACK (2ull << 20)
#define ENS_APP_DEFAULT_MINHEAP (20ull << 20)
#define ENS_APP_DEFAULT_HEAP (64ull << 20)
#define ENS_APP_DEFAULT_TCS 8u
#define ENS_APP_DEFAULT_XFRM 3ull
#define ENS_APP_MAX_TCS 65536u
#define ENS_APP_MAX_SIZE (1ull << 47)	/* largest enclave (user address space) */
#define ENS_APP_SSAFRAMESIZE 1u		/* pages; xfrm must fit (ens_app_check_xfrm) */
#define ENS_APP_NSSA 2u

/* What changes the enclave (MRENCLAVE). Sizes in bytes, page multiples. */
struct ens_app_config {
	uint64_t heap, minheap, stack;
	uint32_t tcs;
	bool mprotect, dlopen;
};
void ens_app_config_default(struct ens_app_config *c);
/* Page alignment, ranges, minheap <= heap. Messages name the parameter. */
int ens_app_config_check(const struct ens_app_config *c, struct ens_err *err);
/* x87 and SSE both set, AMX both or neither, and the XSAVE area fits the SSA frame. */
int ens_app_check_xfrm(uint64_t xfrm, struct ens_err *err);

/* The measured configuration page (one page, this struct at its start, the
 * rest zero): what the runtime trusts. Offsets are enclave offsets. */
#define ENS_APP_CONFIG_MAGIC "ENSIGNCF"
#define ENS_APP_FLAG_MPROTECT 0x1u
#define ENS_APP_FLAG_DLOPEN 0x2u
struct ens_app_config_page {
	uint8_t magic[8];		/* 0: "ENSIGNCF" */
	uint32_t version;		/* 8: 1 */
	uint32_t memory_model;		/* 12: 1 sgx1, 2 sgx2 */
	uint64_t heap;			/* 16 */
	uint64_t minheap;		/* 24 */
	uint64_t stack;			/* 32 */
	uint32_t tcs;			/* 40 */
	uint32_t flags;			/* 44: ENS_APP_FLAG_* */
	uint64_t entry;			/* 48: offset of the entry point */
	uint64_t enclave_size;		/* 56 */
	uint64_t image_size;		/* 64: [0, image_size) holds the ELF image */
	uint64_t threads_offset;	/* 72: first thread block */
	uint64_t thread_stride;		/* 80: bytes per thread block */
	uint64_t config_offset;		/* 88: this page */
	uint64_t heap_offset;		/* 96 */
	uint64_t heap_added;		/* 104: heap bytes added before EINIT; the rest is EAUG'd */
	uint32_t ssaframesize;		/* 112: pages */
	uint32_t nssa;			/* 116 */
	uint64_t image_base_vaddr;	/* 120: ELF vaddr of enclave offset 0 */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_app_config_page) == 128, "config page header");
_Static_assert(offsetof(struct ens_app_config_page, heap_added) == 104, "heap_added");

/* The measured thread-local page (FS and GS base of each TCS). */
struct ens_app_tls {
	uint64_t self;			/* 0: offset of this page */
	uint64_t thread_index;		/* 8 */
	uint64_t stack_low;		/* 16 */
	uint64_t stack_high;		/* 24: initial stack pointer */
	uint64_t tcs;			/* 32 */
	uint64_t ssa;			/* 40 */
	uint64_t config;		/* 48 */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_app_tls) == 56, "tls");

/* A parsed application ELF. 'file' is owned (the whole file); 'image_len'
 * is the length of the unsigned ELF (the file minus what signing appended). */
#define ENS_APP_MAX_SEGMENTS 64
struct ens_app_segment {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags;			/* PF_R/PF_W/PF_X */
};
struct ens_app_signed;
struct ens_app {
	char name[256];			/* for messages */
	uint8_t *file;
	size_t file_len;
	size_t image_len;
	uint64_t base_vaddr;		/* lowest PT_LOAD page */
	uint64_t image_size;		/* page-rounded end of the last PT_LOAD, minus base */
	uint64_t entry;			/* e_entry - base */
	int nseg;
	struct ens_app_segment seg[ENS_APP_MAX_SEGMENTS];
	bool is_signed;			/* the .ensign.app section is present */
	uint64_t sig_section_offset, sig_section_size;
	struct ens_app_signed *sig;	/* parsed section (NULL unless is_signed) */
};
/* Read and check an ELF (and its signature section, if any). */
int ens_app_open(struct ens_app *app, const char *path, struct ens_err *err);
/* Same from a malloc'd buffer (taken over, freed by ens_app_close). */
int ens_app_open_buffer(struct ens_app *app, const char *name, uint8_t *buf, size_t len,
			struct ens_err *err);
void ens_app_close(struct ens_app *app);
/* Cheap test on the first bytes: x86-64 ELF. */
bool ens_app_probe(const uint8_t *head, size_t len);

/* The layout of one configuration (both models share it; only the heap's
 * added part and the configuration page differ). */
struct ens_app_layout {
	struct ens_app_config cfg;
	uint64_t image_size, threads_offset, thread_stride, config_offset, heap_offset;
	uint64_t stack_pages, end, size;
	uint64_t entry, base_vaddr;
};
/* Within a thread block: guard page, stack, TCS, SSA frames, TLS page. */
#define ENS_APP_TB_STACK(l) ((uint64_t)ENS_PAGE_SIZE)
#define ENS_APP_TB_TCS(l) (ENS_PAGE_SIZE + (l)->stack_pages * ENS_PAGE_SIZE)
#define ENS_APP_TB_SSA(l) (ENS_APP_TB_TCS(l) + ENS_PAGE_SIZE)
#define ENS_APP_TB_TLS(l) (ENS_APP_TB_SSA(l) + (uint64_t)ENS_APP_NSSA * ENS_APP_SSAFRAMESIZE * ENS_PAGE_SIZE)

int ens_app_plan(const struct ens_app *app, const struct ens_app_config *cfg,
		 struct ens_app_layout *lay, struct ens_err *err);
void ens_app_config_page(const struct ens_app_layout *lay, enum ens_mm mm,
			 struct ens_app_config_page *out);
/* The page stream: ECREATE, image, threads (shared by both models), then
 * the configuration page and heap of one model. ens_app_stream = both. */
int ens_app_stream_common(const struct ens_app *app, const struct ens_app_layout *lay,
			  struct ens_sink *sink, struct ens_err *err);
int ens_app_stream_model(const struct ens_app_layout *lay, enum ens_mm mm, struct ens_sink *sink,
			 struct ens_err *err);
int ens_app_stream(const struct ens_app *app, const struct ens_app_layout *lay, enum ens_mm mm,
		   struct ens_sink *sink, struct ens_err *err);
/* MRENCLAVE of each model in 'models' (bit set), measuring the shared prefix
 * once. mr[0] is sgx1, mr[1] sgx2. */
int ens_app_measure(const struct ens_app *app, const struct ens_app_layout *lay, unsigned models,
		    uint8_t mr[2][32], struct ens_err *err);

/* The signed configuration and SIGSTRUCTs, stored in the non-loaded ELF
 * section ".ensign.app" (docs/layout.md, "Signed file"). */
#define ENS_APP_SECTION ".ensign.app"
#define ENS_APP_SIG_MAGIC "ENSIGNSG"
struct ens_app_signed {
	struct ens_app_config cfg;
	uint64_t xfrm;
	uint16_t isvprodid, isvsvn;
	bool production;
	unsigned models;		/* bit set of the entries present */
	struct ens_sigstruct sig[2];	/* [0] sgx1, [1] sgx2 */
};
/* Serialized section payload (little-endian, packed). */
struct ens_app_section_hdr {
	uint8_t magic[8];		/* 0: "ENSIGNSG" */
	uint32_t version;		/* 8: 1 */
	uint32_t models;		/* 12: bit set */
	uint64_t image_len;		/* 16: length of the unsigned ELF */
	uint64_t orig_shoff;		/* 24: its section header fields */
	uint16_t orig_shentsize;	/* 32 */
	uint16_t orig_shnum;		/* 34 */
	uint16_t orig_shstrndx;		/* 36 */
	uint16_t production;		/* 38 */
	uint64_t heap, minheap, stack;	/* 40, 48, 56 */
	uint32_t tcs;			/* 64 */
	uint32_t flags;			/* 68: ENS_APP_FLAG_* */
	uint64_t xfrm;			/* 72 */
	uint16_t isvprodid, isvsvn;	/* 80, 82 */
	uint8_t reserved[44];		/* 84 */
} ENS_PACKED;			/* then one 1808-byte SIGSTRUCT per model, sgx1 first */
_Static_assert(sizeof(struct ens_app_section_hdr) == 128, "section header");

/* Parse a section payload (called by ens_app_open). */
int ens_app_section_parse(const uint8_t *p, size_t len, struct ens_app_signed *s,
			  struct ens_app_section_hdr *hdr, struct ens_err *err);
/* The unsigned ELF of app (signed or not) as a new buffer (caller frees). */
int ens_app_unsigned_copy(const struct ens_app *app, uint8_t **out, size_t *len, struct ens_err *err);
/* Write the unsigned ELF plus the section to path, atomically, with mode. */
int ens_app_write_signed(const struct ens_app *app, const struct ens_app_signed *s,
			 const char *path, unsigned mode, struct ens_err *err);

#endif
