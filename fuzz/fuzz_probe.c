/* Fuzz target: the input-kind probe (lib/util/probe.c) every command runs on
 * every input file before any parser: the byte probe and, through a file, the
 * ELF section walk (libelf). Whatever the bytes, a kind with a name comes out,
 * and the byte probe agrees with the file probe except where only the file
 * probe can look (ELF sections). */
#include "ensign/probe.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_probe a, b;
	struct ens_err err;
	const char *path = fuzz_path(data, size);

	ens_probe_bytes(data, size < 4096 ? size : 4096, size, size >= 8 ? data + size - 8 : NULL, &a);
	if (!ens_kind_name(&a) || !ens_kind_hint(a.kind))
		abort();
	if (ens_probe_file(path, &b, &err))
		abort();
	if (!ens_kind_name(&b))
		abort();
	/* the ELF section walk only refines an ELF kind */
	if (a.kind != b.kind && !(a.kind >= ENS_K_ELF_INTEL && a.kind <= ENS_K_ELF_OTHER &&
				  b.kind >= ENS_K_ELF_INTEL && b.kind <= ENS_K_ELF_OTHER))
		abort();
	(void)ens_probe_expect(path, ENS_KBIT(ENS_K_SGXS), "an SGXS file", &err);
	return 0;
}
