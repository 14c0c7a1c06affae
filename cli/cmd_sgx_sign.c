/* `ensign sgx_sign` (and the binary run as `sgx_sign`): Intel sgx_sign
 * compatible sign, gendata, catsig and dump (intel-sdk-format.md §1, §10, §11).
 * Front end lib/front/intel_*.c, then measure, SIGSTRUCT, output file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "ensign/intel_sdk.h"
#include "sgx_sign.h"

enum { O_ENCLAVE, O_CONFIG, O_KEY, O_OUT, O_SIG, O_UNSIGNED, O_DUMPFILE, O_CSSFILE, O_DATE,
       O_IGNREL, O_IGNINIT, O_RESIGN, O_N };
static const char *const opt_names[O_N] = {"-enclave", "-config", "-key", "-out", "-sig", "-unsigned",
					   "-dumpfile", "-cssfile", "-date", "-ignore-rel-error",
					   "-ignore-init-sec-error", "-resign"};
#define FIRST_FLAG O_IGNREL
/* Per command: R required, o optional, '-' invalid. */
static const struct { const char *name; const char *rules; } cmds[] = {
	/*           enc cfg key out sig uns dmp css dat rel ini res */
	{"sign",    "RoRR--oooooo"},
	{"gendata", "Ro-R----oooo"},
	{"catsig",  "RoRRRRoooooo"},
	{"dump",    "R-----Ro----"},
};

static const char usage[] =
	"usage: sgx_sign <sign|gendata|catsig|dump> [options]\n"
	"  sign    -enclave E.so -key PRIVATE.pem -out E.signed.so [-config C.xml] [-dumpfile D] [-cssfile S]\n"
	"  gendata -enclave E.so -out SIGDATA [-config C.xml]       (the 256 bytes to sign)\n"
	"  catsig  -enclave E.so -key PUBLIC.pem -sig SIG -unsigned SIGDATA -out E.signed.so [-config C.xml]\n"
	"  dump    -enclave E.signed.so -dumpfile D [-cssfile S]\n"
	"flags: -ignore-rel-error -ignore-init-sec-error -resign; ensign extra: -date YYYY-MM-DD\n"
	"  (else SOURCE_DATE_EPOCH, else today UTC)\n"
	"-resign without -config re-signs a signed enclave keeping its own metadata (MRENCLAVE unchanged).\n"
	"Enclave.config.xml: HeapMinSize <= HeapInitSize <= HeapMaxSize (HeapMin committed, HeapInit added\n"
	"  at load, the rest grown on SGX2); TCSNum threads at load, up to TCSMaxNum; TCSMinPool are never\n"
	"  removed; StackMinSize <= StackMaxSize. See ensign-sgx_sign(1).\n";

struct job {
	const char *o[O_N];
	bool flag[O_N];
	const char *cmd;
};

static int parse(int argc, char **argv, struct job *j)
{
	if (argc == 2 && (!strcmp(argv[1], "-help") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 1;
	}
	if (argc == 2 && (!strcmp(argv[1], "-version") || !strcmp(argv[1], "--version"))) {
		printf("sgx_sign (ensign %s), compatible with Intel SGX SDK sgx_sign 2.26.100\n", ENSIGN_VERSION);
		return 1;
	}
	if (argc < 2)
		return cli_usage_error(usage, "missing command (sign, gendata, catsig or dump)");
	int c;
	for (c = 0; c < 4; c++)
		if (!strcmp(argv[1], cmds[c].name))
			break;
	if (c == 4)
		return cli_usage_error(usage, "unknown command '%s'", argv[1]);
	j->cmd = cmds[c].name;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			a++;	/* accept --date as well as -date */
		int k;
		for (k = 0; k < O_N; k++)
			if (!strcmp(a, opt_names[k]))
				break;
		if (k == O_N)
			return cli_usage_error(usage, "unknown option '%s'", argv[i]);
		if (j->o[k] || j->flag[k])
			return cli_usage_error(usage, "option '%s' given twice", opt_names[k]);
		if (cmds[c].rules[k] == '-')
			return cli_usage_error(usage, "option '%s' is not valid with '%s'", opt_names[k], j->cmd);
		if (k >= FIRST_FLAG) {
			j->flag[k] = true;
			continue;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '-')
			return cli_usage_error(usage, "option '%s' needs a value (values may not start with '-')",
					       opt_names[k]);
		j->o[k] = argv[++i];
	}
	for (int k = 0; k < O_N; k++)
		if (cmds[c].rules[k] == 'R' && !j->o[k])
			return cli_usage_error(usage, "'%s' needs option '%s'", j->cmd, opt_names[k]);
	for (int a = 0; a < FIRST_FLAG; a++)
		for (int b = a + 1; b < FIRST_FLAG; b++) {
			if (a == O_DATE || b == O_DATE || !j->o[a] || !j->o[b])
				continue;
			struct stat sa, sb;
			bool same = !strcmp(j->o[a], j->o[b]) ||
				    (!stat(j->o[a], &sa) && !stat(j->o[b], &sb) && sa.st_dev == sb.st_dev &&
				     sa.st_ino == sb.st_ino);
			if (same)
				return cli_usage_error(usage, "options '%s' and '%s' name the same file", opt_names[a],
						       opt_names[b]);
		}
	return 0;
}

static int sdk_check(const struct ens_intel_elf *e, struct ens_err *err)
{
	if (e->sdk_version == ENS_INTEL_SDK_VERSION)
		return 0;
	unsigned long long v = e->sdk_version;
	if (e->gd_size == ENS_INTEL_GD_SIZE) {
		cli_warn("'%s' was built with SDK %llu.%llu.%llu, not 2.26.100; its g_global_data has the 2.26 size "
			 "(%u bytes), so it is signed with the 2.26 layout", e->path, v >> 32, (v >> 16) & 0xffff,
			 v & 0xffff, ENS_INTEL_GD_SIZE);
		return 0;
	}
	return ens_fail(err, ENS_E_UNSUPPORTED,
			"'%s': built with SDK %llu.%llu.%llu, whose g_global_data layout (%llu bytes) is not supported "
			"(ensign builds the 2.26.100 layout, %u bytes); re-sign a signed copy with -resign instead",
			e->path, v >> 32, (v >> 16) & 0xffff, v & 0xffff, (unsigned long long)e->gd_size,
			ENS_INTEL_GD_SIZE);
}

/* Measure an enclave from its metadata and fill css (everything but the signature). */
struct signing {
	struct ens_intel_elf elf;
	struct ens_intel_build *b;	/* NULL when reusing the enclave's own metadata */
	struct ens_sigstruct css;
	uint8_t *area;
};

static int prepare(struct job *j, struct signing *s, uint32_t date, struct ens_err *err)
{
	struct ens_intel_elf_opts eo = {j->flag[O_IGNREL], j->flag[O_IGNINIT], j->flag[O_RESIGN], true};
	struct ens_intel_config cfg;
	if (ens_intel_config_load(&cfg, j->o[O_CONFIG], err))
		return -1;
	if (ens_intel_elf_open(&s->elf, j->o[O_ENCLAVE], &eo, err))
		return -1;
	struct ens_intel_elf *e = &s->elf;
	s->area = calloc(1, e->meta_size ? e->meta_size : 1);
	if (!s->area)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	uint8_t mr[32];
	uint64_t pages = 0;
	struct ens_sigstruct_fields f;
	if (e->has_metadata && !j->o[O_CONFIG]) {
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
		if (sdk_check(e, err))
			return -1;
		s->b = malloc(sizeof(*s->b));
		if (!s->b)
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		if (ens_intel_build(s->b, e, &cfg, err))
			return -1;
		if (ens_intel_mrenclave(e, s->b->meta, s->b->meta_len, mr, &pages, err))
			return ens_err_prefix(err, "'%s'", e->path);
		f = s->b->fields;
		fprintf(stderr, "INFO: %s\n", s->b->kind_note);
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
	if (j->o[O_DUMPFILE] && sgx_dump_text(s->area, e->meta_size, &text, &tlen, err))
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
	struct ens_signer *signer = NULL;
	char warning[512] = "";
	if (ens_signer_open_pem(&signer, j->o[O_KEY], NULL, warning, sizeof(warning), err))
		return -1;
	if (warning[0])
		cli_warn("%s", warning);
	int rc = ens_sigstruct_sign(&s->css, signer, err);
	ens_signer_free(signer);
	if (rc || finish_area(s, err))
		return -1;
	return write_outputs(j, s, err);
}

static int do_catsig(struct job *j, struct signing *s, struct ens_err *err)
{
	uint8_t *u = NULL, *sig = NULL;
	size_t ulen, slen;
	int rc = -1;
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
	if (ens_intel_elf_open(&e, j->o[O_ENCLAVE], &eo, err))
		return -1;
	char *text = NULL;
	size_t tlen;
	int rc = sgx_dump_text(e.data + e.meta_off, e.meta_size, &text, &tlen, err);
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
		return 1;
	}
	fprintf(stderr, "Succeed.\n");
	return 0;
}
