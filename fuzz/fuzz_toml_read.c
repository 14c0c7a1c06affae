/* Fuzz target: the TOML reader (lib/toml/toml_read.c, tomli 2.0.1 rules).
 * No crash; a rejected document has a message with tomli's position suffix;
 * an accepted one is written (tomli-w 1.0.0 layout), and the text read back
 * has the same content (the writer puts scalars before tables, so only key
 * order may change) and writes again as the same bytes. */
#include <stdbool.h>
#include "ensign/toml.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_err err = { 0 };
	unsigned line = 0, col = 0;
	struct ens_toml *t = ens_toml_parse((const char *)data, size, &err, &line, &col), *t1, *c;
	size_t l1, l2, n;
	char *w1, *w2;

	if (!t) {
		n = strlen(err.msg);
		if (err.code != ENS_E_FORMAT || n < 2 || err.msg[n - 1] != ')' || !strstr(err.msg, " (at "))
			abort();
		if (!strstr(err.msg, "(at end of document)") && (line == 0 || col == 0))
			abort();
		return 0;
	}
	w1 = ens_toml_write(t, &l1, &err);
	if (!w1 || strlen(w1) != l1 || (l1 && w1[l1 - 1] != '\n'))
		abort();
	t1 = ens_toml_parse(w1, l1, &err, NULL, NULL);
	if (!t1 || !ens_toml_same_content(t, t1))
		abort();
	w2 = ens_toml_write(t1, &l2, &err);
	if (!w2 || l2 != l1 || memcmp(w1, w2, l1))
		abort();
	c = ens_toml_clone(t);
	if (!c || !ens_toml_equal(c, t))
		abort();
	ens_toml_free(c);
	ens_toml_free(t1);
	ens_toml_free(t);
	free(w1);
	free(w2);
	return 0;
}
