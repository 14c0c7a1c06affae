/* Fuzz target (package branch): Mystikos config.json (ens_pkg_config_parse),
 * and, for short inputs, the size syntax (ens_pkg_parse_size). */
#include "ensign/package.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_pkg_config c;
	struct ens_err err;

	memset(&c, 0, sizeof c);
	if (ens_pkg_config_parse(data, size, "config.json", &c, &err) == 0)
		ens_pkg_config_free(&c);
	else if (!err.msg[0])
		abort();
	if (size < 32) {
		char *s = fuzz_string(data, size);
		uint64_t v;

		(void)ens_pkg_parse_size(s, &v);
		free(s);
	}
	return 0;
}
