/* Options of `sign APP`, `measure APP` and `check APP.signed`: the
 * scone-signer flags, their SCONE_* / ENSIGN_* variables (read only with
 * --env; flags win), units, and the SIGSTRUCT fields they imply. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_app.h"

static const char usage_sign[] =
	"ensign sign [--heap=N] [--minheap=N] [--stack=N] [--tcs=N] [--mprotect=0|1] [--dlopen=0|1]\n"
	"            [--xfrm=N] [--isvsvn=N] [--isvprodid=N] [--key=PATH] [--production] [--env]\n"
	"            [--memory-model=sgx1|sgx2|all] [-o OUT | --in-place] [--sig-dir DIR]\n"
	"            [--sgxs OUT.sgxs] [--date YYYY-MM-DD] APP";
static const char usage_measure[] =
	"ensign measure APP [--heap=N] [--minheap=N] [--stack=N] [--tcs=N] [--mprotect=0|1]\n"
	"            [--dlopen=0|1] [--env] [--memory-model=sgx1|sgx2|all] [--json]";
static const char usage_check[] =
	"ensign check APP.signed [--heap=N] [--minheap=N] [--stack=N] [--tcs=N] [--mprotect=0|1]\n"
	"            [--dlopen=0|1] [--env] [--memory-model=sgx1|sgx2|all]";

const char *cli_app_sign_usage(void)
{
	return usage_sign;
}

enum { P_STACK, P_MINHEAP, P_HEAP, P_TCS, P_MPROTECT, P_DLOPEN, P_XFRM, P_ISVSVN, P_ISVPRODID,
       P_MODEL, P_COUNT };
enum kind { K_SIZE, K_NUM, K_BOOL, K_MODEL };
static const struct param {
	const char *flag, *scone, *ensign;
	enum kind kind;
	uint64_t max;
} params[P_COUNT] = {
	[P_STACK] = { "stack", "SCONE_STACK", "ENSIGN_STACK", K_SIZE, 0 },
	[P_MINHEAP] = { "minheap", "SCONE_MIN_HEAP", "ENSIGN_MIN_HEAP", K_SIZE, 0 },
	[P_HEAP] = { "heap", "SCONE_HEAP", "ENSIGN_HEAP", K_SIZE, 0 },
	[P_TCS] = { "tcs", "SCONE_TCS", "ENSIGN_TCS", K_NUM, ENS_APP_MAX_TCS },
	[P_MPROTECT] = { "mprotect", "SCONE_MPROTECT", "ENSIGN_MPROTECT", K_BOOL, 1 },
	[P_DLOPEN] = { "dlopen", "SCONE_ALLOW_DLOPEN", "ENSIGN_ALLOW_DLOPEN", K_BOOL, 1 },
	[P_XFRM] = { "xfrm", "SCONE_XFRM", "ENSIGN_XFRM", K_NUM, UINT64_MAX },
	[P_ISVSVN] = { "isvsvn", "SCONE_ISVSVN", "ENSIGN_ISVSVN", K_NUM, 0xFFFF },
	[P_ISVPRODID] = { "isvprodid", "SCONE_ISVPRODID", "ENSIGN_ISVPRODID", K_NUM, 0xFFFF },
	[P_MODEL] = { "memory-model", NULL, "ENSIGN_MEMORY_MODEL", K_MODEL, 0 },
};
enum { O_PARAM = 0x2000, O_ENV = O_PARAM + P_COUNT, O_IN_PLACE, O_SIG_DIR, O_SGXS, O_DATE, O_JSON };

void cli_app_size(uint64_t v, char *buf, size_t len)
{
	static const char unit[] = "KMG";

	for (int i = 3; i >= 1; i--)
		if (v && v % (1ull << (10 * i)) == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> (10 * i), unit[i - 1]);
			return;
		}
	snprintf(buf, len, "%" PRIu64, v);
}

/* One parameter's value; 'name' is the flag or variable it came from. */
static int set_param(int p, const char *s, const char *name, struct cli_app_opts *o, struct ens_err *err)
{
	const struct param *pp = &params[p];
	uint64_t v = 0;

	if (pp->kind == K_MODEL) {
		if (!strcmp(s, "sgx1"))
			o->models = ENS_MM_SGX1;
		else if (!strcmp(s, "sgx2"))
			o->models = ENS_MM_SGX2;
		else if (!strcmp(s, "all"))
			o->models = ENS_MM_ALL;
		else
			return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not sgx1, sgx2 or all", name, s);
		o->models_given = true;
		return 0;
	}
	if (pp->kind == K_SIZE) {
		if (ens_parse_size(s, &v, name, err))
			return -1;
		if (v % ENS_PAGE_SIZE)
			return ens_fail(err, ENS_E_USAGE, "%s: %" PRIu64 " bytes is not a multiple of the page"
					" size (4096); sizes are rejected, not rounded", name, v);
		if (v > ENS_APP_MAX_SIZE)
			return ens_fail(err, ENS_E_USAGE, "%s: '%s' exceeds the largest enclave (128T)", name, s);
		if (p == P_STACK && !v)
			return ens_fail(err, ENS_E_USAGE, "%s: the stack must be at least one page", name);
		if (p == P_HEAP && !v)	/* a valid layout (docs/layout.md), rarely what is meant */
			cli_warn("%s=0: the application gets no heap (every allocation will fail)", name);
	} else {
		if (ens_parse_u64(s, &v, name, err))
			return -1;
		if (pp->kind == K_BOOL && v > 1)
			return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not 0 or 1", name, s);
		if (v > pp->max || (p == P_TCS && v == 0))
			return ens_fail(err, ENS_E_USAGE, "%s: %s is out of range (%d..%" PRIu64 ")", name, s,
					p == P_TCS, pp->max);
	}
	switch (p) {
	case P_STACK: o->cfg.stack = v; break;
	case P_MINHEAP: o->cfg.minheap = v; break;
	case P_HEAP: o->cfg.heap = v; break;
	case P_TCS: o->cfg.tcs = (uint32_t)v; break;
	case P_MPROTECT: o->cfg.mprotect = v; break;
	case P_DLOPEN: o->cfg.dlopen = v; break;
	case P_XFRM: o->xfrm = v; break;
	case P_ISVSVN: o->isvsvn = (uint16_t)v; break;
	case P_ISVPRODID: o->isvprodid = (uint16_t)v; break;
	}
	return 0;
}

/* ENSIGN_X wins over SCONE_X when both are set. */
static const char *env_value(const char *ensign, const char *scone, const char **name)
{
	const char *v;

	if (ensign && (v = getenv(ensign))) {
		*name = ensign;
		return v;
	}
	if (scone && (v = getenv(scone))) {
		*name = scone;
		return v;
	}
	return NULL;
}

static int resolve(const char *flagval[P_COUNT], struct cli_app_opts *o, struct ens_err *err)
{
	char flagname[32], minheap_name[32] = "";

	for (int p = 0; p < P_COUNT; p++) {
		const char *v = flagval[p], *name = flagname;

		snprintf(flagname, sizeof flagname, "--%s", params[p].flag);
		if (!v && o->env)
			v = env_value(params[p].ensign, params[p].scone, &name);
		if (!v)
			continue;
		if (set_param(p, v, name, o, err))
			return -1;
		if (p == P_MINHEAP)
			snprintf(minheap_name, sizeof minheap_name, "%s", name);
	}
	if (o->cfg.minheap > o->cfg.heap) {
		char a[32], b[32];

		if (*minheap_name) {
			cli_app_size(o->cfg.minheap, a, sizeof a);
			cli_app_size(o->cfg.heap, b, sizeof b);
			return ens_fail(err, ENS_E_USAGE, "%s: %s exceeds the heap (%s)", minheap_name, a, b);
		}
		o->cfg.minheap = o->cfg.heap;	/* the default minheap never exceeds the heap */
	}
	if (o->env) {
		const char *name, *v = env_value("ENSIGN_KEY", "SCONE_KEY", &name);

		if (v && !o->sign.key) {
			if (!*v)
				return ens_fail(err, ENS_E_USAGE, "%s: empty value", name);
			o->sign.key = v;
		}
		v = env_value("ENSIGN_PRODUCTION", "SCONE_PRODUCTION", &name);
		if (v && !o->sign.production) {
			if (strcmp(v, "0") && strcmp(v, "1"))
				return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not 0 or 1", name, v);
			o->sign.production = *v == '1';
			if (o->sign.production)
				o->production_var = name;
		}
	}
	return ens_app_check_xfrm(o->xfrm, err);
}

int cli_app_parse(int argc, char **argv, enum cli_app_mode mode, const char *path, struct cli_app_opts *o)
{
	static const struct option lopts[] = {
		{ "stack", required_argument, 0, O_PARAM + P_STACK },
		{ "minheap", required_argument, 0, O_PARAM + P_MINHEAP },
		{ "heap", required_argument, 0, O_PARAM + P_HEAP },
		{ "tcs", required_argument, 0, O_PARAM + P_TCS },
		{ "mprotect", required_argument, 0, O_PARAM + P_MPROTECT },
		{ "dlopen", required_argument, 0, O_PARAM + P_DLOPEN },
		{ "xfrm", required_argument, 0, O_PARAM + P_XFRM },
		{ "isvsvn", required_argument, 0, O_PARAM + P_ISVSVN },
		{ "isvprodid", required_argument, 0, O_PARAM + P_ISVPRODID },
		{ "memory-model", required_argument, 0, O_PARAM + P_MODEL },
		{ "env", no_argument, 0, O_ENV },
		{ "output", required_argument, 0, 'o' },
		{ "in-place", no_argument, 0, O_IN_PLACE },
		{ "sig-dir", required_argument, 0, O_SIG_DIR },
		{ "sgxs", required_argument, 0, O_SGXS },
		{ "date", required_argument, 0, O_DATE },
		{ "json", no_argument, 0, O_JSON },
		{ "help", no_argument, 0, 'h' },
		CLI_SIGN_LONGOPTS,
		{ 0, 0, 0, 0 },
	};
	const char *usage = mode == CLI_APP_SIGN ? usage_sign : mode == CLI_APP_MEASURE ? usage_measure : usage_check;
	const char *flagval[P_COUNT] = { 0 };
	struct ens_err err = { 0 };
	int c;

	memset(o, 0, sizeof *o);
	ens_app_config_default(&o->cfg);
	o->xfrm = ENS_APP_DEFAULT_XFRM;
	o->models = ENS_MM_ALL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		if (c >= O_PARAM && c < O_PARAM + P_COUNT) {
			flagval[c - O_PARAM] = optarg;
			continue;
		}
		if (cli_sign_opt(c, optarg, &o->sign))
			continue;
		switch (c) {
		case O_ENV: o->env = true; continue;
		case O_JSON: o->json = true; continue;
		case 'h':
			cli_print_usage(stdout, usage);
			if (mode == CLI_APP_SIGN)
				printf("\nSigns an x86-64 ELF application (ensign's own layout, docs/layout.md): writes\n"
				       "APP.signed (or -o OUT, or APP itself with --in-place) with one SIGSTRUCT per memory\n"
				       "model. Sizes take K, M, G, T (KiB... too) and decimals (1.5G). See ensign-sign-app(1).\n");
			return -1;
		case '?':
			return cli_usage_error(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
		if (mode != CLI_APP_SIGN)
			return cli_usage_error(usage, "option '%s' is only for ensign sign", argv[optind - 1]);
		switch (c) {
		case 'o': o->output = optarg; break;
		case O_IN_PLACE: o->in_place = true; break;
		case O_SIG_DIR: o->sig_dir = optarg; break;
		case O_SGXS: o->sgxs = optarg; break;
		case O_DATE: o->date = optarg; break;
		}
	}
	for (; optind < argc; optind++) {
		if (path && !strcmp(argv[optind], path) && !o->input) {
			o->input = path;
			continue;
		}
		if (o->input)
			return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
		o->input = argv[optind];
	}
	if (!o->input && path)
		o->input = path;
	if (!o->input)
		return cli_usage_error(usage, "no application given");
	if (o->output && o->in_place)
		return cli_usage_error(usage, "-o and --in-place exclude each other");
	if (resolve(flagval, o, &err)) {
		cli_error(&err);
		return EXIT_USAGE;
	}
	if (o->sgxs && o->models == ENS_MM_ALL)
		return cli_usage_error(usage, "--sgxs exports one layout: add --memory-model sgx1 or sgx2");
	if (mode == CLI_APP_SIGN && o->models == ENS_MM_ALL &&
	    (cli_sign_is_step1(&o->sign) || o->sign.signature || o->sign.sign_command))
		return cli_usage_error(usage, "two-step and external signing sign one layout: add"
				       " --memory-model sgx1 or sgx2");
	return 0;
}

void cli_app_fields(const struct cli_app_opts *o, enum ens_mm mm, const uint8_t mr[32],
		    struct ens_sigstruct_fields *f, uint32_t date)
{
	memset(f, 0, sizeof *f);
	f->date = date;
	f->miscselect = mm == ENS_MM_SGX2 ? ENS_MISC_EXINFO : 0;
	f->miscmask = 0xFFFFFFFF;
	f->attributes = ENS_ATTR_MODE64BIT | (o->sign.production ? 0 : ENS_ATTR_DEBUG);
	f->attributes_mask = ~(uint64_t)0;
	f->xfrm = o->xfrm;
	f->xfrm_mask = 0xFFFFFFFFFFFFFF1Bull;
	memcpy(f->enclavehash, mr, 32);
	f->isvprodid = o->isvprodid;
	f->isvsvn = o->isvsvn;
}
