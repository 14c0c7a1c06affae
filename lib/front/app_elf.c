/* Application front end, first half: read an x86-64 ELF with libelf, check
 * its PT_LOAD segments (bounds, order, overlap, entry point) and find the
 * signature section a previous `ensign sign` appended. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <libelf.h>
#include "ensign/app.h"
#include "ensign/io.h"
#include "ensign/util.h"

#define APP_MAX_FILE (4ull << 30)

bool ens_app_probe(const uint8_t *head, size_t len)
{
	return len >= 20 && !memcmp(head, ELFMAG, SELFMAG) && head[EI_CLASS] == ELFCLASS64 &&
	       head[EI_DATA] == ELFDATA2LSB && ens_get_le16(head + 18) == EM_X86_64;
}

void ens_app_close(struct ens_app *app)
{
	free(app->file);
	free(app->sig);
	app->file = NULL;
	app->sig = NULL;
}

static uint64_t page_down(uint64_t x) { return x & ~(uint64_t)(ENS_PAGE_SIZE - 1); }

/* Locate ".ensign.app" among the sections; none is fine. */
static int find_signature(struct ens_app *app, Elf *elf, struct ens_err *err)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;	/* no section names: cannot be a signed file */
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return ens_fail(err, ENS_E_FORMAT, "'%s': bad section header: %s", app->name,
					elf_errmsg(-1));
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ENS_APP_SECTION))
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > app->file_len ||
		    sh.sh_size > app->file_len - sh.sh_offset)
			return ens_fail(err, ENS_E_FORMAT, "'%s': section %s lies outside the file",
					app->name, ENS_APP_SECTION);
		if (sh.sh_flags & SHF_ALLOC)
			return ens_fail(err, ENS_E_FORMAT, "'%s': section %s must not be loaded", app->name,
					ENS_APP_SECTION);
		app->is_signed = true;
		app->sig_section_offset = sh.sh_offset;
		app->sig_section_size = sh.sh_size;
		return 0;
	}
	return 0;
}

static int read_segments(struct ens_app *app, Elf *elf, const GElf_Ehdr *eh, struct ens_err *err)
{
	size_t phnum;
	uint64_t prev_end = 0;

	if (elf_getphdrnum(elf, &phnum))
		return ens_fail(err, ENS_E_FORMAT, "'%s': bad program headers: %s", app->name, elf_errmsg(-1));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct ens_app_segment *s;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return ens_fail(err, ENS_E_FORMAT, "'%s': bad program header %zu: %s", app->name, i,
					elf_errmsg(-1));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (app->nseg == ENS_APP_MAX_SEGMENTS)
			return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': more than %d loadable segments",
					app->name, ENS_APP_MAX_SEGMENTS);
		if (ph.p_filesz > ph.p_memsz)
			return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu: file size 0x%" PRIx64
					" exceeds memory size 0x%" PRIx64, app->name, i,
					(uint64_t)ph.p_filesz, (uint64_t)ph.p_memsz);
		if (ph.p_offset > app->image_len || ph.p_filesz > app->image_len - ph.p_offset)
			return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu: bytes 0x%" PRIx64 "+0x%" PRIx64
					" lie outside the file (0x%zx bytes)", app->name, i,
					(uint64_t)ph.p_offset, (uint64_t)ph.p_filesz, app->image_len);
		if (ph.p_vaddr > ENS_APP_MAX_SIZE || ph.p_memsz > ENS_APP_MAX_SIZE - ph.p_vaddr)
			return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu: address 0x%" PRIx64
					" size 0x%" PRIx64 " is too large", app->name, i,
					(uint64_t)ph.p_vaddr, (uint64_t)ph.p_memsz);
		if (app->nseg && page_down(ph.p_vaddr) < prev_end)
			return ens_fail(err, ENS_E_FORMAT, "'%s': segment %zu overlaps the page of the previous"
					" loadable segment (or is out of address order)", app->name, i);
		s = &app->seg[app->nseg++];
		*s = (struct ens_app_segment){ ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags };
		prev_end = page_down(ph.p_vaddr + ph.p_memsz + ENS_PAGE_SIZE - 1);
	}
	if (!app->nseg)
		return ens_fail(err, ENS_E_FORMAT, "'%s': no loadable segment", app->name);
	app->base_vaddr = page_down(app->seg[0].vaddr);
	app->image_size = prev_end - app->base_vaddr;
	for (int i = 0; i < app->nseg; i++) {
		const struct ens_app_segment *s = &app->seg[i];

		if (eh->e_entry >= s->vaddr && eh->e_entry - s->vaddr < s->memsz) {
			if (!(s->flags & PF_X))
				return ens_fail(err, ENS_E_FORMAT, "'%s': entry point 0x%" PRIx64
						" is in a non-executable segment", app->name,
						(uint64_t)eh->e_entry);
			app->entry = eh->e_entry - app->base_vaddr;
			return 0;
		}
	}
	return ens_fail(err, ENS_E_FORMAT, "'%s': entry point 0x%" PRIx64 " is outside every loadable segment",
			app->name, (uint64_t)eh->e_entry);
}

int ens_app_open_buffer(struct ens_app *app, const char *name, uint8_t *buf, size_t len,
			struct ens_err *err)
{
	Elf *elf = NULL;
	GElf_Ehdr eh;
	int rc = -1;

	memset(app, 0, sizeof *app);
	snprintf(app->name, sizeof app->name, "%s", name);
	app->file = buf;
	app->file_len = app->image_len = len;
	if (!ens_app_probe(buf, len)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not an x86-64 little-endian ELF64 file", name);
		goto out;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		ens_fail(err, ENS_E_UNSUPPORTED, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	elf = elf_memory((char *)buf, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': bad ELF file: %s", name, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		ens_fail(err, ENS_E_FORMAT, "'%s': ELF type %u is not an executable or shared object", name,
			 (unsigned)eh.e_type);
		goto out;
	}
	if (find_signature(app, elf, err))
		goto out;
	if (app->is_signed) {
		struct ens_app_section_hdr hdr;

		app->sig = calloc(1, sizeof *app->sig);
		if (!app->sig) {
			ens_fail(err, ENS_E_NOMEM, "out of memory");
			goto out;
		}
		if (ens_app_section_parse(buf + app->sig_section_offset, app->sig_section_size, app->sig,
					  &hdr, err)) {
			ens_err_prefix(err, "'%s'", name);
			goto out;
		}
		if (hdr.image_len > app->sig_section_offset || hdr.image_len < sizeof(Elf64_Ehdr)) {
			ens_fail(err, ENS_E_FORMAT, "'%s': section %s: unsigned length 0x%" PRIx64
				 " does not fit the file (modified after signing? sign the original again)",
				 name, ENS_APP_SECTION, hdr.image_len);
			goto out;
		}
		app->image_len = hdr.image_len;
	}
	rc = read_segments(app, elf, &eh, err);
out:
	if (elf)
		elf_end(elf);
	if (rc) {
		ens_app_close(app);
		app->file = NULL;
	}
	return rc;
}

int ens_app_open(struct ens_app *app, const char *path, struct ens_err *err)
{
	uint8_t *buf;
	size_t len;

	memset(app, 0, sizeof *app);
	if (ens_read_file(path, APP_MAX_FILE, &buf, &len, err))
		return -1;
	return ens_app_open_buffer(app, path, buf, len, err);
}
