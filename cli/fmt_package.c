/* The "package" row of the format registry (files made by `ensign package`):
 * probe by the trailer magic at the end of the file, info (contents, config,
 * MRENCLAVE, MRSIGNER) and verify (recompute MRENCLAVE, check the signature). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "ensign/package.h"

bool fmt_package_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size)
{
	uint8_t tail[8];
	bool ok = false;
	FILE *f;

	if (file_size < sizeof(struct ens_pkg_trailer) + ENS_SIGSTRUCT_SIZE || !(f = fopen(path, "rb")))
		return false;
	if (!fseek(f, -8, SEEK_END) && fread(tail, 1, 8, f) == 8)
		ok = ens_pkg_probe_tail(tail);
	fclose(f);
	return ok;
}

struct list_ctx {
	bool json, first;
};

static int print_entry(void *ctx, const char *path, unsigned mode, uint64_t size)
{
	struct list_ctx *l = ctx;

	if (l->json) {
		printf("%s{\"path\": ", l->first ? "" : ", ");
		cli_json_str(path);
		printf(", \"mode\": \"%06o\", \"size\": %" PRIu64 "}", mode, size);
	} else {
		printf("  %06o %10" PRIu64 " %s\n", mode, size, path);
	}
	l->first = false;
	return 0;
}

/* The config as an object when it parses (it is measured byte for byte;
 * this is only a view), else as a string. */
static void print_config_json(const struct ens_pkg *p)
{
	json_t *j = json_loadb((const char *)p->config, p->tr.config_len, 0, NULL);
	char *s = j ? json_dumps(j, JSON_PRESERVE_ORDER) : NULL;

	if (s) {
		fputs(s, stdout);
	} else {
		char *raw = strndup((const char *)p->config, p->tr.config_len);

		cli_json_str(raw ? raw : "");
		free(raw);
	}
	free(s);
	json_decref(j);
}

int fmt_package_info(const char *path, int argc, char **argv, bool json)
{
	struct ens_pkg p;
	struct ens_err err = { 0 }, verr = { 0 };
	struct list_ctx l = { .json = json, .first = true };
	uint8_t mr[32];
	bool ok;

	if (ens_pkg_open(&p, path, &err))
		return cli_error(&err);
	ok = !ens_pkg_verify(&p, path, NULL, mr, &verr);
	if (json) {
		printf("{\"file\": ");
		cli_json_str(path);
		printf(", \"format\": \"package\", \"target\": \"%s\", \"verified\": %s",
		       ens_pkg_target_name((enum ens_pkg_target)p.tr.target), ok ? "true" : "false");
		if (!ok) {
			printf(", \"error\": ");
			cli_json_str(verr.msg);
		}
		printf(", \"sizes\": {\"runner\": %" PRIu64 ", \"archive\": %" PRIu64 ", \"config\": %" PRIu64
		       ", \"image\": %" PRIu64 "}, \"config\": ", p.tr.stub_len, p.tr.archive_len, p.tr.config_len,
		       p.tr.image_len);
		print_config_json(&p);
		printf(", \"contents\": [");
	} else {
		printf("file:            %s\nformat:          package (ensign package)\ntarget:          %s\n"
		       "verified:        %s%s\n", path, ens_pkg_target_name((enum ens_pkg_target)p.tr.target),
		       ok ? "yes" : "NO: ", ok ? "" : verr.msg);
		printf("runner:          %" PRIu64 " bytes\narchive:         %" PRIu64 " bytes\n"
		       "config.json:     %" PRIu64 " bytes\nimage:           %" PRIu64 " bytes\n", p.tr.stub_len,
		       p.tr.archive_len, p.tr.config_len, p.tr.image_len);
		printf("config.json:\n");
		fwrite(p.config, 1, p.tr.config_len, stdout);
		if (p.tr.config_len && p.config[p.tr.config_len - 1] != '\n')
			putchar('\n');
		printf("contents:\n");
	}
	if (ens_pkg_cpio_list(p.archive, p.tr.archive_len, print_entry, &l, &err) && !json)
		printf("  (%s)\n", err.msg);
	if (json) {
		printf("], ");
		cli_json_sigstruct_members(&p.sig);
		printf("}\n");
	} else {
		printf("sigstruct:\n");
		cli_print_sigstruct(&p.sig, false, "  ");
	}
	ens_pkg_close(&p);
	return 0;
}

int fmt_package_verify(const char *path, int argc, char **argv)
{
	struct ens_pkg p;
	struct ens_err err = { 0 };
	uint8_t mr[32], signer[32];
	char hex[65];

	if (ens_pkg_open(&p, path, &err))
		return cli_error(&err);
	if (ens_pkg_verify(&p, path, NULL, mr, &err)) {
		printf("FAIL %s\n", path);
		ens_pkg_close(&p);
		return cli_error(&err);
	}
	ens_hex(mr, 32, hex);
	printf("OK %s\nmrenclave: %s (matches)\n", path, hex);
	ens_sigstruct_mrsigner(&p.sig, signer);
	ens_hex(signer, 32, hex);
	printf("mrsigner:  %s\n", hex);
	ens_pkg_close(&p);
	return 0;
}

int fmt_package_mrenclave(const char *path, uint8_t out[32], struct ens_err *err)
{
	struct ens_pkg p;
	int rc;

	if (ens_pkg_open(&p, path, err))
		return -1;
	rc = ens_pkg_mrenclave(&p, path, out, err);
	ens_pkg_close(&p);
	return rc;
}

int fmt_package_measure(const char *path, int argc, char **argv, bool json)
{
	struct ens_err err = { 0 };
	uint8_t mr[32];
	char hex[65];

	if (fmt_package_mrenclave(path, mr, &err))
		return cli_error(&err);
	ens_hex(mr, 32, hex);
	if (json)
		printf("{\"format\": \"package\", \"mrenclave\": \"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	return 0;
}
