/* Fuzz target (package branch): a whole package file (trailer, regions,
 * embedded config and SIGSTRUCT) through ens_pkg_open_buffer. */
#include "ensign/package.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_pkg p;
	struct ens_err err;
	uint8_t *buf = malloc(size ? size : 1);	/* ens_pkg_open_buffer takes it over */

	if (!buf)
		abort();
	memcpy(buf, data, size);
	memset(&p, 0, sizeof p);
	if (ens_pkg_open_buffer(&p, "fuzz.pkg", buf, size, &err) == 0)
		ens_pkg_close(&p);
	else if (!err.msg[0])
		abort();
	return 0;
}
