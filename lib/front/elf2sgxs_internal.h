/* Shared state of the ELF-to-SGXS front end (elf2sgxs.c checks the ELF and
 * plans the layout, elf2sgxs_emit.c streams the pages). Private header. */
#ifndef ENSIGN_ELF2SGXS_INTERNAL_H
#define ENSIGN_ELF2SGXS_INTERNAL_H

#include <libelf.h>
#include <gelf.h>
#include "ensign/fortanix.h"

struct e2s_seg {
	unsigned phdr_index;
	uint64_t vaddr, memsz, filesz, offset;
	uint64_t page_base, page_end;	/* pages written: [page_base, page_end) */
	uint64_t data_end;		/* file bytes come from [vaddr, data_end) */
	uint64_t secinfo;		/* REG | R/W/X */
};

struct e2s_patch {
	const char *what;		/* symbol or section name, for messages */
	uint64_t addr, len;
	uint64_t value;			/* LE, len <= 8 */
	bool nop_fill;			/* .text_no_sgx: fill with 0x90 */
	bool no_write;			/* ENCLAVE_SIZE with --unsized: placement checked only */
};

#define E2S_MAX_PATCHES 24

struct ens_elf2sgxs {
	char path[1024];
	uint8_t *buf;
	size_t len;
	Elf *elf;
	struct ens_elf2sgxs_opts o;
	struct ens_elf2sgxs_layout L;
	struct e2s_seg *segs;
	unsigned nseg;
	struct e2s_patch patches[E2S_MAX_PATCHES];	/* sorted by address */
	unsigned npatch;
};

int e2s_emit(struct ens_elf2sgxs *e, struct ens_sink *sink, struct ens_err *err);

#endif
