/* Fuzz target: key loading. The input is a key file, read through the real
 * entry points (ens_signer_open_pem, ens_pubkey_load_modulus) from an
 * in-memory file. Passphrase "fuzz" so encrypted keys are decrypted too. */
#include "ensign/signer.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(data, size);
	struct ens_signer *s = NULL;
	struct ens_err err;
	uint8_t n[384], mr[32];
	char warning[256];

	if (ens_signer_open_pem(&s, path, "fuzz", warning, sizeof warning, &err) == 0) {
		if (!s || s->is_debug_key)
			abort();
		ens_signer_mrsigner(s, mr);
		ens_signer_free(s);
	} else if (!err.msg[0]) {
		abort();
	}
	if (ens_pubkey_load_modulus(path, n, &err) && !err.msg[0])
		abort();
	return 0;
}
