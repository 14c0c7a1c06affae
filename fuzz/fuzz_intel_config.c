/* Fuzz target: Intel SDK Enclave.config.xml (libxml2 through
 * ens_intel_config_parse) and the range and cross checks, with the keys,
 * defaults and ranges of an SDK version chosen by the input's length. */
#include "ensign/intel_sdk.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_intel_config c;
	struct ens_err err;

	static const unsigned sdks[] = {0, ENS_SDK(0, 0), ENS_SDK(3, 1), ENS_SDK(4, 0), ENS_SDK(7, 0),
					ENS_SDK(9, 1), ENS_SDK(14, 0), ENS_SDK(19, 0)};

	ens_intel_config_defaults(&c);
	if (ens_intel_config_parse_v(&c, (const char *)data, size, "fuzz.xml", sdks[size % 8], &err) == 0)
		(void)ens_intel_config_check(&c, "fuzz.xml", &err);
	else if (!err.msg[0])
		abort();
	return 0;
}
