/* `ensign sgx_sign` (and the binary run as `sgx_sign`): Intel sgx_sign
 * compatible sign, gendata, catsig and dump (intel-sdk-format.md §1, §10, §11).
 * Front end lib/front/intel_*.c, then measure, SIGSTRUCT, output file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "ensign/probe.h"
#include "ensign/intel_sdk.h"
#include "ensign/pkcs11.h"
#include "sgx_sign.h"

enum { O_ENCLAVE, O_CONFIG, O_KEY, O_OUT, O_SIG, O_UNSIGNED, O_DUMPFILE, O_CSSFILE, O_DATE, O_SDKVER,
       O_IGNREL, O_IGNINIT, O_RESIGN, O_N };
static const char *const opt_names[O_N] = {"-enclave", "-config", "-key", "-out", "-sig", "-unsigned",
					   "-dumpfile", "-cssfile", "-date", "-sdk-version", "-ignore-rel-error",
					   "-ignore-init-sec-error", "-resign"};
#define FIRST_FLAG O_IGNREL
/* Per command: R required, o optional, '-' invalid. */
static const struct { const char *name; const char *rules; } cmds[] = {
	/*           enc cfg key out sig uns dmp css dat sdk rel ini res */
	{"sign",    "RoRR--ooooooo"},
	{"gendata", "Ro-R----ooooo"},
	{"catsig",  "RoRRRRooooooo"},
	{"dump",    "R-----Ro-o---"},
};

static const char usage[] =
	"usage: sgx_sign <sign|gendata|catsig|dump> [options]\n"
	"  sign    -enclave E.so -key PRIVATE.pem -out E.signed.so [-config C.xml] [-dumpfile D] [-cssfile S]\n"
	"  gendata -enclave E.so -out SIGDATA [-config C.xml]       (the 256 bytes to sign)\n"
	"  catsig  -enclave E.so -key PUBLIC.pem -sig SIG -unsigned SIGDATA -out E.signed.so [-config C.xml]\n"
	"  dump    -enclave E.signed.so -dumpfile D [-cssfile S]\n"
	"sign, ensign extras (ensign-sgx_sign(1), docs/hsm-and-two-step.md):\n"
	"  -key 'pkcs11:token=..;object=..' [--pkcs11-module LIB]    a key on a PKCS#11 token\n"
	"  --gendata OUT [--digest-out OUT]       step 1: the 256 bytes to sign (and their SHA-256)\n"
	"  --signature SIG --pubkey PUB.pem [--unsigned GENDATA] [--signature-le]   step 2\n"
	"  --sign-command CMD --pubkey PUB.pem    CMD signs the 256 bytes on stdin\n"
	"flags: -ignore-rel-error -ignore-init-sec-error -resign; ensign extra: -date YYYY-MM-DD\n"
	"  (else SOURCE_DATE_EPOCH, else today UTC)\n"
	"SDK 2.0 ... 2.26: the enclave's SDK version is detected and its sgx_sign emulated byte for byte;\n"
	"  --sdk-version X.Y[.Z] gives it for a file whose version cannot be told.\n"
	"-resign without -config re-signs a signed enclave keeping its own metadata (MRENCLAVE unchanged).\n"
	"Enclave.config.xml: HeapMinSize <= HeapInitSize <= HeapMaxSize (HeapMin committed, HeapInit added\n"
	"  at load, the rest grown on SGX2); TCSNum threads at load, up to TCSMaxNum; TCSMinPool are never\n"
	"  removed; StackMinSize <= StackMaxSize. See ensign-sgx_sign(1).\n";

/* cli_usage_error() prints its own "usage: " */
#define USAGE_BODY (usage + sizeof "usage: " - 1)

struct job {
	const char *o[O_N];
	bool flag[O_N];
	const char *cmd;
	struct cli_sign_opts so;	/* -key and the shared signing long options (sign only) */
};

/* The shared signing options (cli/signing.c) in sgx_sign mode: with `sign`
 * only, and spelled with two dashes so that catsig's -unsigned stays Intel's. */
static const struct { const char *name; int code; bool has_arg; } shared_opts[] = {
	{"--gendata", CLI_OPT_GENDATA, true}, {"--digest-out", CLI_OPT_DIGEST_OUT, true},
	{"--signature", CLI_OPT_SIGNATURE, true}, {"--signature-le", CLI_OPT_SIGNATURE_LE, false},
	{"--pubkey", CLI_OPT_PUBKEY, true}, {"--unsigned", CLI_OPT_UNSIGNED, true},
	{"--sign-command", CLI_OPT_SIGN_COMMAND, true}, {"--pkcs11-module", CLI_OPT_PKCS11_MODULE, true},
	{"--production", CLI_OPT_PRODUCTION, false},
};
#define N_SHARED (sizeof shared_opts / sizeof *shared_opts)

static int shared_index(const char *arg)
{
	for (size_t k = 0; k < N_SHARED; k++)
		if (!strcmp(arg, shared_opts[k].name))
			return (int)k;
	return -1;
}

static int parse(int argc, char **argv, struct job *j)
{
	if (argc == 2 && (!strcmp(argv[1], "-help") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 1;
	}
	if (argc == 2 && (!strcmp(argv[1], "-version") || !strcmp(argv[1], "--version"))) {
		printf("sgx_sign (ensign %s), compatible with Intel SGX SDK sgx_sign 2.0 ... 2.26.100\n", ENSIGN_VERSION);
		return 1;
	}
	if (argc < 2)
		return cli_usage_error(USAGE_BODY, "missing command (sign, gendata, catsig or dump)");
	int c;
	for (c = 0; c < 4; c++)
		if (!strcmp(argv[1], cmds[c].name))
			break;
	if (c == 4)
		return cli_usage_error(USAGE_BODY, "unknown command '%s'", argv[1]);
	j->cmd = cmds[c].name;
	bool is_sign = c == 0, seen[N_SHARED] = {false};
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int sk = shared_index(a);
		if (sk >= 0 && (is_sign || shared_opts[sk].code != CLI_OPT_UNSIGNED)) {
			if (!is_sign)
				return cli_usage_error(USAGE_BODY, "option '%s' is used only with 'sign'", a);
			if (seen[sk])
				return cli_usage_error(USAGE_BODY, "option '%s' given twice", a);
			seen[sk] = true;
			const char *v = NULL;
			if (shared_opts[sk].has_arg) {
				if (i + 1 >= argc || argv[i + 1][0] == '-')
					return cli_usage_error(USAGE_BODY, "option '%s' needs a value (values may not "
							       "start with '-')", a);
				v = argv[++i];
			}
			cli_sign_opt(shared_opts[sk].code, v, &j->so);
			continue;
		}
		if (a[0] == '-' && a[1] == '-')
			a++;	/* accept --date as well as -date */
		int k;
		for (k = 0; k < O_N; k++)
			if (!strcmp(a, opt_names[k]))
				break;
		if (k == O_N)
			return cli_usage_error(USAGE_BODY, "unknown option '%s'", argv[i]);
		if (j->o[k] || j->flag[k])
			return cli_usage_error(USAGE_BODY, "option '%s' given twice", opt_names[k]);
		if (cmds[c].rules[k] == '-')
			return cli_usage_error(USAGE_BODY, "option '%s' is not valid with '%s'", opt_names[k], j->cmd);
		if (k >= FIRST_FLAG) {
			j->flag[k] = true;
			continue;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '-')
			return cli_usage_error(USAGE_BODY, "option '%s' needs a value (values may not start with '-')",
					       opt_names[k]);
		j->o[k] = argv[++i];
	}
	/* Step 1 (--gendata/--digest-out) uses no key and writes no enclave; an
	 * external signature (--signature/--sign-command) brings its own key. */
	bool step1 = cli_sign_is_step1(&j->so), external = j->so.signature || j->so.sign_command;
	for (int k = 0; k < O_N; k++) {
		bool optional = is_sign && ((k == O_KEY && (step1 || external)) || (k == O_OUT && step1));
		if (cmds[c].rules[k] == 'R' && !j->o[k] && !optional)
			return cli_usage_error(USAGE_BODY, "'%s' needs option '%s'", j->cmd, opt_names[k]);
	}
	j->so.key = is_sign ? j->o[O_KEY] : NULL;
	/* Intel's -key is always a file: keep a file named "debug" from meaning
	 * ensign's built-in debug key. */
	if (j->so.key && !strcmp(j->so.key, "debug") && !access("debug", F_OK))
		j->so.key = "./debug";
	/* Every file named on the command line, to refuse one written over another. */
	const char *names[FIRST_FLAG + 5], *paths[FIRST_FLAG + 5];
	int n = 0;
	for (int k = 0; k < FIRST_FLAG; k++)
		if (k != O_DATE && k != O_SDKVER && j->o[k] && !(k == O_KEY && ens_pkcs11_is_uri(j->o[k]))) {
			names[n] = opt_names[k];
			paths[n++] = j->o[k];
		}
	const struct { const char *name, *path; } more[] = {
		{"--gendata", j->so.gendata_out}, {"--digest-out", j->so.digest_out},
		{"--signature", j->so.signature}, {"--pubkey", j->so.pubkey}, {"--unsigned", j->so.unsigned_in},
	};
	for (size_t k = 0; k < sizeof more / sizeof *more; k++)
		if (more[k].path) {
			names[n] = more[k].name;
			paths[n++] = more[k].path;
		}
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++) {
			struct stat sa, sb;
			bool same = !strcmp(paths[a], paths[b]) ||
				    (!stat(paths[a], &sa) && !stat(paths[b], &sb) && sa.st_dev == sb.st_dev &&
				     sa.st_ino == sb.st_ino);
			if (same)
				return cli_usage_error(USAGE_BODY, "options '%s' and '%s' name the same file", names[a],
						       names[b]);
		}
	return 0;
}

/* The SDK version to emulate: --sdk-version, else what the file shows (§2
 * of intel-sdk-versions.md); a file that does not tell is refused with the evidence. */
static int sdk_resolve(struct job *j, struct ens_intel_elf *e, struct ens_err *err)
{
	char ver[16];
	if (!e->is64) {
		unsigned sv = 0, mi;
		unsigned long rev;
		if (e->tstdc[0] && sscanf(e->tstdc, "2.%u.%lu", &mi, &rev) == 2) {
			char t[32];
			snprintf(t, sizeof(t), "2.%u.%lu", mi, rev);
			sv = ens_intel_sdk_parse(t);
		}
		ens_intel_sdk_str(sv, ver, sizeof(ver));
		return ens_fail(err, ENS_E_UNSUPPORTED,
				"'%s': a 32-bit enclave (SDK %s%s%s): signing is not supported, the 32-bit global_data_t "
				"and thread_data_t layouts of SDK 2.x are not implemented (verify, info and measure work)",
				e->path, ver, e->tstdc[0] ? ", SGX_TSTDC_VERSION_" : ", no version string", e->tstdc);
	}
	if (j->o[O_SDKVER]) {
		unsigned v = ens_intel_sdk_parse(j->o[O_SDKVER]);
		if (!v)
			return ens_fail(err, ENS_E_USAGE, "--sdk-version '%s' is not an SDK release 2.0 ... 2.26 "
					"(e.g. 2.4, 2.9.1, 2.26)", j->o[O_SDKVER]);
		if (e->sdk && e->sdk != v) {
			ens_intel_sdk_str(e->sdk, ver, sizeof(ver));
			cli_warn("'%s' looks built with SDK %s (%s); emulating SDK %s as --sdk-version says", e->path, ver,
				 e->sdk_why, j->o[O_SDKVER]);
		}
		e->sdk = v;
		return 0;
	}
	if (!e->sdk)
		return ens_fail(err, ENS_E_FORMAT,
				"'%s': cannot tell which SDK 2.x built it (evidence: %s); give --sdk-version X.Y[.Z]",
				e->path, e->sdk_why);
	if (e->sdk_warn[0])
		cli_warn("'%s': %s", e->path, e->sdk_warn);
	return 0;
}

/* Measure an enclave from its metadata and fill css (everything but the signature). */
struct signing {
	struct ens_intel_elf elf;
	struct ens_intel_build *b;	/* NULL when reusing the enclave's own metadata */
	struct ens_sigstruct css;
	uint8_t *area;
};

/* what -enclave may be (a damaged SDK enclave is any ELF: its parser says more) */
#define SGX_SIGN_ELF_KINDS (ENS_KBITS_ELF & ~(ENS_KBIT(ENS_K_ELF_OE) | ENS_KBIT(ENS_K_ELF_EDP) | \
					      ENS_KBIT(ENS_K_ELF_APP_SIGNED)))

static int prepare(struct job *j, struct signing *s, uint32_t date, struct ens_err *err)
{
	struct ens_intel_elf_opts eo = {j->flag[O_IGNREL], j->flag[O_IGNINIT], j->flag[O_RESIGN], true};
	struct ens_intel_config cfg;
	if (ens_probe_expect(j->o[O_ENCLAVE], SGX_SIGN_ELF_KINDS, "an Intel SGX SDK enclave (ELF)", err) ||
	    ens_intel_elf_open(&s->elf, j->o[O_ENCLAVE], &eo, err))
		return -1;
	struct ens_intel_elf *e = &s->elf;
	bool own = e->has_metadata && !j->o[O_CONFIG];
	if (!own && sdk_resolve(j, e, err))
		return -1;
	if (!own && ens_intel_config_load_v(&cfg, j->o[O_CONFIG], e->sdk, err))
		return -1;
	s->area = calloc(1, e->meta_size ? e->meta_size : 1);
	if (!s->area)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	uint8_t mr[32];
	uint64_t pages = 0;
	struct ens_sigstruct_fields f;
	if (own) {
		/* -resign, own metadata: every block keeps its bytes but the SIGSTRUCT. */
		memcpy(s->area, e->data + e->meta_off, e->meta_size);
		size_t offs[16];
		int n = ens_intel_meta_chain(s->area, e->meta_size, offs, 16, err);
		if (n <= 0)
			return n < 0 ? -1 : ens_fail(err, ENS_E_FORMAT, "'%s': unreadable metadata", e->path);
		if (ens_intel_mrenclave(e, s->area, e->meta_size, mr, &pages, err))
			return ens_err_prefix(err, "'%s'", e->path);
		struct ens_sigstruct old;
		memcpy(&old, s->area + offsetof(struct ens_intel_meta, css), sizeof(old));
		ens_sigstruct_fields(&old, &f);
		cli_note("re-signing with the enclave's own metadata (%d block(s))", n);
	} else {
		s->b = malloc(sizeof(*s->b));
		if (!s->b)
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		if (ens_intel_build(s->b, e, &cfg, err))
			return -1;
		if (ens_intel_mrenclave(e, s->b->meta, s->b->meta_len, mr, &pages, err))
			return ens_err_prefix(err, "'%s'", e->path);
		f = s->b->fields;
		char ver[16];
		ens_intel_sdk_str(e->sdk, ver, sizeof(ver));
		fprintf(stderr, "INFO: SDK %s (family %s): %s\n", ver, ens_intel_sdk_family(e->sdk), s->b->kind_note);
	}
	f.date = date;
	memcpy(f.enclavehash, mr, 32);
	ens_sigstruct_build(&s->css, &f);
	fprintf(stderr, "The required memory is %llu B.\n", (unsigned long long)pages * 4096);
	return 0;
}

static int finish_area(struct signing *s, struct ens_err *err)
{
	if (s->b)
		return ens_intel_area(s->b, &s->css, s->area, s->elf.meta_size, err);
	size_t offs[16];
	int n = ens_intel_meta_chain(s->area, s->elf.meta_size, offs, 16, err);
	for (int i = 0; i < n; i++)
		memcpy(s->area + offs[i] + offsetof(struct ens_intel_meta, css), &s->css, sizeof(s->css));
	return n < 0 ? -1 : 0;
}

static int write_outputs(struct job *j, struct signing *s, struct ens_err *err)
{
	struct ens_intel_elf *e = &s->elf;
	char *text = NULL;
	size_t tlen = 0;
	if (j->o[O_DUMPFILE] && sgx_dump_text(s->area, e->meta_size, s->b ? s->b->sdk : e->sdk, &text, &tlen, err))
		return -1;
	memcpy(e->data + e->meta_off, s->area, e->meta_size);
	struct stat st;
	mode_t mode = stat(j->o[O_ENCLAVE], &st) ? 0755 : (st.st_mode & 0777) | 0200;
	int rc = ens_write_file(j->o[O_OUT], e->data, e->len, mode, err);
	if (!rc && j->o[O_CSSFILE])
		rc = cli_write_sigstruct(j->o[O_CSSFILE], &s->css, err);
	if (!rc && text)
		rc = ens_write_file(j->o[O_DUMPFILE], text, tlen, 0644, err);
	free(text);
	if (rc) {
		remove(j->o[O_OUT]);
		if (j->o[O_CSSFILE])
			remove(j->o[O_CSSFILE]);
	}
	return rc;
}

static int do_sign(struct job *j, struct signing *s, struct ens_err *err)
{
	uint32_t date;
	if (ens_date_resolve(j->o[O_DATE], &date, err) || prepare(j, s, date, err))
		return -1;
	if (!strcmp(j->cmd, "gendata")) {
		uint8_t sd[ENS_SIGNED_SIZE];
		ens_sigstruct_signed_bytes(&s->css, sd);
		return ens_write_file(j->o[O_OUT], sd, sizeof(sd), 0644, err);
	}
	/* PEM, pkcs11: URI, two-step or --sign-command: the shared signer path. */
	int rc = cli_sign_sigstruct(&s->css, &j->so, err);
	if (rc)
		return rc < 0 ? -1 : 0;	/* 1: step 1 wrote its material; nothing else is written */
	if (finish_area(s, err))
		return -1;
	return write_outputs(j, s, err);
}

static int do_catsig(struct job *j, struct signing *s, struct ens_err *err)
{
	uint8_t *u = NULL, *sig = NULL;
	size_t ulen, slen;
	int rc = -1;
	if (ens_pem_is_private_key(j->o[O_KEY]))
		return ens_fail(err, ENS_E_KEY, "'%s' is a private key; catsig needs the public key "
				"(openssl rsa -in '%s' -pubout -out PUBLIC.pem)", j->o[O_KEY], j->o[O_KEY]);
	if (ens_read_file(j->o[O_UNSIGNED], 4096, &u, &ulen, err) || ens_read_file(j->o[O_SIG], 4096, &sig, &slen, err))
		goto out;
	if (ulen != ENS_SIGNED_SIZE) {
		ens_fail(err, ENS_E_FORMAT, "'%s': %zu bytes; the -unsigned file (gendata output) has 256", j->o[O_UNSIGNED], ulen);
		goto out;
	}
	if (slen != 384) {
		ens_fail(err, ENS_E_FORMAT, "'%s': %zu bytes; a raw RSA-3072 signature (big-endian) has 384", j->o[O_SIG], slen);
		goto out;
	}
	/* The date comes from step 1's material only. */
	if (prepare(j, s, ens_get_le32(u + 20), err))
		goto out;
	uint8_t sd[ENS_SIGNED_SIZE];
	ens_sigstruct_signed_bytes(&s->css, sd);
	if (memcmp(sd, u, 128) || memcmp(sd + 128, u + 128, 128)) {
		ens_fail(err, ENS_E_VERIFY, "'%s' does not match the enclave and configuration (%s differs): "
			 "the unsigned file content doesn't match the configuration file",
			 j->o[O_UNSIGNED], memcmp(sd, u, 128) ? "SIGSTRUCT header" : "SIGSTRUCT body");
		goto out;
	}
	uint8_t mod[384];
	if (ens_pubkey_load_modulus(j->o[O_KEY], mod, err) || ens_sigstruct_attach(&s->css, mod, sig, err) ||
	    finish_area(s, err))
		goto out;
	rc = write_outputs(j, s, err);
out:
	free(u);
	free(sig);
	return rc;
}

static int do_dump(struct job *j, struct ens_err *err)
{
	struct ens_intel_elf e;
	struct ens_intel_elf_opts eo = {0};
	if (ens_probe_expect(j->o[O_ENCLAVE], SGX_SIGN_ELF_KINDS, "an Intel SGX SDK enclave (ELF)", err) ||
	    ens_intel_elf_open(&e, j->o[O_ENCLAVE], &eo, err))
		return -1;
	char *text = NULL;
	size_t tlen;
	if (j->o[O_SDKVER] && !(e.sdk = ens_intel_sdk_parse(j->o[O_SDKVER]))) {
		ens_intel_elf_free(&e);
		return ens_fail(err, ENS_E_USAGE, "--sdk-version '%s' is not an SDK release 2.0 ... 2.26",
				j->o[O_SDKVER]);
	}
	int rc = sgx_dump_text(e.data + e.meta_off, e.meta_size, e.sdk, &text, &tlen, err);
	if (!rc)
		rc = ens_write_file(j->o[O_DUMPFILE], text, tlen, 0644, err);
	if (!rc && j->o[O_CSSFILE])
		rc = ens_write_file(j->o[O_CSSFILE], e.data + e.meta_off + offsetof(struct ens_intel_meta, css),
				    ENS_SIGSTRUCT_SIZE, 0644, err);
	if (rc && !err->msg[0])
		ens_fail(err, ENS_E_FORMAT, "dump failed");
	free(text);
	ens_intel_elf_free(&e);
	return rc;
}

int cmd_sgx_sign(int argc, char **argv)
{
	struct job j = {0};
	int p = parse(argc, argv, &j);
	if (p)
		return p == 1 ? 0 : p;
	struct ens_err err = {0};
	struct signing s = {0};
	int rc;
	if (!strcmp(j.cmd, "dump"))
		rc = do_dump(&j, &err);
	else if (!strcmp(j.cmd, "catsig"))
		rc = do_catsig(&j, &s, &err);
	else
		rc = do_sign(&j, &s, &err);
	ens_intel_elf_free(&s.elf);
	free(s.b);
	free(s.area);
	if (rc) {
		cli_error(&err);
		return err.code == ENS_E_USAGE ? EXIT_USAGE : 1;
	}
	fprintf(stderr, "Succeed.\n");
	return 0;
}
