/* Open Enclave front end: what the ELF reader (oe_elf.c) hands to the
 * layout stage (oe_layout.c) and the signed-file writer (oe_sign.c). */
#ifndef ENSIGN_OE_INTERNAL_H
#define ENSIGN_OE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct oe_segment {
	uint64_t vaddr, memsz, offset, filesz;
	uint64_t secinfo;		/* REG | R/W/X */
};

/* A symbol oesign patches in the measured image: found, and where. */
struct oe_symbol {
	bool found;
	uint64_t value;
};

enum oe_sym_id {
	OE_SYM_ENCLAVE_RVA, OE_SYM_RELOC_RVA, OE_SYM_RELOC_SIZE, OE_SYM_TDATA_RVA,
	OE_SYM_TDATA_SIZE, OE_SYM_TDATA_ALIGN, OE_SYM_TBSS_SIZE, OE_SYM_TBSS_ALIGN,
	OE_SYM_TD_FROM_TCS, OE_SYM_COUNT
};
extern const char *const oe_sym_names[OE_SYM_COUNT];

struct ens_oe_image {
	char *path;
	uint8_t *map;			/* private read-write mapping of the whole file */
	uint64_t file_size;
	mode_t mode;
	uint64_t entry;
	char entry_name[64];
	struct oe_segment *segs;
	int nsegs;
	uint64_t image_size;
	uint64_t oeinfo_rva, oeinfo_off;
	uint8_t *reloc;			/* .rela.dyn ++ .rela.plt, TPOFF64 addends patched */
	uint64_t reloc_len;
	bool has_rela_dyn;
	uint64_t tdata_rva, tdata_size, tdata_align, tbss_size, tbss_align;
	struct oe_symbol syms[OE_SYM_COUNT];
};

#endif
