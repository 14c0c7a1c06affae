/* Architectural SGX structures (sgx-architecture.md §1-§4): byte-exact, packed,
 * little-endian. Every offset a peer reads is pinned by a _Static_assert. */
#ifndef ENSIGN_SGX_H
#define ENSIGN_SGX_H

#include <stddef.h>
#include <stdint.h>

#define ENS_PACKED __attribute__((packed))

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ensign assumes a little-endian host");

#define ENS_PAGE_SIZE 4096u
#define ENS_CHUNK_SIZE 256u
#define ENS_CHUNKS_PER_PAGE 16u
#define ENS_HASH_SIZE 32u
#define ENS_MODULUS_SIZE 384u
#define ENS_SIGSTRUCT_SIZE 1808u
#define ENS_SIGNED_SIZE 256u	/* header [0,128) ++ body [900,1028) */

/* SECINFO.FLAGS (§2.2) */
enum {
	ENS_SECINFO_R = 0x1,
	ENS_SECINFO_W = 0x2,
	ENS_SECINFO_X = 0x4,
	ENS_SECINFO_PENDING = 0x8,
	ENS_SECINFO_MODIFIED = 0x10,
	ENS_SECINFO_PR = 0x20,
	ENS_SECINFO_PT_SHIFT = 8,
	ENS_SECINFO_PT_MASK = 0xff00,
};
enum ens_page_type { ENS_PT_SECS = 0, ENS_PT_TCS = 1, ENS_PT_REG = 2, ENS_PT_VA = 3, ENS_PT_TRIM = 4 };
#define ENS_SECINFO_REG ((uint64_t)ENS_PT_REG << ENS_SECINFO_PT_SHIFT)	/* 0x200 */
#define ENS_SECINFO_TCS ((uint64_t)ENS_PT_TCS << ENS_SECINFO_PT_SHIFT)	/* 0x100 */

/* ATTRIBUTES.flags (§4.1) */
enum {
	ENS_ATTR_INIT = 0x1,
	ENS_ATTR_DEBUG = 0x2,
	ENS_ATTR_MODE64BIT = 0x4,
	ENS_ATTR_PROVISIONKEY = 0x10,
	ENS_ATTR_EINITTOKEN_KEY = 0x20,
	ENS_ATTR_CET = 0x40,
	ENS_ATTR_KSS = 0x80,
	ENS_ATTR_AEXNOTIFY = 0x400,
};
#define ENS_MISC_EXINFO 0x1u

/* SIGSTRUCT (§1): 1808 bytes. Big numbers are stored little-endian. */
struct ens_sigstruct {
	uint8_t header[16];		/* 0 */
	uint32_t vendor;		/* 16: 0x8086 for Intel, else 0 */
	uint32_t date;			/* 20: BCD 0xYYYYMMDD */
	uint8_t header2[16];		/* 24 */
	uint32_t swdefined;		/* 40 */
	uint8_t reserved1[84];		/* 44 */
	uint8_t modulus[384];		/* 128, LE */
	uint32_t exponent;		/* 512 */
	uint8_t signature[384];		/* 516, LE */
	uint32_t miscselect;		/* 900 */
	uint32_t miscmask;		/* 904 */
	uint8_t cet_attributes;		/* 908 */
	uint8_t cet_attributes_mask;	/* 909 */
	uint8_t reserved2[2];		/* 910 */
	uint8_t isvfamilyid[16];	/* 912 */
	uint64_t attributes;		/* 928 */
	uint64_t xfrm;			/* 936 */
	uint64_t attributes_mask;	/* 944 */
	uint64_t xfrm_mask;		/* 952 */
	uint8_t enclavehash[32];	/* 960 */
	uint8_t reserved3[16];		/* 992 */
	uint8_t isvextprodid[16];	/* 1008 */
	uint16_t isvprodid;		/* 1024 */
	uint16_t isvsvn;		/* 1026 */
	uint8_t reserved4[12];		/* 1028 */
	uint8_t q1[384];		/* 1040, LE */
	uint8_t q2[384];		/* 1424, LE */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_sigstruct) == 1808, "SIGSTRUCT size");
_Static_assert(offsetof(struct ens_sigstruct, vendor) == 16, "VENDOR");
_Static_assert(offsetof(struct ens_sigstruct, date) == 20, "DATE");
_Static_assert(offsetof(struct ens_sigstruct, header2) == 24, "HEADER2");
_Static_assert(offsetof(struct ens_sigstruct, swdefined) == 40, "SWDEFINED");
_Static_assert(offsetof(struct ens_sigstruct, modulus) == 128, "MODULUS");
_Static_assert(offsetof(struct ens_sigstruct, exponent) == 512, "EXPONENT");
_Static_assert(offsetof(struct ens_sigstruct, signature) == 516, "SIGNATURE");
_Static_assert(offsetof(struct ens_sigstruct, miscselect) == 900, "MISCSELECT");
_Static_assert(offsetof(struct ens_sigstruct, miscmask) == 904, "MISCMASK");
_Static_assert(offsetof(struct ens_sigstruct, cet_attributes) == 908, "CET_ATTRIBUTES");
_Static_assert(offsetof(struct ens_sigstruct, isvfamilyid) == 912, "ISVFAMILYID");
_Static_assert(offsetof(struct ens_sigstruct, attributes) == 928, "ATTRIBUTES");
_Static_assert(offsetof(struct ens_sigstruct, xfrm) == 936, "XFRM");
_Static_assert(offsetof(struct ens_sigstruct, attributes_mask) == 944, "ATTRIBUTEMASK");
_Static_assert(offsetof(struct ens_sigstruct, xfrm_mask) == 952, "XFRMMASK");
_Static_assert(offsetof(struct ens_sigstruct, enclavehash) == 960, "ENCLAVEHASH");
_Static_assert(offsetof(struct ens_sigstruct, isvextprodid) == 1008, "ISVEXTPRODID");
_Static_assert(offsetof(struct ens_sigstruct, isvprodid) == 1024, "ISVPRODID");
_Static_assert(offsetof(struct ens_sigstruct, isvsvn) == 1026, "ISVSVN");
_Static_assert(offsetof(struct ens_sigstruct, q1) == 1040, "Q1");
_Static_assert(offsetof(struct ens_sigstruct, q2) == 1424, "Q2");

/* SECS (§3.1), 4096 bytes: what a loader passes to ECREATE. */
struct ens_secs {
	uint64_t size;			/* 0 */
	uint64_t baseaddr;		/* 8 */
	uint32_t ssaframesize;		/* 16 */
	uint32_t miscselect;		/* 20 */
	uint8_t reserved1[24];		/* 24 */
	uint64_t attributes;		/* 48 */
	uint64_t xfrm;			/* 56 */
	uint8_t mrenclave[32];		/* 64 */
	uint8_t reserved2[32];		/* 96 */
	uint8_t mrsigner[32];		/* 128 */
	uint8_t reserved3[32];		/* 160 */
	uint8_t configid[64];		/* 192 */
	uint16_t isvprodid;		/* 256 */
	uint16_t isvsvn;		/* 258 */
	uint16_t configsvn;		/* 260 */
	uint8_t reserved4[3834];	/* 262 */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_secs) == 4096, "SECS size");
_Static_assert(offsetof(struct ens_secs, attributes) == 48, "SECS.ATTRIBUTES");
_Static_assert(offsetof(struct ens_secs, configid) == 192, "SECS.CONFIGID");
_Static_assert(offsetof(struct ens_secs, isvprodid) == 256, "SECS.ISVPRODID");

/* TCS (§3.2), one page. */
struct ens_tcs {
	uint64_t state;			/* 0 */
	uint64_t flags;			/* 8: DBGOPTIN 0x1, AEXNOTIFY 0x2 */
	uint64_t ossa;			/* 16 */
	uint32_t cssa;			/* 24 */
	uint32_t nssa;			/* 28 */
	uint64_t oentry;		/* 32 */
	uint64_t aep;			/* 40 */
	uint64_t ofsbase;		/* 48 */
	uint64_t ogsbase;		/* 56 */
	uint32_t fslimit;		/* 64 */
	uint32_t gslimit;		/* 68 */
	uint8_t reserved[4024];		/* 72 */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_tcs) == 4096, "TCS size");
_Static_assert(offsetof(struct ens_tcs, oentry) == 32, "TCS.OENTRY");
_Static_assert(offsetof(struct ens_tcs, fslimit) == 64, "TCS.FSLIMIT");
#define ENS_TCS_DBGOPTIN 0x1u
#define ENS_TCS_AEXNOTIFY 0x2u

/* 64-byte measurement records (§2.1). */
#define ENS_TAG_ECREATE  0x0045544145524345ull	/* "ECREATE\0" */
#define ENS_TAG_EADD     0x0000000044444145ull	/* "EADD\0\0\0\0" */
#define ENS_TAG_EEXTEND  0x00444E4554584545ull	/* "EEXTEND\0" */
#define ENS_TAG_UNSIZED  0x0044455a49534e55ull	/* "UNSIZED\0", SGXS only */
#define ENS_TAG_UNMEASRD 0x44525341454d4e55ull	/* "UNMEASRD", SGXS only */

#endif
