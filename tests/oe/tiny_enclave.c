/* A tiny Open Enclave-style test enclave for ensign's tests (not runnable):
 * the .oeinfo layout of OE_SET_ENCLAVE_SGX with OE's placeholder settings,
 * the symbols oesign patches, .tdata and .tbss and a RELATIVE relocation.
 * Build: see Makefile.tiny (the committed tiny_enclave.so is its output). */
#include <stdint.h>

struct oe_props {
	uint32_t size, enclave_type;
	uint64_t num_heap_pages, num_stack_pages, num_tcs;
	uint16_t product_id, security_version;
	uint32_t flags;
	uint8_t family_id[16], extended_product_id[16];
	uint64_t attributes, xfrm, start_address;
	uint64_t image_info[6];
	uint8_t sigstruct[1808];
	uint64_t end_marker;
};

__attribute__((section(".oeinfo"), used, visibility("default")))
const struct oe_props oe_enclave_properties_sgx = {
	.size = 1960, .enclave_type = 2,
	.num_heap_pages = 0xffff, .num_stack_pages = 0xffff, .num_tcs = 0xffff,
	.product_id = 0xffff, .security_version = 0xffff,
	.attributes = 0x4,
	.end_marker = 0xECECECECECECECECull,
};

__attribute__((visibility("default"))) uint64_t _enclave_rva, _reloc_rva, _reloc_size;
__attribute__((visibility("default"))) uint64_t _tdata_rva, _tdata_size, _tdata_align;
__attribute__((visibility("default"))) uint64_t _tbss_size, _tbss_align, _td_from_tcs_offset;

__thread uint64_t tls_counter = 42;
__thread char tls_scratch[5000] __attribute__((aligned(64)));	/* .tbss */
static const char greeting[] = "hello from a tiny enclave";
const char *greeting_ptr = greeting;	/* a RELATIVE relocation */

__attribute__((visibility("default"))) void _start(void)
{
	tls_scratch[tls_counter] = 1;
	for (;;)
		__asm__ volatile("ud2");
}
