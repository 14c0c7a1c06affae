/* Fuzz target: an Intel SDK enclave ELF (ens_intel_elf_open with every
 * sgx_sign check), and, when it carries metadata, the page stream that
 * metadata describes, into a page-budget sink; unsigned, the metadata area
 * the detected SDK version's sgx_sign would build (default configuration). */
#include "ensign/intel_sdk.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_intel_elf_opts o = { .for_signing = size && (data[size - 1] & 1) };
	struct ens_intel_elf e;
	struct ens_sink sink;
	struct fuzz_budget budget;
	struct ens_err err;
	size_t offs[8];

	memset(&e, 0, sizeof e);
	if (ens_intel_elf_open(&e, fuzz_path(data, size), &o, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (e.has_metadata && e.meta_off <= e.len && e.meta_size <= e.len - e.meta_off) {
		const uint8_t *area = e.data + e.meta_off;
		int n = ens_intel_meta_chain(area, e.meta_size, offs, 8, &err);

		if (n > 0 && ens_intel_meta_check(area + offs[0], e.meta_size - offs[0], &err) == 0) {
			fuzz_budget_sink(&sink, &budget);
			(void)ens_intel_stream(&e, area + offs[0], e.meta_size - offs[0], &sink, &err);
		}
	}
	if (!e.has_metadata && o.for_signing && e.sdk) {
		static struct ens_intel_build b;
		static struct ens_sigstruct css;
		struct ens_intel_config c;
		if (ens_intel_config_load_v(&c, NULL, e.sdk, &err) == 0 && ens_intel_build(&b, &e, &c, &err) == 0) {
			size_t alen = ens_intel_sdk_area_size(e.sdk);
			uint8_t *area = malloc(alen);
			if (area && ens_intel_area(&b, &css, area, alen, &err) == 0) {
				int n = ens_intel_meta_chain(area, alen, offs, 8, &err);
				for (int i = 0; i < n; i++)
					if (ens_intel_meta_check(area + offs[i], alen - offs[i], &err))
						abort();	/* what we write must read back */
			}
			free(area);
		}
	}
	ens_intel_elf_free(&e);
	return 0;
}
