/* Fuzz target (issue 19): a libpal.so as gramine-sgx-sign reads it (any ELF
 * class and byte order, e_entry and PT_LOAD only), then the whole Gramine
 * layout and page stream over it: a 16 MiB enclave with one thread and a
 * small manifest, pages counted by a sink with a budget (a pal may claim a
 * huge p_memsz). Every page must lie inside the enclave. */
#include "ensign/gramine.h"
#include "fuzz_common.h"

struct budget { uint64_t E; unsigned n; };

static int ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err)
{
	struct budget *b = ctx;
	if (ssa != 4 || size != b->E)
		abort();
	return 0;
}

static int page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct budget *b = ctx;
	if (pg->offset >= b->E || (pg->offset & 0xfff))
		abort();
	if (++b->n > 8192)
		return ens_fail(err, ENS_E_FORMAT, "page budget");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t manifest[] = "[sgx]\nenclave_size = \"16M\"\n";
	struct ens_gr_pal pal;
	struct ens_err err;
	struct budget b = { .E = 16u << 20 };
	struct ens_sink sink = { .ctx = &b, .ecreate = ecreate, .page = page };

	if (ens_gr_pal_open(fuzz_path(data, size), &pal, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	for (int edmm = 0; edmm < 2; edmm++) {
		struct ens_gr_layout_in in = { .manifest = manifest, .manifest_len = sizeof manifest - 1,
					       .enclave_size = b.E, .max_threads = 1, .edmm = edmm };
		b.n = 0;
		if (ens_gr_stream(&in, &pal, &sink, NULL, &err) && !err.msg[0])
			abort();
	}
	ens_gr_pal_close(&pal);
	return 0;
}
