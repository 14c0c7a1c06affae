/* The gramine-sgx-sign personality (gramine-format.md §1): the options of
 * Gramine v1.9 and its `file` plugin, the processing order of §1.1 (key
 * errors first), the verbose report of §1.3 and the depfile of §1.2; plus
 * every way ensign signs (pkcs11: URI as --key, --sign-command, two-step).
 * Unlike Gramine, nothing is left behind on an error: the .manifest.sgx and
 * the .sig are committed together at the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "gramine_cli.h"
#include <openssl/crypto.h>
#include "ensign/pkcs11.h"

static const char usage_line[] = "usage: gramine-sgx-sign [OPTIONS]";

static const char help[] =
	"usage: gramine-sgx-sign [OPTIONS]\n"
	"\n"
	"  Sign a Gramine manifest: write APP.manifest.sgx and the SIGSTRUCT (APP.sig).\n"
	"\n"
	"Options:\n"
	"  --with PLUGIN           signing plugin (only 'file')\n"
	"  -o, --output PATH       output manifest (.manifest.sgx)  [required]\n"
	"  -l, --libpal FILE       libpal.so  [default: $ENSIGN_GRAMINE_PKGLIBDIR/sgx/libpal.so,\n"
	"                          else " ENS_GR_PKGLIBDIR "/sgx/libpal.so]\n"
	"  -m, --manifest FILE     input manifest ('-' = stdin)  [required]\n"
	"  -d, --date YYYY-MM-DD   SIGSTRUCT date, or 'today' (local)  [default: today]\n"
	"  --chroot DIR            measure the trusted files inside DIR\n"
	"  -s, --sigfile PATH      SIGSTRUCT output  [default: manifest without .manifest + .sig]\n"
	"  --depfile PATH          write a make dependency file\n"
	"  -v, --verbose / -q, --quiet   print the layout report  [default: verbose]\n"
	"  -k, --key FILE          PEM private key (RSA-3072, e=3) or pkcs11: URI\n"
	"                          [default: $XDG_CONFIG_HOME/gramine/enclave-key.pem]\n"
	"  -p, --passphrase, --password P   passphrase of the key\n"
	"  ensign's signing options: --pkcs11-module M, --sign-command CMD --pubkey PUB.pem,\n"
	"  --gendata OUT / --digest-out OUT (step 1), --signature SIG --pubkey PUB.pem\n"
	"  [--unsigned GENDATA] [--signature-le] (step 2)\n"
	"  --help                  show this message and exit\n";

static int usage_err(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s\nTry 'gramine-sgx-sign --help' for help.\n\nError: ", usage_line);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static char *default_sigfile(const char *manifest)
{
	const char *m = strcmp(manifest, "-") ? manifest : "<stdin>";
	size_t n = strlen(m);
	char *r = malloc(n + 5);

	if (!r)
		return NULL;
	if (n >= 9 && !strcmp(m + n - 9, ".manifest"))
		n -= 9;
	memcpy(r, m, n);
	memcpy(r + n, ".sig", 5);
	return r;
}

static char *default_key(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	char *r = NULL;

	if (x) {
		if (asprintf(&r, "%s/gramine/enclave-key.pem", x) < 0)
			r = NULL;
	} else if (asprintf(&r, "%s/.config/gramine/enclave-key.pem", h ? h : "") < 0) {
		r = NULL;
	}
	return r;
}

static int write_depfile(const char *path, const char *output, const struct ens_gr_expanded *deps,
			 const char *libpal, const char *key, struct ens_err *err)
{
	struct ens_out o = { .fd = -1 };
	FILE *f;

	if (ens_out_open(&o, path, 0644, err))
		return ens_err_prefix(err, "Could not open file '%s'", path);
	f = o.fp;
	fprintf(f, "%s:", output);
	for (size_t i = 0; i < deps->ndeps; i++)
		fprintf(f, " \\\n\t%s", deps->deps[i]);
	fprintf(f, " \\\n\t%s", libpal);
	if (key)
		fprintf(f, " \\\n\t%s", key);
	fputc('\n', f);
	return ens_out_commit(&o, err);
}

int cmd_gramine_sign(int argc, char **argv)
{
	enum { O_WITH = 0x3000, O_CHROOT, O_DEPFILE, O_HELP_FILE };
	static const struct option longopts[] = {
		CLI_SIGN_LONGOPTS,
		{ "with", required_argument, 0, O_WITH },
		{ "output", required_argument, 0, 'o' },
		{ "libpal", required_argument, 0, 'l' },
		{ "manifest", required_argument, 0, 'm' },
		{ "date", required_argument, 0, 'd' },
		{ "chroot", required_argument, 0, O_CHROOT },
		{ "sigfile", required_argument, 0, 's' },
		{ "depfile", required_argument, 0, O_DEPFILE },
		{ "verbose", no_argument, 0, 'v' },
		{ "quiet", no_argument, 0, 'q' },
		{ "passphrase", required_argument, 0, 'p' },
		{ "password", required_argument, 0, 'p' },
		{ "help", no_argument, 0, 'h' },
		{ "help-file", no_argument, 0, O_HELP_FILE },
		{ 0, 0, 0, 0 },
	};
	struct cli_sign_opts so = { 0 };
	const char *output = NULL, *libpal = gr_default_libpal(), *manifest = NULL, *date = "today";
	const char *chroot = NULL, *sigfile = NULL, *depfile = NULL, *passphrase = NULL;
	char *key_default = NULL, *sig_alloc = NULL, *text = NULL;
	size_t text_len = 0;
	bool verbose = true;
	uint32_t bcd;
	struct ens_err err = { 0 };
	struct ens_signer *signer = NULL;
	struct gr_build b = { 0 };
	struct stat st;
	int c, rc = 1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:l:m:d:s:vqk:p:h", longopts, NULL)) != -1) {
		if (c == 'k')
			c = CLI_OPT_KEY;
		if (cli_sign_opt(c, optarg, &so))
			continue;
		switch (c) {
		case O_WITH:
			if (strcmp(optarg, "file"))
				return usage_err("Invalid value for '--with': '%s' is not one of 'file'.%s", optarg, "");
			break;
		case 'o': output = optarg; break;
		case 'l': libpal = optarg; break;
		case 'm': manifest = optarg; break;
		case 'd': date = optarg; break;
		case O_CHROOT: chroot = optarg; break;
		case 's': sigfile = optarg; break;
		case O_DEPFILE: depfile = optarg; break;
		case 'v': verbose = true; break;
		case 'q': verbose = false; break;
		case 'p': passphrase = optarg; break;
		case 'h':
		case O_HELP_FILE:
			fputs(help, stdout);
			return 0;
		case ':':
			return usage_err("Option '%s' requires an argument.%s", argv[optind - 1], "");
		default:
			return usage_err("No such option: %s%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return usage_err("Got unexpected extra argument (%s)%s", argv[optind], "");
	/* 1. the options Gramine checks while parsing */
	if (stat(libpal, &st))
		return usage_err("Invalid value for '--libpal' / '-l': File '%s' %s.", libpal, "does not exist");
	if (S_ISDIR(st.st_mode))
		return usage_err("Invalid value for '--libpal' / '-l': File '%s' %s.", libpal, "is a directory");
	if (chroot && (stat(chroot, &st) || !S_ISDIR(st.st_mode)))
		return usage_err("Invalid value for '--chroot': Directory '%s' %s.", chroot,
				 access(chroot, F_OK) ? "does not exist" : "is a file");
	if (gr_parse_date(date, &bcd))
		return usage_err("Invalid value for '--date' / '-d': expecting \"today\" or YYYY-MM-DD%s%s", "", "");
	if (manifest && gr_read_manifest(manifest, &text, &text_len, &err))
		return usage_err("Invalid value for '--manifest' / '-m': %s%s", err.msg, "");
	/* 2. the key (the plugin runs before anything else is looked at) */
	bool external = so.signature || so.sign_command || cli_sign_is_step1(&so);
	if (!external) {
		if (!so.key)
			so.key = key_default = default_key();
		if (!so.key) {
			free(text);
			return cli_errorf("out of memory");
		}
		if (ens_pkcs11_is_uri(so.key)) {
			if (cli_open_pkcs11(so.key, so.pkcs11_module, &signer, &err)) {
				usage_err("Invalid value for '--key' / '-k': %s%s", err.msg, "");
				rc = EXIT_USAGE;
				goto out;
			}
		} else {
			char warning[512] = "";
			const char *kp = strcmp(so.key, "-") ? so.key : "/dev/stdin";
			if (access(kp, R_OK)) {
				char m[600];
				snprintf(m, sizeof m, "'%s': %s", so.key, strerror(errno));
				usage_err("Invalid value for '--key' / '-k': %s%s", m, "");
				rc = EXIT_USAGE;
				goto out;
			}
			if (ens_signer_open_pem(&signer, kp, passphrase, warning, sizeof warning, &err)) {
				usage_err("Invalid key: %s%s", err.msg, "");
				rc = EXIT_USAGE;
				goto out;
			}
			if (warning[0])
				cli_warn("%s", warning);
			if (passphrase)	/* not left in the process's memory (argv) */
				OPENSSL_cleanse((char *)passphrase, strlen(passphrase));
		}
	} else if (so.key || passphrase) {
		usage_err("--key and --passphrase are not used with %s%s",
			  cli_sign_is_step1(&so) ? "--gendata/--digest-out" : "--signature/--sign-command", "");
		rc = EXIT_USAGE;
		goto out;
	}
	/* 3. the required options */
	if (!output) {
		usage_err("Missing option '-o' / '--output'.%s%s", "", "");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!manifest) {
		usage_err("Missing option '-m' / '--manifest'.%s%s", "", "");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!sigfile && !(sigfile = sig_alloc = default_sigfile(manifest)))
		goto oom;
	/* 4-7. expand, write (in memory), read back, measure */
	b.name = strcmp(manifest, "-") ? manifest : "<stdin>";
	b.libpal = libpal;
	b.chroot = chroot;
	b.expand = true;
	b.verbose = verbose;
	if (gr_build_run(&b, text, text_len, &err)) {
		rc = b.missing_file ? EXIT_USAGE : 1;
		cli_error(&err);
		goto out;
	}
	/* 8. SIGSTRUCT and signature */
	struct ens_sigstruct_fields f;
	struct ens_sigstruct s;
	if (ens_gr_sigstruct_fields(b.root, bcd, b.mrenclave, &f, &err)) {
		ens_err_prefix(&err, "'%s'", b.name);
		cli_error(&err);
		goto out;
	}
	ens_sigstruct_build(&s, &f);
	int sr;
	if (signer)
		sr = ens_sigstruct_sign(&s, signer, &err);
	else
		sr = cli_sign_sigstruct(&s, &so, &err);
	if (sr < 0) {
		cli_error(&err);
		goto out;
	}
	/* the outputs, together: the .manifest.sgx, then the .sig */
	struct ens_out mo = { .fd = -1 }, sgo = { .fd = -1 };
	if (ens_check_not_same(b.name, output, &err) || ens_out_open(&mo, output, 0644, &err) ||
	    ens_out_write(&mo, b.sgx, b.sgx_len, &err)) {
		ens_out_abort(&mo);
		cli_error(&err);
		goto out;
	}
	if (sr == 0 && (ens_out_open(&sgo, sigfile, 0644, &err) || ens_out_write(&sgo, &s, sizeof s, &err))) {
		ens_out_abort(&mo);
		ens_out_abort(&sgo);
		cli_error(&err);
		goto out;
	}
	if (ens_out_commit(&mo, &err)) {
		ens_out_abort(&sgo);
		cli_error(&err);
		goto out;
	}
	if (sr == 0 && ens_out_commit(&sgo, &err)) {
		cli_error(&err);
		goto out;
	}
	/* 9. the depfile */
	if (depfile) {
		const char *kd = NULL;
		if (signer && !ens_pkcs11_is_uri(so.key))
			kd = strcmp(so.key, "-") ? so.key : "<stdin>";
		if (write_depfile(depfile, output, &b.deps, libpal, kd, &err)) {
			cli_error(&err);
			goto out;
		}
	}
	rc = 0;
	goto out;
oom:
	cli_errorf("out of memory");
out:
	gr_build_free(&b);
	ens_signer_free(signer);
	free(text);
	free(key_default);
	free(sig_alloc);
	return rc;
}
