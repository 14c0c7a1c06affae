/* Fuzz target: the SGXS reader of ftxsgx-runner (ens_run_image_read: page
 * runs, TCS pages, MRENCLAVE), on a path. */
#include "ensign/fortanix.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_run_image img;
	struct ens_err err;

	memset(&img, 0, sizeof img);
	if (ens_run_image_read(fuzz_path(data, size), &img, &err) == 0)
		ens_run_image_free(&img);
	else if (!err.msg[0])
		abort();
	return 0;
}
