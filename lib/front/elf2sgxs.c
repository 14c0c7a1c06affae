/* Front end, Fortanix EDP ELF (sgxs-format.md §2): every input check of
 * ftxsgx-elf2sgxs, made up front, with one specific message per rule, then
 * the layout plan (segments, heap, threads, patched values). Emission is in
 * elf2sgxs_emit.c. libelf does the parsing; every offset is bounds-checked. */
#include <stdlib.h>
#include <string.h>
#include "ensign/fortanix.h"
#include "ensign/io.h"
#include "ensign/sgx.h"
#include "ensign/util.h"
#include "elf2sgxs_internal.h"

#define NOTE_SECTION ".note.x86_64-fortanix-unknown-sgx"
#define MAX_ELF_FILE ((size_t)1 << 32)
#define PAGE_MASK_LO 0xfffull

#ifndef R_X86_64_RELATIVE
#define R_X86_64_RELATIVE 8
#endif
#define DT_RELACOUNT_TAG 0x6ffffff9
#define DT_RELCOUNT_TAG 0x6ffffffa

static uint64_t page_up(uint64_t x) { return (x + PAGE_MASK_LO) & ~PAGE_MASK_LO; }

static int bad(struct ens_elf2sgxs *e, struct ens_err *err, const char *fmt, ...) ENS_PRINTF(3, 4);
static int bad(struct ens_elf2sgxs *e, struct ens_err *err, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ens_fail(err, ENS_E_FORMAT, "'%s': %s", e->path, msg);
}

static Elf_Scn *find_section(struct ens_elf2sgxs *e, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e->elf, &shstrndx) != 0)
		return NULL;
	for (Elf_Scn *scn = elf_nextscn(e->elf, NULL); scn; scn = elf_nextscn(e->elf, scn)) {
		if (!gelf_getshdr(scn, sh))
			continue;
		const char *n = elf_strptr(e->elf, shstrndx, sh->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

static int check_note(struct ens_elf2sgxs *e, struct ens_err *err)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(e, NOTE_SECTION, &sh);
	if (!scn)
		return bad(e, err, "section '%s' (toolchain note) not found", NOTE_SECTION);
	if (sh.sh_type != SHT_NOTE)
		return bad(e, err, "section '%s' is not of type SHT_NOTE", NOTE_SECTION);
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Nhdr nh;
	size_t name_off, desc_off;
	if (!d || !d->d_buf || gelf_getnote(d, 0, &nh, &name_off, &desc_off) == 0)
		return bad(e, err, "section '%s' holds no valid note", NOTE_SECTION);
	static const char want[] = "toolchain-version";
	if (nh.n_namesz != sizeof want || memcmp((const char *)d->d_buf + name_off, want, sizeof want) != 0)
		return bad(e, err, "toolchain note: name is not 'toolchain-version'");
	if (nh.n_descsz != 4)
		return bad(e, err, "toolchain note: description is %u bytes, expected 4", (unsigned)nh.n_descsz);
	uint32_t ver = ens_get_le32((const uint8_t *)d->d_buf + desc_off);
	if (ver > 1)
		return bad(e, err, "toolchain note: unsupported toolchain version %u (at most 1)", ver);
	return 0;
}

/* The dynamic symbols the layout patches or needs (§2.2). */
enum sym_id {
	S_ENTRY, S_HEAP_BASE, S_HEAP_SIZE, S_RELA, S_RELACOUNT, S_ENCLAVE_SIZE, S_CFGDATA_BASE,
	S_TEXT_BASE, S_TEXT_SIZE, S_DEBUG, S_EH_HDR_BASE, S_EH_HDR_SIZE, S_EH_OFFSET, S_EH_LEN,
	S_EH_HDR_OFFSET, S_EH_HDR_LEN, S_COUNT
};
static const struct { const char *name; uint64_t size; } sym_def[S_COUNT] = {
	[S_ENTRY] = { "sgx_entry", 0 },
	[S_HEAP_BASE] = { "HEAP_BASE", 8 }, [S_HEAP_SIZE] = { "HEAP_SIZE", 8 },
	[S_RELA] = { "RELA", 8 }, [S_RELACOUNT] = { "RELACOUNT", 8 },
	[S_ENCLAVE_SIZE] = { "ENCLAVE_SIZE", 8 }, [S_CFGDATA_BASE] = { "CFGDATA_BASE", 8 },
	[S_TEXT_BASE] = { "TEXT_BASE", 8 }, [S_TEXT_SIZE] = { "TEXT_SIZE", 8 },
	[S_DEBUG] = { "DEBUG", 1 },
	[S_EH_HDR_BASE] = { "EH_FRM_HDR_BASE", 8 }, [S_EH_HDR_SIZE] = { "EH_FRM_HDR_SIZE", 8 },
	[S_EH_OFFSET] = { "EH_FRM_OFFSET", 8 }, [S_EH_LEN] = { "EH_FRM_LEN", 8 },
	[S_EH_HDR_OFFSET] = { "EH_FRM_HDR_OFFSET", 8 }, [S_EH_HDR_LEN] = { "EH_FRM_HDR_LEN", 8 },
};
struct syms { bool have[S_COUNT]; GElf_Sym s[S_COUNT]; bool old_eh; };

static int read_symbols(struct ens_elf2sgxs *e, struct syms *sy, struct ens_err *err)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	for (Elf_Scn *c = elf_nextscn(e->elf, NULL); c; c = elf_nextscn(e->elf, c))
		if (gelf_getshdr(c, &sh) && sh.sh_type == SHT_DYNSYM) { scn = c; break; }
	if (!scn)
		return bad(e, err, "no dynamic symbol table (.dynsym)");
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t entsz = gelf_fsize(e->elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!d || entsz == 0)
		return bad(e, err, "cannot read the dynamic symbol table: %s", elf_errmsg(-1));
	size_t n = d->d_size / entsz;
	memset(sy, 0, sizeof *sy);
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			return bad(e, err, "dynamic symbol %zu is unreadable", i);
		const char *name = elf_strptr(e->elf, sh.sh_link, s.st_name);
		if (!name)
			return bad(e, err, "dynamic symbol %zu has an invalid name offset", i);
		if (s.st_shndx == SHN_UNDEF)
			return bad(e, err, "found undefined dynamic symbol '%s'", name);
		for (int k = 0; k < S_COUNT; k++) {
			if (strcmp(name, sym_def[k].name) != 0)
				continue;
			if (sy->have[k])
				return bad(e, err, "found symbol '%s' twice", name);
			sy->have[k] = true;
			sy->s[k] = s;
		}
	}
	sy->old_eh = sy->have[S_EH_HDR_BASE] && sy->have[S_EH_HDR_SIZE];
	for (int k = 0; k < S_COUNT; k++) {
		bool needed = k < S_EH_HDR_BASE || (sy->old_eh ? k <= S_EH_HDR_SIZE : k >= S_EH_OFFSET);
		if (!needed)
			continue;
		if (!sy->have[k])
			return bad(e, err, "required dynamic symbol '%s' not found", sym_def[k].name);
		if (sym_def[k].size && sy->s[k].st_size != sym_def[k].size)
			return bad(e, err, "symbol '%s' has size %llu, expected %llu", sym_def[k].name,
				   (unsigned long long)sy->s[k].st_size, (unsigned long long)sym_def[k].size);
	}
	if (sy->s[S_ENCLAVE_SIZE].st_value % 8)
		return bad(e, err, "symbol 'ENCLAVE_SIZE' at 0x%llx is not 8-byte aligned",
			   (unsigned long long)sy->s[S_ENCLAVE_SIZE].st_value);
	return 0;
}

static int read_segments(struct ens_elf2sgxs *e, struct ens_err *err)
{
	size_t nph;
	if (elf_getphdrnum(e->elf, &nph) != 0)
		return bad(e, err, "cannot read program headers: %s", elf_errmsg(-1));
	e->segs = calloc(nph ? nph : 1, sizeof *e->segs);
	if (!e->segs)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e->elf, (int)i, &ph))
			return bad(e, err, "program header %zu is unreadable", i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return bad(e, err, "segment %zu: file size 0x%llx exceeds memory size 0x%llx", i,
				   (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
		if (ph.p_offset > e->len || ph.p_filesz > e->len - ph.p_offset)
			return bad(e, err, "segment %zu: file range 0x%llx+0x%llx lies past the end of the file",
				   i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz);
		if (ph.p_vaddr >= (1ull << 56) || ph.p_memsz >= (1ull << 56))
			return bad(e, err, "segment %zu: address range 0x%llx+0x%llx is too large", i,
				   (unsigned long long)ph.p_vaddr, (unsigned long long)ph.p_memsz);
		struct e2s_seg *s = &e->segs[e->nseg++];
		s->phdr_index = (unsigned)i;
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->filesz = ph.p_filesz;
		s->offset = ph.p_offset;
		s->page_base = ph.p_vaddr & ~PAGE_MASK_LO;
		s->page_end = page_up(ph.p_vaddr + ph.p_memsz);
		s->data_end = ph.p_vaddr + ph.p_filesz;
		s->secinfo = ENS_SECINFO_REG | ((ph.p_flags & PF_R) ? ENS_SECINFO_R : 0) |
			     ((ph.p_flags & PF_W) ? ENS_SECINFO_W : 0) | ((ph.p_flags & PF_X) ? ENS_SECINFO_X : 0);
	}
	return 0;
}

static int check_dynamic(struct ens_elf2sgxs *e, uint64_t *rela, uint64_t *relacount, struct ens_err *err)
{
	size_t nph;
	GElf_Phdr dyn;
	bool found = false;
	if (elf_getphdrnum(e->elf, &nph) != 0)
		return bad(e, err, "cannot read program headers");
	for (size_t i = 0; i < nph && !found; i++)
		if (gelf_getphdr(e->elf, (int)i, &dyn) && dyn.p_type == PT_DYNAMIC)
			found = true;
	if (!found)
		return bad(e, err, "no PT_DYNAMIC program header (the enclave must be a position-independent executable)");
	if (dyn.p_offset > e->len || dyn.p_filesz > e->len - dyn.p_offset)
		return bad(e, err, "PT_DYNAMIC lies past the end of the file");
	static const struct { int64_t tag; const char *name; } forbidden[] = {
		{ DT_PLTRELSZ, "DT_PLTRELSZ" }, { DT_PLTREL, "DT_PLTREL" }, { DT_JMPREL, "DT_JMPREL" },
		{ DT_INIT, "DT_INIT" }, { DT_INIT_ARRAY, "DT_INIT_ARRAY" }, { DT_INIT_ARRAYSZ, "DT_INIT_ARRAYSZ" },
		{ DT_FINI, "DT_FINI" }, { DT_FINI_ARRAY, "DT_FINI_ARRAY" }, { DT_FINI_ARRAYSZ, "DT_FINI_ARRAYSZ" },
		{ DT_REL, "DT_REL" }, { DT_RELSZ, "DT_RELSZ" }, { DT_RELENT, "DT_RELENT" },
		{ DT_RELCOUNT_TAG, "DT_RELCOUNT" },
	};
	int nrela = 0, ncount = 0;
	const uint8_t *p = e->buf + dyn.p_offset;
	for (uint64_t off = 0; off + 16 <= dyn.p_filesz; off += 16) {
		int64_t tag = (int64_t)ens_get_le64(p + off);
		uint64_t val = ens_get_le64(p + off + 8);
		if (tag == DT_NULL)
			break;
		for (size_t k = 0; k < sizeof forbidden / sizeof *forbidden; k++)
			if (tag == forbidden[k].tag)
				return bad(e, err, "dynamic section has %s (PLT, init/fini and REL relocations are not supported in enclaves)",
					   forbidden[k].name);
		if (tag == DT_RELA) { nrela++; *rela = val; }
		if (tag == DT_RELACOUNT_TAG) { ncount++; *relacount = val; }
	}
	if (nrela > 1 || ncount > 1)
		return bad(e, err, "dynamic section has %s more than once", nrela > 1 ? "DT_RELA" : "DT_RELACOUNT");
	if (nrela != ncount)
		return bad(e, err, "dynamic section has %s without %s", nrela ? "DT_RELA" : "DT_RELACOUNT",
			   nrela ? "DT_RELACOUNT" : "DT_RELA");
	return 0;
}

static bool in_writable_segment(const struct ens_elf2sgxs *e, uint64_t off)
{
	for (unsigned i = 0; i < e->nseg; i++) {
		const struct e2s_seg *s = &e->segs[i];
		if ((s->secinfo & ENS_SECINFO_W) && off >= s->vaddr && off <= UINT64_MAX - 8 &&
		    off + 8 <= s->vaddr + s->memsz)
			return true;
	}
	return false;
}

static int check_relocations(struct ens_elf2sgxs *e, uint64_t relacount, struct ens_err *err)
{
	uint64_t total = 0;
	size_t shstrndx = 0;
	elf_getshdrstrndx(e->elf, &shstrndx);
	for (Elf_Scn *scn = elf_nextscn(e->elf, NULL); scn; scn = elf_nextscn(e->elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA)
			continue;
		const char *sname = elf_strptr(e->elf, shstrndx, sh.sh_name);
		if (!sname)
			sname = "?";
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t entsz = gelf_fsize(e->elf, ELF_T_RELA, 1, EV_CURRENT);
		if (!d || entsz == 0)
			return bad(e, err, "section '%s' is unreadable: %s", sname, elf_errmsg(-1));
		size_t n = d->d_size / entsz;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;
			if (!gelf_getrela(d, (int)i, &r))
				return bad(e, err, "section '%s': relocation %zu is unreadable", sname, i);
			if (GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE || GELF_R_SYM(r.r_info) != 0)
				return bad(e, err, "section '%s': relocation %zu at 0x%llx is of type %u (symbol %u); only R_X86_64_RELATIVE without symbol is supported",
					   sname, i, (unsigned long long)r.r_offset, (unsigned)GELF_R_TYPE(r.r_info),
					   (unsigned)GELF_R_SYM(r.r_info));
			if (!in_writable_segment(e, r.r_offset))
				return bad(e, err, "section '%s': relocation %zu at 0x%llx is not inside a writable segment",
					   sname, i, (unsigned long long)r.r_offset);
		}
		total += n;
	}
	if (total != relacount)
		return bad(e, err, "%llu relocations found but DT_RELACOUNT is %llu",
			   (unsigned long long)total, (unsigned long long)relacount);
	return 0;
}

static int add_patch(struct ens_elf2sgxs *e, const char *what, uint64_t addr, uint64_t len, uint64_t value)
{
	struct e2s_patch *p = &e->patches[e->npatch++];
	memset(p, 0, sizeof *p);
	p->what = what;
	p->addr = addr;
	p->len = len;
	p->value = value;
	return 0;
}

static int cmp_patch(const void *a, const void *b)
{
	const struct e2s_patch *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Segment rules (entry page, order) and the .text_no_sgx cut. */
static int check_segments(struct ens_elf2sgxs *e, struct ens_err *err)
{
	if (e->nseg == 0)
		return bad(e, err, "no loadable segment (PT_LOAD)");
	for (unsigned i = 0; i < e->nseg; i++) {
		const struct e2s_seg *s = &e->segs[i];
		if ((s->secinfo & ENS_SECINFO_X) && s->page_base == 0)
			return bad(e, err, "segment %u is executable and starts in the first page of the enclave (the first page must not be executable)",
				   s->phdr_index);
		if (i && s->page_base < e->segs[i - 1].page_end)
			return bad(e, err, "segment %u (0x%llx) starts before the page after segment %u ends (0x%llx): loadable segments must be in ascending order and never share a page",
				   s->phdr_index, (unsigned long long)s->vaddr, e->segs[i - 1].phdr_index,
				   (unsigned long long)e->segs[i - 1].page_end);
	}
	return 0;
}

static int plan_text_no_sgx(struct ens_elf2sgxs *e, struct ens_err *err)
{
	GElf_Shdr sh;
	if (!find_section(e, ".text_no_sgx", &sh) || sh.sh_size == 0)
		return 0;
	if (sh.sh_addr > UINT64_MAX - sh.sh_size)
		return bad(e, err, "section '.text_no_sgx' has an invalid address range");
	uint64_t end = sh.sh_addr + sh.sh_size;
	for (unsigned i = 0; i < e->nseg; i++) {
		struct e2s_seg *s = &e->segs[i];
		if (sh.sh_addr < s->vaddr || end > s->vaddr + s->memsz)
			continue;
		if (end == s->vaddr + s->memsz) {
			/* Cut the segment: the stripped code is not loaded at all. */
			s->page_end = s->page_base + page_up(sh.sh_addr - s->page_base);
			if (s->data_end > sh.sh_addr)
				s->data_end = sh.sh_addr;
			return 0;
		}
		add_patch(e, ".text_no_sgx", sh.sh_addr, sh.sh_size, 0);
		e->patches[e->npatch - 1].nop_fill = true;
		return 0;
	}
	return bad(e, err, "section '.text_no_sgx' (0x%llx+0x%llx) lies in no loadable segment",
		   (unsigned long long)sh.sh_addr, (unsigned long long)sh.sh_size);
}

/* Every patch must lie inside the file bytes of one segment (upstream skips
 * or panics otherwise), and patches must not overlap. */
static int check_patches(struct ens_elf2sgxs *e, struct ens_err *err)
{
	qsort(e->patches, e->npatch, sizeof *e->patches, cmp_patch);
	for (unsigned i = 0; i < e->npatch; i++) {
		const struct e2s_patch *p = &e->patches[i];
		bool placed = false;
		for (unsigned k = 0; k < e->nseg && !placed; k++) {
			const struct e2s_seg *s = &e->segs[k];
			if (p->addr < s->vaddr || p->addr >= s->vaddr + s->memsz)
				continue;
			if (p->addr + p->len > s->data_end)
				return bad(e, err, "'%s' at 0x%llx+%llu reaches past the file data of segment %u (into .bss or a stripped part)",
					   p->what, (unsigned long long)p->addr, (unsigned long long)p->len, s->phdr_index);
			placed = true;
		}
		if (!placed)
			return bad(e, err, "'%s' at 0x%llx lies in no loadable segment", p->what,
				   (unsigned long long)p->addr);
		if (i && e->patches[i - 1].addr + e->patches[i - 1].len > p->addr)
			return bad(e, err, "'%s' at 0x%llx overlaps '%s'", p->what, (unsigned long long)p->addr,
				   e->patches[i - 1].what);
	}
	return 0;
}

static int mul_add(uint64_t *acc, uint64_t a, uint64_t b)
{
	uint64_t m;
	if (__builtin_mul_overflow(a, b, &m) || __builtin_add_overflow(*acc, m, acc))
		return -1;
	return 0;
}

static int plan_layout(struct ens_elf2sgxs *e, const struct syms *sy, uint64_t rela, uint64_t relacount,
		       struct ens_err *err)
{
	struct ens_elf2sgxs_layout *L = &e->L;
	const struct ens_elf2sgxs_opts *o = &e->o;
	uint64_t top = 0;
	for (unsigned i = 0; i < e->nseg; i++)
		if (e->segs[i].vaddr + e->segs[i].memsz > top)
			top = e->segs[i].vaddr + e->segs[i].memsz;
	L->heap_addr = page_up(top);
	L->ssaframesize = o->ssaframesize;
	L->thread_size = ENS_FTX_THREAD_GUARD + ENS_FTX_TLS_SIZE + ENS_PAGE_SIZE;
	L->memory_size = L->heap_addr;
	if (__builtin_add_overflow(L->thread_size, o->stack_size, &L->thread_size) ||
	    mul_add(&L->thread_size, (uint64_t)ENS_FTX_NSSA * o->ssaframesize, ENS_PAGE_SIZE) ||
	    __builtin_add_overflow(L->memory_size, o->heap_size, &L->memory_size) ||
	    (L->thread_start = L->memory_size, mul_add(&L->memory_size, o->threads, L->thread_size)) ||
	    L->memory_size > (1ull << 62))
		return bad(e, err, "the enclave would be too large (heap, stack and threads overflow 64 bits)");
	L->enclave_size = ens_next_pow2(L->memory_size);
	L->enclave_size_slot = sy->s[S_ENCLAVE_SIZE].st_value;
	L->entry = sy->s[S_ENTRY].st_value;
	L->nload = e->nseg;

	GElf_Shdr text, eh, ehh;
	if (!find_section(e, ".eh_frame", &eh))
		return bad(e, err, "section '.eh_frame' not found");
	if (!find_section(e, ".eh_frame_hdr", &ehh))
		return bad(e, err, "section '.eh_frame_hdr' not found");
	if (!find_section(e, ".text", &text))
		return bad(e, err, "section '.text' not found");

	e->npatch = 0;
	add_patch(e, "HEAP_BASE", sy->s[S_HEAP_BASE].st_value, 8, L->heap_addr);
	add_patch(e, "HEAP_SIZE", sy->s[S_HEAP_SIZE].st_value, 8, o->heap_size);
	add_patch(e, "RELA", sy->s[S_RELA].st_value, 8, rela);
	add_patch(e, "RELACOUNT", sy->s[S_RELACOUNT].st_value, 8, relacount);
	add_patch(e, "ENCLAVE_SIZE", L->enclave_size_slot, 8, L->enclave_size);
	e->patches[e->npatch - 1].no_write = o->unsized;
	add_patch(e, "CFGDATA_BASE", sy->s[S_CFGDATA_BASE].st_value, 8, L->memory_size);
	add_patch(e, "DEBUG", sy->s[S_DEBUG].st_value, 1, o->debug ? 1 : 0);
	add_patch(e, "TEXT_BASE", sy->s[S_TEXT_BASE].st_value, 8, text.sh_addr);
	add_patch(e, "TEXT_SIZE", sy->s[S_TEXT_SIZE].st_value, 8, text.sh_size);
	if (sy->old_eh) {
		add_patch(e, "EH_FRM_HDR_BASE", sy->s[S_EH_HDR_BASE].st_value, 8, ehh.sh_addr);
		add_patch(e, "EH_FRM_HDR_SIZE", sy->s[S_EH_HDR_SIZE].st_value, 8, ehh.sh_size);
	} else {
		add_patch(e, "EH_FRM_OFFSET", sy->s[S_EH_OFFSET].st_value, 8, eh.sh_addr);
		add_patch(e, "EH_FRM_LEN", sy->s[S_EH_LEN].st_value, 8, eh.sh_size);
		add_patch(e, "EH_FRM_HDR_OFFSET", sy->s[S_EH_HDR_OFFSET].st_value, 8, ehh.sh_addr);
		add_patch(e, "EH_FRM_HDR_LEN", sy->s[S_EH_HDR_LEN].st_value, 8, ehh.sh_size);
	}
	return 0;
}

static int check_opts(const struct ens_elf2sgxs_opts *o, struct ens_err *err)
{
	if (o->heap_size % ENS_PAGE_SIZE)
		return ens_fail(err, ENS_E_USAGE, "--heap-size 0x%llx is not a multiple of the page size (0x1000)",
				(unsigned long long)o->heap_size);
	if (o->stack_size % ENS_PAGE_SIZE)
		return ens_fail(err, ENS_E_USAGE, "--stack-size 0x%llx is not a multiple of the page size (0x1000)",
				(unsigned long long)o->stack_size);
	if (o->threads == 0)
		return ens_fail(err, ENS_E_USAGE, "--threads must be at least 1 (an enclave without TCS cannot be entered)");
	if (o->ssaframesize == 0)
		return ens_fail(err, ENS_E_USAGE, "--ssaframesize must be at least 1");
	return 0;
}

int ens_elf2sgxs_open(struct ens_elf2sgxs **out, const char *path, const struct ens_elf2sgxs_opts *o,
		      struct ens_err *err)
{
	*out = NULL;
	if (check_opts(o, err))
		return -1;
	struct ens_elf2sgxs *e = calloc(1, sizeof *e);
	if (!e)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	snprintf(e->path, sizeof e->path, "%s", path);
	e->o = *o;
	if (ens_read_file(path, MAX_ELF_FILE, &e->buf, &e->len, err))
		goto fail;
	elf_version(EV_CURRENT);
	e->elf = elf_memory((char *)e->buf, e->len);
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF) {
		bad(e, err, "not an ELF file");
		goto fail;
	}
	if (gelf_getclass(e->elf) != ELFCLASS64) {
		bad(e, err, "only 64-bit ELF is supported");
		goto fail;
	}
	GElf_Ehdr eh;
	if (!gelf_getehdr(e->elf, &eh)) {
		bad(e, err, "unreadable ELF header: %s", elf_errmsg(-1));
		goto fail;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		bad(e, err, "only little-endian ELF is supported");
		goto fail;
	}
	struct syms sy;
	uint64_t rela = 0, relacount = 0;
	if (read_segments(e, err) || check_note(e, err) || read_symbols(e, &sy, err) ||
	    check_dynamic(e, &rela, &relacount, err) || check_relocations(e, relacount, err) ||
	    plan_layout(e, &sy, rela, relacount, err) || plan_text_no_sgx(e, err) ||
	    check_segments(e, err) || check_patches(e, err))
		goto fail;
	*out = e;
	return 0;
fail:
	ens_elf2sgxs_close(e);
	return -1;
}

const struct ens_elf2sgxs_layout *ens_elf2sgxs_layout(const struct ens_elf2sgxs *e) { return &e->L; }

int ens_elf2sgxs_emit(struct ens_elf2sgxs *e, struct ens_sink *sink, struct ens_err *err)
{
	return e2s_emit(e, sink, err);
}

void ens_elf2sgxs_close(struct ens_elf2sgxs *e)
{
	if (!e)
		return;
	if (e->elf)
		elf_end(e->elf);
	free(e->buf);
	free(e->segs);
	free(e);
}

void ens_sgxs_unsized_record(uint8_t rec[64], uint32_t ssaframesize, uint64_t slot)
{
	memset(rec, 0, 64);
	ens_put_le64(rec, ENS_TAG_UNSIZED);
	ens_put_le32(rec + 8, ssaframesize);
	ens_put_le64(rec + 12, slot);
}
