/* Fuzz target: an application ELF (ens_app_open_buffer: ELF checks and the
 * .ensign.app section), its layout with the default configuration, and the
 * page stream of both memory models into a page-budget sink. */
#include "ensign/app.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ens_app app;
	struct ens_app_config cfg;
	struct ens_app_layout lay;
	struct ens_sink sink;
	struct fuzz_budget budget;
	struct ens_err err;
	uint8_t *buf = malloc(size ? size : 1);	/* taken over by ens_app_open_buffer */

	if (!buf)
		abort();
	memcpy(buf, data, size);
	(void)ens_app_probe(data, size);
	memset(&app, 0, sizeof app);
	if (ens_app_open_buffer(&app, "fuzz.elf", buf, size, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	ens_app_config_default(&cfg);
	if (ens_app_plan(&app, &cfg, &lay, &err) == 0) {
		fuzz_budget_sink(&sink, &budget);
		(void)ens_app_stream(&app, &lay, ENS_MM_SGX1, &sink, &err);
	}
	ens_app_close(&app);
	return 0;
}
