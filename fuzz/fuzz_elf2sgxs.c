/* Fuzz target: the Fortanix ELF front end (ens_elf2sgxs_open on a path, all
 * of §2.2's checks and the layout), then the page stream into a page-budget
 * sink; the options vary with the input's last byte. */
#include "ensign/fortanix.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t knobs = size ? data[size - 1] : 0;
	struct ens_elf2sgxs_opts o = {
		.heap_size = 0x20000, .stack_size = 0x20000, .threads = 1 + (knobs & 3),
		.ssaframesize = 1, .debug = knobs & 4, .library = knobs & 8, .unsized = knobs & 16,
	};
	struct ens_elf2sgxs *e = NULL;
	struct ens_sink sink;
	struct fuzz_budget budget;
	struct ens_err err;

	if (ens_elf2sgxs_open(&e, fuzz_path(data, size), &o, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	(void)ens_elf2sgxs_layout(e);
	fuzz_budget_sink(&sink, &budget);
	if (ens_elf2sgxs_emit(e, &sink, &err) == 0 && budget.ecreates != 1)
		abort();
	ens_elf2sgxs_close(e);
	return 0;
}
