/* Fuzz target (oe branch): oesign's .conf syntax (ens_oe_conf_parse), then
 * the merge into default .oeinfo properties and oesign's validation. */
#include "ensign/oe.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_oe_conf c;
	struct ens_oe_props p;
	struct ens_err err;

	memset(&c, 0, sizeof c);
	if (ens_oe_conf_parse("fuzz.conf", (const char *)data, size, &c, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	memset(&p, 0, sizeof p);
	p.size = sizeof p;
	p.enclave_type = 2;
	p.num_heap_pages = p.num_stack_pages = p.num_tcs = 1;
	if (ens_oe_merge(&p, &c, &err) == 0)
		(void)ens_oe_validate(&p, &err);
	return 0;
}
