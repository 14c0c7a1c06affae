/* The gramine-sgx-sigstruct-view personality (gramine-format.md §6): text,
 * JSON and TOML output byte-identical to Gramine v1.9. Beyond Gramine: a
 * SIGSTRUCT of an older Gramine release, whose DATE is binary (u16 year, u8
 * month, u8 day) instead of BCD, is shown with the date decoded and marked
 * as the old encoding, where Gramine's viewer stops with a ValueError. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage[] =
	"gramine-sgx-sigstruct-view [-v|--verbose / -q|--quiet] [--output-format text|toml|json] SIGFILE [FILE]";

/* A BCD byte group read as Gramine does: hex text read back as decimal; -1
 * when the hex text has a digit a-f. */
static long bcd_value(unsigned v)
{
	long r = 0, m = 1;

	if (!v)
		return 0;
	while (v) {
		unsigned d = v & 0xf;
		if (d > 9)
			return -1;
		r += (long)d * m;
		m *= 10;
		v >>= 4;
	}
	return r;
}

struct field {
	const char *name;
	enum { F_STR, F_INT, F_BOOL } kind;
	char s[80];
	unsigned long long i;
	bool b;
	bool verbose_only;
};

int cmd_gramine_view(int argc, char **argv)
{
	enum { O_FORMAT = 0x3100 };
	static const struct option longopts[] = {
		{ "verbose", no_argument, 0, 'v' },
		{ "quiet", no_argument, 0, 'q' },
		{ "output-format", required_argument, 0, O_FORMAT },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *fmt = "text";
	bool verbose = false;
	struct ens_err err = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': verbose = true; break;
		case 'q': verbose = false; break;
		case O_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "toml") && strcmp(optarg, "json"))
				return cli_usage_error(usage, "Invalid value for '--output-format': '%s' is not one of "
						       "'text', 'toml', 'json'.", optarg);
			fmt = optarg;
			break;
		case 'h':
			printf("usage: %s\n\n  Show the fields of a SIGSTRUCT (.sig) as Gramine's viewer does.\n"
			       "  Older binary-encoded DATEs are decoded and marked.\n", usage);
			return 0;
		default:
			return cli_usage_error(usage, "No such option: %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "Missing argument 'SIGFILE'.");
	if (argc - optind > 2)
		return cli_usage_error(usage, "Got unexpected extra argument (%s)", argv[optind + 2]);
	const char *in = argv[optind], *outp = argc - optind > 1 ? argv[optind + 1] : "-";
	if (ens_read_file(strcmp(in, "-") ? in : "/dev/stdin", 1 << 20, &buf, &len, &err))
		return cli_error(&err);
	if (len != ENS_SIGSTRUCT_SIZE) {
		free(buf);
		return cli_errorf("'%s': ValueError: buffer len does not equal 1808 (it is %zu bytes)", in, len);
	}
	struct ens_sigstruct s;
	memcpy(&s, buf, sizeof s);
	free(buf);
	if (memcmp(s.header, ens_sigstruct_header, 16))
		return cli_errorf("'%s': ValueError: header value does not mach", in);
	if (memcmp(s.header2, ens_sigstruct_header2, 16))
		return cli_errorf("'%s': ValueError: header2 value does not mach", in);

	unsigned yr = s.date >> 16, mo = (s.date >> 8) & 0xff, dy = s.date & 0xff;
	long y = bcd_value(yr), m = bcd_value(mo), d = bcd_value(dy);
	bool old = y < 0 || m < 0 || d < 0;
	if (old) {
		y = yr;
		m = mo;
		d = dy;
		cli_warn("'%s': DATE is in the old binary encoding of Gramine releases before BCD dates "
			 "(%04ld-%02ld-%02ld); Gramine's own viewer cannot show it", in, y, m, d);
	}
	uint8_t mrsigner[32];
	struct field f[14];
	int n = 0;
	ens_sigstruct_mrsigner(&s, mrsigner);
	f[n] = (struct field){ .name = "mr_signer", .kind = F_STR };
	ens_hex(mrsigner, 32, f[n++].s);
	f[n] = (struct field){ .name = "mr_enclave", .kind = F_STR };
	ens_hex(s.enclavehash, 32, f[n++].s);
	f[n++] = (struct field){ .name = "isv_prod_id", .kind = F_INT, .i = s.isvprodid };
	f[n++] = (struct field){ .name = "isv_svn", .kind = F_INT, .i = s.isvsvn };
	const struct { const char *name; unsigned long long v; } hx[] = {
		{ "attribute_flags", s.attributes }, { "attribute_xfrms", s.xfrm }, { "misc_select", s.miscselect },
		{ "attribute_flags_mask", s.attributes_mask }, { "attribute_xfrm_mask", s.xfrm_mask },
		{ "misc_mask", s.miscmask },
	};
	for (size_t i = 0; i < 6; i++) {
		f[n] = (struct field){ .name = hx[i].name, .kind = F_STR, .verbose_only = true };
		snprintf(f[n++].s, sizeof f[0].s, "0x%llx", hx[i].v);
	}
	f[n] = (struct field){ .name = "date", .kind = F_STR, .verbose_only = !old };
	snprintf(f[n++].s, sizeof f[0].s, "%04ld-%02ld-%02ld", y, m, d);
	if (old) {
		f[n] = (struct field){ .name = "date_encoding", .kind = F_STR };
		snprintf(f[n++].s, sizeof f[0].s, "binary (old Gramine SIGSTRUCT, not BCD)");
	}
	f[n++] = (struct field){ .name = "debug_enclave", .kind = F_BOOL, .b = (s.attributes & ENS_ATTR_DEBUG) != 0 };

	FILE *o = strcmp(outp, "-") ? fopen(outp, "w") : stdout;
	if (!o)
		return cli_errorf("cannot create '%s': %s", outp, strerror(errno));
	bool json = !strcmp(fmt, "json"), toml = !strcmp(fmt, "toml"), first = true;
	if (json)
		fputs("{", o);
	else if (!toml)
		fputs("Attributes:\n", o);
	for (int i = 0; i < n; i++) {
		if (f[i].verbose_only && !verbose)
			continue;
		if (json) {
			fprintf(o, "%s\n    \"%s\": ", first ? "" : ",", f[i].name);
			if (f[i].kind == F_STR)
				fprintf(o, "\"%s\"", f[i].s);
			else if (f[i].kind == F_INT)
				fprintf(o, "%llu", f[i].i);
			else
				fputs(f[i].b ? "true" : "false", o);
		} else {
			fprintf(o, toml ? "%s = " : "    %s: ", f[i].name);
			if (f[i].kind == F_STR)
				fprintf(o, toml ? "\"%s\"\n" : "%s\n", f[i].s);
			else if (f[i].kind == F_INT)
				fprintf(o, "%llu\n", f[i].i);
			else
				fprintf(o, "%s\n", toml ? (f[i].b ? "true" : "false") : (f[i].b ? "True" : "False"));
		}
		first = false;
	}
	if (json)
		fputs("\n}", o);
	if (o != stdout && fclose(o))
		return cli_errorf("cannot write '%s': %s", outp, strerror(errno));
	return 0;
}
