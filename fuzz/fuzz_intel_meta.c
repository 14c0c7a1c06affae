/* Fuzz target: Intel SDK metadata areas (the chain of blocks and each
 * block's header, dirs and tables: ens_intel_meta_chain, ens_intel_meta_check). */
#include "ensign/intel_sdk.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t offs[16];
	struct ens_err err;
	int n = ens_intel_meta_chain(data, size, offs, 16, &err);

	for (int i = 0; i < n; i++) {
		if (offs[i] >= size)
			abort();	/* a block the chain found lies inside the area */
		(void)ens_intel_meta_check(data + offs[i], size - offs[i], &err);
	}
	return 0;
}
