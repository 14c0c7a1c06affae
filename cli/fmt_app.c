/* The "application" row of the format registry: measure an ELF application
 * for a configuration, show and verify what `ensign sign` appended. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli_app.h"

bool fmt_app_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size)
{
	return ens_app_probe(head, len);
}

static void print_mr(unsigned models, const uint8_t mr[2][32], bool json)
{
	char hex[65];

	if (json)
		printf("{\"format\": \"application\"");
	for (int i = 0; i < 2; i++) {
		if (!(models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)))
			continue;
		ens_hex(mr[i], 32, hex);
		if (json)
			printf(", \"%s\": \"%s\"", i ? "sgx2" : "sgx1", hex);
		else
			printf("%s %s\n", i ? "sgx2" : "sgx1", hex);
	}
	if (json)
		printf("}\n");
}

int fmt_app_measure(const char *path, int argc, char **argv, bool json)
{
	struct cli_app_opts o;
	struct ens_app app;
	struct ens_app_layout lay;
	struct ens_err err = { 0 };
	uint8_t mr[2][32];
	int r = cli_app_parse(argc, argv, CLI_APP_MEASURE, path, &o);

	if (r)
		return r < 0 ? 0 : r;
	if (ens_app_open(&app, o.input, &err))
		return cli_error(&err);
	r = ens_app_plan(&app, &o.cfg, &lay, &err) || ens_app_measure(&app, &lay, o.models, mr, &err);
	ens_app_close(&app);
	if (r)
		return cli_error(&err);
	print_mr(o.models, mr, json || o.json);
	return 0;
}

static void print_config(const struct ens_app_signed *s, bool json)
{
	char heap[32], minheap[32], stack[32];

	cli_app_size(s->cfg.heap, heap, sizeof heap);
	cli_app_size(s->cfg.minheap, minheap, sizeof minheap);
	cli_app_size(s->cfg.stack, stack, sizeof stack);
	if (json) {
		printf("\"config\": {\"heap\": %" PRIu64 ", \"minheap\": %" PRIu64 ", \"stack\": %" PRIu64
		       ", \"tcs\": %" PRIu32 ", \"mprotect\": %d, \"dlopen\": %d, \"xfrm\": %" PRIu64
		       ", \"isvsvn\": %u, \"isvprodid\": %u, \"production\": %s}",
		       s->cfg.heap, s->cfg.minheap, s->cfg.stack, s->cfg.tcs, s->cfg.mprotect, s->cfg.dlopen,
		       s->xfrm, s->isvsvn, s->isvprodid, s->production ? "true" : "false");
		return;
	}
	printf("heap %s\nminheap %s\nstack %s\ntcs %" PRIu32 "\nmprotect %d\ndlopen %d\n"
	       "xfrm 0x%" PRIx64 "\nisvsvn %u\nisvprodid %u\nproduction %d\n",
	       heap, minheap, stack, s->cfg.tcs, s->cfg.mprotect, s->cfg.dlopen, s->xfrm, s->isvsvn,
	       s->isvprodid, s->production);
}

int fmt_app_info(const char *path, int argc, char **argv, bool json)
{
	struct ens_app app;
	struct ens_err err = { 0 };

	if (ens_app_open(&app, path, &err))
		return cli_error(&err);
	if (json) {
		printf("{\"file\": ");
		cli_json_str(path);
		printf(", \"format\": \"application\", \"signed\": %s, \"entry\": %" PRIu64
		       ", \"image_size\": %" PRIu64, app.is_signed ? "true" : "false", app.entry,
		       app.image_size);
	} else
		printf("file %s\nformat application\nsigned %s\nentry 0x%" PRIx64 "\nimage_size 0x%" PRIx64 "\n",
		       path, app.is_signed ? "yes" : "no", app.entry, app.image_size);
	if (app.is_signed) {
		if (json)
			printf(", ");
		print_config(app.sig, json);
		for (int i = 0; i < 2; i++) {
			if (!(app.sig->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)))
				continue;
			if (json) {
				printf(", \"%s\": ", i ? "sgx2" : "sgx1");
				cli_print_sigstruct(&app.sig->sig[i], true, "");
			} else {
				printf("%s sigstruct:\n", i ? "sgx2" : "sgx1");
				cli_print_sigstruct(&app.sig->sig[i], false, "  ");
			}
		}
	}
	if (json)
		printf("}\n");
	ens_app_close(&app);
	return 0;
}

int fmt_app_verify(const char *path, int argc, char **argv)
{
	struct ens_app app;
	struct ens_app_layout lay;
	struct ens_err err = { 0 };
	uint8_t mr[2][32];
	char hex[65];
	int bad = 0;

	if (ens_app_open(&app, path, &err))
		return cli_error(&err);
	if (!app.is_signed) {
		ens_app_close(&app);
		return cli_errorf("'%s': not signed (no %s section); sign it with ensign sign", path,
				  ENS_APP_SECTION);
	}
	if (ens_app_plan(&app, &app.sig->cfg, &lay, &err) ||
	    ens_app_measure(&app, &lay, app.sig->models, mr, &err)) {
		ens_app_close(&app);
		return cli_error(&err);
	}
	for (int i = 0; i < 2; i++) {
		struct ens_verify_report rep;
		const char *name = i ? "sgx2" : "sgx1";

		if (!(app.sig->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)))
			continue;
		ens_hex(mr[i], 32, hex);
		if (ens_sigstruct_verify((const uint8_t *)&app.sig->sig[i], sizeof app.sig->sig[i], mr[i], &rep)) {
			bad++;
			printf("%s FAILED mrenclave %s\n", name, hex);
			for (int c = 0; c < ENS_VC_COUNT; c++)
				if (rep.failed[c])
					cli_warn("%s: %s", name, rep.why[c]);
		} else {
			printf("%s OK mrenclave %s\n", name, hex);
		}
		if (!!(app.sig->sig[i].attributes & ENS_ATTR_DEBUG) == app.sig->production) {
			bad++;
			cli_warn("%s: the DEBUG attribute contradicts the signed production setting", name);
		}
	}
	ens_app_close(&app);
	if (bad)
		return cli_errorf("'%s': %d check(s) failed", path, bad);
	return 0;
}
