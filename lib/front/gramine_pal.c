/* Gramine front end, libpal.so (gramine-format.md §4.4): the ELF header's
 * e_entry and the PT_LOAD program headers, in program-header order. libelf
 * reads ELF32 and ELF64 in either byte order, as pyelftools does for Gramine;
 * e_machine is not checked. The page bytes are read later, per page. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ensign/gramine.h"

void ens_gr_pal_close(struct ens_gr_pal *pal)
{
	if (pal->fd >= 0)
		close(pal->fd);
	pal->fd = -1;
	free(pal->load);
	free(pal->path);
	pal->load = NULL;
	pal->path = NULL;
}

static uint64_t down(uint64_t x) { return x & ~(uint64_t)(ENS_PAGE_SIZE - 1); }

int ens_gr_pal_open(const char *path, struct ens_gr_pal *pal, struct ens_err *err)
{
	struct stat st;
	Elf *elf = NULL;
	GElf_Ehdr eh;
	size_t phnum;
	uint8_t ident[EI_NIDENT];

	memset(pal, 0, sizeof *pal);
	pal->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pal->fd < 0)
		return ens_fail_errno(err, "libpal '%s'", path);
	pal->path = strdup(path);
	if (!pal->path)
		goto nomem;
	if (fstat(pal->fd, &st) < 0) {
		ens_fail_errno(err, "libpal '%s'", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		ens_fail(err, ENS_E_IO, "libpal '%s' is a directory", path);
		goto fail;
	}
	pal->file_size = (uint64_t)st.st_size;
	if (pread(pal->fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident || memcmp(ident, ELFMAG, SELFMAG) ||
	    (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
	    (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)) {
		ens_fail(err, ENS_E_FORMAT, "libpal '%s' is not an ELF file (Magic number does not match)", path);
		goto fail;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(pal->fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		ens_fail(err, ENS_E_FORMAT, "libpal '%s': bad ELF header: %s", path, elf_errmsg(-1));
		goto fail;
	}
	pal->entry = eh.e_entry;
	pal->x86_64 = ident[EI_CLASS] == ELFCLASS64 && ident[EI_DATA] == ELFDATA2LSB && eh.e_machine == EM_X86_64;
	if (elf_getphdrnum(elf, &phnum)) {
		ens_fail(err, ENS_E_FORMAT, "libpal '%s': bad program headers: %s", path, elf_errmsg(-1));
		goto fail;
	}
	pal->load = calloc(phnum ? phnum : 1, sizeof *pal->load);
	if (!pal->load)
		goto nomem;
	pal->mapaddr = UINT64_MAX;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			ens_fail(err, ENS_E_FORMAT, "libpal '%s': bad program header %zu: %s", path, i,
				 elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr > UINT64_MAX - ph.p_memsz - ENS_PAGE_SIZE) {
			ens_fail(err, ENS_E_FORMAT, "libpal '%s': PT_LOAD %zu runs past the address space", path, i);
			goto fail;
		}
		struct ens_gr_load *l = &pal->load[pal->nload++];
		l->offset = ph.p_offset;
		l->vaddr = ph.p_vaddr;
		l->filesz = ph.p_filesz;
		l->memsz = ph.p_memsz;
		l->flags = ph.p_flags;
		if (down(l->vaddr) < pal->mapaddr)
			pal->mapaddr = down(l->vaddr);
		uint64_t e = down(l->vaddr + l->memsz + ENS_PAGE_SIZE - 1);
		if (e > pal->mapend)
			pal->mapend = e;
	}
	if (!pal->nload) {
		/* Gramine places such a pal at 0xfffffffffffff000 and then stops. */
		ens_fail(err, ENS_E_FORMAT, "libpal '%s' has no PT_LOAD segment (Unexpected memory area is in "
			 "heap range)", path);
		goto fail;
	}
	elf_end(elf);
	return 0;
nomem:
	ens_fail(err, ENS_E_NOMEM, "out of memory");
fail:
	if (elf)
		elf_end(elf);
	ens_gr_pal_close(pal);
	return -1;
}
