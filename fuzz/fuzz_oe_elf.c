/* Fuzz target (oe branch): an Open Enclave enclave ELF through the real
 * entry point (ens_oe_open on a path), its .oeinfo, and the measured layout
 * streamed into a page-budget sink (heaps of gigabytes stay cheap). */
#include "ensign/oe.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_oe_image *img = NULL;
	struct ens_oe_props p;
	struct ens_oe_layout lay;
	struct ens_sink sink;
	struct fuzz_budget budget;
	struct ens_err err;

	if (ens_oe_open(fuzz_path(data, size), &img, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	ens_oe_props_read(img, &p);
	(void)ens_oe_entry(img);
	(void)ens_oe_entry_symbol(img);
	if (ens_oe_merge(&p, NULL, &err) == 0 && ens_oe_validate(&p, &err) == 0) {
		fuzz_budget_sink(&sink, &budget);
		if (ens_oe_stream(img, &p, &sink, &lay, &err) == 0 && budget.ecreates != 1)
			abort();	/* a complete stream has exactly one ECREATE */
	}
	ens_oe_close(img);
	return 0;
}
