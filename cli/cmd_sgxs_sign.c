/* The Fortanix sgxs-sign personality (sgxs-format.md §4): same flags, same
 * inverted mask syntax, byte-identical SIGSTRUCTs. It only translates flags
 * into SIGSTRUCT fields; measuring and signing are the engine's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ensign/probe.h"

static const char usage[] =
	"sgxs-sign [FLAGS] [OPTIONS] <input> <output> --key <FILE>\n"
	"  -k, --key FILE            PEM private key (or pkcs11: URI)\n"
	"  -d, --debug               set DEBUG (and leave it out of the mask)\n"
	"      --32                  32-bit enclave (clear MODE64BIT, enforce it)\n"
	"  -a, --attributes A[/M]    ATTRIBUTES and the INVERSE of its mask [0x4/0x2]\n"
	"  -x, --xfrm X[/M]          XFRM and the inverse of its mask [0x3/0x3]\n"
	"  -m, --miscselect S[/M]    MISCSELECT and the inverse of MISCMASK [0/0]\n"
	"  -s, --swdefined N         SWDEFINED [0]\n"
	"  -p, --isvprodid N         ISVPRODID [0]\n"
	"  -v, --isvsvn N            ISVSVN [0]\n"
	"      --date YYYYMMDD       DATE [today, UTC]\n"
	"      --in-hash             <input> is the ENCLAVEHASH in hex\n"
	"  -V, --resign-verify FILE  check <output>'s old signature with this public key first";

/* sgxs-sign numbers: decimal, or hex with a lowercase 0x prefix; nothing else. */
static int ftx_num(const char *s, uint64_t *out, const char *what, struct ens_err *err)
{
	const char *p = s;

	if (!*p || *p == '+' || *p == '-' || (p[0] == '0' && p[1] == 'X'))
		return ens_fail(err, ENS_E_USAGE, "Invalid value for '%s': '%s'", what, s);
	if (p[0] == '0' && p[1] == 'x') {
		for (p += 2; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return ens_fail(err, ENS_E_USAGE, "Invalid value for '%s': '%s'", what, s);
	} else {
		for (; *p; p++)
			if (!isdigit((unsigned char)*p))
				return ens_fail(err, ENS_E_USAGE, "Invalid value for '%s': '%s'", what, s);
	}
	return ens_parse_u64(s, out, what, err);
}

/* A[/M]: M is the INVERSE mask (1 = don't care); without /M the value is used. */
static int ftx_pair(const char *arg, const char *what, uint64_t *v, uint64_t *inv, struct ens_err *err)
{
	char buf[64];
	const char *slash = strchr(arg, '/');

	if (!slash) {
		if (ftx_num(arg, v, what, err))
			return -1;
		*inv = *v;
		return 0;
	}
	if ((size_t)(slash - arg) >= sizeof buf)
		return ens_fail(err, ENS_E_USAGE, "Invalid value for '%s': '%s'", what, arg);
	memcpy(buf, arg, (size_t)(slash - arg));
	buf[slash - arg] = 0;
	return ftx_num(buf, v, what, err) || ftx_num(slash + 1, inv, what, err) ? -1 : 0;
}

static int resign_verify(const char *pubkey, const char *old_path, const struct ens_sigstruct *new_s,
			 struct ens_err *err)
{
	struct ens_sigstruct old;
	uint8_t n_be[384], sig_be[384], msg[ENS_SIGNED_SIZE], *buf;
	size_t len;

	if (ens_pubkey_load_modulus(pubkey, n_be, err))
		return -1;
	if (ens_read_file(old_path, 1 << 20, &buf, &len, err))
		return ens_err_prefix(err, "--resign-verify");
	if (len != sizeof old) {
		free(buf);
		return ens_fail(err, ENS_E_VERIFY, "'%s' is not a SIGSTRUCT (%zu bytes)", old_path, len);
	}
	memcpy(&old, buf, sizeof old);
	free(buf);
	if (memcmp(old.enclavehash, new_s->enclavehash, 32))
		return ens_fail(err, ENS_E_VERIFY, "'%s': ENCLAVEHASH mismatch", old_path);
	ens_reverse(sig_be, old.signature, 384);
	ens_sigstruct_signed_bytes(&old, msg);
	if (ens_rsa_verify(n_be, 3, msg, sizeof msg, sig_be, err))
		return ens_err_prefix(err, "'%s': the existing signature does not verify with '%s'", old_path, pubkey);
	return 0;
}

int cmd_sgxs_sign(int argc, char **argv)
{
	enum { O_32 = 0x2000, O_DATE, O_INHASH };
	static const struct option longopts[] = {
		{ "key", required_argument, 0, 'k' },
		{ "debug", no_argument, 0, 'd' },
		{ "32", no_argument, 0, O_32 },
		{ "attributes", required_argument, 0, 'a' },
		{ "xfrm", required_argument, 0, 'x' },
		{ "miscselect", required_argument, 0, 'm' },
		{ "swdefined", required_argument, 0, 's' },
		{ "isvprodid", required_argument, 0, 'p' },
		{ "isvsvn", required_argument, 0, 'v' },
		{ "date", required_argument, 0, O_DATE },
		{ "in-hash", no_argument, 0, O_INHASH },
		{ "resign-verify", required_argument, 0, 'V' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *attr = "0x4/0x2", *xfrm = "0x3", *misc = "0/0", *date = NULL, *verify_key = NULL;
	uint64_t a, a_inv, x, x_inv, ms, ms_inv, v;
	struct cli_sign_opts so = { 0 };
	struct ens_sigstruct_fields f = { 0 };
	struct ens_sigstruct s;
	struct ens_err err;
	bool debug = false, m32 = false, in_hash = false;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:da:x:m:s:p:v:V:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': so.key = optarg; break;
		case 'd': debug = true; break;
		case O_32: m32 = true; break;
		case 'a': attr = optarg; break;
		case 'x': xfrm = optarg; break;
		case 'm': misc = optarg; break;
		case 's':
		case 'p':
		case 'v': {
			const char *what = c == 's' ? "--swdefined" : c == 'p' ? "--isvprodid" : "--isvsvn";
			uint64_t max = c == 's' ? UINT32_MAX : 0xffff;

			if (ftx_num(optarg, &v, what, &err))
				return cli_error(&err);
			if (v > max)
				return cli_usage_error(NULL, "Invalid value for '%s': %s is too large", what, optarg);
			if (c == 's')
				f.swdefined = (uint32_t)v;
			else if (c == 'p')
				f.isvprodid = (uint16_t)v;
			else
				f.isvsvn = (uint16_t)v;
			break;
		}
		case O_DATE: date = optarg; break;
		case O_INHASH: in_hash = true; break;
		case 'V': verify_key = optarg; break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return cli_usage_error(usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(usage, "expected <input> and <output>");
	if (!so.key)
		return cli_usage_error(usage, "the argument '--key <FILE>' is required");
	if (ftx_pair(attr, "--attributes", &a, &a_inv, &err) || ftx_pair(xfrm, "--xfrm", &x, &x_inv, &err) ||
	    ftx_pair(misc, "--miscselect", &ms, &ms_inv, &err))
		return cli_error(&err);
	if (ms > UINT32_MAX || ms_inv > UINT32_MAX)
		return cli_usage_error(NULL, "Invalid value for '--miscselect': '%s' does not fit 32 bits", misc);
	/* The order is upstream's: mask from the number as typed, then --32, -d,
	 * and finally unknown value bits are dropped (the mask keeps them). */
	f.attributes_mask = ~a_inv;
	if (m32) {
		a &= ~(uint64_t)ENS_ATTR_MODE64BIT;
		f.attributes_mask |= ENS_ATTR_MODE64BIT;
	}
	if (debug) {
		a |= ENS_ATTR_DEBUG;
		f.attributes_mask &= ~(uint64_t)ENS_ATTR_DEBUG;
	}
	if (a & ~(uint64_t)0xF7) {
		printf("WARNING: Dropping unknown bits in input ATTRIBUTES!\n");
		a &= 0xF7;
	}
	f.attributes = a;
	f.xfrm = x;
	f.xfrm_mask = ~x_inv;
	f.miscmask = (uint32_t)~ms_inv;
	if (ms & ~(uint64_t)ENS_MISC_EXINFO) {
		printf("WARNING: Dropping unknown bits in input MISCSELECT!\n");
		ms &= ENS_MISC_EXINFO;
	}
	f.miscselect = (uint32_t)ms;
	if (date) {
		/* exactly 8 decimal digits read as BCD; no calendar check (as upstream) */
		size_t n = strlen(date);

		for (size_t i = 0; i < n; i++)
			if (!isdigit((unsigned char)date[i]))
				n = 0;
		if (n != 8)
			return cli_usage_error(usage, "Invalid value for '--date': '%s' is not YYYYMMDD", date);
		f.date = (uint32_t)strtoul(date, NULL, 16);
	} else if (ens_date_resolve(NULL, &f.date, &err)) {
		return cli_error(&err);
	}
	if (in_hash) {
		if (ens_unhex(argv[optind], f.enclavehash, 32))
			return cli_usage_error(usage, "--in-hash: '%s' is not 64 hex digits", argv[optind]);
	} else {
		int r = cli_expect_kind(argv[optind], ENS_KBIT(ENS_K_SGXS) | ENS_KBIT(ENS_K_SGXS_UNSIZED), "an SGXS file");

		if (r)
			return r;
		if (ens_check_not_same(argv[optind], argv[optind + 1], &err) ||
		    ens_sgxs_mrenclave(argv[optind], f.enclavehash, NULL, &err))
			return cli_error(&err);
	}
	ens_sigstruct_build(&s, &f);
	if (cli_sign_sigstruct(&s, &so, &err) < 0)
		return cli_error(&err);
	if (verify_key && resign_verify(verify_key, argv[optind + 1], &s, &err))
		return cli_error(&err);
	if (cli_write_sigstruct(argv[optind + 1], &s, &err))
		return cli_error(&err);
	{
		char hex[65];

		ens_hex(s.enclavehash, 32, hex);
		printf("ENCLAVEHASH: %s (OK)\n", hex);
	}
	return 0;
}
