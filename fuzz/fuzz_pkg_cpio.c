/* Fuzz target (package branch): the CPIO newc reader of package archives
 * (ens_pkg_cpio_list). */
#include "ensign/package.h"
#include "fuzz_common.h"

static int entry(void *ctx, const char *path, unsigned mode, uint64_t size)
{
	size_t *n = ctx;

	if (!path)
		abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_err err;
	size_t n = 0;

	if (ens_pkg_cpio_list(data, size, entry, &n, &err) && !err.msg[0])
		abort();
	return 0;
}
