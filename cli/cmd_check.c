/* ensign check APP.signed [flags]: what the runtime does at start-up. Compare
 * the configuration it would start with against the signed one; on a
 * mismatch a debug signature is redone in memory with the built-in debug key
 * (new MRENCLAVE, warning, exit 0) and a production signature fails. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli_app.h"
#include "ensign/probe.h"

static int diff_size(const char *name, uint64_t signed_v, uint64_t req)
{
	char a[32], b[32];

	if (signed_v == req)
		return 0;
	cli_app_size(signed_v, a, sizeof a);
	cli_app_size(req, b, sizeof b);
	printf("%s: signed %s, requested %s\n", name, a, b);
	return 1;
}

static int diff_num(const char *name, uint64_t signed_v, uint64_t req)
{
	if (signed_v == req)
		return 0;
	printf("%s: signed %" PRIu64 ", requested %" PRIu64 "\n", name, signed_v, req);
	return 1;
}

static const char *models_name(unsigned m)
{
	return m == ENS_MM_ALL ? "all" : ens_mm_name((enum ens_mm)m);
}

static int compare(const struct ens_app_signed *s, const struct cli_app_opts *o)
{
	const struct ens_app_config *a = &s->cfg, *b = &o->cfg;
	int n = 0;

	n += diff_size("heap", a->heap, b->heap);
	n += diff_size("minheap", a->minheap, b->minheap);
	n += diff_size("stack", a->stack, b->stack);
	n += diff_num("tcs", a->tcs, b->tcs);
	n += diff_num("mprotect", a->mprotect, b->mprotect);
	n += diff_num("dlopen", a->dlopen, b->dlopen);
	if (o->models_given && (o->models & ~s->models)) {
		printf("memory-model: signed %s, requested %s\n", models_name(s->models), models_name(o->models));
		n++;
	}
	return n;
}

/* Debug re-signing: the signed SIGSTRUCT's other fields, the new MRENCLAVE. */
static int resign_debug(const struct ens_app *app, const struct cli_app_opts *req, unsigned models,
			struct ens_err *err)
{
	struct ens_app_layout lay;
	struct ens_signer *signer = NULL;
	struct cli_app_opts o = *req;
	uint8_t mr[2][32];
	char hex[65];

	o.xfrm = app->sig->xfrm;
	o.isvsvn = app->sig->isvsvn;
	o.isvprodid = app->sig->isvprodid;
	o.sign.production = false;
	if (ens_app_plan(app, &req->cfg, &lay, err) || ens_app_measure(app, &lay, models, mr, err) ||
	    ens_signer_open_debug(&signer, err))
		return -1;
	for (int i = 0; i < 2; i++) {
		enum ens_mm mm = i ? ENS_MM_SGX2 : ENS_MM_SGX1;
		struct ens_sigstruct_fields f;
		struct ens_sigstruct s;

		if (!(models & mm))
			continue;
		cli_app_fields(&o, mm, mr[i], &f, app->sig->sig[i].date);
		ens_sigstruct_build(&s, &f);
		if (ens_sigstruct_sign(&s, signer, err)) {
			ens_signer_free(signer);
			return -1;
		}
		ens_hex(mr[i], 32, hex);
		printf("%s %s\n", ens_mm_name(mm), hex);
	}
	ens_signer_free(signer);
	return 0;
}

/* "Would this start?": the file as it is must measure what was signed,
 * whatever the configuration asked for (a changed image fails, debug or not). */
static int image_unchanged(const struct ens_app *app, const char *path, struct ens_err *err)
{
	struct ens_app_layout lay;
	uint8_t mr[2][32];
	char got[65], want[65];

	if (ens_app_plan(app, &app->sig->cfg, &lay, err) ||
	    ens_app_measure(app, &lay, app->sig->models, mr, err))
		return -1;
	for (int i = 0; i < 2; i++) {
		if (!(app->sig->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)) ||
		    !memcmp(mr[i], app->sig->sig[i].enclavehash, 32))
			continue;
		ens_hex(app->sig->sig[i].enclavehash, 32, want);
		ens_hex(mr[i], 32, got);
		ens_fail(err, ENS_E_VERIFY, "'%s': the application changed after signing: %s: the SIGSTRUCT says"
			 " MRENCLAVE %s, the file measures %s; it would not start: sign it again",
			 path, i ? "sgx2" : "sgx1", want, got);
		return -1;
	}
	return 0;
}

static int check_text(int argc, char **argv);

struct jargs { int argc; char **argv; };
static int check_cb(void *a)
{
	struct jargs *j = a;

	return check_text(j->argc, j->argv);
}

/* --json: the report's lines in one object (cli_json_capture) */
int cmd_check(int argc, char **argv)
{
	struct jargs j = { argc, argv };

	if (!cli_json)
		return check_text(argc, argv);
	return cli_json_capture("check", cli_find_input(argc, argv), "application", check_cb, &j);
}

static int check_text(int argc, char **argv)
{
	struct cli_app_opts o;
	struct ens_app app;
	struct ens_err err = { 0 };
	unsigned models;
	bool production;
	char hex[65];
	int r = cli_app_parse(argc, argv, CLI_APP_CHECK, NULL, &o);

	if (r)
		return r < 0 ? 0 : r;
	if ((r = cli_expect_kind(o.input, ENS_KBIT(ENS_K_ELF_APP_SIGNED) | ENS_KBIT(ENS_K_ELF_EXEC) |
				 ENS_KBIT(ENS_K_ELF_SHARED), "an application signed by ensign")))
		return r;
	if (ens_app_open(&app, o.input, &err))
		return cli_error(&err);
	if (!app.is_signed) {
		ens_app_close(&app);
		return cli_errorf("'%s': not signed (no %s section)", o.input, ENS_APP_SECTION);
	}
	if (image_unchanged(&app, o.input, &err)) {
		ens_app_close(&app);
		return cli_error(&err);
	}
	models = o.models_given ? o.models : app.sig->models;
	production = app.sig->production;
	for (int i = 0; i < 2; i++)
		if ((app.sig->models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)) &&
		    !(app.sig->sig[i].attributes & ENS_ATTR_DEBUG))
			production = true;
	if (!compare(app.sig, &o)) {
		printf("ok: the configuration matches the signed one\n");
		for (int i = 0; i < 2; i++)
			if (models & (i ? ENS_MM_SGX2 : ENS_MM_SGX1)) {
				ens_hex(app.sig->sig[i].enclavehash, 32, hex);
				printf("%s %s\n", i ? "sgx2" : "sgx1", hex);
			}
		ens_app_close(&app);
		return 0;
	}
	if (production) {
		ens_app_close(&app);
		return cli_errorf("'%s': production signature: the requested configuration needs a new"
				  " signature and the private key is not available at start-up", o.input);
	}
	if (resign_debug(&app, &o, models, &err)) {
		ens_app_close(&app);
		return cli_error(&err);
	}
	cli_warn("'%s': the configuration differs from the signed one: re-signed in memory with the"
		 " built-in debug key; the MRENCLAVE above is new", o.input);
	ens_app_close(&app);
	return 0;
}
