/* Fuzz target (issue 19): a Gramine manifest through gramine-sgx-sign's
 * steps: TOML parse, defaults and trusted-file expansion (with --chroot into
 * an empty directory, and the entrypoint hash given, so nothing outside is
 * read), write, parse again and write again (the same bytes: what is
 * measured is stable), then the layout inputs and the SIGSTRUCT fields. */
#include <sys/stat.h>
#include "ensign/gramine.h"
#include "ensign/toml.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	struct ens_err err;
	struct ens_toml *root, *again, *loader, *ep;
	struct ens_gr_expanded x;
	struct ens_gr_attrs a;
	struct ens_sigstruct_fields f;
	uint8_t mr[32] = { 0 };
	size_t len;
	char *out;

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/ensign-fuzz-gramine-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	root = ens_toml_parse((const char *)data, size, &err, NULL, NULL);
	if (!root)
		return 0;
	/* the entrypoint hash is given: the fuzzer never names a host file */
	loader = ens_toml_get(root, "loader");
	if (!loader)
		loader = ens_toml_setdefault(root, "loader", ens_toml_new_table());
	if (loader && loader->kind == ENS_TOML_TABLE) {
		ep = ens_toml_get(loader, "entrypoint");
		if (!ep)
			ep = ens_toml_setdefault(loader, "entrypoint", ens_toml_new_table());
		if (ep && ep->kind == ENS_TOML_TABLE)
			ens_toml_setdefault(ep, "sha256", ens_toml_new_string("00"));
	}
	struct ens_gr_expand_opts o = { .chroot = dir, .threads = 1 };
	if (ens_gr_expand(root, &o, &x, &err) == 0) {
		ens_gr_expanded_free(&x);
		out = ens_toml_write(root, &len, &err);
		if (!out)
			abort();
		/* parsed again and written again: the same bytes (the order of
		 * keys may change once, scalars before tables, then stays) */
		again = ens_toml_parse(out, len, &err, NULL, NULL);
		size_t len2;
		char *out2 = again ? ens_toml_write(again, &len2, &err) : NULL;
		if (!out2 || len2 != len || memcmp(out, out2, len))
			abort();
		free(out2);
		if (ens_gr_attrs(again, &a, &err) == 0)
			(void)ens_gr_sigstruct_fields(again, 0x20250620, mr, &f, &err);
		ens_toml_free(again);
		free(out);
	} else if (!err.msg[0]) {
		abort();
	}
	ens_toml_free(root);
	return 0;
}
