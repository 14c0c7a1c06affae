/* Fuzz target: RFC 7512 PKCS#11 URIs (ens_pkcs11_is_uri, ens_pkcs11_uri_parse,
 * ens_pkcs11_uri_redact): every pin-value is hidden after redaction. */
#include "ensign/pkcs11.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct ens_pkcs11_uri u;
	struct ens_err err;
	char red[512];

	(void)ens_pkcs11_is_uri(s);
	if (ens_pkcs11_uri_parse(s, &u, &err) == 0) {
		ens_pkcs11_uri_redact(s, red, sizeof red);
		/* every pin-value in the redacted URI is hidden */
		for (const char *p = red; (p = strstr(p, "pin-value=")); p++)
			if (p > red && strchr(";?&:", p[-1]) && p[10] && p[10] != '*')
				abort();
		ens_pkcs11_uri_free(&u);
	} else if (!err.msg[0]) {
		abort();
	}
	free(s);
	return 0;
}
