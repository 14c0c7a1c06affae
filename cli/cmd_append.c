/* ensign append (and the sgxs-append personality): finalize an unsized SGXS
 * and append files to it, with sgxs-append's exact argument syntax. CLI
 * stage over ens_sgxs_append (lib/back/sgxs_append.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "ensign/probe.h"
#include "ensign/fortanix.h"
#include "ensign/io.h"

static const char usage[] =
	"ensign append [-i|--] IN.sgxs [-MODE FILE | -align N]... [-o OUT] [--compat-permission-bug]\n"
	"  MODE: any of r w x (permissions) and m (measured), e.g. -rm cfg.txt; '-' alone: none\n"
	"  without -i or -o the result goes to stdout";

static int parse_mode(const char *arg, struct ens_append_item *it)
{
	if (arg[0] != '-')
		return -1;
	it->secinfo_perms = 0;
	it->measured = false;
	for (const char *p = arg + 1; *p; p++) {
		switch (*p) {
		case 'r': it->secinfo_perms |= ENS_SECINFO_R; break;
		case 'w': it->secinfo_perms |= ENS_SECINFO_W; break;
		case 'x': it->secinfo_perms |= ENS_SECINFO_X; break;
		case 'm': it->measured = true; break;
		default: return -1;
		}
	}
	return 0;
}

static int parse_decimal(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static void warn_partial(void *ctx, uint64_t page, uint16_t mask)
{
	cli_warn("page 0x%llx is partially measured (measured chunk mask 0x%04x): the Linux SGX driver can only load fully measured or unmeasured pages",
		 (unsigned long long)page, mask);
}
static void warn_compat(void *ctx, const char *msg) { cli_warn("%s", msg); }

int cmd_append(int argc, char **argv)
{
	bool in_place = false, compat = false, dashdash = false;
	const char *output = NULL;
	int i = 1;
	if (i < argc && strcmp(argv[i], "-i") == 0) {
		in_place = true;
		i++;
	} else if (i < argc && strcmp(argv[i], "--in-place") == 0) {
		in_place = true;
		i++;
	} else if (i < argc && strcmp(argv[i], "--") == 0) {
		i++;
		dashdash = true;
	}
	if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
		cli_print_usage(stdout, usage);
		return 0;
	}
	if (i >= argc)
		return cli_usage_error(usage, "missing input SGXS file");
	if (!dashdash && argv[i][0] == '-' && argv[i][1])
		return cli_usage_error(usage, "unknown option '%s' (a file name starting with '-' goes after --)", argv[i]);
	const char *input = argv[i++];
	int kr = cli_expect_kind(input, ENS_KBIT(ENS_K_SGXS) | ENS_KBIT(ENS_K_SGXS_UNSIZED), "an SGXS file");
	if (kr)
		return kr;
	struct ens_append_item *items = calloc((size_t)argc, sizeof *items);
	if (!items)
		return cli_errorf("out of memory");
	unsigned n = 0;
	int rc = EXIT_USAGE;
	while (i < argc) {
		const char *a = argv[i++];
		if (strcmp(a, "--compat-permission-bug") == 0) {
			compat = true;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (i >= argc) {
				cli_usage_error(usage, "%s needs a file name", a);
				goto out;
			}
			output = argv[i++];
		} else if (strcmp(a, "-align") == 0) {
			if (i >= argc || parse_decimal(argv[i], &items[n].align) || !ens_is_pow2(items[n].align)) {
				cli_usage_error(usage, "-align needs a decimal power of two, got '%s'", i < argc ? argv[i] : "");
				goto out;
			}
			items[n++].is_align = true;
			i++;
		} else if (parse_mode(a, &items[n]) == 0) {
			if (i >= argc) {
				cli_usage_error(usage, "mode '%s' needs a file", a);
				goto out;
			}
			items[n++].path = argv[i++];
		} else {
			cli_usage_error(usage, "invalid argument '%s' (expected -MODE FILE with MODE from 'rwxm', or -align N)", a);
			goto out;
		}
	}
	if (in_place && output) {
		cli_usage_error(usage, "-i and -o cannot be combined");
		goto out;
	}
	mode_t out_mode = 0644;
	if (in_place) {
		rc = 1;
		/* Keep the file's mode. A file its mode does not let this user write is
		 * refused; root may write any file, as Fortanix's sgxs-append (which
		 * writes in place) does, so root gets a warning instead. */
		struct stat st;
		if (stat(input, &st)) {
			cli_errorf("cannot open '%s': %s", input, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			cli_errorf("'%s' is not a regular file: -i replaces a regular file", input);
			goto out;
		}
		mode_t w = geteuid() == 0 ? (S_IWUSR | S_IWGRP | S_IWOTH)
			 : geteuid() == st.st_uid ? S_IWUSR : (getegid() == st.st_gid || group_member(st.st_gid)) ? S_IWGRP : S_IWOTH;
		if (!(st.st_mode & w)) {
			if (geteuid() != 0) {
				cli_errorf("'%s' is read-only (mode %04o): append -i does not replace it (make it writable, or use -o)",
					   input, (unsigned)(st.st_mode & 07777));
				goto out;
			}
			cli_warn("'%s' is read-only (mode %04o); replacing it as root, as sgxs-append does, and keeping its mode",
				  input, (unsigned)(st.st_mode & 07777));
		}
		out_mode = st.st_mode & 0777;
		output = input;
	}

	struct ens_append_opts o = { .items = items, .nitems = n, .compat_permission_bug = compat,
				     .warn_partial = warn_partial, .warn_compat = warn_compat };
	struct ens_append_result res;
	struct ens_err err = { 0 };
	rc = 1;
	for (unsigned k = 0; k < n; k++)
		if (!items[k].is_align && output &&
		    (ens_check_not_same(items[k].path, output, &err))) {
			cli_error(&err);
			goto out;
		}
	if (!output) {
		if (ens_sgxs_append(input, &o, stdout, &res, &err) || fflush(stdout) != 0) {
			if (!err.msg[0])
				ens_fail_errno(&err, "cannot write to stdout");
			cli_error(&err);
			goto out;
		}
	} else {
		struct ens_out out;
		if (ens_out_open(&out, output, out_mode, &err)) {
			cli_error(&err);
			goto out;
		}
		if (ens_sgxs_append(input, &o, out.fp, &res, &err) || ens_out_commit(&out, &err)) {
			ens_out_abort(&out);
			cli_error(&err);
			goto out;
		}
	}
	rc = 0;
out:
	free(items);
	return rc;
}
