/* ensign sign APP: sign an x86-64 ELF application for one or both memory
 * models (front end lib/front/app_*.c, back end lib/back/elf_signed.c);
 * optionally export the raw .sig files and one layout as SGXS. */
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli_app.h"
#include "ensign/pkcs11.h"

/* Side outputs already committed; removed again if a later output fails, so
 * that an error leaves nothing behind. */
static struct { char path[3][4096]; int n; } written;

static void remember(const char *path)
{
	if (written.n < 3)
		snprintf(written.path[written.n++], sizeof written.path[0], "%s", path);
}

static void forget_all(void)
{
	while (written.n > 0)
		unlink(written.path[--written.n]);
}

static int write_sgxs(const struct ens_app *app, const struct ens_app_layout *lay, enum ens_mm mm,
		      const char *path, struct ens_err *err)
{
	struct ens_out out;
	struct ens_sgxs_writer w = { 0 };
	struct ens_sink sink;

	if (ens_out_open(&out, path, 0644, err))
		return -1;
	w.f = out.fp;
	ens_sink_sgxs_writer(&sink, &w);
	if (ens_app_stream(app, lay, mm, &sink, err) || (w.failed && ens_fail(err, ENS_E_IO, "cannot write '%s'", path))) {
		ens_out_abort(&out);
		return -1;
	}
	if (ens_out_commit(&out, err))
		return -1;
	remember(path);
	return 0;
}

static int write_sig_dir(const struct cli_app_opts *o, const struct ens_app_signed *sg, struct ens_err *err)
{
	char *copy = strdup(o->input), path[4096];
	int rc = 0;

	if (!copy)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	for (int i = 0; i < 2 && !rc; i++) {
		enum ens_mm mm = i ? ENS_MM_SGX2 : ENS_MM_SGX1;

		if (!(sg->models & mm))
			continue;
		if (snprintf(path, sizeof path, "%s/%s.%s.sig", o->sig_dir, basename(copy), ens_mm_name(mm)) >=
		    (int)sizeof path)
			rc = ens_fail(err, ENS_E_USAGE, "--sig-dir: path too long");
		else if (!(rc = cli_write_sigstruct(path, &sg->sig[i], err)))
			remember(path);
	}
	free(copy);
	return rc;
}

static void print_result(const struct ens_app_signed *sg, const uint8_t mr[2][32], const char *out,
			 const char *in)
{
	char hex[65];
	uint8_t signer[32];

	if (cli_json) {
		json_t *o = json_pack("{s:s, s:s, s:s?}", "file", in, "format", "application", "output", out);

		for (int i = 0; o && i < 2; i++)
			if (sg->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)) {
				ens_hex(mr[i], 32, hex);
				json_object_set_new(o, i ? "sgx2" : "sgx1", json_string(hex));
				ens_sigstruct_mrsigner(&sg->sig[i], signer);
			}
		ens_hex(signer, 32, hex);
		json_object_set_new(o, "mrsigner", json_string(hex));
		cli_json_emit(o);
		return;
	}
	for (int i = 0; i < 2; i++)
		if (sg->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)) {
			ens_hex(mr[i], 32, hex);
			printf("%s %s\n", i ? "sgx2" : "sgx1", hex);
			ens_sigstruct_mrsigner(&sg->sig[i], signer);
		}
	ens_hex(signer, 32, hex);
	printf("mrsigner %s\n", hex);
	if (out)
		printf("signed %s\n", out);
}

static bool external_signature(const struct cli_sign_opts *s)
{
	return s->signature || s->sign_command || cli_sign_is_step1(s);
}

/* Plain one-step signing: one signer (one warning, one PKCS#11 login) for
 * both models. Anything else goes through cli_sign_sigstruct per model. */
static bool one_signer(const struct cli_sign_opts *s)
{
	return !external_signature(s) && !s->pubkey && !s->unsigned_in && !s->signature_le;
}

static int open_signer(const struct cli_sign_opts *s, struct ens_signer **signer, struct ens_err *err)
{
	if (s->key && ens_pkcs11_is_uri(s->key))
		return cli_open_pkcs11(s->key, s->pkcs11_module, signer, err);
	return cli_open_signer(s->key, s->production, signer, err);
}

int cli_sign_app(int argc, char **argv)
{
	struct cli_app_opts o;
	struct ens_app app;
	struct ens_app_layout lay;
	struct ens_app_signed sg;
	struct ens_err err = { 0 };
	uint8_t mr[2][32];
	uint32_t date;
	char *outpath = NULL;
	struct ens_signer *signer = NULL;
	struct stat st;
	int r = cli_app_parse(argc, argv, CLI_APP_SIGN, NULL, &o);

	if (r)
		return r < 0 ? 0 : r;
	if (o.sign.production && !external_signature(&o.sign) &&
	    (!o.sign.key || !*o.sign.key || !strcmp(o.sign.key, "debug")))
		return o.production_var ?
			cli_usage_error(NULL, "%s=1 (production) needs a key: set --key or %s; the built-in debug key"
					" never signs for production", o.production_var,
					!strncmp(o.production_var, "SCONE_", 6) ? "SCONE_KEY" : "ENSIGN_KEY") :
			cli_usage_error(NULL, "--production needs --key: the built-in debug key never signs for production");
	if (o.in_place) {
		outpath = strdup(o.input);
	} else if (o.output) {
		outpath = strdup(o.output);
	} else if ((outpath = malloc(strlen(o.input) + sizeof ".signed"))) {
		strcpy(outpath, o.input);
		strcat(outpath, ".signed");
	}
	if (!outpath)
		return cli_errorf("out of memory");
	if (!o.in_place && ens_check_not_same(o.input, outpath, &err)) {
		free(outpath);
		return cli_error(&err);
	}
	if (ens_app_open(&app, o.input, &err)) {
		free(outpath);
		return cli_error(&err);
	}
	if (ens_app_plan(&app, &o.cfg, &lay, &err) || ens_app_measure(&app, &lay, o.models, mr, &err) ||
	    ens_date_resolve(o.date, &date, &err))
		goto fail;
	memset(&sg, 0, sizeof sg);
	sg.cfg = lay.cfg;
	sg.xfrm = o.xfrm;
	sg.isvprodid = o.isvprodid;
	sg.isvsvn = o.isvsvn;
	sg.production = o.sign.production;
	sg.models = o.models;
	for (int i = 0; i < 2; i++) {
		enum ens_mm mm = i ? ENS_MM_SGX2 : ENS_MM_SGX1;
		struct ens_sigstruct_fields f;

		if (!(o.models & mm))
			continue;
		cli_app_fields(&o, mm, mr[i], &f, date);
		ens_sigstruct_build(&sg.sig[i], &f);
		if (one_signer(&o.sign)) {
			if (!signer && open_signer(&o.sign, &signer, &err) < 0)
				goto fail;
			r = ens_sigstruct_sign(&sg.sig[i], signer, &err);
		} else {
			r = cli_sign_sigstruct(&sg.sig[i], &o.sign, &err);
		}
		if (r < 0)
			goto fail;
		if (r == 1) {	/* two-step, step 1: the material is written, nothing else */
			free(outpath);
			ens_app_close(&app);
			return 0;
		}
	}
	if (o.sgxs && write_sgxs(&app, &lay, (enum ens_mm)o.models, o.sgxs, &err))
		goto fail;
	if (stat(o.input, &st)) {
		ens_fail_errno(&err, "cannot stat '%s'", o.input);
		goto fail;
	}
	/* the signed file last: with --in-place it replaces the input */
	if ((o.sig_dir && write_sig_dir(&o, &sg, &err)) ||
	    ens_app_write_signed(&app, &sg, outpath, st.st_mode & 0777, &err))
		goto fail;
	print_result(&sg, mr, outpath, o.input);
	ens_signer_free(signer);
	free(outpath);
	ens_app_close(&app);
	return 0;
fail:
	forget_all();
	ens_signer_free(signer);
	free(outpath);
	ens_app_close(&app);
	return cli_error(&err);
}
