/* Fuzz target (container branch): a docker-archive tar (docker save) through
 * ens_oci_open (manifest.json, config, layer list, digests) and the enclave
 * search over its layers; the first 64 bytes double as an image reference. */
#include "ensign/oci.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ens_oci_ref ref;	/* 9 KiB: off the stack */
	struct ens_oci_image img;
	struct ens_oci_file *files = NULL;
	struct ens_err err;
	char name[4200];
	size_t n = 0;
	char *s = fuzz_string(data, size < 64 ? size : 64);

	if (ens_oci_ref_parse(s, &ref, &err) && !err.msg[0])
		abort();
	free(s);
	snprintf(name, sizeof name, "docker-archive:%s", fuzz_path(data, size));
	memset(&img, 0, sizeof img);
	if (ens_oci_open(&img, name, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (ens_oci_find_enclaves(&img, &files, &n, &err) == 0)
		ens_oci_files_free(files, n);
	ens_oci_close(&img);
	return 0;
}
