/* What kind of file is this? One look at the first bytes (and, for ELF, the
 * section names) before any parser sees the file, so that a file of the wrong
 * kind is named as what it is, with what to do with it, instead of getting a
 * parser's view of it ("the first record is not ECREATE"). */
#ifndef ENSIGN_PROBE_H
#define ENSIGN_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

enum ens_kind {
	ENS_K_UNKNOWN,		/* binary of no known kind: the parser decides */
	ENS_K_EMPTY,
	ENS_K_DIR,
	ENS_K_SGXS,		/* starts with an ECREATE record */
	ENS_K_SGXS_UNSIZED,	/* starts with an UNSIZED record */
	ENS_K_SIGSTRUCT,	/* 1808 bytes with the SIGSTRUCT HEADER */
	ENS_K_PACKAGE,		/* ensign package (trailer magic at the end) */
	ENS_K_ELF_INTEL,	/* Intel SGX SDK enclave (.note.sgxmeta) */
	ENS_K_ELF_OE,		/* Open Enclave enclave (.oeinfo) */
	ENS_K_ELF_EDP,		/* Fortanix EDP enclave (.note.x86_64-fortanix-unknown-sgx) */
	ENS_K_ELF_APP_SIGNED,	/* application signed by ensign sign (.ensign.app) */
	ENS_K_ELF_EXEC,		/* an ordinary executable (ET_EXEC, or ET_DYN with PT_INTERP) */
	ENS_K_ELF_SHARED,	/* ET_DYN without an interpreter */
	ENS_K_ELF_OBJECT,	/* ET_REL */
	ENS_K_ELF_OTHER,	/* core file, other machine or class */
	ENS_K_PEM_PRIVATE,
	ENS_K_PEM_PUBLIC,
	ENS_K_PEM_CERT,
	ENS_K_PEM_OTHER,
	ENS_K_JSON,
	ENS_K_TEXT,
	ENS_K_ARCHIVE,		/* tar, gzip, xz, zstd, bzip2, zip, ar, cpio */
	ENS_K_GRAMINE_MANIFEST,	/* text named *.manifest or *.manifest.sgx (TOML) */
	ENS_K_COUNT_
};
#define ENS_KBIT(k) (1ull << (k))
/* Every ELF kind (for commands that take "an ELF" and look closer themselves). */
#define ENS_KBITS_ELF (ENS_KBIT(ENS_K_ELF_INTEL) | ENS_KBIT(ENS_K_ELF_OE) | ENS_KBIT(ENS_K_ELF_EDP) | \
		       ENS_KBIT(ENS_K_ELF_APP_SIGNED) | ENS_KBIT(ENS_K_ELF_EXEC) | ENS_KBIT(ENS_K_ELF_SHARED) | \
		       ENS_KBIT(ENS_K_ELF_OBJECT) | ENS_KBIT(ENS_K_ELF_OTHER))

struct ens_probe {
	enum ens_kind kind;
	const char *detail;	/* archive: "tar", "gzip", ...; else NULL */
};

/* Probe the file at path. -1 (ENS_E_IO) if it cannot be opened. */
int ens_probe_file(const char *path, struct ens_probe *out, struct ens_err *err);
/* Probe bytes already read: head (up to 4096 of them), the file size and its
 * last 8 bytes (NULL when unknown). ELF kinds need the whole file: given only
 * the head, an ELF is ENS_K_ELF_EXEC/SHARED/OBJECT/OTHER by its header. */
void ens_probe_bytes(const uint8_t *head, size_t len, uint64_t size, const uint8_t *tail8,
		     struct ens_probe *out);
/* "an ELF executable", "an SGXS file", ... (with its article). */
const char *ens_kind_name(const struct ens_probe *p);
/* What to do with a file of this kind: "convert it with `ensign elf2sgxs`", or "". */
const char *ens_kind_hint(enum ens_kind k);
/* 0 when path's kind is in 'want' (ENS_KBIT mask) or unknown (the parser
 * decides), else -1 with ENS_E_FORMAT:
 *   "'path' is <kind>, not <what>: <hint>".
 * An unknown kind, an empty file, a directory and a file that cannot be
 * opened pass (the caller's own reading reports them). */
int ens_probe_expect(const char *path, uint64_t want, const char *what, struct ens_err *err);

#endif
