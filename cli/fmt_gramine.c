/* The "gramine" input format for `ensign measure|info|verify FILE` and
 * `ensign sign FILE`: a Gramine manifest, APP.manifest.sgx (expanded: its
 * bytes are what is measured) or APP.manifest (expanded in memory first, as
 * gramine-sgx-sign does). libpal.so is named with --libpal (default: the
 * installed Gramine's). verify recomputes MRENCLAVE, re-hashes every trusted
 * file and the entrypoint, and names what changed. */
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "cli.h"
#include "gramine_cli.h"
#include "ensign/pkcs11.h"


static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static bool is_sgx_name(const char *path)
{
	return ends_with(path, ".manifest.sgx");
}

bool fmt_gramine_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size)
{
	if (!ends_with(path, ".manifest.sgx") && !ends_with(path, ".manifest"))
		return false;
	return memchr(head, 0, len) == NULL;	/* TOML text */
}

/* --libpal P / --libpal=P / --sig S / --chroot D from a generic command's argv. */
static const char *opt_value(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], name) && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	}
	return NULL;
}

static int build(const char *path, int argc, char **argv, bool verbose, struct gr_build *b, struct ens_err *err)
{
	char *text = NULL;
	size_t len;
	int rc;

	memset(b, 0, sizeof *b);
	b->name = path;
	b->libpal = opt_value(argc, argv, "--libpal");
	if (!b->libpal)
		b->libpal = getenv("ENSIGN_GRAMINE_LIBPAL");
	if (!b->libpal)
		b->libpal = gr_default_libpal();
	b->chroot = opt_value(argc, argv, "--chroot");
	b->expand = !is_sgx_name(path);
	b->verbose = verbose;
	if (gr_read_manifest(path, &text, &len, err))
		return -1;
	rc = gr_build_run(b, text, len, err);
	free(text);
	return rc;
}

int fmt_gramine_measure(const char *path, int argc, char **argv, bool json)
{
	struct gr_build b;
	struct ens_err err = { 0 };
	char hex[65];

	if (build(path, argc, argv, false, &b, &err)) {
		gr_build_free(&b);
		return cli_error(&err);
	}
	ens_hex(b.mrenclave, 32, hex);
	if (json)
		printf("{\"format\": \"gramine\", \"mrenclave\": \"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	gr_build_free(&b);
	return 0;
}

int fmt_gramine_mrenclave(const char *path, uint8_t out[32], struct ens_err *err)
{
	struct gr_build b;
	char *argv[] = { NULL };
	int rc = build(path, 0, argv, false, &b, err);

	if (!rc)
		memcpy(out, b.mrenclave, 32);
	gr_build_free(&b);
	return rc;
}

/* APP.manifest.sgx or APP.manifest -> APP.sig */
static char *sig_name(const char *path)
{
	size_t n = strlen(path);
	char *r = malloc(n + 5);

	if (!r)
		return NULL;
	if (ends_with(path, ".manifest.sgx"))
		n -= 13;
	else if (ends_with(path, ".manifest"))
		n -= 9;
	memcpy(r, path, n);
	memcpy(r + n, ".sig", 5);
	return r;
}

static int read_sig(const char *p, struct ens_sigstruct *s, struct ens_err *err)
{
	uint8_t *buf;
	size_t len;

	if (ens_read_file(p, 1 << 20, &buf, &len, err))
		return -1;
	if (len != sizeof *s) {
		free(buf);
		return ens_fail(err, ENS_E_FORMAT, "'%s' is %zu bytes, not a 1808-byte SIGSTRUCT", p, len);
	}
	memcpy(s, buf, sizeof *s);
	free(buf);
	return 0;
}

int fmt_gramine_info(const char *path, int argc, char **argv, bool json)
{
	struct gr_build b;
	struct ens_err err = { 0 };
	struct ens_sigstruct s;
	char hex[65], *sp = NULL;
	const char *sig = opt_value(argc, argv, "--sig");
	bool have_sig = false;

	if (build(path, argc, argv, false, &b, &err)) {
		gr_build_free(&b);
		return cli_error(&err);
	}
	if (!sig && (sp = sig_name(path)) && access(sp, R_OK) == 0)
		sig = sp;
	if (sig && read_sig(sig, &s, &err) == 0)
		have_sig = true;
	else if (sig && sig != sp)
		cli_warn("%s", err.msg);
	ens_hex(b.mrenclave, 32, hex);
	size_t ntf = ens_toml_len(ens_toml_get_path(b.root, "sgx.trusted_files"));
	if (json) {
		printf("{\"format\": \"gramine\", \"file\": ");
		cli_json_str(path);
		printf(", \"libpal\": ");
		cli_json_str(b.libpal);
		printf(", \"enclave_size\": %llu, \"max_threads\": %llu, \"edmm\": %s, \"trusted_files\": %zu, "
		       "\"mrenclave\": \"%s\"", (unsigned long long)b.attrs.enclave_size,
		       (unsigned long long)b.attrs.max_threads, b.attrs.edmm ? "true" : "false", ntf, hex);
		if (have_sig) {
			printf(", \"sigstruct\": {");
			cli_json_sigstruct_members(&s);
			printf("}");
		}
		printf("}\n");
	} else {
		printf("format:         gramine (%s)\n", b.expand ? "manifest, expanded in memory" : ".manifest.sgx");
		printf("file:           %s\n", path);
		printf("libpal:         %s\n", b.libpal);
		printf("enclave_size:   %s\n", b.attrs.size_text);
		printf("max_threads:    %s\n", b.attrs.threads_text);
		printf("edmm:           %s\n", b.attrs.edmm_text);
		printf("trusted_files:  %zu\n", ntf);
		printf("mrenclave:      %s (computed)\n", hex);
		if (have_sig) {
			printf("signature:      %s (ENCLAVEHASH %s)\n", sig,
			       memcmp(s.enclavehash, b.mrenclave, 32) ? "DIFFERS" : "matches");
			cli_print_sigstruct(&s, false, "  ");
		}
	}
	free(sp);
	gr_build_free(&b);
	return 0;
}

static int sha256_hex(const char *path, char hex[65])
{
	uint8_t *buf = NULL, md[32];
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *c;
	unsigned n = 0;
	int rc = -1;

	if (!f)
		return -1;
	c = EVP_MD_CTX_new();
	buf = malloc(1 << 16);
	if (c && buf && EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		size_t r;
		while ((r = fread(buf, 1, 1 << 16, f)) > 0)
			EVP_DigestUpdate(c, buf, r);
		if (!ferror(f) && EVP_DigestFinal_ex(c, md, &n)) {
			ens_hex(md, 32, hex);
			rc = 0;
		}
	}
	EVP_MD_CTX_free(c);
	free(buf);
	fclose(f);
	return rc;
}

/* A file named by a file: URI, on disk (chroot joined). */
static char *uri_path(const char *uri, const char *chroot)
{
	char *r = NULL;

	if (strncmp(uri, "file:", 5))
		return NULL;
	if (chroot && uri[5] == '/') {
		if (asprintf(&r, "%s%s", chroot, uri + 5) < 0)
			r = NULL;
		return r;
	}
	return strdup(uri + 5);
}

static int check_hash(const char *what, const char *uri, const struct ens_toml *sha, const char *chroot,
		      const char *path)
{
	char hex[65], *p = uri_path(uri, chroot);
	int bad = 0;

	if (!p)
		return 0;
	if (sha256_hex(p, hex)) {
		printf("FAIL %s: %s '%s' (%s) cannot be read: %s\n", path, what, uri, p, strerror(errno));
		bad = 1;
	} else if (!sha || sha->kind != ENS_TOML_STRING || strcmp(sha->u.str.s, hex)) {
		printf("FAIL %s: %s '%s' changed: the manifest has sha256 %s, the file (%s) has %s\n", path, what, uri,
		       sha && sha->kind == ENS_TOML_STRING ? sha->u.str.s : "(none)", p, hex);
		bad = 1;
	}
	free(p);
	return bad;
}

/* Which input changed: when APP.manifest is beside APP.manifest.sgx, expand
 * it again (quietly): other bytes name the manifest (first differing line),
 * the same bytes leave libpal. */
static void blame(const char *path, int argc, char **argv, const struct gr_build *b, char *why, size_t n)
{
	size_t len = strlen(path) - 4;
	char *in = strndup(path, len), *text = NULL;
	struct gr_build x = { 0 };
	struct ens_err err = { 0 };
	size_t tl;
	FILE *saved = stderr;

	snprintf(why, n, "'%s' or libpal '%s' changed after signing", path, b->libpal);
	if (!in || access(in, R_OK) || gr_read_manifest(in, &text, &tl, &err)) {
		free(in);
		return;
	}
	x.name = in;
	x.libpal = b->libpal;
	x.chroot = opt_value(argc, argv, "--chroot");
	x.expand = true;
	stderr = fopen("/dev/null", "w");	/* its warnings were given already */
	int rc = stderr ? gr_build_run(&x, text, tl, &err) : -1;
	if (stderr)
		fclose(stderr);
	stderr = saved;
	if (rc == 0 && x.sgx_len == b->sgx_len && !memcmp(x.sgx, b->sgx, x.sgx_len)) {
		snprintf(why, n, "libpal '%s' changed after signing ('%s' is what '%s' expands to)", b->libpal, path, in);
	} else if (rc == 0) {
		size_t i = 0, line = 1;
		while (i < x.sgx_len && i < b->sgx_len && x.sgx[i] == b->sgx[i])
			line += b->sgx[i++] == '\n';
		snprintf(why, n, "'%s' changed after signing: line %zu differs from what '%s' expands to now", path, line,
			 in);
	}
	gr_build_free(&x);
	free(text);
	free(in);
}

int fmt_gramine_verify(const char *path, int argc, char **argv)
{
	struct gr_build b;
	struct ens_err err = { 0 };
	struct ens_sigstruct s;
	struct ens_verify_report rep;
	struct ens_sigstruct_fields f;
	const char *sig = opt_value(argc, argv, "--sig"), *chroot = opt_value(argc, argv, "--chroot");
	char *sp = NULL, hex[65], want[65];
	int nbad = 0, rc = 1;

	if (!sig)
		sig = sp = sig_name(path);
	if (!is_sgx_name(path))
		return cli_errorf("'%s': verify reads the signed APP.manifest.sgx (the manifest that was measured), "
				  "not the input manifest", path);
	if (read_sig(sig, &s, &err)) {
		free(sp);
		return cli_error(&err);
	}
	if (build(path, argc, argv, false, &b, &err)) {
		gr_build_free(&b);
		free(sp);
		return cli_error(&err);
	}
	/* the files the manifest vouches for */
	const struct ens_toml *tfs = ens_toml_get_path(b.root, "sgx.trusted_files");
	for (size_t i = 0; i < ens_toml_len(tfs); i++) {
		const struct ens_toml *t = ens_toml_at(tfs, i), *u = ens_toml_get(t, "uri");
		if (u && u->kind == ENS_TOML_STRING)
			nbad += check_hash("trusted file", u->u.str.s, ens_toml_get(t, "sha256"), chroot, path);
	}
	const struct ens_toml *ep = ens_toml_get_path(b.root, "loader.entrypoint");
	const struct ens_toml *epu = ens_toml_get(ep, "uri");
	if (epu && epu->kind == ENS_TOML_STRING)
		nbad += check_hash("loader.entrypoint", epu->u.str.s, ens_toml_get(ep, "sha256"), NULL, path);
	/* the SIGSTRUCT itself, then what the manifest puts in it */
	ens_sigstruct_verify((const uint8_t *)&s, sizeof s, b.mrenclave, &rep);
	for (int i = 0; i < ENS_VC_COUNT; i++) {
		if (!rep.failed[i])
			continue;
		if (i == ENS_VC_ENCLAVEHASH) {
			char why[1024];
			ens_hex(b.mrenclave, 32, hex);
			ens_hex(s.enclavehash, 32, want);
			blame(path, argc, argv, &b, why, sizeof why);
			printf("FAIL %s: MRENCLAVE mismatch: %s (computed %s, SIGSTRUCT ENCLAVEHASH %s)\n", path, why, hex,
			       want);
		} else {
			printf("FAIL %s: %s: %s\n", path, sig, rep.why[i]);
		}
		nbad++;
	}
	if (ens_gr_sigstruct_fields(b.root, s.date, b.mrenclave, &f, &err) == 0) {
		if (f.attributes != s.attributes || f.xfrm != s.xfrm || f.xfrm_mask != s.xfrm_mask ||
		    f.miscselect != s.miscselect || f.isvprodid != s.isvprodid || f.isvsvn != s.isvsvn) {
			printf("FAIL %s: the manifest's sgx.debug/use_exinfo/cpu_features/isvprodid/isvsvn give other "
			       "SIGSTRUCT fields than '%s' has (ATTRIBUTES 0x%llx/0x%llx, XFRM 0x%llx/0x%llx, "
			       "ISVPRODID %u/%u, ISVSVN %u/%u)\n", path, sig, (unsigned long long)f.attributes,
			       (unsigned long long)s.attributes, (unsigned long long)f.xfrm, (unsigned long long)s.xfrm,
			       f.isvprodid, s.isvprodid, f.isvsvn, s.isvsvn);
			nbad++;
		}
	} else {
		printf("FAIL %s: %s\n", path, err.msg);
		nbad++;
	}
	if (!nbad) {
		uint8_t mrs[32];
		ens_sigstruct_mrsigner(&s, mrs);
		ens_hex(b.mrenclave, 32, hex);
		ens_hex(mrs, 32, want);
		printf("OK %s (Gramine manifest, libpal %s, %s)\nmrenclave: %s (matches)\nmrsigner:  %s\n", path, b.libpal,
		       sig, hex, want);
		rc = 0;
	}
	gr_build_free(&b);
	free(sp);
	return rc;
}

/* ensign sign APP.manifest[.sgx] --libpal P [-o APP.sig] [--date D] [--chroot DIR] [signing options] */
int cli_sign_gramine(int argc, char **argv)
{
	enum { O_LIBPAL = 0x3200, O_DATE, O_CHROOT, O_VERBOSE };
	static const struct option longopts[] = {
		CLI_SIGN_LONGOPTS,
		{ "output", required_argument, 0, 'o' },
		{ "libpal", required_argument, 0, O_LIBPAL },
		{ "date", required_argument, 0, O_DATE },
		{ "chroot", required_argument, 0, O_CHROOT },
		{ "verbose", no_argument, 0, O_VERBOSE },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const char usage[] = "ensign sign APP.manifest[.sgx] --libpal LIBPAL [-o APP.sig] [--date D] "
				    "[--chroot DIR] [--verbose] [--key KEY | signing options]";
	struct cli_sign_opts so = { 0 };
	const char *libpal = NULL, *date = NULL, *chroot = NULL, *out = NULL, *in;
	char *out_alloc = NULL, *sgx_out = NULL, *text = NULL;
	bool verbose = false;
	struct ens_err err = { 0 };
	struct gr_build b = { 0 };
	struct ens_sigstruct_fields f;
	struct ens_sigstruct s;
	size_t len;
	int c, rc = 1, sr;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:k:h", longopts, NULL)) != -1) {
		if (c == 'k')
			c = CLI_OPT_KEY;
		if (cli_sign_opt(c, optarg, &so))
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case O_LIBPAL: libpal = optarg; break;
		case O_DATE: date = optarg; break;
		case O_CHROOT: chroot = optarg; break;
		case O_VERBOSE: verbose = true; break;
		case 'h':
			printf("usage: %s\n\nSigns a Gramine manifest. APP.manifest is expanded as gramine-sgx-sign does "
			       "and APP.manifest.sgx\nis written beside it; APP.manifest.sgx is signed as it is. "
			       "-o names the .sig.\n", usage);
			return 0;
		default:
			return cli_usage_error(usage, "sign: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "sign: no input file");
	if (optind + 1 < argc)
		return cli_usage_error(usage, "sign: unexpected argument '%s'", argv[optind + 1]);
	in = argv[optind];
	if (!libpal)
		libpal = getenv("ENSIGN_GRAMINE_LIBPAL");
	if (!libpal)
		libpal = gr_default_libpal();
	memset(&f, 0, sizeof f);
	if (ens_date_resolve(date, &f.date, &err))
		return cli_error(&err);
	if (!out && !cli_sign_is_step1(&so) && !(out = out_alloc = sig_name(in)))
		return cli_errorf("out of memory");
	b.name = in;
	b.libpal = libpal;
	b.chroot = chroot;
	b.expand = !is_sgx_name(in);
	b.verbose = verbose;
	if (b.expand && asprintf(&sgx_out, "%s.sgx", in) < 0) {
		sgx_out = NULL;
		goto oom;
	}
	if (gr_read_manifest(in, &text, &len, &err) || gr_build_run(&b, text, len, &err) ||
	    ens_gr_sigstruct_fields(b.root, f.date, b.mrenclave, &f, &err)) {
		if (err.msg[0] != '\'')
			ens_err_prefix(&err, "'%s'", in);
		cli_error(&err);
		goto out;
	}
	ens_sigstruct_build(&s, &f);
	sr = cli_sign_sigstruct(&s, &so, &err);
	if (sr < 0) {
		cli_error(&err);
		goto out;
	}
	struct ens_out mo = { .fd = -1 };
	if (sgx_out && (ens_out_open(&mo, sgx_out, 0644, &err) || ens_out_write(&mo, b.sgx, b.sgx_len, &err))) {
		ens_out_abort(&mo);
		cli_error(&err);
		goto out;
	}
	if (sr == 0 && ((out && ens_check_not_same(in, out, &err)) || cli_write_sigstruct(out, &s, &err))) {
		if (sgx_out)
			ens_out_abort(&mo);
		cli_error(&err);
		goto out;
	}
	if (sgx_out && ens_out_commit(&mo, &err)) {
		cli_error(&err);
		goto out;
	}
	if (sr == 0) {
		char hex[65];
		uint8_t signer[32];
		ens_hex(s.enclavehash, 32, hex);
		printf("mrenclave: %s\n", hex);
		ens_sigstruct_mrsigner(&s, signer);
		ens_hex(signer, 32, hex);
		printf("mrsigner:  %s\n", hex);
	}
	rc = 0;
	goto out;
oom:
	cli_errorf("out of memory");
out:
	gr_build_free(&b);
	free(text);
	free(out_alloc);
	free(sgx_out);
	return rc;
}
