/* Fuzz target: Intel SDK Enclave.config.xml (libxml2 through
 * ens_intel_config_parse) and the range and cross checks. */
#include "ensign/intel_sdk.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_intel_config c;
	struct ens_err err;

	ens_intel_config_defaults(&c);
	if (ens_intel_config_parse(&c, (const char *)data, size, "fuzz.xml", &err) == 0)
		(void)ens_intel_config_check(&c, "fuzz.xml", &err);
	else if (!err.msg[0])
		abort();
	return 0;
}
