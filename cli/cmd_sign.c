/* ensign sign [options] FILE.sgxs [-o OUT.sig]: sign an SGXS enclave and write
 * the raw 1808-byte SIGSTRUCT. An ELF application is handed to cli_sign_app. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "cli_app.h"
#include "ensign/probe.h"

int cli_sign_app(int argc, char **argv) __attribute__((weak));
int cli_sign_gramine(int argc, char **argv) __attribute__((weak));
bool fmt_gramine_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size) __attribute__((weak));

static const char usage[] =
	"ensign sign [--key KEY] [--production] [--xfrm V[/M]] [--attributes V[/M]] [--miscselect V[/M]]\n"
	"            [--isvprodid N] [--isvsvn N] [--isvfamilyid HEX] [--isvextprodid HEX] [--date D]\n"
	"            [--vendor intel|none] [--swdefined N] FILE.sgxs [-o OUT.sig]";

/* VALUE[/MASK]; MASK is the real mask (1 = must match). */
static int parse_value_mask(const char *arg, const char *what, uint64_t *v, uint64_t *m, bool *mask_given,
			    struct ens_err *err)
{
	char buf[64];
	const char *slash = strchr(arg, '/');

	*mask_given = false;
	if (!slash)
		return ens_parse_u64(arg, v, what, err);
	if ((size_t)(slash - arg) >= sizeof buf)
		return ens_fail(err, ENS_E_USAGE, "%s: '%s' is too long", what, arg);
	memcpy(buf, arg, (size_t)(slash - arg));
	buf[slash - arg] = 0;
	*mask_given = true;
	if (ens_parse_u64(buf, v, what, err) || ens_parse_u64(slash + 1, m, what, err))
		return -1;
	return 0;
}

static int parse_id128(const char *arg, const char *what, uint8_t out[16], struct ens_err *err)
{
	const char *p = arg;
	size_t n;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	n = strlen(p);
	if (n == 0 || n > 32)
		return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a 128-bit hex number", what, arg);
	memset(out, 0, 16);
	for (size_t i = 0; i < n; i++) {	/* little-endian u128, as Intel's L/H pair */
		char c = p[n - 1 - i];
		int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
			(c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

		if (d < 0)
			return ens_fail(err, ENS_E_USAGE, "%s: '%s' is not a 128-bit hex number", what, arg);
		out[i / 2] |= (uint8_t)(d << (4 * (i & 1)));
	}
	return 0;
}

static bool nonzero(const uint8_t *p, size_t n)
{
	while (n--)
		if (p[n])
			return true;
	return false;
}

/* Default output: FILE.sgxs -> FILE.sig */
static char *default_out(const char *in)
{
	const char *dot = strrchr(in, '.'), *slash = strrchr(in, '/');
	size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - in) : strlen(in);
	char *o = malloc(stem + 5);

	if (o) {
		memcpy(o, in, stem);
		memcpy(o + stem, ".sig", 5);
	}
	return o;
}

static bool is_elf(const char *path)
{
	uint8_t h[4] = { 0 };
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	if (fread(h, 1, 4, f) != 4)
		h[0] = 0;
	fclose(f);
	return !memcmp(h, "\177ELF", 4);
}

int cmd_sign(int argc, char **argv)
{
	enum { O_XFRM = 0x2000, O_ATTR, O_MISC, O_PROD, O_SVN, O_FAM, O_EXT, O_DATE, O_VENDOR, O_SW };
	static const struct option longopts[] = {
		CLI_SIGN_LONGOPTS,
		{ "output", required_argument, 0, 'o' },
		{ "xfrm", required_argument, 0, O_XFRM },
		{ "attributes", required_argument, 0, O_ATTR },
		{ "miscselect", required_argument, 0, O_MISC },
		{ "isvprodid", required_argument, 0, O_PROD },
		{ "isvsvn", required_argument, 0, O_SVN },
		{ "isvfamilyid", required_argument, 0, O_FAM },
		{ "isvextprodid", required_argument, 0, O_EXT },
		{ "date", required_argument, 0, O_DATE },
		{ "vendor", required_argument, 0, O_VENDOR },
		{ "swdefined", required_argument, 0, O_SW },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct cli_sign_opts so = { 0 };
	struct ens_sigstruct_fields f = { 0 };
	struct ens_sigstruct s;
	struct ens_err err;
	const char *in, *out = NULL, *date = NULL;
	char *out_alloc = NULL;
	uint64_t v, m;
	bool mg, attr_mask_given = false, have_attr = false;
	int c, rc;

	in = cli_find_input(argc, argv);
	if (in && cli_sign_gramine && fmt_gramine_probe && fmt_gramine_probe(in, (const uint8_t *)"", 0, 0))
		return cli_sign_gramine(argc, argv);	/* a Gramine manifest (cli/fmt_gramine.c) */
	if (in && is_elf(in)) {
		int r = cli_expect_kind(in, ENS_KBIT(ENS_K_ELF_EXEC) | ENS_KBIT(ENS_K_ELF_SHARED) |
					ENS_KBIT(ENS_K_ELF_APP_SIGNED) | ENS_KBIT(ENS_K_ELF_OTHER),
					"an application ensign signs");

		if (r)
			return r;
		if (cli_sign_app)
			return cli_sign_app(argc, argv);
		return cli_errorf("'%s': signing applications is not available in this build", in);
	}
	/* Defaults (ensign-sign(1)): a debug enclave, 64-bit, x87+SSE. */
	f.attributes = ENS_ATTR_MODE64BIT | ENS_ATTR_DEBUG;
	f.attributes_mask = ~(uint64_t)ENS_ATTR_DEBUG;
	f.xfrm = 0x3;
	f.xfrm_mask = 0xFFFFFFFFFFFFFF1Bull;
	f.miscselect = 0;
	f.miscmask = 0xFFFFFFFFu;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:k:h", longopts, NULL)) != -1) {
		if (cli_sign_opt(c, optarg, &so))
			continue;
		switch (c) {
		case 'k': so.key = optarg; break;
		case 'o': out = optarg; break;
		case O_XFRM:
			if (parse_value_mask(optarg, "--xfrm", &v, &m, &mg, &err))
				return cli_error(&err);
			f.xfrm = v;
			if (mg)
				f.xfrm_mask = m;
			break;
		case O_ATTR:
			if (parse_value_mask(optarg, "--attributes", &v, &m, &mg, &err))
				return cli_error(&err);
			f.attributes = v;
			have_attr = true;
			if (mg) {
				f.attributes_mask = m;
				attr_mask_given = true;
			}
			break;
		case O_MISC:
			if (parse_value_mask(optarg, "--miscselect", &v, &m, &mg, &err))
				return cli_error(&err);
			if (v > UINT32_MAX || (mg && m > UINT32_MAX))
				return cli_usage_error(usage, "--miscselect: '%s' does not fit 32 bits", optarg);
			f.miscselect = (uint32_t)v;
			if (mg)
				f.miscmask = (uint32_t)m;
			break;
		case O_PROD:
		case O_SVN:
			if (ens_parse_u64(optarg, &v, c == O_PROD ? "--isvprodid" : "--isvsvn", &err))
				return cli_error(&err);
			if (v > 0xffff)
				return cli_usage_error(usage, "%s: %s does not fit 16 bits", c == O_PROD ? "--isvprodid" : "--isvsvn",
						       optarg);
			if (c == O_PROD)
				f.isvprodid = (uint16_t)v;
			else
				f.isvsvn = (uint16_t)v;
			break;
		case O_FAM:
			if (parse_id128(optarg, "--isvfamilyid", f.isvfamilyid, &err))
				return cli_error(&err);
			break;
		case O_EXT:
			if (parse_id128(optarg, "--isvextprodid", f.isvextprodid, &err))
				return cli_error(&err);
			break;
		case O_DATE: date = optarg; break;
		case O_VENDOR:
			if (!strcmp(optarg, "intel"))
				f.vendor = 0x8086;
			else if (!strcmp(optarg, "none"))
				f.vendor = 0;
			else
				return cli_usage_error(usage, "--vendor: '%s' is not 'intel' or 'none'", optarg);
			break;
		case O_SW:
			if (ens_parse_u64(optarg, &v, "--swdefined", &err))
				return cli_error(&err);
			if (v > UINT32_MAX)
				return cli_usage_error(usage, "--swdefined: %s does not fit 32 bits", optarg);
			f.swdefined = (uint32_t)v;
			break;
		case 'h':
			printf("usage: %s\n\nSigns an SGXS enclave and writes the raw SIGSTRUCT (default FILE.sig);"
			       " see ensign-sign(1).\nWithout --key the built-in debug key signs (debug enclaves only).\n\n"
			       "An x86-64 ELF application is signed with the application flags; see ensign-sign-app(1):\n"
			       "usage: %s\n", usage, cli_app_sign_usage());
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
	if (so.production) {
		/* production: DEBUG clear and enforced by the mask */
		f.attributes &= ~(uint64_t)ENS_ATTR_DEBUG;
		f.attributes_mask |= ENS_ATTR_DEBUG;
		if (have_attr && !attr_mask_given)
			f.attributes_mask = ~(uint64_t)0;
	}
	if ((f.attributes & ENS_ATTR_DEBUG) && so.production)
		return cli_usage_error(usage, "sign: --production and a DEBUG attribute contradict each other");
	if (nonzero(f.isvfamilyid, 16) || nonzero(f.isvextprodid, 16)) {
		if (!(f.attributes & ENS_ATTR_KSS))
			cli_note("--isvfamilyid/--isvextprodid imply KSS: setting the KSS attribute and its mask bit");
		f.attributes |= ENS_ATTR_KSS;
		f.attributes_mask |= ENS_ATTR_KSS;
	}
	if (ens_date_resolve(date, &f.date, &err))
		return cli_error(&err);
	if ((rc = cli_expect_kind(in, ENS_KBIT(ENS_K_SGXS) | ENS_KBIT(ENS_K_SGXS_UNSIZED),
				  "an SGXS file or an application (ELF executable)")))
		return rc;
	if (ens_sgxs_mrenclave(in, f.enclavehash, NULL, &err))
		return cli_error(&err);
	if (!out && !cli_sign_is_step1(&so)) {
		out = out_alloc = default_out(in);
		if (!out)
			return cli_errorf("out of memory");
	}
	if (out && ens_check_not_same(in, out, &err)) {
		free(out_alloc);
		return cli_error(&err);
	}
	ens_sigstruct_build(&s, &f);
	rc = cli_sign_sigstruct(&s, &so, &err);
	if (rc < 0) {
		free(out_alloc);
		return cli_error(&err);
	}
	if (rc == 0) {
		char hex[65];
		uint8_t signer[32];

		if (cli_write_sigstruct(out, &s, &err)) {
			free(out_alloc);
			return cli_error(&err);
		}
		ens_hex(s.enclavehash, 32, hex);
		if (cli_json) {
			char shex[65];

			ens_sigstruct_mrsigner(&s, signer);
			ens_hex(signer, 32, shex);
			cli_json_emit(json_pack("{s:s, s:s, s:s, s:s, s:s}", "file", in, "format", "sgxs", "output", out,
						"mrenclave", hex, "mrsigner", shex));
		} else {
			printf("mrenclave: %s\n", hex);
			ens_sigstruct_mrsigner(&s, signer);
			ens_hex(signer, 32, hex);
			printf("mrsigner:  %s\n", hex);
		}
	}
	free(out_alloc);
	return 0;
}
