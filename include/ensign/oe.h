/* Open Enclave front end (openenclave-mystikos.md Part A): the .oeinfo
 * properties, oesign's .conf rules, the measured layout streamed into an
 * ens_sink, the SIGSTRUCT defaults and the signed-file writer. */
#ifndef ENSIGN_OE_H
#define ENSIGN_OE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "page.h"
#include "sgx.h"
#include "sigstruct.h"

#define ENS_OE_PROPS_SIZE 1960u
#define ENS_OE_TYPE_SGX 2u
#define ENS_OE_END_MARKER 0xECECECECECECECECull
#define ENS_OE_FLAG_CAPTURE_PFGP 0x1u
#define ENS_OE_FLAG_ZERO_BASE 0x2u
#define ENS_OE_MAX_TCS 1024u	/* OE_SGX_MAX_TCS from v0.17.7 */

/* oe_sgx_enclave_properties_t (x86-64), as stored in .oeinfo (§A.4). */
struct ens_oe_props {
	uint32_t size;			/* 0: 1960 once initialised */
	uint32_t enclave_type;		/* 4: SGX = 2 */
	uint64_t num_heap_pages;	/* 8 */
	uint64_t num_stack_pages;	/* 16 */
	uint64_t num_tcs;		/* 24 */
	uint16_t product_id;		/* 32 */
	uint16_t security_version;	/* 34 */
	uint32_t flags;			/* 36: ENS_OE_FLAG_* */
	uint8_t family_id[16];		/* 40 */
	uint8_t extended_product_id[16];/* 56 */
	uint64_t attributes;		/* 72 */
	uint64_t xfrm;			/* 80 */
	uint64_t start_address;		/* 88 */
	uint64_t oeinfo_rva;		/* 96 */
	uint64_t oeinfo_size;		/* 104 */
	uint64_t reloc_rva;		/* 112 */
	uint64_t reloc_size;		/* 120 */
	uint64_t heap_rva;		/* 128 */
	uint64_t enclave_size;		/* 136 */
	uint8_t sigstruct[1808];	/* 144 */
	uint64_t end_marker;		/* 1952 */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_oe_props) == ENS_OE_PROPS_SIZE, "oe properties size");
_Static_assert(offsetof(struct ens_oe_props, product_id) == 32, "product_id");
_Static_assert(offsetof(struct ens_oe_props, flags) == 36, "flags");
_Static_assert(offsetof(struct ens_oe_props, attributes) == 72, "attributes");
_Static_assert(offsetof(struct ens_oe_props, start_address) == 88, "start_address");
_Static_assert(offsetof(struct ens_oe_props, oeinfo_rva) == 96, "image_info");
_Static_assert(offsetof(struct ens_oe_props, enclave_size) == 136, "enclave_size");
_Static_assert(offsetof(struct ens_oe_props, sigstruct) == 144, "sigstruct");
_Static_assert(offsetof(struct ens_oe_props, end_marker) == 1952, "end_marker");

/* The settings of a .conf file; has_* says which lines were present. */
struct ens_oe_conf {
	bool has_debug, has_heap, has_stack, has_tcs, has_prodid, has_svn;
	bool has_family, has_extprod, has_pfgp, has_zero_base, has_start;
	bool debug, pfgp, zero_base;
	uint64_t num_heap_pages, num_stack_pages, num_tcs, start_address;
	uint16_t product_id, security_version;
	uint8_t family_id[16], extended_product_id[16];
};

/* Parse oesign's .conf syntax (§A.2). 'name' prefixes messages as
 * "NAME(LINE): ...". */
int ens_oe_conf_parse(const char *name, const char *text, size_t len, struct ens_oe_conf *c,
		      struct ens_err *err);
int ens_oe_conf_load(const char *path, struct ens_oe_conf *c, struct ens_err *err);
/* Merge a .conf (may be NULL) into the properties read from .oeinfo, then
 * validate as oesign does. */
int ens_oe_merge(struct ens_oe_props *p, const struct ens_oe_conf *c, struct ens_err *err);
int ens_oe_validate(const struct ens_oe_props *p, struct ens_err *err);

/* An OE enclave ELF, mapped read-only. Opaque. */
struct ens_oe_image;
int ens_oe_open(const char *path, struct ens_oe_image **out, struct ens_err *err);
void ens_oe_close(struct ens_oe_image *img);
/* The .oeinfo bytes as stored in the file. */
void ens_oe_props_read(const struct ens_oe_image *img, struct ens_oe_props *p);
uint64_t ens_oe_oeinfo_file_offset(const struct ens_oe_image *img);
uint64_t ens_oe_entry(const struct ens_oe_image *img);
/* Name of the dynamic symbol at the entry point ("" if none). */
const char *ens_oe_entry_symbol(const struct ens_oe_image *img);

/* Layout figures derived from the image and the merged properties. */
struct ens_oe_layout {
	uint64_t image_size, reloc_size, heap_rva, tcs_rva, total;
	uint64_t enclave_size;		/* next_pow2(total): image_info.enclave_size */
	uint64_t secs_size;		/* ECREATE SIZE (differs with zero base) */
	uint64_t base;			/* StartAddress with zero base, else 0 */
	uint64_t tls_pages;
};
/* Push OE's measured layout (§A.5) into sink: ECREATE, image pages with the
 * patched .oeinfo (SIGSTRUCT zeroed) and symbols, relocations, heap, TCS
 * regions. Streams page by page. lay may be NULL. */
int ens_oe_stream(const struct ens_oe_image *img, const struct ens_oe_props *p, struct ens_sink *sink,
		  struct ens_oe_layout *lay, struct ens_err *err);
int ens_oe_mrenclave(const struct ens_oe_image *img, const struct ens_oe_props *p,
		     uint8_t mrenclave[32], struct ens_oe_layout *lay, struct ens_err *err);

/* SIGSTRUCT fields oesign writes for these properties (§A.3). */
void ens_oe_sigstruct_fields(const struct ens_oe_props *p, const uint8_t mrenclave[32], uint32_t date,
			     struct ens_sigstruct_fields *f);
/* Copy the input file to out with the 1960 .oeinfo bytes replaced by p
 * (atomic; out must differ from the input). */
int ens_oe_write_signed(const struct ens_oe_image *img, const struct ens_oe_props *p, const char *out,
			struct ens_err *err);

/* Two-step signing (oesign digest / sign -x -d). The digest is SHA-256 of
 * the 256 signed bytes. */
int ens_oe_digest(const struct ens_sigstruct *s, uint8_t digest[32], struct ens_err *err);
/* Check the raw signature in sig_path (384 bytes, big-endian, as written by
 * `openssl pkeyutl -sign -pkeyopt digest:sha256`) against the public key of
 * the X.509 certificate (or public key PEM) in cert_path, and embed it in s.
 * The date the digest was made with is recovered: s->date is tried first,
 * then, unless date_fixed, the day after and each of the 3660 days before. */
int ens_oe_attach_digest_signature(struct ens_sigstruct *s, const char *cert_path, const char *sig_path,
				   bool date_fixed, struct ens_err *err);

#endif
