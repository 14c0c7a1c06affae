/* Intel SGX SDK enclaves (intel-sdk-format.md, intel-sdk-versions.md):
 * Enclave.config.xml, the ELF checks, SDK version detection, the
 * layout/metadata builder (sgx_sign 2.0 ... 2.26 byte-exact) and the
 * metadata-driven page stream used by sign, gendata, catsig and verify. */
#ifndef ENSIGN_INTEL_SDK_H
#define ENSIGN_INTEL_SDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "page.h"
#include "sgx.h"
#include "sigstruct.h"

#define ENS_INTEL_META_MAGIC 0x86A80294635D0E4Cull
#define ENS_INTEL_META_AREA 0x6000u		/* the largest blob sgx_sign writes (2.24+) */
#define ENS_INTEL_LAYOUT_MAX 43u
#define ENS_INTEL_VERSION(maj, min) (((uint64_t)(maj) << 32) | (uint32_t)(min))

/* SDK releases 2.0 ... 2.26 (intel-sdk-versions.md) as one number:
 * 2.minor.patch -> 20000 + 100 * minor + patch (2.9.1 = 20901). 0 = unknown. */
#define ENS_SDK(minor, patch) (20000u + 100u * (minor) + (patch))
#define ENS_SDK_LATEST ENS_SDK(26, 0)
/* The version detection of intel-sdk-versions.md §2 from the evidence in the
 * file: g_global_data's st_size and its first bytes (gd, gd_len of them), the
 * SGX_TSTDC_VERSION_ string's STRFILEVER (NULL if none) and the size of the
 * .note.sgxmeta descriptor (0 if unknown). Returns the ENS_SDK() code, or 0
 * if the version cannot be told (contradictory or missing evidence); 'why'
 * lists the evidence either way, 'warn' (may be NULL) a weaker contradiction. */
unsigned ens_intel_sdk_detect(uint64_t gd_size, const uint8_t *gd, size_t gd_len, const char *tstdc,
			      uint64_t note_size, char *why, size_t why_len, char *warn, size_t warn_len);
/* "2.9.1" -> ENS_SDK(9, 1); 0 if not a release this emulation knows. */
unsigned ens_intel_sdk_parse(const char *s);
/* ENS_SDK code -> "2.9.1"; family letter of intel-sdk-versions.md §4.1. */
void ens_intel_sdk_str(unsigned sdk, char *buf, size_t len);
const char *ens_intel_sdk_family(unsigned sdk);
/* sizeof(global_data_t) and the metadata area size sgx_sign of that version uses. */
uint32_t ens_intel_sdk_gd_size(unsigned sdk);
uint32_t ens_intel_sdk_area_size(unsigned sdk);

/* metadata_t header (§8.2); the data area follows the dirs. Versions before
 * 1.5/3.x (1.3, 1.4, 2.x) have only the PATCH and LAYOUT dirs, so their data
 * area starts 16 bytes earlier. */
struct ens_intel_dir { uint32_t offset, size; } ENS_PACKED;
struct ens_intel_meta {
	uint64_t magic;				/* 0 */
	uint64_t version;			/* 8 */
	uint32_t size;				/* 16 */
	uint32_t tcs_policy;			/* 20 */
	uint32_t ssa_frame_size;		/* 24 */
	uint32_t max_save_buffer_size;		/* 28 */
	uint32_t desired_misc_select;		/* 32 */
	uint32_t tcs_min_pool;			/* 36 */
	uint64_t enclave_size;			/* 40 */
	uint64_t attr_flags;			/* 48 */
	uint64_t attr_xfrm;			/* 56 */
	struct ens_sigstruct css;		/* 64 */
	struct ens_intel_dir dirs[4];		/* 1872: PATCH, LAYOUT, ELRANGE, EXTEND */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_intel_meta) == 1904, "metadata_t header");
_Static_assert(offsetof(struct ens_intel_meta, css) == 64, "metadata_t.enclave_css");
_Static_assert(offsetof(struct ens_intel_meta, dirs) == 1872, "metadata_t.dirs");
enum { ENS_INTEL_DIR_PATCH, ENS_INTEL_DIR_LAYOUT, ENS_INTEL_DIR_ELRANGE, ENS_INTEL_DIR_EXTEND };

struct ens_intel_layout {			/* layout_entry_t or layout_group_t */
	uint16_t id;
	uint16_t attributes;			/* group: entry_count */
	uint32_t page_count;			/* group: load_times */
	uint64_t rva;				/* group: load_step */
	uint32_t content_size;
	uint32_t content_offset;
	uint64_t si_flags;
} ENS_PACKED;
_Static_assert(sizeof(struct ens_intel_layout) == 32, "layout_t");

struct ens_intel_patch { uint64_t dst; uint32_t src, size; uint32_t reserved[4]; } ENS_PACKED;
_Static_assert(sizeof(struct ens_intel_patch) == 32, "patch_entry_t");

struct ens_intel_elrange { uint64_t image_address, start_address, size; } ENS_PACKED;

/* Layout IDs and attributes (metadata.h, se_page_attr.h). */
enum {
	ENS_LAYOUT_HEAP_MIN = 1, ENS_LAYOUT_HEAP_INIT = 2, ENS_LAYOUT_HEAP_MAX = 3,
	ENS_LAYOUT_TCS = 4, ENS_LAYOUT_TD = 5, ENS_LAYOUT_SSA = 6, ENS_LAYOUT_STACK_MAX = 7,
	ENS_LAYOUT_STACK_MIN = 8, ENS_LAYOUT_GUARD = 10, ENS_LAYOUT_DYN = 10,
	ENS_LAYOUT_RSRV_MIN = 20, ENS_LAYOUT_RSRV_INIT = 21, ENS_LAYOUT_RSRV_MAX = 22,
	ENS_LAYOUT_USER_REGION = 23,
	ENS_LAYOUT_GROUP_FLAG = 0x1000,
	ENS_LAYOUT_THREAD_GROUP = 0x1009, ENS_LAYOUT_THREAD_GROUP_DYN = 0x1013,
};
enum {
	ENS_PA_EADD = 0x1, ENS_PA_EEXTEND = 0x2, ENS_PA_EREMOVE = 0x4, ENS_PA_POST_ADD = 0x8,
	ENS_PA_POST_REMOVE = 0x10, ENS_PA_DYN_THREAD = 0x20, ENS_PA_GROW_DOWN = 0x40,
};
const char *ens_intel_layout_name(uint16_t id);

/* Enclave.config.xml (§3). */
enum ens_intel_opt {
	EIO_PRODID, EIO_ISVSVN, EIO_RELEASETYPE, EIO_INTELSIGNED, EIO_PROVISIONKEY, EIO_LAUNCHKEY,
	EIO_DISABLEDEBUG, EIO_HW, EIO_TCSNUM, EIO_TCSMAXNUM, EIO_TCSMINPOOL, EIO_TCSPOLICY,
	EIO_STACKMAX, EIO_STACKMIN, EIO_HEAPMAX, EIO_HEAPMIN, EIO_HEAPINIT,
	EIO_RSRVMAX, EIO_RSRVMIN, EIO_RSRVINIT, EIO_RSRVEXEC, EIO_MISCSELECT, EIO_MISCMASK,
	EIO_ENABLEKSS, EIO_FAMILYID_H, EIO_FAMILYID_L, EIO_EXTPRODID_H, EIO_EXTPRODID_L,
	EIO_IMAGEADDR, EIO_ELRANGESTART, EIO_ELRANGESIZE, EIO_PKRU, EIO_AMX, EIO_USERREGION,
	EIO_AEXNOTIFY, EIO_IPPFIPS, EIO_OSSLFIPS, EIO_COUNT
};
struct ens_intel_config {
	uint64_t v[EIO_COUNT];
	bool set[EIO_COUNT];
};
const char *ens_intel_opt_name(enum ens_intel_opt o);
/* The key's name in Enclave.config.xml as SDK 'sdk' spells it (Rsrv* in 2.6-2.7.1),
 * NULL if that version does not know it (0 = 2.26). */
const char *ens_intel_opt_name_v(enum ens_intel_opt o, unsigned sdk);
/* As ens_intel_config_load/parse, with the keys, defaults and ranges of SDK 'sdk'. */
int ens_intel_config_load_v(struct ens_intel_config *c, const char *path, unsigned sdk, struct ens_err *err);
int ens_intel_config_parse_v(struct ens_intel_config *c, const char *xml, size_t len, const char *name,
			     unsigned sdk, struct ens_err *err);
void ens_intel_config_defaults(struct ens_intel_config *c);
/* Parse (libxml2) and check (ranges and cross-checks); path NULL = defaults. */
int ens_intel_config_load(struct ens_intel_config *c, const char *path, struct ens_err *err);
int ens_intel_config_parse(struct ens_intel_config *c, const char *xml, size_t len,
			   const char *name, struct ens_err *err);
int ens_intel_config_check(const struct ens_intel_config *c, const char *name, struct ens_err *err);

/* The enclave ELF (§2.2), read whole (files are small; the enclave is not). */
struct ens_intel_seg { uint64_t vaddr, memsz, filesz, offset; uint32_t flags; };
struct ens_intel_elf {
	const char *path;
	uint8_t *data;
	size_t len;
	bool is64;
	int nseg;
	struct ens_intel_seg seg[64];		/* PT_LOAD, program-header order */
	uint64_t image_end;			/* ROUND_TO_PAGE end of the highest segment */
	bool has_tls;
	uint64_t tls_size;			/* p_memsz rounded to p_align */
	uint64_t gd_vaddr, gd_size, gd_fileoff;	/* g_global_data */
	uint64_t entry;				/* enclave_entry, else e_entry */
	uint64_t meta_off, meta_size;		/* metadata area (note descriptor) */
	uint64_t sdk_version;			/* first u64 of g_global_data in the file */
	char tstdc[48];				/* STRFILEVER of SGX_TSTDC_VERSION_, "" if none */
	unsigned sdk;				/* detected ENS_SDK() code, 0 = cannot tell */
	char sdk_why[320];			/* the evidence */
	char sdk_warn[200];			/* a contradiction that did not decide */
	bool has_metadata;			/* magic present */
	bool textrel;
	uint64_t relro_phoff;			/* ELF32: file offset of PT_GNU_RELRO phdr, 0 if none */
};
struct ens_intel_elf_opts {
	bool ignore_rel_error, ignore_init_sec_error, resign;
	bool for_signing;			/* run every sgx_sign check (else: only what verify needs) */
};
int ens_intel_elf_open(struct ens_intel_elf *e, const char *path, const struct ens_intel_elf_opts *o,
		       struct ens_err *err);
void ens_intel_elf_free(struct ens_intel_elf *e);

/* What sign builds (for SDK e->sdk, 0 = 2.26): the primary metadata that is measured, the
 * metadata area to write, and the SIGSTRUCT fields. */
enum ens_intel_kind { ENS_INTEL_SGX1, ENS_INTEL_SGX2, ENS_INTEL_SGX2_SGX1 };
struct ens_intel_build {
	uint8_t meta[ENS_INTEL_META_AREA];	/* the measured 3.x block */
	uint32_t meta_len;
	enum ens_intel_kind kind;
	const char *kind_note;			/* sgx_sign's INFO text, abridged */
	struct ens_sigstruct_fields fields;	/* enclavehash and date not yet set */
	uint64_t pages_added;
	unsigned sdk;				/* ENS_SDK() code emulated */
	uint32_t tcs_num;
	bool elrange;
};
int ens_intel_build(struct ens_intel_build *b, const struct ens_intel_elf *e,
		    const struct ens_intel_config *c, struct ens_err *err);
/* Offsets of thread_policy and td_template.xsave_size in a g_global_data
 * template of gd_size bytes (any SDK 2.x on x64); -1 if no release has that size. */
int ens_intel_gd_offsets(uint32_t gd_size, uint32_t *policy, uint32_t *xsave);
/* The metadata area to write: blocks per b->kind carrying css, zero-padded to area_len. */
int ens_intel_area(const struct ens_intel_build *b, const struct ens_sigstruct *css,
		   uint8_t *area, size_t area_len, struct ens_err *err);

/* Push ECREATE and every page of the enclave described by the metadata block
 * 'meta' (meta_len bytes) into sink: patch a private copy of the ELF image,
 * then PT_LOAD segments, then the layout table. Works for metadata 1.3..3.x
 * and 11.x/13.x. */
int ens_intel_stream(const struct ens_intel_elf *e, const uint8_t *meta, size_t meta_len,
		     struct ens_sink *sink, struct ens_err *err);
int ens_intel_mrenclave(const struct ens_intel_elf *e, const uint8_t *meta, size_t meta_len,
			uint8_t mrenclave[32], uint64_t *pages, struct ens_err *err);

/* Walk the metadata chain in an area: returns the number of blocks (0 if the
 * area holds none); offs[i] are offsets in the area. */
int ens_intel_meta_chain(const uint8_t *area, size_t len, size_t offs[], int max, struct ens_err *err);
/* Validate one block's header, dirs and tables against its own size. */
int ens_intel_meta_check(const uint8_t *meta, size_t len, struct ens_err *err);
bool ens_intel_meta_new_format(uint64_t version);

#endif
