/* Fuzz target: sgxs-append (ens_sgxs_append): the input is the UNSIZED SGXS
 * to finalize; one small measured file and one unmeasured file are appended
 * and the result goes to /dev/null. */
#include "ensign/fortanix.h"
#include "ensign/sgx.h"
#include "fuzz_common.h"

static char paths[2][64];

static void remove_blobs(void)
{
	unlink(paths[0]);
	unlink(paths[1]);
}

static const char *blob(const char *name, size_t len, int byte)
{
	char *p = paths[byte & 1];
	FILE *f;

	snprintf(p, 64, "/tmp/ensign-fuzz-%d-%s", (int)getpid(), name);
	f = fopen(p, "wb");
	if (!f)
		abort();
	for (size_t i = 0; i < len; i++)
		fputc(byte, f);
	fclose(f);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ens_append_item items[3];
	static FILE *devnull;
	struct ens_append_opts o = { .items = items, .nitems = 3 };
	struct ens_append_result res;
	struct ens_err err;

	if (!devnull) {
		items[0] = (struct ens_append_item){ .path = blob("a", 300, 0x41), .secinfo_perms = 3, .measured = true };
		items[1] = (struct ens_append_item){ .is_align = true, .align = 0x1000 };
		items[2] = (struct ens_append_item){ .path = blob("b", 5000, 0x42), .secinfo_perms = 1 };
		atexit(remove_blobs);
		devnull = fopen("/dev/null", "wb");
		if (!devnull)
			abort();
	}
	o.compat_permission_bug = size && (data[size - 1] & 1);
	if (ens_sgxs_append(fuzz_path(data, size), &o, devnull, &res, &err) && !err.msg[0])
		abort();
	return 0;
}
