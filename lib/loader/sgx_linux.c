/* Loader stage: loads an SGXS enclave through the upstream Linux driver
 * (sgx-architecture.md §8: ENCLAVE_CREATE, ADD_PAGES, mmap, ENCLAVE_INIT)
 * and enters it through the vDSO. NOT TESTED ON HARDWARE: the machines
 * ensign is developed on have no SGX; everything before EINIT is checked in
 * software by launch_check.c. */
#include <errno.h>
#include <fcntl.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ensign/fortanix.h"
#include "ensign/sgx.h"
#include "ensign/sgxs.h"

/* <asm/sgx.h> values, checked against the kernel header (§8.2). */
#define SGX_IOC_ENCLAVE_CREATE 0x4008a400ul
#define SGX_IOC_ENCLAVE_ADD_PAGES 0xc030a401ul
#define SGX_IOC_ENCLAVE_INIT 0x4008a402ul
#define SGX_PAGE_MEASURE 0x1ull
#define SGX_ENCLU_EENTER 2
#define SGX_ENCLU_EEXIT 4

struct sgx_create { uint64_t src; };
struct sgx_add_pages { uint64_t src, offset, length, secinfo, flags, count; };
_Static_assert(sizeof(struct sgx_add_pages) == 48, "ADD_PAGES");
struct sgx_init { uint64_t sigstruct; };
struct sgx_enclave_run {
	uint64_t tcs;
	uint32_t function;
	uint16_t exception_vector, exception_error_code;
	uint64_t exception_addr, user_handler, user_data;
	uint8_t reserved[216];
};
_Static_assert(sizeof(struct sgx_enclave_run) == 256, "sgx_enclave_run");
typedef int (*vdso_enter_fn)(unsigned long rdi, unsigned long rsi, unsigned long rdx, unsigned int function,
			     unsigned long r8, unsigned long r9, struct sgx_enclave_run *run);

const char *ens_sgx_device(void)
{
	static const char *const nodes[] = { "/dev/sgx_enclave", "/dev/sgx/enclave" };
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
		if (access(nodes[i], F_OK) == 0)
			return nodes[i];
	return NULL;
}

const char *ens_sgx_einit_error(int code)
{
	switch (code) {
	case 1: return "InvalidSigStruct";
	case 2: return "InvalidAttribute (SECS attributes do not match the SIGSTRUCT's under its masks)";
	case 4: return "InvalidMeasurement (the loaded layout differs from the signed one)";
	case 8: return "InvalidSignature";
	case 16: return "InvalidEinitToken";
	case 32: return "InvalidCpusvn";
	case 0x40000000: return "power lost during EINIT";
	case 0x40000001: return "launch enclave rollback";
	default: return "unknown SGX error";
	}
}

struct add_ctx { struct ens_enclave *enc; uint8_t *src; uint8_t *secinfo; };

static int add_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct add_ctx *a = ctx;
	if (!pg->added)
		return 0;
	if (pg->eextend_mask != 0 && pg->eextend_mask != 0xffff)
		return ens_fail(err, ENS_E_UNSUPPORTED, "page 0x%llx is partially measured: the Linux driver cannot add it",
				(unsigned long long)pg->offset);
	memset(a->src, 0, ENS_PAGE_SIZE);
	if (pg->data)
		memcpy(a->src, pg->data, ENS_PAGE_SIZE);
	memset(a->secinfo, 0, 64);
	memcpy(a->secinfo, &pg->secinfo_flags, 8);
	struct sgx_add_pages ap = { .src = (uint64_t)(uintptr_t)a->src, .offset = pg->offset,
				    .length = ENS_PAGE_SIZE, .secinfo = (uint64_t)(uintptr_t)a->secinfo,
				    .flags = pg->eextend_mask == 0xffff ? SGX_PAGE_MEASURE : 0 };
	while (ap.length) {
		ap.count = 0;
		if (ioctl(a->enc->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &ap) < 0 && errno != EAGAIN && errno != EINTR)
			return ens_fail_errno(err, "SGX_IOC_ENCLAVE_ADD_PAGES at 0x%llx", (unsigned long long)pg->offset);
		ap.src += ap.count;
		ap.offset += ap.count;
		ap.length -= ap.count;
	}
	return 0;
}
static int add_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err) { return 0; }

int ens_enclave_load(const char *path, const struct ens_run_image *img, const uint8_t sig[ENS_SIGSTRUCT_SIZE],
		     uint64_t attributes, uint64_t xfrm, uint32_t miscselect, struct ens_enclave *enc,
		     struct ens_err *err)
{
	memset(enc, 0, sizeof *enc);
	enc->fd = -1;
	const char *dev = ens_sgx_device();
	if (!dev)
		return ens_fail(err, ENS_E_UNSUPPORTED, "SGX is not available (no /dev/sgx_enclave)");
	enc->fd = open(dev, O_RDWR | O_CLOEXEC);
	if (enc->fd < 0)
		return ens_fail_errno(err, "cannot open '%s'", dev);
	enc->size = img->size;
	/* Reserve twice the size and keep a naturally aligned window. */
	uint8_t *area = mmap(NULL, 2 * img->size, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED) {
		ens_fail_errno(err, "cannot reserve 0x%llx bytes of address space", (unsigned long long)(2 * img->size));
		goto fail;
	}
	uintptr_t base = ((uintptr_t)area + img->size - 1) & ~(uintptr_t)(img->size - 1);
	if (base > (uintptr_t)area)
		munmap(area, base - (uintptr_t)area);
	munmap((uint8_t *)base + img->size, (uintptr_t)area + img->size - base);
	enc->base = (uint8_t *)base;

	struct ens_secs *secs = aligned_alloc(ENS_PAGE_SIZE, sizeof *secs);
	uint8_t *src = aligned_alloc(ENS_PAGE_SIZE, ENS_PAGE_SIZE), *secinfo = aligned_alloc(64, 64);
	uint8_t *sigbuf = aligned_alloc(ENS_PAGE_SIZE, ENS_PAGE_SIZE);
	int rc = -1;
	if (!secs || !src || !secinfo || !sigbuf) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	memset(secs, 0, sizeof *secs);
	secs->size = img->size;
	secs->baseaddr = base;
	secs->ssaframesize = img->ssaframesize;
	secs->miscselect = miscselect;
	secs->attributes = attributes;
	secs->xfrm = xfrm;
	struct sgx_create cr = { (uint64_t)(uintptr_t)secs };
	if (ioctl(enc->fd, SGX_IOC_ENCLAVE_CREATE, &cr) < 0) {
		ens_fail_errno(err, "SGX_IOC_ENCLAVE_CREATE (ECREATE)");
		goto out;
	}
	struct add_ctx actx = { enc, src, secinfo };
	struct ens_sink sink = { .ctx = &actx, .ecreate = add_ecreate, .page = add_page };
	struct ens_sgxs_opts o = { .canonical = true };
	if (ens_sgxs_read(path, &o, &sink, NULL, err))
		goto out;
	for (size_t i = 0; i < img->nruns; i++) {
		const struct ens_run_page_run *r = &img->runs[i];
		int prot = 0;
		if ((r->secinfo & ENS_SECINFO_PT_MASK) == ENS_SECINFO_TCS)
			prot = PROT_READ | PROT_WRITE;
		else
			prot = ((r->secinfo & ENS_SECINFO_R) ? PROT_READ : 0) | ((r->secinfo & ENS_SECINFO_W) ? PROT_WRITE : 0) |
			       ((r->secinfo & ENS_SECINFO_X) ? PROT_EXEC : 0);
		if (mmap((uint8_t *)base + r->start, r->end - r->start, prot, MAP_SHARED | MAP_FIXED, enc->fd, 0) == MAP_FAILED) {
			ens_fail_errno(err, "cannot map enclave pages 0x%llx-0x%llx", (unsigned long long)r->start,
				       (unsigned long long)r->end);
			goto out;
		}
	}
	memcpy(sigbuf, sig, ENS_SIGSTRUCT_SIZE);
	struct sgx_init in = { (uint64_t)(uintptr_t)sigbuf };
	int ret = ioctl(enc->fd, SGX_IOC_ENCLAVE_INIT, &in);
	if (ret < 0) {
		ens_fail_errno(err, "SGX_IOC_ENCLAVE_INIT (EINIT)");
		goto out;
	}
	if (ret > 0) {
		ens_fail(err, ENS_E_VERIFY, "EINIT failed with SGX error %d: %s", ret, ens_sgx_einit_error(ret));
		goto out;
	}
	rc = 0;
out:
	free(secs);
	free(src);
	free(secinfo);
	free(sigbuf);
	if (rc == 0)
		return 0;
fail:
	ens_enclave_unload(enc);
	return -1;
}

/* __vdso_sgx_enter_enclave from the vDSO's dynamic symbol table. */
static vdso_enter_fn find_vdso_enter(void)
{
	const uint8_t *vdso = (const uint8_t *)getauxval(AT_SYSINFO_EHDR);
	if (!vdso)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)vdso;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(vdso + eh->e_shoff);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(vdso + eh->e_phoff);
	uint64_t bias = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			bias = ph[i].p_offset - ph[i].p_vaddr;
			break;
		}
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_entsize != sizeof(Elf64_Sym))
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(vdso + sh[i].sh_offset);
		const char *str = (const char *)(vdso + sh[sh[i].sh_link].sh_offset);
		for (uint64_t k = 0; k < sh[i].sh_size / sizeof *sym; k++)
			if (sym[k].st_shndx != SHN_UNDEF && strcmp(str + sym[k].st_name, "__vdso_sgx_enter_enclave") == 0)
				return (vdso_enter_fn)(uintptr_t)(vdso + sym[k].st_value + bias);
	}
	return NULL;
}

int ens_enclave_enter(struct ens_enclave *enc, uint64_t tcs_offset, uint64_t args[5], struct ens_err *err)
{
	vdso_enter_fn enter = find_vdso_enter();
	if (!enter)
		return ens_fail(err, ENS_E_UNSUPPORTED, "the kernel's vDSO has no __vdso_sgx_enter_enclave");
	struct sgx_enclave_run run;
	memset(&run, 0, sizeof run);
	run.tcs = (uint64_t)(uintptr_t)enc->base + tcs_offset;
	int ret = enter(args[0], args[1], args[2], SGX_ENCLU_EENTER, args[3], args[4], &run);
	if (ret < 0)
		return ens_fail(err, ENS_E_IO, "EENTER failed: %s", strerror(-ret));
	if (run.function != SGX_ENCLU_EEXIT)
		return ens_fail(err, ENS_E_VERIFY, "the enclave raised exception %u (error code 0x%x) at 0x%llx",
				run.exception_vector, run.exception_error_code, (unsigned long long)run.exception_addr);
	return 0;
}

void ens_enclave_unload(struct ens_enclave *enc)
{
	if (enc->base)
		munmap(enc->base, enc->size);
	if (enc->fd >= 0)
		close(enc->fd);
	enc->base = NULL;
	enc->fd = -1;
}
