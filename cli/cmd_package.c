/* ensign package APPDIR --config config.json [--key KEY] [--target sgx|linux]
 * [-o OUT] [--date D], or Mystikos' order APPDIR KEY config.json: one signed
 * executable = runner stub (pkgstub/) + CPIO archive + config + image + SIGSTRUCT. */
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "ensign/probe.h"
#include "ensign/package.h"

extern const uint8_t ens_pkg_stub_start[], ens_pkg_stub_end[];

static const char usage[] =
	"ensign package APPDIR --config CONFIG.json [--key KEY|pkcs11:...] [--target sgx|linux]\n"
	"                      [-o OUT] [--date YYYYMMDD] [signing options]\n"
	"       ensign package APPDIR KEY|NULL CONFIG.json [options]";

struct pkg_opts {
	const char *appdir, *config, *output, *date, *key_arg;
	enum ens_pkg_target target;
	struct cli_sign_opts sign;
};

static int parse(int argc, char **argv, struct pkg_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, 0, 'c' },
		{ "target", required_argument, 0, 't' },
		{ "output", required_argument, 0, 'o' },
		{ "date", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		CLI_SIGN_LONGOPTS,
		{ 0, 0, 0, 0 },
	};
	const char *pos[3];
	int c, npos;

	memset(o, 0, sizeof *o);
	o->target = ENS_PKG_SGX;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:t:o:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'o': o->output = optarg; break;
		case 'd': o->date = optarg; break;
		case 't':
			if (!strcmp(optarg, "sgx"))
				o->target = ENS_PKG_SGX;
			else if (!strcmp(optarg, "linux"))
				o->target = ENS_PKG_LINUX;
			else
				return cli_usage_error(usage, "package: --target '%s' is not sgx or linux", optarg);
			break;
		case 'h':
			cli_print_usage(stdout, usage);
			printf("\nPackages APPDIR and its config.json (Mystikos schema) into one signed\n"
			       "executable named after ApplicationPath. See ensign-package(1).\n");
			return -1;
		case ':':
			return cli_usage_error(usage, "package: '%s' needs a value", argv[optind - 1]);
		case '?':
			return cli_usage_error(usage, "package: unknown option '%s'", argv[optind - 1]);
		default:
			if (!cli_sign_opt(c, optarg, &o->sign))
				return cli_usage_error(usage, "package: unknown option '%s'", argv[optind - 1]);
		}
	}
	npos = argc - optind;
	if (npos != 1 && npos != 3)
		return cli_usage_error(usage, "package: give APPDIR --config CONFIG.json, or APPDIR KEY CONFIG.json");
	for (int i = 0; i < npos; i++)
		pos[i] = argv[optind + i];
	o->appdir = pos[0];
	if (npos == 3) {
		if (o->config)
			return cli_usage_error(usage, "package: config.json given twice (--config and positional)");
		o->config = pos[2];
		if (strcmp(pos[1], "NULL")) {	/* Mystikos: NULL = the key is given otherwise */
			if (o->sign.key)
				return cli_usage_error(usage, "package: key given twice (--key and positional)");
			o->sign.key = pos[1];
		}
	}
	if (!o->config)
		return cli_usage_error(usage, "package: no config.json (--config)");
	return 0;
}

/* ApplicationPath inside APPDIR: a regular file, no ".." on the way. */
static int read_image(const struct pkg_opts *o, const struct ens_pkg_config *c, uint8_t **buf, size_t *len,
		      struct ens_err *err)
{
	char path[8192];
	struct stat st;
	size_t n = strlen(c->application_path);

	if (strstr(c->application_path, "/../") || (n >= 3 && !strcmp(c->application_path + n - 3, "/..")))
		return ens_fail(err, ENS_E_FORMAT, "'%s': ApplicationPath '%s' must not contain '..'", o->config,
				c->application_path);
	if (snprintf(path, sizeof path, "%s%s", o->appdir, c->application_path) >= (int)sizeof path)
		return ens_fail(err, ENS_E_FORMAT, "'%s': path too long", c->application_path);
	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return ens_fail(err, ENS_E_FORMAT, "'%s': ApplicationPath '%s' is not a file in '%s'", o->config,
				c->application_path, o->appdir);
	return ens_read_file(path, 1ull << 32, buf, len, err);
}

static void print_result(const struct ens_sigstruct *s, const char *out, const struct pkg_opts *o)
{
	char hex[65];
	uint8_t signer[32];

	if (cli_json) {
		char shex[65];

		ens_hex(s->enclavehash, 32, hex);
		ens_sigstruct_mrsigner(s, signer);
		ens_hex(signer, 32, shex);
		cli_json_emit(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "file", o->appdir, "config", o->config,
					"format", "package", "output", out, "mrenclave", hex, "mrsigner", shex));
		return;
	}
	ens_hex(s->enclavehash, 32, hex);
	printf("mrenclave %s\n", hex);
	ens_sigstruct_mrsigner(s, signer);
	ens_hex(signer, 32, hex);
	printf("mrsigner %s\ncreated %s\n", hex, out);
}

static bool external_signature(const struct cli_sign_opts *s)
{
	return s->signature || s->sign_command || cli_sign_is_step1(s);
}

int cmd_package(int argc, char **argv)
{
	struct pkg_opts o;
	struct ens_pkg_config cfg;
	struct ens_pkg_input in = { 0 };
	struct ens_sigstruct_fields f;
	struct ens_sigstruct sig;
	struct ens_err err = { 0 };
	uint8_t *config = NULL, *image = NULL, *archive = NULL, mr[32];
	size_t config_len, image_len = 0, archive_len = 0;
	const char *out;
	uint32_t date;
	int r = parse(argc, argv, &o);

	if (r)
		return r < 0 ? 0 : r;
	{
		struct stat st;

		if (stat(o.appdir, &st))
			return cli_errorf("cannot open application directory '%s': %s", o.appdir, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return cli_errorf("application directory '%s' is not a directory", o.appdir);
	}
	if ((r = cli_expect_kind(o.config, ENS_KBIT(ENS_K_JSON) | ENS_KBIT(ENS_K_TEXT), "a config.json")))
		return r;
	if (ens_read_file(o.config, 1u << 24, &config, &config_len, &err))
		return cli_error(&err);
	if (ens_pkg_config_parse(config, config_len, o.config, &cfg, &err)) {
		free(config);
		return cli_error(&err);
	}
	if (cfg.deprecated_user_mem_size)
		cli_warn("'%s': 'UserMemSize' is deprecated: use 'MemorySize'", o.config);
	if (o.sign.production && cfg.debug) {
		ens_fail(&err, ENS_E_USAGE, "--production contradicts Debug true in '%s'", o.config);
		goto fail;
	}
	o.sign.production = !cfg.debug;
	if (o.sign.production && !external_signature(&o.sign) &&
	    (!o.sign.key || !*o.sign.key || !strcmp(o.sign.key, "debug"))) {
		ens_fail(&err, ENS_E_USAGE, "'%s': Debug is false, so the package is signed for production and "
			 "needs a key (--key); the built-in debug key signs debug enclaves only", o.config);
		goto fail;
	}
	if (o.output) {
		out = o.output;
	} else {
		const char *slash = strrchr(cfg.application_path, '/');

		out = slash[1] ? slash + 1 : "";
		if (!*out) {
			ens_fail(&err, ENS_E_FORMAT, "'%s': ApplicationPath '%s' has no file name", o.config,
				 cfg.application_path);
			goto fail;
		}
	}
	if (ens_date_resolve(o.date, &date, &err) || read_image(&o, &cfg, &image, &image_len, &err) ||
	    ens_pkg_cpio_create(o.appdir, &archive, &archive_len, &err))
		goto fail;
	in = (struct ens_pkg_input){ .target = o.target, .cfg = &cfg, .config = config, .config_len = config_len,
				     .archive = archive, .archive_len = archive_len, .image = image,
				     .image_len = image_len };
	if (ens_pkg_measure(&in, mr, &err)) {
		ens_err_prefix(&err, "'%s'", o.config);
		goto fail;
	}
	ens_pkg_sigstruct_fields(&cfg, mr, date, &f);
	ens_sigstruct_build(&sig, &f);
	r = cli_sign_sigstruct(&sig, &o.sign, &err);
	if (r < 0)
		goto fail;
	if (r == 0) {	/* r == 1: two-step, step 1: the material is written, nothing else */
		if (ens_pkg_write(out, ens_pkg_stub_start, (size_t)(ens_pkg_stub_end - ens_pkg_stub_start), &in,
				  &sig, &err))
			goto fail;
		print_result(&sig, out, &o);
	}
	ens_pkg_config_free(&cfg);
	free(config);
	free(image);
	free(archive);
	return 0;
fail:
	ens_pkg_config_free(&cfg);
	free(config);
	free(image);
	free(archive);
	return cli_error(&err);
}
