/* Intel SDK front end, stage 1: the enclave ELF (intel-sdk-format.md §2.2).
 * Reads the file with libelf (gelf), runs sgx_sign's checks with one message
 * per failure, and finds the segments, TLS, g_global_data, entry and the
 * .note.sgxmeta metadata area. */
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <libelf.h>
#include "ensign/intel_sdk.h"
#include "ensign/io.h"
#include "ensign/util.h"

#define PAGE 4096ull
#define TRIM(x) ((x) & ~(PAGE - 1))
#define ROUND(x) (((x) + PAGE - 1) & ~(PAGE - 1))

void ens_intel_elf_free(struct ens_intel_elf *e)
{
	free(e->data);
	e->data = NULL;
}

static bool reloc_allowed(bool is64, unsigned type)
{
	static const unsigned x64[] = {8, 6, 7, 1, 0, 16, 17, 18};	/* RELATIVE GLOB_DAT JUMP_SLOT 64 NONE DTPMOD64 DTPOFF64 TPOFF64 */
	static const unsigned x86[] = {8, 6, 7, 1, 0, 35, 36, 14};	/* RELATIVE GLOB_DAT JMP_SLOT 32 NONE TLS_DTPMOD32 TLS_DTPOFF32 TLS_TPOFF */
	const unsigned *t = is64 ? x64 : x86;
	for (int i = 0; i < 8; i++)
		if (t[i] == type)
			return true;
	return false;
}

static int file_off(const struct ens_intel_elf *e, uint64_t vaddr, uint64_t len, uint64_t *off)
{
	for (int i = 0; i < e->nseg; i++) {
		const struct ens_intel_seg *s = &e->seg[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz && s->filesz - (vaddr - s->vaddr) >= len) {
			*off = s->offset + (vaddr - s->vaddr);
			return 0;
		}
	}
	return -1;
}

static int check_sections(struct ens_intel_elf *e, Elf *elf, const struct ens_intel_elf_opts *o,
			  size_t shstrndx, Elf_Scn **dynsym, struct ens_err *err)
{
	const char *p = e->path;
	bool have_note = false;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return ens_fail(err, ENS_E_FORMAT, "'%s': bad section header", p);
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			name = "";
		if (sh.sh_type == SHT_DYNSYM)
			*dynsym = scn;
		if (o->for_signing && !strcmp(name, ".ctors"))
			return ens_fail(err, ENS_E_FORMAT, "'%s': has a .ctors section, which SGX enclaves do not support", p);
		if (o->for_signing && !strcmp(name, ".init") && !o->ignore_init_sec_error)
			return ens_fail(err, ENS_E_FORMAT,
					"'%s': has an .init section, which the enclave runtime never runs (-ignore-init-sec-error to allow)", p);
		if (o->for_signing && (sh.sh_type == SHT_RELA || sh.sh_type == SHT_REL)) {
			if (e->is64 && sh.sh_type == SHT_REL)
				return ens_fail(err, ENS_E_FORMAT, "'%s': section '%s' uses REL relocations; x86-64 enclaves must use RELA", p, name);
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; d && i < n; i++) {
				unsigned type;
				uint64_t at;
				if (sh.sh_type == SHT_RELA) {
					GElf_Rela r;
					if (!gelf_getrela(d, (int)i, &r))
						break;
					type = e->is64 ? GELF_R_TYPE(r.r_info) : ELF32_R_TYPE(r.r_info);
					at = r.r_offset;
				} else {
					GElf_Rel r;
					if (!gelf_getrel(d, (int)i, &r))
						break;
					type = e->is64 ? GELF_R_TYPE(r.r_info) : ELF32_R_TYPE(r.r_info);
					at = r.r_offset;
				}
				if (!reloc_allowed(e->is64, type))
					return ens_fail(err, ENS_E_FORMAT,
							"'%s': relocation type %u at 0x%llx in '%s' is not supported in an enclave",
							p, type, (unsigned long long)at, name);
			}
		}
		if (!strcmp(name, ".note.sgxmeta")) {
			if (sh.sh_offset > e->len || e->len - sh.sh_offset < 12 + 13 || sh.sh_size < 12 + 13)
				return ens_fail(err, ENS_E_FORMAT, "'%s': .note.sgxmeta is truncated", p);
			const uint8_t *n = e->data + sh.sh_offset;
			uint32_t namesz = ens_get_le32(n), descsz = ens_get_le32(n + 4);
			if (namesz != 13 || memcmp(n + 12, "sgx_metadata", 13))
				return ens_fail(err, ENS_E_FORMAT, "'%s': .note.sgxmeta does not hold an 'sgx_metadata' note", p);
			if (descsz > sh.sh_size - 25 || sh.sh_offset + 25 + descsz > e->len)
				return ens_fail(err, ENS_E_FORMAT, "'%s': the sgx_metadata note is larger than its section", p);
			e->meta_off = sh.sh_offset + 25;
			e->meta_size = descsz;
			have_note = true;
		}
	}
	if (!have_note)
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': no .note.sgxmeta section with an 'sgx_metadata' note (not built with the Intel SGX SDK?)", p);
	return 0;
}

static int find_symbols(struct ens_intel_elf *e, Elf_Scn *dynsym, Elf *elf, bool signing, struct ens_err *err)
{
	const char *p = e->path;
	GElf_Shdr sh;
	if (!dynsym || !gelf_getshdr(dynsym, &sh))
		return ens_fail(err, ENS_E_FORMAT, "'%s': no .dynsym (dynamic symbol table)", p);
	Elf_Data *d = elf_getdata(dynsym, NULL);
	size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	bool gd = false, entry = false;
	for (size_t i = 1; d && i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name)
			continue;
		if (signing && s.st_shndx == SHN_UNDEF && GELF_ST_BIND(s.st_info) != STB_WEAK)
			return ens_fail(err, ENS_E_FORMAT, "'%s': undefined symbol '%s' (link with --no-undefined)", p, name);
		if (!strcmp(name, "g_global_data")) {
			e->gd_vaddr = s.st_value;
			e->gd_size = s.st_size;
			gd = true;
		} else if (!strcmp(name, "enclave_entry")) {
			e->entry = s.st_value;
			entry = true;
		}
	}
	(void)entry;		/* e_entry, already stored, stands in */
	if (signing && !gd)
		return ens_fail(err, ENS_E_FORMAT, "'%s': no 'g_global_data' in the dynamic symbol table", p);
	if (gd && file_off(e, e->gd_vaddr, 8, &e->gd_fileoff))
		return ens_fail(err, ENS_E_FORMAT, "'%s': 'g_global_data' at 0x%llx is not in a file-backed segment",
				p, (unsigned long long)e->gd_vaddr);
	if (gd)
		e->sdk_version = ens_get_le64(e->data + e->gd_fileoff);
	return 0;
}

static int read_phdrs(struct ens_intel_elf *e, Elf *elf, bool signing, struct ens_err *err)
{
	const char *p = e->path;
	size_t phnum;
	if (elf_getphdrnum(elf, &phnum))
		return ens_fail(err, ENS_E_FORMAT, "'%s': bad program headers", p);
	bool dynamic = false;
	uint64_t top = 0;
	GElf_Ehdr eh;
	gelf_getehdr(elf, &eh);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return ens_fail(err, ENS_E_FORMAT, "'%s': bad program header %zu", p, i);
		if (ph.p_type == PT_DYNAMIC)
			dynamic = true;
		if (ph.p_type == PT_GNU_RELRO && !e->relro_phoff && !e->is64)
			e->relro_phoff = eh.e_phoff + i * eh.e_phentsize;
		if (ph.p_type == PT_TLS) {
			if (!(ph.p_flags & (PF_R | PF_W | PF_X)))
				return ens_fail(err, ENS_E_FORMAT, "'%s': PT_TLS header %zu has no R/W/X flag", p, i);
			e->has_tls = true;
			e->tls_size = ph.p_memsz;
			if (ph.p_align > 1)
				e->tls_size = (ph.p_memsz + ph.p_align - 1) / ph.p_align * ph.p_align;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (!(ph.p_flags & (PF_R | PF_W | PF_X)))
			return ens_fail(err, ENS_E_FORMAT, "'%s': loadable segment %zu has no R/W/X flag", p, i);
		if (ph.p_align % PAGE)
			return ens_fail(err, ENS_E_FORMAT, "'%s': loadable segment %zu alignment 0x%llx is not a multiple of 4096",
					p, i, (unsigned long long)ph.p_align);
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > e->len || e->len - ph.p_offset < ph.p_filesz)
			return ens_fail(err, ENS_E_FORMAT, "'%s': loadable segment %zu lies outside the file", p, i);
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr || ph.p_vaddr + ph.p_memsz > UINT64_MAX - PAGE)
			return ens_fail(err, ENS_E_FORMAT, "'%s': loadable segment %zu overflows", p, i);
		if (e->nseg == (int)(sizeof(e->seg) / sizeof(e->seg[0])))
			return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': more than %d loadable segments", p, e->nseg);
		struct ens_intel_seg *s = &e->seg[e->nseg];
		*s = (struct ens_intel_seg){ph.p_vaddr, ph.p_memsz, ph.p_filesz, ph.p_offset, ph.p_flags};
		for (int j = 0; j < e->nseg; j++) {
			const struct ens_intel_seg *t = &e->seg[j];
			if (TRIM(s->vaddr) < ROUND(t->vaddr + t->memsz) && TRIM(t->vaddr) < ROUND(s->vaddr + s->memsz))
				return ens_fail(err, ENS_E_FORMAT,
						"'%s': loadable segments %d and %d overlap or share a page", p, j, e->nseg);
		}
		if (s->vaddr >= top) {
			top = s->vaddr;
			e->image_end = ROUND(s->vaddr + s->memsz);
		}
		e->nseg++;
	}
	if (!e->nseg)
		return ens_fail(err, ENS_E_FORMAT, "'%s': no loadable segment", p);
	if (signing && !dynamic)
		return ens_fail(err, ENS_E_FORMAT, "'%s': no PT_DYNAMIC segment", p);
	return 0;
}

static int textrel(Elf *elf)
{
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Dyn dy;
			if (!gelf_getdyn(d, (int)i, &dy))
				break;
			if (dy.d_tag == DT_TEXTREL || (dy.d_tag == DT_FLAGS && (dy.d_un.d_val & DF_TEXTREL)))
				return 1;
		}
	}
	return 0;
}

int ens_intel_elf_open(struct ens_intel_elf *e, const char *path, const struct ens_intel_elf_opts *o,
		       struct ens_err *err)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
	if (ens_read_file(path, (size_t)1 << 31, &e->data, &e->len, err))
		return -1;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)e->data, e->len);
	int rc = -1;
	GElf_Ehdr eh;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not an ELF file", path);
		goto out;
	}
	e->is64 = gelf_getclass(elf) == ELFCLASS64;
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not a little-endian ELF", path);
		goto out;
	}
	if (eh.e_type != ET_DYN) {
		ens_fail(err, ENS_E_FORMAT, "'%s': ELF type %u is not ET_DYN (an enclave is a shared object)", path,
			 eh.e_type);
		goto out;
	}
	if ((e->is64 && eh.e_machine != EM_X86_64) || (!e->is64 && eh.e_machine != EM_386)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': ELF machine %u is not %s", path, eh.e_machine,
			 e->is64 ? "x86-64" : "i386");
		goto out;
	}
	e->entry = eh.e_entry;
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': no section name table", path);
		goto out;
	}
	Elf_Scn *dynsym = NULL;
	if (read_phdrs(e, elf, o->for_signing, err) || check_sections(e, elf, o, shstrndx, &dynsym, err) ||
	    find_symbols(e, dynsym, elf, o->for_signing, err))
		goto out;
	e->textrel = textrel(elf);
	if (o->for_signing && e->textrel && !o->ignore_rel_error) {
		ens_fail(err, ENS_E_FORMAT, "'%s': has text relocations (DT_TEXTREL); rebuild with -fPIC (or -ignore-rel-error)", path);
		goto out;
	}
	if (o->for_signing && e->textrel) {
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': signing enclaves with text relocations is not supported yet", path);
		goto out;
	}
	static const char tag[] = "SGX_TSTDC_VERSION_";
	const uint8_t *ts = memmem(e->data, e->len, tag, sizeof(tag) - 1);
	if (ts) {
		size_t k = 0, at = (size_t)(ts - e->data) + sizeof(tag) - 1;
		while (k + 1 < sizeof(e->tstdc) && at + k < e->len &&
		       ((e->data[at + k] >= '0' && e->data[at + k] <= '9') || e->data[at + k] == '.'))
			e->tstdc[k] = (char)e->data[at + k], k++;
		e->tstdc[k] = 0;
	}
	if (e->gd_fileoff) {
		size_t avail = e->len - e->gd_fileoff;
		e->sdk = ens_intel_sdk_detect(e->gd_size, e->data + e->gd_fileoff, avail < 64 ? avail : 64, e->tstdc,
					      e->meta_size, e->sdk_why, sizeof(e->sdk_why), e->sdk_warn, sizeof(e->sdk_warn));
		if (!e->is64)
			e->sdk = 0;	/* the sizes of §2 are x64's */
	}
	e->has_metadata = e->meta_size >= 8 && ens_get_le64(e->data + e->meta_off) == ENS_INTEL_META_MAGIC;
	if (o->for_signing && e->has_metadata && !o->resign) {
		ens_fail(err, ENS_E_FORMAT, "'%s': already signed (metadata present); use -resign to sign it again", path);
		goto out;
	}
	rc = 0;
out:
	if (elf)
		elf_end(elf);
	if (rc)
		ens_intel_elf_free(e);
	return rc;
}
