/* Signed-application back end: append (or replace) the non-loaded section
 * ".ensign.app" holding the signed configuration and one SIGSTRUCT per
 * memory model, by hand: payload, a grown copy of .shstrtab and a new
 * section header table go after the original bytes, which stay unchanged
 * except the ELF header's section fields (never measured, docs/layout.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include "ensign/app.h"
#include "ensign/io.h"
#include "ensign/util.h"

#define SHDR_SIZE sizeof(Elf64_Shdr)

int ens_app_section_parse(const uint8_t *p, size_t len, struct ens_app_signed *s,
			  struct ens_app_section_hdr *hdr, struct ens_err *err)
{
	size_t need = sizeof *hdr;
	unsigned n = 0;

	if (len < sizeof *hdr)
		return ens_fail(err, ENS_E_FORMAT, "section %s is truncated (%zu bytes)", ENS_APP_SECTION, len);
	memcpy(hdr, p, sizeof *hdr);
	if (memcmp(hdr->magic, ENS_APP_SIG_MAGIC, 8))
		return ens_fail(err, ENS_E_FORMAT, "section %s: bad magic", ENS_APP_SECTION);
	if (hdr->version != 1)
		return ens_fail(err, ENS_E_UNSUPPORTED, "section %s: version %" PRIu32 " is not supported",
				ENS_APP_SECTION, hdr->version);
	if (!hdr->models || hdr->models & ~(uint32_t)ENS_MM_ALL)
		return ens_fail(err, ENS_E_FORMAT, "section %s: bad memory model set 0x%" PRIx32,
				ENS_APP_SECTION, hdr->models);
	n = (hdr->models & ENS_MM_SGX1 ? 1 : 0) + (hdr->models & ENS_MM_SGX2 ? 1 : 0);
	need += n * sizeof(struct ens_sigstruct);
	if (len != need)
		return ens_fail(err, ENS_E_FORMAT, "section %s: %zu bytes, expected %zu", ENS_APP_SECTION,
				len, need);
	memset(s, 0, sizeof *s);
	s->cfg = (struct ens_app_config){ .heap = hdr->heap, .minheap = hdr->minheap, .stack = hdr->stack,
					  .tcs = hdr->tcs,
					  .mprotect = !!(hdr->flags & ENS_APP_FLAG_MPROTECT),
					  .dlopen = !!(hdr->flags & ENS_APP_FLAG_DLOPEN) };
	s->xfrm = hdr->xfrm;
	s->isvprodid = hdr->isvprodid;
	s->isvsvn = hdr->isvsvn;
	s->production = hdr->production != 0;
	s->models = hdr->models;
	p += sizeof *hdr;
	for (int i = 0; i < 2; i++)
		if (hdr->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)) {
			memcpy(&s->sig[i], p, sizeof s->sig[i]);
			p += sizeof s->sig[i];
		}
	return 0;
}

int ens_app_unsigned_copy(const struct ens_app *app, uint8_t **out, size_t *len, struct ens_err *err)
{
	uint8_t *b = malloc(app->image_len ? app->image_len : 1);

	if (!b)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	memcpy(b, app->file, app->image_len);
	if (app->is_signed) {
		struct ens_app_section_hdr hdr;

		memcpy(&hdr, app->file + app->sig_section_offset, sizeof hdr);
		ens_put_le64(b + offsetof(Elf64_Ehdr, e_shoff), hdr.orig_shoff);
		memcpy(b + offsetof(Elf64_Ehdr, e_shentsize), &hdr.orig_shentsize, 2);
		memcpy(b + offsetof(Elf64_Ehdr, e_shnum), &hdr.orig_shnum, 2);
		memcpy(b + offsetof(Elf64_Ehdr, e_shstrndx), &hdr.orig_shstrndx, 2);
	}
	*out = b;
	*len = app->image_len;
	return 0;
}

static void fill_hdr(struct ens_app_section_hdr *h, const Elf64_Ehdr *eh, size_t image_len,
		     const struct ens_app_signed *s)
{
	memset(h, 0, sizeof *h);
	memcpy(h->magic, ENS_APP_SIG_MAGIC, 8);
	h->version = 1;
	h->models = s->models;
	h->image_len = image_len;
	h->orig_shoff = eh->e_shoff;
	h->orig_shentsize = eh->e_shentsize;
	h->orig_shnum = eh->e_shnum;
	h->orig_shstrndx = eh->e_shstrndx;
	h->production = s->production;
	h->heap = s->cfg.heap;
	h->minheap = s->cfg.minheap;
	h->stack = s->cfg.stack;
	h->tcs = s->cfg.tcs;
	h->flags = (s->cfg.mprotect ? ENS_APP_FLAG_MPROTECT : 0) | (s->cfg.dlopen ? ENS_APP_FLAG_DLOPEN : 0);
	h->xfrm = s->xfrm;
	h->isvprodid = s->isvprodid;
	h->isvsvn = s->isvsvn;
}

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

/* Everything after the original bytes, built in memory (its size depends on
 * the number of sections, never on the enclave). */
struct tail {
	uint8_t *buf;
	size_t len;
	Elf64_Ehdr eh;		/* patched header */
};

static int build_tail(const uint8_t *u, size_t n, const struct ens_app_signed *s, struct tail *t,
		      struct ens_err *err)
{
	Elf64_Ehdr eh;
	struct ens_app_section_hdr hdr;
	const uint8_t *oldstr = NULL;
	size_t oldstr_len = 0, nsh, nsig = 0, off_payload, off_str, str_len, off_shdr, payload_len;
	Elf64_Shdr sh;
	uint32_t name_ours, name_str = 0;
	bool new_strtab;
	uint8_t *b;

	memcpy(&eh, u, sizeof eh);
	if (eh.e_shnum == 0 && eh.e_shoff != 0)
		return ens_fail(err, ENS_E_UNSUPPORTED, "extended section numbering is not supported");
	if (eh.e_shnum && (eh.e_shentsize != SHDR_SIZE || eh.e_shoff > n ||
			   (uint64_t)eh.e_shnum * SHDR_SIZE > n - eh.e_shoff))
		return ens_fail(err, ENS_E_FORMAT, "section header table lies outside the file");
	if (eh.e_shnum > 0xfe00)
		return ens_fail(err, ENS_E_UNSUPPORTED, "too many sections (%u)", (unsigned)eh.e_shnum);
	new_strtab = !eh.e_shnum || eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum;
	if (!new_strtab) {
		memcpy(&sh, u + eh.e_shoff + (size_t)eh.e_shstrndx * SHDR_SIZE, sizeof sh);
		if (sh.sh_type != SHT_STRTAB || sh.sh_offset > n || sh.sh_size > n - sh.sh_offset)
			return ens_fail(err, ENS_E_FORMAT, "section name table lies outside the file");
		oldstr = u + sh.sh_offset;
		oldstr_len = sh.sh_size;
	}
	for (int i = 0; i < 2; i++)
		nsig += !!(s->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1));
	payload_len = sizeof hdr + nsig * sizeof(struct ens_sigstruct);
	off_payload = align8(n);
	off_str = off_payload + payload_len;
	str_len = (oldstr_len ? oldstr_len : 1) + sizeof ENS_APP_SECTION + (new_strtab ? sizeof ".shstrtab" : 0);
	off_shdr = align8(off_str + str_len);
	nsh = (eh.e_shnum ? eh.e_shnum : 1) + 1 + (new_strtab ? 1 : 0);
	t->len = off_shdr + nsh * SHDR_SIZE - n;
	t->buf = calloc(1, t->len);
	if (!t->buf)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	/* below, offsets are file offsets: the tail starts at n */
	off_payload -= n;
	off_str -= n;
	off_shdr -= n;
	b = t->buf;

	fill_hdr(&hdr, &eh, n, s);
	memcpy(b + off_payload, &hdr, sizeof hdr);
	for (int i = 0, k = 0; i < 2; i++)
		if (s->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1))
			memcpy(b + off_payload + sizeof hdr + (k++) * sizeof s->sig[i], &s->sig[i], sizeof s->sig[i]);

	if (oldstr_len)
		memcpy(b + off_str, oldstr, oldstr_len);
	name_ours = (uint32_t)(oldstr_len ? oldstr_len : 1);
	memcpy(b + off_str + name_ours, ENS_APP_SECTION, sizeof ENS_APP_SECTION);
	if (new_strtab) {
		name_str = name_ours + (uint32_t)sizeof ENS_APP_SECTION;
		memcpy(b + off_str + name_str, ".shstrtab", sizeof ".shstrtab");
	}

	if (eh.e_shnum)
		memcpy(b + off_shdr, u + eh.e_shoff, (size_t)eh.e_shnum * SHDR_SIZE);
	size_t k = eh.e_shnum ? eh.e_shnum : 1;	/* a new table starts with the null section */
	if (!new_strtab) {
		memcpy(&sh, b + off_shdr + (size_t)eh.e_shstrndx * SHDR_SIZE, sizeof sh);
		sh.sh_offset = off_str + n;
		sh.sh_size = str_len;
		memcpy(b + off_shdr + (size_t)eh.e_shstrndx * SHDR_SIZE, &sh, sizeof sh);
	} else {
		sh = (Elf64_Shdr){ .sh_name = name_str, .sh_type = SHT_STRTAB, .sh_offset = off_str + n,
				   .sh_size = str_len, .sh_addralign = 1 };
		eh.e_shstrndx = (uint16_t)k;
		memcpy(b + off_shdr + (k++) * SHDR_SIZE, &sh, sizeof sh);
	}
	sh = (Elf64_Shdr){ .sh_name = name_ours, .sh_type = SHT_PROGBITS, .sh_offset = off_payload + n,
			   .sh_size = payload_len, .sh_addralign = 8 };
	memcpy(b + off_shdr + (k++) * SHDR_SIZE, &sh, sizeof sh);
	eh.e_shoff = off_shdr + n;
	eh.e_shentsize = SHDR_SIZE;
	eh.e_shnum = (uint16_t)k;
	t->eh = eh;
	return 0;
}

int ens_app_write_signed(const struct ens_app *app, const struct ens_app_signed *s, const char *path,
			 unsigned mode, struct ens_err *err)
{
	uint8_t *u = NULL;
	size_t n;
	struct tail t = { 0 };
	struct ens_out o;
	int rc = -1;

	if (ens_app_unsigned_copy(app, &u, &n, err))
		return -1;
	if (build_tail(u, n, s, &t, err)) {
		ens_err_prefix(err, "'%s'", app->name);
		goto out;
	}
	memcpy(u, &t.eh, sizeof t.eh);
	if (ens_out_open(&o, path, (mode_t)mode, err))
		goto out;
	if (ens_out_write(&o, u, n, err) || ens_out_write(&o, t.buf, t.len, err)) {
		ens_out_abort(&o);
		goto out;
	}
	rc = ens_out_commit(&o, err);
out:
	free(u);
	free(t.buf);
	return rc;
}
