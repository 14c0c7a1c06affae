/* ensign container inspect|sign: the enclaves inside a container image
 * (lib/image/ reads and writes the image through its transport: oci:,
 * docker-archive: or a registry, docker://), shown with their
 * MRENCLAVE/MRSIGNER per memory model, or re-signed into a new image
 * (enclaveos-signer style: same MRENCLAVE, new SIGSTRUCTs, one new layer). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "cli_app.h"
#include "cli_container.h"
#include "ensign/oci.h"
#include "ensign/image.h"

#define USAGE_TRANSPORT \
	"            [--tls-verify=false] [--creds USER[:PASS]] [--authfile FILE] [--cert-dir DIR]\n" \
	"            [--retry-times N] [--platform OS/ARCH] [--quiet]"
static const char usage_top[] =
	"ensign container inspect REF [--json]\n"
	"       ensign container sign SRC DST [--key KEY|pkcs11:URI] [--isvsvn N] [--isvprodid N]\n"
	"            [--production] [--memory-model sgx1|sgx2|all] [--date YYYY-MM-DD]\n"
	"            [--compression gzip|none]\n"
	USAGE_TRANSPORT "\n"
	"REF, SRC, DST: oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG] or docker://HOST/REPO[:TAG|@DIGEST]";
static const char usage_inspect[] = "ensign container inspect REF [--json]\n" USAGE_TRANSPORT;
static const char usage_sign[] =
	"ensign container sign SRC DST [--key KEY|pkcs11:URI] [--isvsvn N] [--isvprodid N]\n"
	"            [--production] [--memory-model sgx1|sgx2|all] [--date YYYY-MM-DD]\n"
	"            [--compression gzip|none] [--sign-command CMD] [--all-platforms] [--dest-tag TAG]\n" USAGE_TRANSPORT;

/* The argument getopt choked on: inside a cluster of short options ("-key"
 * read as -k -e -y) optind has not moved on, so argv[optind - 1] would be
 * the argument before it. */
static const char *bad_arg(int argc, char **argv, int before)
{
	(void)before;
	if (optopt && optind < argc && argv[optind][0] == '-' && argv[optind][1] != '-' &&
	    strchr(argv[optind] + 1, optopt))
		return argv[optind];
	return argv[optind - 1];
}

static const char *hint(const char *arg)
{
	static char buf[160];

	if (arg[0] != '-' || arg[1] == '-' || !arg[1] || !arg[2])
		return "";
	snprintf(buf, sizeof buf, " (long options take two dashes: -%.60s%s)", arg,
		 !strcmp(arg, "-key") ? "; the command name enclaveos-signer takes -key" : "");
	return buf;
}

/* ---- transport options (shared with enclaveos-signer) */

/* "pull layer sha256:0123456789ab  12.0 / 100.0 MiB", rewritten in place
 * at most once per MiB, and a newline at the end of each blob. */
static void progress(void *ctx, const char *what, uint64_t bytes, uint64_t total, bool done)
{
	static uint64_t last = UINT64_MAX;
	const char *d = strstr(what, "sha256:");
	char name[128];

	if (!done && last != UINT64_MAX && bytes >= last && bytes - last < (1u << 20))
		return;
	last = done ? UINT64_MAX : bytes;
	snprintf(name, sizeof name, "%s%.*s%.12s", strncmp(what, "push ", 5) ? "pull " : "",
		 d ? (int)(d - what) + 7 : (int)strlen(what), what, d ? d + 7 : "");
	if (total != UINT64_MAX && total)
		fprintf(stderr, "\r%s %6.1f / %.1f MiB%s", name, bytes / 1048576.0, total / 1048576.0, done ? "\n" : "");
	else
		fprintf(stderr, "\r%s %6.1f MiB%s", name, bytes / 1048576.0, done ? "\n" : "");
}

void cli_image_opts_init(struct cli_image_opts *o)
{
	ens_image_opts_default(&o->img);
	o->quiet = false;
}

int cli_image_opt(int c, const char *arg, struct cli_image_opts *o, const char *usage, int *rc)
{
	struct ens_err err = { 0 };
	uint64_t v;

	switch (c) {
	case CLI_OPT_TLS_VERIFY:
		if (!arg || !strcmp(arg, "true"))
			o->img.tls_verify = true;
		else if (!strcmp(arg, "false"))
			o->img.tls_verify = false;
		else
			return *rc = cli_usage_error(usage, "--tls-verify: '%s' is not true or false", arg), 1;
		return 1;
	case CLI_OPT_CREDS:
		if (!*arg || *arg == ':')
			return *rc = cli_usage_error(usage, "--creds: USER[:PASSWORD] expected"), 1;
		o->img.creds = arg;
		return 1;
	case CLI_OPT_AUTHFILE: o->img.authfile = arg; return 1;
	case CLI_OPT_CERT_DIR: o->img.cert_dir = arg; return 1;
	case CLI_OPT_PLATFORM:
		if (!strchr(arg, '/') || *arg == '/')
			return *rc = cli_usage_error(usage, "--platform: '%s' is not OS/ARCH", arg), 1;
		o->img.platform = arg;
		return 1;
	case CLI_OPT_RETRY_TIMES:
		if (ens_parse_u64(arg, &v, "--retry-times", &err) || v > 100) {
			if (err.code == ENS_OK)
				ens_fail(&err, ENS_E_USAGE, "--retry-times: %s is out of range (0..100)", arg);
			return *rc = cli_usage_error(usage, "%s", err.msg), 1;
		}
		o->img.retry_times = (unsigned)v;
		return 1;
	case CLI_OPT_QUIET: o->quiet = true; return 1;
	}
	return 0;
}

void cli_image_opts_ready(struct cli_image_opts *o)
{
	const char *delay = getenv("ENSIGN_RETRY_DELAY_MS");	/* tests: short backoff */

	if (delay && *delay)
		o->img.retry_delay_ms = (unsigned)strtoul(delay, NULL, 10);
	if (!o->quiet && isatty(2)) {
		o->img.progress = progress;
		o->img.progress_ctx = NULL;
	}
}

static const char *model_name(int i) { return i ? "sgx2" : "sgx1"; }
static unsigned model_bit(int i) { return i ? ENS_MM_SGX2 : ENS_MM_SGX1; }

/* Open a found file as an application (the buffer is taken over). */
static int open_app(const struct ens_oci_image *img, struct ens_oci_file *f, struct ens_app *app,
		    struct ens_err *err)
{
	char name[300];
	int r;

	snprintf(name, sizeof name, "/%s", f->path);
	r = ens_app_open_buffer(app, name, f->data, f->len, err);
	f->data = NULL;	/* taken over, even on failure */
	return r ? ens_err_prefix(err, "'%s'", img->ref.text) : 0;
}

static int load(const char *ref, struct ens_image_opts *opts, struct ens_oci_image *img, struct ens_oci_file **files,
		size_t *n, struct ens_err *err)
{
	if (ens_image_open(img, ref, opts, err))
		return -1;
	if (ens_oci_find_enclaves(img, files, n, err)) {
		ens_oci_close(img);
		return -1;
	}
	if (!*n) {
		ens_fail(err, ENS_E_FORMAT, "'%s': no enclave in the image (no ELF with the section %s, no label %s)",
			 ref, ENS_APP_SECTION, ENS_OCI_LABEL_ENCLAVES);
		ens_oci_files_free(*files, 0);
		ens_oci_close(img);
		return -1;
	}
	return 0;
}

/* ---- inspect */

static int inspect_one(const struct ens_oci_image *img, struct ens_oci_file *f, json_t *list, struct ens_err *err)
{
	struct cli_container_found found = { 0 };
	bool package = cli_container_is_package(f->data, f->len), is_signed = true;
	json_t *o;
	char hex[65];

	if (package) {
		char name[300];

		snprintf(name, sizeof name, "/%s", f->path);
		if (cli_container_inspect_package(name, f->data, f->len, &found, err)) {
			f->data = NULL;
			return ens_err_prefix(err, "'%s'", img->ref.text);
		}
		f->data = NULL;
	} else {
		struct ens_app app;

		if (open_app(img, f, &app, err))
			return -1;
		is_signed = app.is_signed;
		if (is_signed) {
			found.models = app.sig->models;
			memcpy(found.sig, app.sig->sig, sizeof found.sig);
		}
		ens_app_close(&app);
	}
	o = json_pack("{s:s+, s:s, s:b, s:b}", "path", "/", f->path, "kind", package ? "package" : "application",
		      "signed", is_signed, "listed", f->listed);
	for (int i = 0; i < 2 && o; i++) {
		const struct ens_sigstruct *s = &found.sig[i];
		uint8_t signer[32];
		char shex[65];

		if (!(found.models & model_bit(i)))
			continue;
		ens_hex(s->enclavehash, 32, hex);
		ens_sigstruct_mrsigner(s, signer);
		ens_hex(signer, 32, shex);
		json_object_set_new(o, model_name(i), json_pack("{s:s, s:s, s:b, s:i, s:i}", "mrenclave", hex,
								 "mrsigner", shex, "debug",
								 !!(s->attributes & ENS_ATTR_DEBUG),
								 "isvprodid", s->isvprodid, "isvsvn", s->isvsvn));
	}
	if (!o || json_array_append_new(list, o))
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	return 0;
}

static void print_text(json_t *report)
{
	json_t *e;
	size_t i;

	printf("image %s\n", json_string_value(json_object_get(report, "image")));
	if (json_is_string(json_object_get(report, "manifest")))
		printf("manifest %s\n", json_string_value(json_object_get(report, "manifest")));
	printf("config %s\n", json_string_value(json_object_get(report, "config")));
	json_array_foreach(json_object_get(report, "enclaves"), i, e) {
		printf("%s%s\n", json_string_value(json_object_get(e, "path")),
		       strcmp(json_string_value(json_object_get(e, "kind")), "package") ? "" : " (package)");
		if (!json_is_true(json_object_get(e, "signed")))
			printf("  not signed\n");
		for (int m = 0; m < 2; m++) {
			json_t *s = json_object_get(e, model_name(m));

			if (s)
				printf("  %s mrenclave %s mrsigner %s isvprodid %d isvsvn %d%s\n", model_name(m),
				       json_string_value(json_object_get(s, "mrenclave")),
				       json_string_value(json_object_get(s, "mrsigner")),
				       (int)json_integer_value(json_object_get(s, "isvprodid")),
				       (int)json_integer_value(json_object_get(s, "isvsvn")),
				       json_is_true(json_object_get(s, "debug")) ? " debug" : "");
		}
	}
}

/* The tag the image was written under (as lib/back/oci_write.c picks it):
 * a DST without one takes the source's, which a later `umoci unpack --image
 * DIR` (that means DIR:latest) would not find, so it is printed. */
static void print_dst_tag(const struct ens_oci_ref *dst, const struct ens_oci_image *src)
{
	const char *tag = *dst->tag ? dst->tag : *src->ref.tag && src->ref.transport == ENS_OCI_LAYOUT ?
			  src->ref.tag : "latest";
	json_t *t;
	size_t i;

	if (dst->transport == ENS_OCI_LAYOUT) {
		printf("tag %s\n", tag);
		if (!*dst->tag && strcmp(tag, "latest"))
			cli_note("'%s' names no tag: the image is tagged '%s', the source's; name it as %s:%s",
				 dst->text, tag, dst->text, tag);
		return;
	}
	if (*dst->tag) {
		printf("tag %s\n", dst->tag);
		return;
	}
	json_array_foreach(src->repo_tags, i, t)
		printf("tag %s\n", json_string_value(t));
}

static int cmd_inspect(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, CLI_IMAGE_LONGOPTS, { 0, 0, 0, 0 },
	};
	struct ens_err err = { 0 };
	struct cli_image_opts io;
	struct ens_oci_image img;
	struct ens_oci_file *files;
	const char *ref = NULL;
	json_t *report, *list;
	bool json = false;
	size_t n;
	int c, rc = 0, before;

	optind = 0;
	opterr = 0;
	cli_image_opts_init(&io);
	while ((before = optind ? optind : 1, c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (cli_image_opt(c, optarg, &io, usage_inspect, &rc)) {
			if (rc)
				return rc;
		} else if (c == 'j')
			json = true;
		else if (c == 'h') {
			printf("usage: %s\n", usage_inspect);
			return 0;
		} else
			return cli_usage_error(usage_inspect, "unknown option '%s'%s", bad_arg(argc, argv, before),
					       hint(bad_arg(argc, argv, before)));
	}
	if (optind != argc - 1)
		return cli_usage_error(usage_inspect, optind < argc ? "one image reference expected"
								  : "no image reference given");
	ref = argv[optind];
	cli_image_opts_ready(&io);
	if (load(ref, &io.img, &img, &files, &n, &err))
		return cli_error(&err);
	list = json_array();
	report = json_pack("{s:s, s:o, s:s, s:o}", "image", ref, "manifest",
			   *img.manifest_digest ? json_string(img.manifest_digest) : json_null(), "config",
			   img.config_digest, "enclaves", list);
	if (!report)
		rc = ens_fail(&err, ENS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++)
		rc = inspect_one(&img, &files[i], list, &err);
	if (!rc) {
		if (json) {
			json_dumpf(report, stdout, JSON_INDENT(2));
			putchar('\n');
		} else {
			print_text(report);
		}
	}
	json_decref(report);
	ens_oci_files_free(files, n);
	ens_oci_close(&img);
	return rc ? cli_error(&err) : 0;
}

/* ---- sign */

enum { O_ISVSVN = CLI_OPT_SIGN_END_ + 1, O_ISVPRODID, O_MODEL, O_DATE, O_COMPRESSION, O_ALL_PLATFORMS, O_DEST_TAG };

struct sign_opts {
	struct cli_app_opts app;	/* isvsvn/isvprodid/xfrm/sign as cli_app_fields wants them */
	bool svn_given, prodid_given;
	enum ens_oci_compression compression;
	const char *src, *dst;
	struct cli_image_opts io;
	bool all_platforms;
	const char *dest_tag;
	char dst_tagged[4800];		/* DST with --dest-tag appended */
};

struct signed_file {
	struct ens_oci_add add;
	char *tmp;
	uint8_t mr[2][32];
	uint8_t mrsigner[32];
	unsigned models;
};

static int parse_sign(int argc, char **argv, struct sign_opts *o)
{
	static const struct option lopts[] = {
		{ "isvsvn", required_argument, 0, O_ISVSVN },
		{ "isvprodid", required_argument, 0, O_ISVPRODID },
		{ "memory-model", required_argument, 0, O_MODEL },
		{ "date", required_argument, 0, O_DATE },
		{ "compression", required_argument, 0, O_COMPRESSION },
		{ "all-platforms", no_argument, 0, O_ALL_PLATFORMS },
		{ "dest-tag", required_argument, 0, O_DEST_TAG },
		{ "help", no_argument, 0, 'h' },
		CLI_SIGN_LONGOPTS,
		CLI_IMAGE_LONGOPTS,
		{ 0, 0, 0, 0 },
	};
	struct ens_err err = { 0 };
	uint64_t v;
	int c, rc = 0, before;

	memset(o, 0, sizeof *o);
	o->app.xfrm = ENS_APP_DEFAULT_XFRM;
	cli_image_opts_init(&o->io);
	optind = 0;
	opterr = 0;
	while ((before = optind ? optind : 1, c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (cli_sign_opt(c, optarg, &o->app.sign))
			continue;
		if (cli_image_opt(c, optarg, &o->io, usage_sign, &rc)) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case O_ISVSVN:
		case O_ISVPRODID:
			if (ens_parse_u64(optarg, &v, c == O_ISVSVN ? "--isvsvn" : "--isvprodid", &err))
				return cli_error(&err), EXIT_USAGE;
			if (v > 0xFFFF)
				return cli_usage_error(usage_sign, "%s: %s is out of range (0..65535)",
						       c == O_ISVSVN ? "--isvsvn" : "--isvprodid", optarg);
			if (c == O_ISVSVN) {
				o->app.isvsvn = (uint16_t)v;
				o->svn_given = true;
			} else {
				o->app.isvprodid = (uint16_t)v;
				o->prodid_given = true;
			}
			break;
		case O_MODEL:
			if (!strcmp(optarg, "sgx1"))
				o->app.models = ENS_MM_SGX1;
			else if (!strcmp(optarg, "sgx2"))
				o->app.models = ENS_MM_SGX2;
			else if (!strcmp(optarg, "all"))
				o->app.models = ENS_MM_ALL;
			else
				return cli_usage_error(usage_sign, "--memory-model: '%s' is not sgx1, sgx2 or all", optarg);
			o->app.models_given = true;
			break;
		case O_DATE: o->app.date = optarg; break;
		case O_ALL_PLATFORMS: o->all_platforms = true; break;
		case O_DEST_TAG: o->dest_tag = optarg; break;
		case O_COMPRESSION:
			if (!strcmp(optarg, "gzip"))
				o->compression = ENS_OCI_GZIP;
			else if (!strcmp(optarg, "none"))
				o->compression = ENS_OCI_UNCOMPRESSED;
			else
				return cli_usage_error(usage_sign, "--compression: '%s' is not gzip or none", optarg);
			break;
		case 'h':
			printf("usage: %s\n", usage_sign);
			return -1;
		default:
			return cli_usage_error(usage_sign, "unknown or incomplete option '%s'%s", bad_arg(argc, argv, before),
					       hint(bad_arg(argc, argv, before)));
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(usage_sign, "SRC and DST expected");
	o->src = argv[optind];
	o->dst = argv[optind + 1];
	if (o->dest_tag) {
		/* skopeo's spelling: the tag for a DST that names none */
		struct ens_oci_ref r;
		struct ens_err rerr = { 0 };

		if (ens_oci_ref_parse(o->dst, &r, &rerr))
			return cli_error(&rerr), EXIT_USAGE;
		if (r.transport == ENS_OCI_DOCKER_ARCHIVE)
			return cli_usage_error(usage_sign, "--dest-tag: a docker-archive: DST takes its tag as FILE:REPO:TAG");
		if (*r.tag || *r.digest)
			return cli_usage_error(usage_sign, "--dest-tag '%s': DST '%s' already names %s '%s'", o->dest_tag,
					       o->dst, *r.tag ? "the tag" : "the digest", *r.tag ? r.tag : r.digest);
		if ((size_t)snprintf(o->dst_tagged, sizeof o->dst_tagged, "%s:%s", o->dst, o->dest_tag) >=
		    sizeof o->dst_tagged)
			return cli_usage_error(usage_sign, "--dest-tag: DST and tag are too long");
		if (ens_oci_ref_parse(o->dst_tagged, &r, &rerr) || strcmp(r.tag, o->dest_tag))
			return cli_usage_error(usage_sign, "--dest-tag: '%s' is not a tag", o->dest_tag);
		o->dst = o->dst_tagged;
	}
	cli_image_opts_ready(&o->io);
	if (cli_sign_is_step1(&o->app.sign) || o->app.sign.signature || o->app.sign.pubkey || o->app.sign.unsigned_in)
		return cli_usage_error(usage_sign, "two-step signing is not available for images (one signature per"
				       " enclave and model): use --key, a pkcs11: URI or --sign-command");
	if (!o->app.models_given) {
		o->app.models = ENS_MM_SGX1;
		cli_note("no --memory-model given: signing for sgx1 only, as enclaveos-signer does; choose"
			 " --memory-model sgx1, sgx2 or all explicitly");
	}
	if (o->app.sign.production && !o->app.sign.sign_command &&
	    (!o->app.sign.key || !*o->app.sign.key || !strcmp(o->app.sign.key, "debug")))
		return cli_errorf("--production needs --key: the built-in debug key never signs for production");
	return 0;
}

/* Re-sign one enclave into a file of the work directory. */
static int sign_one(const struct ens_oci_image *img, struct ens_oci_file *f, const struct sign_opts *o,
		    uint32_t date, const char *workdir, size_t index, struct signed_file *out, struct ens_err *err)
{
	struct ens_app app;
	struct ens_app_layout lay;
	struct ens_app_signed sg;
	struct cli_app_opts ao = o->app;
	unsigned old = 0;
	int rc = -1;

	if (asprintf(&out->tmp, "%s/%zu", workdir, index) < 0) {
		out->tmp = NULL;
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	out->add = (struct ens_oci_add){ f->path, out->tmp, f->mode, f->uid, f->gid };
	if (cli_container_is_package(f->data, f->len)) {
		struct cli_container_sign po = { o->app.models, o->svn_given, o->prodid_given, o->app.sign.production,
						 o->app.isvsvn, o->app.isvprodid, &o->app.sign };
		char name[300];

		snprintf(name, sizeof name, "/%s", f->path);
		rc = cli_container_sign_package(name, f->data, f->len, &po, date, out->tmp, out->mr[0], out->mrsigner,
						err);
		f->data = NULL;
		out->models = ENS_MM_SGX1;
		return rc ? ens_err_prefix(err, "'%s'", img->ref.text) : 0;
	}
	if (open_app(img, f, &app, err))
		return -1;
	memset(&sg, 0, sizeof sg);
	ens_app_config_default(&sg.cfg);
	if (app.is_signed) {
		/* the measured configuration is kept: MRENCLAVE does not change */
		sg.cfg = app.sig->cfg;
		ao.xfrm = app.sig->xfrm;
		if (!o->svn_given)
			ao.isvsvn = app.sig->isvsvn;
		if (!o->prodid_given)
			ao.isvprodid = app.sig->isvprodid;
		old = app.sig->models;
	}
	if (ens_app_plan(&app, &sg.cfg, &lay, err) || ens_app_measure(&app, &lay, ENS_MM_ALL, out->mr, err))
		goto out;
	for (int i = 0; i < 2; i++)
		if ((old & model_bit(i)) && memcmp(app.sig->sig[i].enclavehash, out->mr[i], 32)) {
			ens_fail(err, ENS_E_VERIFY, "'%s': '/%s': its %s SIGSTRUCT does not match the enclave (changed"
				 " after signing?); refusing to re-sign", img->ref.text, f->path, model_name(i));
			goto out;
		}
	sg.xfrm = ao.xfrm;
	sg.isvsvn = ao.isvsvn;
	sg.isvprodid = ao.isvprodid;
	sg.production = ao.sign.production;
	sg.models = ao.models;
	for (int i = 0; i < 2; i++) {
		struct ens_sigstruct_fields fields;

		if (!(ao.models & model_bit(i)))
			continue;
		cli_app_fields(&ao, (enum ens_mm)model_bit(i), out->mr[i], &fields, date);
		ens_sigstruct_build(&sg.sig[i], &fields);
		if (cli_sign_sigstruct(&sg.sig[i], &ao.sign, err) < 0) {
			ens_err_prefix(err, "'/%s'", f->path);
			goto out;
		}
	}
	if (ens_app_write_signed(&app, &sg, out->tmp, 0600, err))
		goto out;
	out->models = ao.models;
	ens_sigstruct_mrsigner(&sg.sig[ao.models & ENS_MM_SGX1 ? 0 : 1], out->mrsigner);
	rc = 0;
out:
	ens_app_close(&app);
	return rc;
}

/* "a,b,c": the MRENCLAVE of each enclave signed for the model, in path
 * order; NULL when there is none (the label is removed). */
static char *join_mr(const struct signed_file *sf, size_t n, int model, bool *nomem)
{
	char *s = malloc(n * 65 + 1), *p = s;

	*nomem = !s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(sf[i].models & model_bit(model)))
			continue;
		if (p > s)
			*p++ = ',';
		ens_hex(sf[i].mr[model], 32, p);
		p += 64;
	}
	*p = 0;
	if (p == s) {
		free(s);
		return NULL;
	}
	return s;
}

static void remove_work(const char *workdir, struct signed_file *sf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (sf[i].tmp)
			unlink(sf[i].tmp);
		free(sf[i].tmp);
	}
	free(sf);
	if (*workdir)
		rmdir(workdir);
}

static int work_dir(const struct ens_oci_ref *dst, char *out, size_t len, struct ens_err *err)
{
	struct stat st;

	const char *tmp = getenv("TMPDIR");

	if (dst->transport == ENS_OCI_LAYOUT && !lstat(dst->path, &st))
		return ens_fail(err, ENS_E_USAGE, "'%s' already exists: the destination must be a new directory",
				dst->path);
	if (dst->transport == ENS_OCI_REGISTRY) {
		/* nothing local to sit next to: the temporary directory */
		if (snprintf(out, len, "%s/ensign-work-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)len)
			return ens_fail(err, ENS_E_USAGE, "TMPDIR: path too long");
	} else if (snprintf(out, len, "%s.ensign-work-XXXXXX", dst->path) >= (int)len)
		return ens_fail(err, ENS_E_USAGE, "'%s': path too long", dst->path);
	if (!mkdtemp(out)) {
		ens_fail_errno(err, "cannot create a work directory next to '%s'", dst->path);
		*out = 0;
		return -1;
	}
	return 0;
}

static int same_place(const struct ens_oci_ref *a, const struct ens_oci_ref *b)
{
	struct stat sa, sb;

	if (a->transport == ENS_OCI_REGISTRY || b->transport == ENS_OCI_REGISTRY)
		return a->transport == b->transport && !strcmp(a->host, b->host) && !strcmp(a->path, b->path) &&
		       !strcmp(*a->tag ? a->tag : "latest", *b->tag ? b->tag : "latest") && !*a->digest;
	if (!strcmp(a->path, b->path))
		return 1;
	return !stat(a->path, &sa) && !stat(b->path, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int sign_image(struct sign_opts *po, const char *src, const char *dst, char *digest_out)
{
	struct ens_err err = { 0 };
	struct ens_oci_ref src_ref, dst_ref;
	struct ens_oci_image img;
	struct ens_oci_file *files = NULL;
	struct signed_file *sf = NULL;
	struct ens_oci_add *adds = NULL;
	struct ens_oci_label labels[3];
	struct ens_oci_edit ed = { 0 };
	char workdir[4200] = "", *mr1 = NULL, *mr2 = NULL, signer[65], created[32], created_by[128], comment[160];
	char digest[ENS_OCI_DIGEST_LEN + 1], datebuf[16], hex[65];
	uint32_t date;
	size_t n = 0;
	bool oom1, oom2;
	int rc = 1;

	if (ens_oci_ref_parse(src, &src_ref, &err) || ens_oci_ref_parse(dst, &dst_ref, &err))
		return cli_error(&err), EXIT_USAGE;
	if (same_place(&src_ref, &dst_ref))
		return cli_usage_error(usage_sign, "DST '%s' is the source: write a new image", dst);
	if (ens_date_resolve(po->app.date, &date, &err))
		return cli_error(&err);
	if (load(src, &po->io.img, &img, &files, &n, &err))
		return cli_error(&err);
	if (!(sf = calloc(n, sizeof *sf)) || !(adds = calloc(n, sizeof *adds))) {
		ens_fail(&err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	if (work_dir(&dst_ref, workdir, sizeof workdir, &err))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (sign_one(&img, &files[i], po, date, workdir, i, &sf[i], &err))
			goto out;
		adds[i] = sf[i].add;
	}
	ens_hex(sf[0].mrsigner, 32, signer);
	mr1 = join_mr(sf, n, 0, &oom1);
	mr2 = join_mr(sf, n, 1, &oom2);
	if (oom1 || oom2) {
		ens_fail(&err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	labels[0] = (struct ens_oci_label){ "org.ensign.mrenclave.sgx1", mr1 };
	labels[1] = (struct ens_oci_label){ "org.ensign.mrenclave.sgx2", mr2 };
	labels[2] = (struct ens_oci_label){ "org.ensign.mrsigner", signer };
	ens_date_format(date, datebuf, sizeof datebuf);
	snprintf(created, sizeof created, "%sT00:00:00Z", datebuf);
	snprintf(created_by, sizeof created_by, "ensign container sign --memory-model %s%s",
		 po->app.models == ENS_MM_ALL ? "all" : ens_mm_name((enum ens_mm)po->app.models),
		 po->app.sign.production ? " --production" : "");
	snprintf(comment, sizeof comment, "re-signed %zu enclave%s, MRSIGNER %s", n, n == 1 ? "" : "s", signer);
	ed = (struct ens_oci_edit){ .files = adds, .nfiles = n, .labels = labels, .nlabels = 3, .created = created,
				    .created_by = created_by, .comment = comment, .compression = po->compression };
	if (ens_image_write(&img, &ed, dst, &po->io.img, digest, &err))
		goto out;
	for (size_t i = 0; i < n; i++)
		for (int m = 0; m < 2; m++)
			if (sf[i].models & model_bit(m)) {
				ens_hex(sf[i].mr[m], 32, hex);
				printf("/%s %s %s\n", files[i].path, model_name(m), hex);
			}
	printf("mrsigner %s\n%s %s\nwrote %s\n", signer, dst_ref.transport != ENS_OCI_DOCKER_ARCHIVE ? "manifest" : "config",
	       digest, dst);
	if (dst_ref.transport == ENS_OCI_REGISTRY)
		printf("uploaded %llu bytes, %u blobs mounted, %u already there\n",
		       (unsigned long long)po->io.img.bytes_uploaded, po->io.img.blobs_mounted, po->io.img.blobs_skipped);
	print_dst_tag(&dst_ref, &img);
	if (digest_out)
		strcpy(digest_out, digest);
	rc = 0;
out:
	remove_work(workdir, sf, sf ? n : 0);
	free(adds);
	free(mr1);
	free(mr2);
	ens_oci_files_free(files, n);
	ens_oci_close(&img);
	return rc ? cli_error(&err) : 0;
}

/* --all-platforms: each entry of the source index re-signed and pushed by
 * digest, then a new index (the source's, entries replaced) under the tag. */
static int sign_all_platforms(struct sign_opts *o)
{
	struct ens_err err = { 0 };
	struct ens_oci_ref src_ref, dst_ref;
	char *text = NULL, *out = NULL, mt[128], digest[ENS_OCI_DIGEST_LEN + 1], ref[4700];
	size_t len, i;
	json_t *index = NULL, *list = NULL, *e, *keep;
	int rc = 1;

	if (ens_oci_ref_parse(o->src, &src_ref, &err) || ens_oci_ref_parse(o->dst, &dst_ref, &err))
		return cli_error(&err), EXIT_USAGE;
	if (src_ref.transport != ENS_OCI_REGISTRY || dst_ref.transport != ENS_OCI_REGISTRY || *dst_ref.digest)
		return cli_usage_error(usage_sign, "--all-platforms: SRC and DST must be docker:// references, DST a tag");
	if (ens_image_registry_get_index(o->src, &o->io.img, &text, &len, mt, sizeof mt, &err))
		return cli_error(&err);
	index = json_loadb(text, len, 0, NULL);
	list = json_incref(json_object_get(index, "manifests"));	/* kept: the index gets a new list */
	if (!json_is_array(list) || !(keep = json_array()) || json_object_set_new(index, "manifests", keep)) {
		ens_fail(&err, ENS_E_FORMAT, "'%s': the image index lists no manifests", o->src);
		goto fail;
	}
	json_array_foreach(list, i, e) {
		json_t *p = json_object_get(e, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *d = json_string_value(json_object_get(e, "digest"));
		json_t *ne;

		if (!d || !os || !arch || !strcmp(os, "unknown")) {
			/* attestations and the like: no image to re-sign */
			cli_note("'%s': index entry %zu (%s/%s) is not an image: left out of the new index", o->src, i + 1,
				 os ? os : "?", arch ? arch : "?");
			continue;
		}
		snprintf(ref, sizeof ref, "docker://%s/%s@%s", src_ref.host, src_ref.path, d);
		printf("platform %s/%s\n", os, arch);
		o->io.img.manifest_by_digest = true;
		if (sign_image(o, ref, o->dst, digest)) {
			rc = 1;
			goto out;
		}
		if (!(ne = json_deep_copy(e)) || json_object_set_new(ne, "digest", json_string(digest)) ||
		    json_object_set_new(ne, "size", json_integer((json_int_t)o->io.img.manifest_size)) ||
		    json_object_set_new(ne, "mediaType", json_string(o->io.img.manifest_mt)) ||
		    json_array_append_new(keep, ne)) {
			ens_fail(&err, ENS_E_NOMEM, "out of memory");
			goto fail;
		}
	}
	o->io.img.manifest_by_digest = false;
	if (!json_array_size(keep)) {
		ens_fail(&err, ENS_E_FORMAT, "'%s': no image in the index", o->src);
		goto fail;
	}
	if (!(out = json_dumps(index, JSON_COMPACT))) {
		ens_fail(&err, ENS_E_NOMEM, "out of memory");
		goto fail;
	}
	if (ens_image_registry_put_index(o->dst, *dst_ref.tag ? dst_ref.tag : *src_ref.tag ? src_ref.tag : "latest",
					 &o->io.img, mt, out, strlen(out), digest, &err))
		goto fail;
	printf("index %s\nwrote %s\n", digest, o->dst);
	rc = 0;
	goto out;
fail:
	rc = cli_error(&err);
out:
	json_decref(list);
	json_decref(index);
	free(text);
	free(out);
	return rc;
}

static int cmd_sign_image(int argc, char **argv)
{
	struct sign_opts o;
	int r = parse_sign(argc, argv, &o);

	if (r)
		return r < 0 ? 0 : r;
	if (o.all_platforms)
		return sign_all_platforms(&o);
	return sign_image(&o, o.src, o.dst, NULL);
}

int cmd_container(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(usage_top, "no subcommand given (inspect or sign)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		printf("usage: %s\n", usage_top);
		return 0;
	}
	if (!strcmp(argv[1], "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sign"))
		return cmd_sign_image(argc - 1, argv + 1);
	return cli_usage_error(usage_top, "unknown subcommand '%s'", argv[1]);
}
