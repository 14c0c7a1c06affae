/* ensign elf2sgxs (and the ftxsgx-elf2sgxs personality): Fortanix EDP ELF to
 * SGXS. CLI stage: parses ftxsgx-elf2sgxs' options, runs the elf2sgxs front
 * end into the SGXS writer sink, writes the output atomically. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ensign/probe.h"
#include "ensign/fortanix.h"
#include "ensign/io.h"
#include "ensign/sgxs.h"

static const char usage[] =
	"ensign elf2sgxs ELF --heap-size BYTES --stack-size BYTES [--threads N] [--ssaframesize PAGES]\n"
	"                [--debug] [--library] [--unsized] [-o OUT.sgxs]";

/* ftxsgx-elf2sgxs numbers: decimal or lowercase-0x hex, an optional leading '+'. */
int cli_ftx_parse_number(const char *s, const char *opt, uint64_t max, uint64_t *out)
{
	const char *p = s;
	int base = 10;
	if (*p == '+')
		p++;
	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	}
	uint64_t v = 0;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			goto bad;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			goto bad;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	cli_usage_error(usage, "%s: invalid number '%s' (decimal, or hex with a 0x prefix)", opt, s);
	return -1;
}

/* Rust's Path::with_extension("sgxs"): replace the last extension of the file name. */
static void default_output(const char *in, char *out, size_t len)
{
	const char *base = strrchr(in, '/');
	base = base ? base + 1 : in;
	const char *dot = strrchr(base, '.');
	size_t keep = (dot && dot != base) ? (size_t)(dot - in) : strlen(in);
	snprintf(out, len, "%.*s.sgxs", (int)keep, in);
}

/* --unsized: the first record is UNSIZED (slot = ENCLAVE_SIZE), then the pages. */
struct unsized_sink { struct ens_sink inner; FILE *f; uint64_t slot; };
static int unsized_ecreate(void *ctx, uint32_t ssaframesize, uint64_t size, struct ens_err *err)
{
	struct unsized_sink *u = ctx;
	uint8_t rec[64];
	(void)size;
	ens_sgxs_unsized_record(rec, ssaframesize, u->slot);
	if (fwrite(rec, 1, sizeof rec, u->f) != sizeof rec)
		return ens_fail_errno(err, "cannot write the UNSIZED record");
	return 0;
}
static int unsized_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct unsized_sink *u = ctx;
	return u->inner.page(u->inner.ctx, pg, err);
}

int cmd_elf2sgxs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "heap-size", required_argument, 0, 'H' }, { "stack-size", required_argument, 0, 'S' },
		{ "threads", required_argument, 0, 't' }, { "ssaframesize", required_argument, 0, 's' },
		{ "debug", no_argument, 0, 'd' }, { "library", no_argument, 0, 'l' },
		{ "unsized", no_argument, 0, 'u' }, { "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct ens_elf2sgxs_opts o = { .threads = 1, .ssaframesize = 1 };
	bool have_heap = false, have_stack = false;
	const char *output = NULL;
	uint64_t v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:S:t:do:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (cli_ftx_parse_number(optarg, "--heap-size", UINT64_MAX, &o.heap_size))
				return EXIT_USAGE;
			have_heap = true;
			break;
		case 'S':
			if (cli_ftx_parse_number(optarg, "--stack-size", UINT64_MAX, &o.stack_size))
				return EXIT_USAGE;
			have_stack = true;
			break;
		case 't':
			if (cli_ftx_parse_number(optarg, "--threads", UINT32_MAX, &v))
				return EXIT_USAGE;
			o.threads = (uint32_t)v;
			break;
		case 's':
			if (cli_ftx_parse_number(optarg, "--ssaframesize", UINT32_MAX, &v))
				return EXIT_USAGE;
			o.ssaframesize = (uint32_t)v;
			break;
		case 'd': o.debug = true; break;
		case 'l': o.library = true; break;
		case 'u': o.unsized = true; break;
		case 'o': output = optarg; break;
		case 'h': cli_print_usage(stdout, usage); return 0;
		default: return cli_usage_error(usage, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(usage, optind >= argc ? "missing ELF input" : "more than one input file");
	if (!have_heap)
		return cli_usage_error(usage, "--heap-size is required");
	if (!have_stack)
		return cli_usage_error(usage, "--stack-size is required");
	const char *input = argv[optind];
	char outbuf[4096];
	if (!output) {
		default_output(input, outbuf, sizeof outbuf);
		output = outbuf;
	}
	if (o.library)
		cli_warn("library support is experimental");

	struct ens_err err = { 0 };
	struct ens_elf2sgxs *e = NULL;
	int kr = cli_expect_kind(input, ENS_KBIT(ENS_K_ELF_EDP) | ENS_KBIT(ENS_K_ELF_EXEC) | ENS_KBIT(ENS_K_ELF_SHARED) |
				 ENS_KBIT(ENS_K_ELF_OBJECT) | ENS_KBIT(ENS_K_ELF_OTHER), "a Fortanix EDP enclave (ELF)");
	if (kr)
		return kr;
	if (ens_check_not_same(input, output, &err) || ens_elf2sgxs_open(&e, input, &o, &err))
		return err.code == ENS_E_USAGE ? cli_usage_error(usage, "%s", err.msg) : cli_error(&err);

	struct ens_out out;
	if (ens_out_open(&out, output, 0644, &err)) {
		ens_elf2sgxs_close(e);
		return cli_error(&err);
	}
	/* Large blocks: the file is written at the speed of the page cache. */
	static char wbuf[1u << 20];	/* glibc ignores the size without a buffer */
	setvbuf(out.fp, wbuf, _IOFBF, sizeof wbuf);
	struct ens_sgxs_writer w = { .f = out.fp };
	struct ens_sink writer, *sink = &writer;
	ens_sink_sgxs_writer(&writer, &w);
	struct unsized_sink us = { .inner = writer, .f = out.fp, .slot = ens_elf2sgxs_layout(e)->enclave_size_slot };
	struct ens_sink unsized = { .ctx = &us, .ecreate = unsized_ecreate, .page = unsized_page };
	if (o.unsized)
		sink = &unsized;
	int rc = ens_elf2sgxs_emit(e, sink, &err);
	ens_elf2sgxs_close(e);
	if (rc == 0 && w.failed)
		rc = ens_fail_errno(&err, "'%s': write failed", output);
	if (rc || ens_out_commit(&out, &err)) {
		ens_out_abort(&out);
		return cli_error(&err);
	}
	return 0;
}
