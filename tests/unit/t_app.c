/* Unit tests for the application front end: ELF checks on synthetic files
 * (bounds, overlap, entry point), the layout arithmetic, the stream's page
 * counts for both memory models, and the signed-section round trip. */
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include "ensign/ensign.h"
#include "ensign/app.h"
#include "tap.h"

#define FILE_LEN 0x3000

/* An ELF with an RX segment at 0x1000 (file 0x1000, 0x100 bytes) and an RW
 * segment at 0x2000 (file 0x2000, 0x10 bytes, memsz 0x2000). */
static uint8_t *make_elf(void (*tweak)(Elf64_Ehdr *, Elf64_Phdr *))
{
	uint8_t *b = calloc(1, FILE_LEN);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[2] = { 0 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0x1010;
	eh.e_phoff = sizeof eh;
	eh.e_ehsize = sizeof eh;
	eh.e_phentsize = sizeof ph[0];
	eh.e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000, .p_vaddr = 0x1000,
			      .p_filesz = 0x100, .p_memsz = 0x100, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000, .p_vaddr = 0x2000,
			      .p_filesz = 0x10, .p_memsz = 0x2000, .p_align = 0x1000 };
	if (tweak)
		tweak(&eh, ph);
	memcpy(b, &eh, sizeof eh);
	memcpy(b + sizeof eh, ph, sizeof ph);
	memset(b + 0x1000, 0xcc, 0x100);
	return b;
}

static int open_with(void (*tweak)(Elf64_Ehdr *, Elf64_Phdr *), struct ens_app *app, struct ens_err *err)
{
	return ens_app_open_buffer(app, "t.elf", make_elf(tweak), FILE_LEN, err);
}

static void outside(Elf64_Ehdr *e, Elf64_Phdr *p) { p[1].p_filesz = 0x2000; }
static void overlap(Elf64_Ehdr *e, Elf64_Phdr *p) { p[1].p_vaddr = 0x1800; }
static void entry_rw(Elf64_Ehdr *e, Elf64_Phdr *p) { e->e_entry = 0x2004; }
static void entry_out(Elf64_Ehdr *e, Elf64_Phdr *p) { e->e_entry = 0x9000; }
static void filesz_big(Elf64_Ehdr *e, Elf64_Phdr *p) { p[0].p_filesz = 0x200; }
static void arm(Elf64_Ehdr *e, Elf64_Phdr *p) { e->e_machine = EM_AARCH64; }

struct counts { uint64_t added, measured, tcs; uint64_t size; uint32_t ssa; };
static int c_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	((struct counts *)ctx)->size = size;
	((struct counts *)ctx)->ssa = ssa;
	return 0;
}
static int c_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct counts *c = ctx;

	c->added += pg->added;
	c->measured += pg->eextend_mask != 0;
	c->tcs += (pg->secinfo_flags & ENS_SECINFO_PT_MASK) == ENS_SECINFO_TCS;
	return 0;
}

int main(void)
{
	struct ens_app app;
	struct ens_err err = { 0 };
	struct ens_app_config cfg;
	struct ens_app_layout lay;
	struct ens_sink sink = { 0 };
	struct counts c;
	uint8_t mr[2][32], mr1[2][32];

	CHECK(open_with(NULL, &app, &err) == 0, "good ELF: %s", err.msg);
	CHECK(app.nseg == 2 && app.base_vaddr == 0x1000 && app.image_size == 0x3000 && app.entry == 0x10,
	      "segments %d base %llx size %llx entry %llx", app.nseg, (unsigned long long)app.base_vaddr,
	      (unsigned long long)app.image_size, (unsigned long long)app.entry);

	ens_app_config_default(&cfg);
	cfg.heap = 0x10000;
	cfg.minheap = 0x4000;
	cfg.stack = 0x2000;
	cfg.tcs = 3;
	CHECK(ens_app_plan(&app, &cfg, &lay, &err) == 0, "plan: %s", err.msg);
	/* image 3 pages, 3 thread blocks of 1+2+1+2+1 pages, config, heap 16 pages */
	CHECK(lay.thread_stride == 7 * 0x1000, "stride %llx", (unsigned long long)lay.thread_stride);
	CHECK(lay.config_offset == 0x3000 + 3 * 7 * 0x1000, "config at %llx", (unsigned long long)lay.config_offset);
	CHECK(lay.end == lay.config_offset + 0x1000 + 0x10000 && lay.size == 0x40000, "end %llx size %llx",
	      (unsigned long long)lay.end, (unsigned long long)lay.size);
	for (int mm = 1; mm <= 2; mm++) {
		memset(&c, 0, sizeof c);
		sink = (struct ens_sink){ .ctx = &c, .ecreate = c_ecreate, .page = c_page };
		CHECK(ens_app_stream(&app, &lay, (enum ens_mm)mm, &sink, &err) == 0, "stream: %s", err.msg);
		/* image 3 (the RW segment's 2 pages), per thread 2 stack + TCS + 2 SSA + TLS, config, heap */
		CHECK(c.added == 3 + 3 * 6 + 1 + (mm == 1 ? 16 : 4), "model %d: %llu added", mm,
		      (unsigned long long)c.added);
		CHECK(c.measured == 3 + 3 * 4 + 1, "model %d: %llu measured", mm, (unsigned long long)c.measured);
		CHECK(c.tcs == 3 && c.size == 0x40000 && c.ssa == ENS_APP_SSAFRAMESIZE, "tcs/size/ssa");
	}
	/* forked measurement = two separate ones */
	CHECK(ens_app_measure(&app, &lay, ENS_MM_ALL, mr, &err) == 0, "measure: %s", err.msg);
	CHECK(ens_app_measure(&app, &lay, ENS_MM_SGX1, mr1, &err) == 0, "measure sgx1");
	{
		uint8_t only2[2][32];

		CHECK(ens_app_measure(&app, &lay, ENS_MM_SGX2, only2, &err) == 0, "sgx2 only");
		CHECK_MEM(only2[1], mr[1], 32, "sgx2 alone = sgx2 forked");
		CHECK(ens_app_measure(&app, &lay, ENS_MM_SGX1, only2, &err) == 0, "sgx1 only");
		CHECK_MEM(only2[0], mr[0], 32, "sgx1 alone = sgx1 forked");
		CHECK(memcmp(mr[0], mr[1], 32) != 0, "models differ");
	}
	ens_app_close(&app);

	CHECK(open_with(outside, &app, &err) == -1 && strstr(err.msg, "outside the file"), "%s", err.msg);
	CHECK(open_with(overlap, &app, &err) == -1 && strstr(err.msg, "overlaps"), "%s", err.msg);
	CHECK(open_with(entry_rw, &app, &err) == -1 && strstr(err.msg, "non-executable"), "%s", err.msg);
	CHECK(open_with(entry_out, &app, &err) == -1 && strstr(err.msg, "outside every"), "%s", err.msg);
	CHECK(open_with(filesz_big, &app, &err) == -1 && strstr(err.msg, "exceeds memory size"), "%s", err.msg);
	CHECK(open_with(arm, &app, &err) == -1 && strstr(err.msg, "not an x86-64"), "%s", err.msg);

	/* configuration checks */
	ens_app_config_default(&cfg);
	cfg.heap = 0x1001;
	CHECK(ens_app_config_check(&cfg, &err) == -1 && strstr(err.msg, "heap: 4097 bytes"), "%s", err.msg);
	ens_app_config_default(&cfg);
	cfg.minheap = cfg.heap + 0x1000;
	CHECK(ens_app_config_check(&cfg, &err) == -1 && strstr(err.msg, "minheap"), "%s", err.msg);
	CHECK(ens_app_check_xfrm(0x3, &err) == 0 && ens_app_check_xfrm(0xE7, &err) == 0, "xfrm ok");
	CHECK(ens_app_check_xfrm(0x20003, &err) == -1, "half AMX");
	return tap_done();
}
