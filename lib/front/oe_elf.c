/* Open Enclave front end, input stage: map an OE enclave ELF and collect
 * what oesign's loader uses (§A.4, §A.5): PT_LOAD segments, .oeinfo, the
 * relocation records, TLS sizes and the symbols it patches. Every offset
 * taken from the file is bounds-checked against the file size. */
#include <fcntl.h>
#include <stdio.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ensign/oe.h"
#include "ensign/util.h"
#include "oe_internal.h"

const char *const oe_sym_names[OE_SYM_COUNT] = {
	"_enclave_rva", "_reloc_rva", "_reloc_size", "_tdata_rva", "_tdata_size", "_tdata_align",
	"_tbss_size", "_tbss_align", "_td_from_tcs_offset",
};

static bool in_file(const struct ens_oe_image *img, uint64_t off, uint64_t len)
{
	return off <= img->file_size && len <= img->file_size - off;
}

static int fmt_err(struct ens_err *err, const struct ens_oe_image *img, const char *what)
{
	return ens_fail(err, ENS_E_FORMAT, "'%s': %s", img->path, what);
}

static int read_segments(struct ens_oe_image *img, Elf *elf, struct ens_err *err)
{
	size_t phnum;
	if (elf_getphdrnum(elf, &phnum) != 0)
		return fmt_err(err, img, "cannot read the program headers");
	img->segs = calloc(phnum ? phnum : 1, sizeof(*img->segs));
	if (!img->segs)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return fmt_err(err, img, "cannot read a program header");
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz || !in_file(img, ph.p_offset, ph.p_filesz) ||
		    ph.p_vaddr > UINT64_MAX / 2 || ph.p_memsz > UINT64_MAX / 2)
			return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu lies outside the file", img->path, i);
		if (!(ph.p_flags & (PF_R | PF_W | PF_X)))
			return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu has no permissions", img->path, i);
		struct oe_segment *s = &img->segs[img->nsegs];
		if (img->nsegs == 0 && ph.p_vaddr != 0)
			return ens_fail(err, ENS_E_FORMAT, "'%s': the first PT_LOAD is at 0x%llx, not 0",
					img->path, (unsigned long long)ph.p_vaddr);
		if (img->nsegs > 0) {
			const struct oe_segment *prev = s - 1;
			uint64_t prev_end = (prev->vaddr + prev->memsz + ENS_PAGE_SIZE - 1) & ~(uint64_t)4095;
			if (ph.p_vaddr < prev->vaddr)
				return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu is below the previous one",
						img->path, i);
			if ((ph.p_vaddr & ~(uint64_t)4095) < prev_end)
				return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu shares a page with the "
						"previous one", img->path, i);
		}
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->secinfo = ENS_SECINFO_REG | ((ph.p_flags & PF_R) ? ENS_SECINFO_R : 0) |
			     ((ph.p_flags & PF_W) ? ENS_SECINFO_W : 0) | ((ph.p_flags & PF_X) ? ENS_SECINFO_X : 0);
		img->nsegs++;
		uint64_t end = (ph.p_vaddr + ph.p_memsz + ENS_PAGE_SIZE - 1) & ~(uint64_t)4095;
		if (end > img->image_size)
			img->image_size = end;
	}
	if (img->nsegs == 0)
		return fmt_err(err, img, "no PT_LOAD segment");
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_TLS && ph.p_align > img->tdata_align)
			img->tdata_align = ph.p_align;	/* lld: PT_TLS p_align wins (v0.17.7) */
	}
	return 0;
}

/* The file range of a section, checked; NOBITS sections have none. */
static int section_range(struct ens_oe_image *img, const GElf_Shdr *sh, const char *name,
			 struct ens_err *err)
{
	if (sh->sh_type != SHT_NOBITS && !in_file(img, sh->sh_offset, sh->sh_size))
		return ens_fail(err, ENS_E_FORMAT, "'%s': section %s lies outside the file", img->path, name);
	return 0;
}

static int read_symbols(struct ens_oe_image *img, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			struct ens_err *err)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return fmt_err(err, img, "cannot read .dynsym");
	size_t n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, (int)i, &sym))
			return fmt_err(err, img, "cannot read a .dynsym entry");
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (int k = 0; k < OE_SYM_COUNT; k++)
			if (!img->syms[k].found && strcmp(name, oe_sym_names[k]) == 0) {
				img->syms[k].found = true;
				img->syms[k].value = sym.st_value;
			}
		if (sym.st_value == img->entry && GELF_ST_TYPE(sym.st_info) == STT_FUNC && !img->entry_name[0])
			snprintf(img->entry_name, sizeof(img->entry_name), "%s", name);
	}
	return 0;
}

static int check_dynamic(struct ens_oe_image *img, Elf_Scn *scn, struct ens_err *err)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Dyn dyn;
	int needed = 0;
	for (int i = 0; d && gelf_getdyn(d, i, &dyn); i++) {
		if (dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH)
			return fmt_err(err, img, "DT_RPATH/DT_RUNPATH are not allowed in an enclave");
		if (dyn.d_tag == DT_NEEDED)
			needed++;
		if (dyn.d_tag == DT_NULL)
			break;
	}
	if (needed > 1)
		return fmt_err(err, img, "more than one DT_NEEDED library");
	if (needed == 1)
		return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': enclaves with a dependent module (DT_NEEDED) "
				"are not supported yet", img->path);
	return 0;
}

/* .rela.dyn ++ .rela.plt, with OE's type check and TPOFF64 rewrite. */
static int read_relocs(struct ens_oe_image *img, Elf *elf, const GElf_Shdr *dyn, const GElf_Shdr *plt,
		       const GElf_Shdr *dynsym, struct ens_err *err)
{
	uint64_t n1 = dyn ? dyn->sh_size : 0, n2 = plt ? plt->sh_size : 0;
	img->has_rela_dyn = dyn != NULL;
	if (!dyn)
		return 0;
	if ((n1 + n2) % sizeof(Elf64_Rela))
		return fmt_err(err, img, "relocation sections are not a whole number of records");
	img->reloc_len = n1 + n2;
	img->reloc = malloc(img->reloc_len ? img->reloc_len : 1);
	if (!img->reloc)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	memcpy(img->reloc, img->map + dyn->sh_offset, n1);
	if (n2)
		memcpy(img->reloc + n1, img->map + plt->sh_offset, n2);
	for (uint64_t off = 0; off < img->reloc_len; off += sizeof(Elf64_Rela)) {
		Elf64_Rela r;
		memcpy(&r, img->reloc + off, sizeof(r));
		uint32_t type = (uint32_t)ELF64_R_TYPE(r.r_info);
		switch (type) {
		case R_X86_64_RELATIVE:
		case R_X86_64_GLOB_DAT:
		case R_X86_64_64:
		case R_X86_64_JUMP_SLOT:
			break;
		case R_X86_64_TPOFF64: {
			uint64_t idx = ELF64_R_SYM(r.r_info);
			if (!dynsym || dynsym->sh_entsize != sizeof(Elf64_Sym) ||
			    idx >= dynsym->sh_size / dynsym->sh_entsize)
				return ens_fail(err, ENS_E_FORMAT, "'%s': TPOFF64 relocation at 0x%llx names "
						"no symbol", img->path, (unsigned long long)r.r_offset);
			Elf64_Sym sym;
			memcpy(&sym, img->map + dynsym->sh_offset + idx * dynsym->sh_entsize, sizeof(sym));
			r.r_addend = (int64_t)sym.st_value;
			memcpy(img->reloc + off, &r, sizeof(r));
			break;
		}
		default:
			return ens_fail(err, ENS_E_FORMAT, "'%s': relocation type %u at 0x%llx is not "
					"supported by Open Enclave", img->path, type,
					(unsigned long long)r.r_offset);
		}
	}
	(void)elf;
	return 0;
}

static int read_sections(struct ens_oe_image *img, Elf *elf, struct ens_err *err)
{
	size_t shstrndx;
	GElf_Shdr oeinfo = { 0 }, rela_dyn = { 0 }, rela_plt = { 0 }, dynsym = { 0 };
	bool have_oeinfo = false, have_dyn = false, have_plt = false, have_dynsym = false;
	Elf_Scn *scn = NULL, *dynsym_scn = NULL, *dynamic_scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return fmt_err(err, img, "cannot read the section names");
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return fmt_err(err, img, "cannot read a section header");
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (section_range(img, &sh, name, err) < 0)
			return -1;
		if (!strcmp(name, ".oeinfo")) {
			oeinfo = sh;
			have_oeinfo = true;
		} else if (!strcmp(name, ".rela.dyn")) {
			rela_dyn = sh;
			have_dyn = true;
		} else if (!strcmp(name, ".rela.plt")) {
			rela_plt = sh;
			have_plt = true;
		} else if (!strcmp(name, ".tdata") && sh.sh_size) {
			img->tdata_rva = sh.sh_addr;
			img->tdata_size = sh.sh_size;
			if (sh.sh_addralign > img->tdata_align)
				img->tdata_align = sh.sh_addralign;
		} else if (!strcmp(name, ".tbss") && sh.sh_size) {
			img->tbss_size = sh.sh_size;
			img->tbss_align = sh.sh_addralign;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = sh;
			dynsym_scn = scn;
			have_dynsym = true;
		} else if (sh.sh_type == SHT_DYNAMIC) {
			dynamic_scn = scn;
		}
	}
	if (!have_oeinfo)
		return fmt_err(err, img, "no .oeinfo section (not an Open Enclave enclave)");
	if (oeinfo.sh_size < ENS_OE_PROPS_SIZE || oeinfo.sh_type == SHT_NOBITS)
		return ens_fail(err, ENS_E_FORMAT, "'%s': .oeinfo is %llu bytes, expected %u", img->path,
				(unsigned long long)oeinfo.sh_size, ENS_OE_PROPS_SIZE);
	img->oeinfo_rva = oeinfo.sh_addr;
	img->oeinfo_off = oeinfo.sh_offset;
	/* The measured copy is patched at the RVA, the written file at the
	 * offset: both must be the same bytes of one loaded segment. */
	bool mapped = false;
	for (int i = 0; i < img->nsegs; i++) {
		const struct oe_segment *s = &img->segs[i];
		if (oeinfo.sh_addr >= s->vaddr && oeinfo.sh_addr + ENS_OE_PROPS_SIZE <= s->vaddr + s->filesz &&
		    oeinfo.sh_addr - s->vaddr == oeinfo.sh_offset - s->offset)
			mapped = true;
	}
	if (!mapped)
		return fmt_err(err, img, ".oeinfo is not inside a loaded segment");
	if (!img->tdata_size)
		img->tdata_align = 0;
	if (img->tdata_align & (img->tdata_align - 1) || img->tbss_align & (img->tbss_align - 1))
		return fmt_err(err, img, "TLS alignment is not a power of two");
	if (dynamic_scn && check_dynamic(img, dynamic_scn, err) < 0)
		return -1;
	if (have_dynsym && read_symbols(img, elf, dynsym_scn, &dynsym, err) < 0)
		return -1;
	if (have_plt && !have_dyn)
		have_plt = false;	/* oesign: no .rela.dyn, no relocation pages */
	return read_relocs(img, elf, have_dyn ? &rela_dyn : NULL, have_plt ? &rela_plt : NULL,
			   have_dynsym ? &dynsym : NULL, err);
}

int ens_oe_open(const char *path, struct ens_oe_image **out, struct ens_err *err)
{
	struct ens_oe_image *img = calloc(1, sizeof(*img));
	Elf *elf = NULL;
	int fd = -1, rc = -1;
	struct stat st;

	*out = NULL;
	if (!img || !(img->path = strdup(path))) {
		free(img);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		ens_fail_errno(err, "cannot open '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not an ELF file", path);
		goto out;
	}
	img->file_size = (uint64_t)st.st_size;
	img->mode = st.st_mode & 07777;
	/* Private writable mapping: libelf may touch its buffer; the file never changes. */
	img->map = mmap(NULL, img->file_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (img->map == MAP_FAILED) {
		img->map = NULL;
		ens_fail_errno(err, "cannot map '%s'", path);
		goto out;
	}
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)img->map, img->file_size);
	GElf_Ehdr eh;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not an ELF file", path);
		goto out;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not an x86-64 ELF64 file", path);
		goto out;
	}
	img->entry = eh.e_entry;
	if (read_segments(img, elf, err) < 0 || read_sections(img, elf, err) < 0)
		goto out;
	if (!img->syms[OE_SYM_ENCLAVE_RVA].found) {
		ens_fail(err, ENS_E_FORMAT, "'%s': dynamic symbol _enclave_rva not found", path);
		goto out;
	}
	for (int k = 0; k < OE_SYM_COUNT; k++)
		if (img->syms[k].found && (img->syms[k].value > img->image_size ||
					   img->image_size - img->syms[k].value < 8)) {
			ens_fail(err, ENS_E_FORMAT, "'%s': symbol %s lies outside the image", path,
				 oe_sym_names[k]);
			goto out;
		}
	rc = 0;
out:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		ens_oe_close(img);
	else
		*out = img;
	return rc;
}

void ens_oe_close(struct ens_oe_image *img)
{
	if (!img)
		return;
	if (img->map)
		munmap(img->map, img->file_size);
	free(img->segs);
	free(img->reloc);
	free(img->path);
	free(img);
}

void ens_oe_props_read(const struct ens_oe_image *img, struct ens_oe_props *p)
{
	memcpy(p, img->map + img->oeinfo_off, sizeof(*p));
}

uint64_t ens_oe_oeinfo_file_offset(const struct ens_oe_image *img) { return img->oeinfo_off; }
uint64_t ens_oe_entry(const struct ens_oe_image *img) { return img->entry; }
const char *ens_oe_entry_symbol(const struct ens_oe_image *img) { return img->entry_name; }
