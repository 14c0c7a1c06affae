/* `ensign oesign sign|digest|dump` and the `oesign` personality: Open
 * Enclave's signing tool (openenclave-mystikos.md §A.1), byte-compatible,
 * plus a fixed date (--date / SOURCE_DATE_EPOCH) and ensign's signers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ensign/probe.h"
#include "ensign/oe.h"
#include "oe_cli.h"

static const char usage_text[] =
	"oesign sign -e IMG [-c CONF] -k KEY [-o OUT] [--date D]\n"
	"       oesign sign -e IMG [-c CONF] -x CERT -d DIGEST_SIG [-o OUT] [--date D]\n"
	"       oesign sign -e IMG [-c CONF] --key pkcs11:URI|--sign-command CMD [-o OUT]\n"
	"       oesign digest -e IMG [-c CONF] -d OUT [--date D]\n"
	"       oesign dump -e IMG";

enum { OPT_DATE = CLI_OPT_SIGN_END_ + 1 };

struct oesign_args {
	const char *image, *conf, *key, *out, *x509, *digest, *date, *engine, *key_id;
	struct cli_sign_opts so;
};

static int parse(int argc, char **argv, struct oesign_args *a)
{
	static const struct option longopts[] = {
		{ "enclave-image", required_argument, 0, 'e' },
		{ "config-file", required_argument, 0, 'c' },
		{ "key-file", required_argument, 0, 'k' },
		{ "output-file", required_argument, 0, 'o' },
		{ "x509", required_argument, 0, 'x' },
		{ "digest-file", required_argument, 0, 'd' },
		{ "engine", required_argument, 0, 'n' },
		{ "key-id", required_argument, 0, 'i' },
		{ "load-path", required_argument, 0, 'p' },
		{ "date", required_argument, 0, OPT_DATE },
		{ "help", no_argument, 0, 'h' },
		CLI_SIGN_LONGOPTS,
		{ 0, 0, 0, 0 }
	};
	int c;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:c:k:o:x:d:n:i:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': a->image = optarg; break;
		case 'c': a->conf = optarg; break;
		case 'k': a->key = optarg; break;
		case 'o': a->out = optarg; break;
		case 'x': a->x509 = optarg; break;
		case 'd': a->digest = optarg; break;
		case 'n': a->engine = optarg; break;
		case 'i': a->key_id = optarg; break;
		case 'p': break;
		case OPT_DATE: a->date = optarg; break;
		case 'h': printf("usage: %s\n", usage_text); exit(0);
		default:
			if (cli_sign_opt(c, optarg, &a->so))
				break;
			return cli_usage_error(usage_text, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error(usage_text, "unexpected argument '%s'", argv[optind]);
	if (!a->image)
		return cli_usage_error(usage_text, "--enclave-image (-e) is required");
	return 0;
}

/* Open the image and merge the .conf into its .oeinfo properties as oesign
 * does (even without a .conf: the IDs and flags are then reset). Without
 * 'merge' and .conf, the properties are used as stored (a signed file). */
/* what -e may be (a damaged OE enclave is any ELF: its parser says more) */
#define OE_ELF_KINDS (ENS_KBITS_ELF & ~(ENS_KBIT(ENS_K_ELF_INTEL) | ENS_KBIT(ENS_K_ELF_EDP) | \
					ENS_KBIT(ENS_K_ELF_APP_SIGNED)))

int oe_cli_load(const char *image, const char *conf, bool merge, struct ens_oe_image **img,
		struct ens_oe_props *p, struct ens_err *err)
{
	struct ens_oe_conf c;
	if (conf && ens_oe_conf_load(conf, &c, err) < 0)
		return ens_err_prefix(err, "cannot load configuration file '%s'", conf);
	if (ens_probe_expect(image, OE_ELF_KINDS, "an Open Enclave enclave (ELF)", err) ||
	    ens_oe_open(image, img, err) < 0)
		return -1;
	ens_oe_props_read(*img, p);
	if ((conf || merge ? ens_oe_merge(p, conf ? &c : NULL, err) : ens_oe_validate(p, err)) < 0) {
		ens_oe_close(*img);
		*img = NULL;
		return ens_err_prefix(err, "'%s'", image);
	}
	return 0;
}

/* Load, measure, and build the unsigned SIGSTRUCT with the resolved date. */
static int prepare(const struct oesign_args *a, struct ens_oe_image **img, struct ens_oe_props *p,
		   struct ens_sigstruct *s, struct ens_err *err)
{
	uint8_t mr[32];
	uint32_t date;
	struct ens_sigstruct_fields f;

	if (ens_date_resolve(a->date, &date, err) < 0 || oe_cli_load(a->image, a->conf, true, img, p, err) < 0)
		return -1;
	if (ens_oe_mrenclave(*img, p, mr, NULL, err) < 0) {
		ens_oe_close(*img);
		*img = NULL;
		return -1;
	}
	ens_oe_sigstruct_fields(p, mr, date, &f);
	ens_sigstruct_build(s, &f);
	return 0;
}

static int do_sign(int argc, char **argv)
{
	struct oesign_args a;
	struct ens_err err = { 0 };
	struct ens_oe_image *img = NULL;
	struct ens_oe_props p;
	struct ens_sigstruct s;
	char outbuf[4096];
	int rc;

	if ((rc = parse(argc, argv, &a)))
		return rc;
	bool two_step = a.x509 || a.digest;
	bool generic = a.so.key || a.so.signature || a.so.sign_command || cli_sign_is_step1(&a.so);
	if (a.engine || a.key_id)
		return cli_usage_error(usage_text, "OpenSSL engines are not supported; use "
				       "--key pkcs11:URI (PKCS#11) or --sign-command CMD");
	if (a.key && two_step)
		return cli_usage_error(usage_text, "--key-file (-k) cannot be combined with -x/-d");
	if (two_step && (!a.x509 || !a.digest))
		return cli_usage_error(usage_text, "-x (certificate) and -d (digest signature) go together");
	if (!a.key && !two_step && !generic)
		return cli_usage_error(usage_text, "a key is required: -k KEY, or -x CERT -d DIGEST_SIG");
	if (a.key)
		a.so.key = a.key;
	if (!a.out) {
		if ((size_t)snprintf(outbuf, sizeof(outbuf), "%s.signed", a.image) >= sizeof(outbuf))
			return cli_errorf("output path too long");
		a.out = outbuf;
	}
	if (ens_check_not_same(a.image, a.out, &err) < 0)
		return cli_error(&err);
	if (prepare(&a, &img, &p, &s, &err) < 0)
		return cli_error(&err);

	if (two_step)
		rc = ens_oe_attach_digest_signature(&s, a.x509, a.digest,
						    a.date || getenv("SOURCE_DATE_EPOCH"), &err);
	else
		rc = cli_sign_sigstruct(&s, &a.so, &err);
	if (rc == 1) {				/* two-step material written */
		ens_oe_close(img);
		return 0;
	}
	if (rc == 0) {
		memcpy(p.sigstruct, &s, sizeof(s));
		rc = ens_oe_write_signed(img, &p, a.out, &err);
	}
	ens_oe_close(img);
	if (rc < 0)
		return cli_error(&err);
	printf("Created %s\n", a.out);	/* oesign's own message, as digest's */
	return 0;
}

static int do_digest(int argc, char **argv)
{
	struct oesign_args a;
	struct ens_err err = { 0 };
	struct ens_oe_image *img = NULL;
	struct ens_oe_props p;
	struct ens_sigstruct s;
	uint8_t h[32];
	int rc;

	if ((rc = parse(argc, argv, &a)))
		return rc;
	if (!a.digest)
		return cli_usage_error(usage_text, "--digest-file (-d) is required");
	if (a.key || a.x509)
		return cli_usage_error(usage_text, "digest takes no key or certificate");
	if (prepare(&a, &img, &p, &s, &err) < 0)
		return cli_error(&err);
	ens_oe_close(img);
	if (ens_oe_digest(&s, h, &err) < 0 || ens_write_file(a.digest, h, sizeof(h), 0644, &err) < 0)
		return cli_error(&err);
	printf("Created %s\n", a.digest);
	return 0;
}

static void hexline(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

/* oesign's dump output (tools/oesign/oedump.c), field for field. */
static int do_dump(int argc, char **argv)
{
	struct oesign_args a;
	struct ens_err err = { 0 };
	struct ens_oe_image *img;
	struct ens_oe_props p;
	struct ens_sigstruct s;
	int rc;

	if ((rc = parse(argc, argv, &a)))
		return rc;
	if (ens_probe_expect(a.image, OE_ELF_KINDS, "an Open Enclave enclave (ELF)", &err) ||
	    ens_oe_open(a.image, &img, &err) < 0)
		return cli_error(&err);
	ens_oe_props_read(img, &p);
	memcpy(&s, p.sigstruct, sizeof(s));
	printf("\n");
	rc = 0;
	if (strcmp(ens_oe_entry_symbol(img), "_start") == 0) {
		printf("=== Entry point: \nname=_start\naddress=%016llx\n\n",
		       (unsigned long long)ens_oe_entry(img));
	} else {
		cli_errorf("'%s': entry point 0x%llx is not the dynamic symbol _start", a.image,
			   (unsigned long long)ens_oe_entry(img));
		rc = 1;
	}
	printf("=== SGX Enclave Properties:\n");
	printf("product_id=%u\n", p.product_id);
	printf("security_version=%u\n", p.security_version);
	printf("debug=%u\n", (p.attributes & ENS_ATTR_DEBUG) ? 1 : 0);
	printf("xfrm=%llx\n", (unsigned long long)p.xfrm);
	printf("num_heap_pages=%llu\n", (unsigned long long)p.num_heap_pages);
	printf("num_stack_pages=%llu\n", (unsigned long long)p.num_stack_pages);
	printf("num_tcs=%llu\n", (unsigned long long)p.num_tcs);
	printf("mrenclave=");
	hexline(s.enclavehash, sizeof(s.enclavehash));
	{
		uint8_t signer[32];

		ens_sigstruct_mrsigner(&s, signer);
		printf("mrsigner=");
		hexline(signer, sizeof(signer));
	}
	printf("signature=");
	hexline(s.signature, sizeof(s.signature));
	printf("\n");
	ens_oe_close(img);
	return rc;
}

int cmd_oesign(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(usage_text, "a command is required: sign, digest or dump");
	if (!strcmp(argv[1], "sign"))
		return do_sign(argc - 1, argv + 1);
	if (!strcmp(argv[1], "digest"))
		return do_digest(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dump"))
		return do_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("usage: %s\n", usage_text);
		return 0;
	}
	return cli_usage_error(usage_text, "unknown command '%s'", argv[1]);
}
