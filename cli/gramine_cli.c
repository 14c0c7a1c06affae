/* Gramine steps shared by the commands that read a Gramine manifest:
 * parse the TOML, fill in defaults and trusted files, write the
 * .manifest.sgx bytes, parse them again as Gramine does, and measure them
 * with libpal, printing the §1.3 report as the work goes on. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "cli.h"
#include "gramine_cli.h"

int gr_read_manifest(const char *path, char **text, size_t *len, struct ens_err *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0, cap = 0, o = 0;

	if (!f)
		return ens_fail_errno(err, "cannot open '%s'", path);
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *b = nc > (256u << 20) ? NULL : realloc(buf, nc);
			if (!b) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return ens_fail(err, ENS_E_NOMEM, "'%s': manifest too large", path);
			}
			buf = b;
			cap = nc;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	bool bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		free(buf);
		return ens_fail_errno(err, "cannot read '%s'", path);
	}
	/* universal newlines: CRLF and lone CR become LF */
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\r') {
			buf[o++] = '\n';
			if (i + 1 < n && buf[i + 1] == '\n')
				i++;
		} else {
			buf[o++] = buf[i];
		}
	}
	*text = buf;
	*len = o;
	return 0;
}

const char *gr_pkglibdir(void)
{
	const char *p = getenv("ENSIGN_GRAMINE_PKGLIBDIR");
	return p && *p ? p : ENS_GR_PKGLIBDIR;
}

const char *gr_default_libpal(void)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/sgx/libpal.so", gr_pkglibdir());
	return buf;
}

int gr_parse_date(const char *s, uint32_t *bcd)
{
	unsigned y, m, d;

	if (!strcasecmp(s, "today")) {
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		y = (unsigned)tm.tm_year + 1900;
		m = (unsigned)tm.tm_mon + 1;
		d = (unsigned)tm.tm_mday;
	} else {
		if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
			return -1;
		for (int i = 0; i < 10; i++)
			if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
				return -1;
		y = (unsigned)strtoul(s, NULL, 10);
		m = (unsigned)strtoul(s + 5, NULL, 10);
		d = (unsigned)strtoul(s + 8, NULL, 10);
	}
	/* the decimal digits stored as hex digits (§5.3) */
	unsigned yb = (y / 1000 % 10) << 12 | (y / 100 % 10) << 8 | (y / 10 % 10) << 4 | y % 10;
	*bcd = (uint32_t)yb << 16 | (m / 10 % 10) << 12 | (m % 10) << 8 | (d / 10 % 10) << 4 | d % 10;
	return 0;
}

static void rep_memory(void *ctx)
{
	printf("Memory:\n");
}

static void rep_area(void *ctx, const struct ens_gr_area *a)
{
	printf("    %016llx-%016llx [%s:%c%c%c] (%s)%s\n", (unsigned long long)a->start, (unsigned long long)a->end,
	       (a->flags & ENS_SECINFO_TCS) ? "TCS" : "REG",
	       (a->flags & ENS_SECINFO_R) ? 'R' : '-', (a->flags & ENS_SECINFO_W) ? 'W' : '-',
	       (a->flags & ENS_SECINFO_X) ? 'X' : '-', a->desc, a->measured ? " measured" : "");
}

static void warn_cb(void *ctx, const char *msg)
{
	cli_warn("%s", msg);
}

static int parse(const char *name, const char *text, size_t len, struct ens_toml **root, struct ens_err *err)
{
	*root = ens_toml_parse(text, len, err, NULL, NULL);
	if (!*root)
		return ens_err_prefix(err, "'%s': TOMLDecodeError", name);
	return 0;
}

int gr_build_run(struct gr_build *b, const char *text, size_t len, struct ens_err *err)
{
	struct ens_toml *in = NULL;
	struct ens_gr_pal pal;
	int rc = -1;

	if (parse(b->name, text, len, &in, err))
		return -1;
	if (b->expand) {
		struct ens_gr_expand_opts o = { .chroot = b->chroot, .pkglibdir = b->pkglibdir ? b->pkglibdir : gr_pkglibdir(),
						.warn = warn_cb };
		if (ens_gr_expand(in, &o, &b->deps, err)) {
			b->missing_file = b->deps.missing_file;
			ens_toml_free(in);
			if (err->msg[0] != '\'')
				ens_err_prefix(err, "'%s'", b->name);
			return -1;
		}
		b->sgx = ens_toml_write(in, &b->sgx_len, err);
		ens_toml_free(in);
		if (!b->sgx)
			return -1;
		/* the bytes written are what is measured: parse them again (§1.1 step 7) */
		if (parse(b->name, b->sgx, b->sgx_len, &b->root, err))
			return -1;
	} else {
		b->root = in;
		if (!(b->sgx = malloc(len + 1)))
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		memcpy(b->sgx, text, len);
		b->sgx_len = len;
	}
	if (ens_gr_attrs(b->root, &b->attrs, err))
		return ens_err_prefix(err, "'%s'", b->name);
	const struct ens_gr_attrs *a = &b->attrs;
	if (b->verbose) {
		printf("Attributes (required for enclave measurement):\n    size:        %s\n    edmm:        %s\n"
		       "    max_threads: %s\nSGX remote attestation:\n    %s\n", a->size_text, a->edmm_text, a->threads_text,
		       a->ra_text);
		fflush(stdout);
	}
	if (!a->threads_ok)
		return ens_fail(err, ENS_E_FORMAT, "'%s': %s", b->name, a->threads_err);
	if (!ens_is_pow2(a->enclave_size))
		cli_warn("'%s': sgx.enclave_size %s is not a power of two: the enclave will not start (ECREATE fails)",
			 b->name, a->size_text);
	if (a->max_threads == 0 || a->max_threads > 4096)
		cli_warn("'%s': sgx.max_threads %s: Gramine's loader accepts 1 to 4096 threads", b->name,
			 a->threads_text);
	if (ens_gr_pal_open(b->libpal, &pal, err))
		return -1;
	if (!pal.x86_64)
		cli_warn("libpal '%s' is not an x86-64 ELF64 file; it is measured as Gramine does (e_entry and "
			 "PT_LOAD only), but no SGX enclave runs it", b->libpal);
	struct ens_gr_layout_in li = { .manifest = (const uint8_t *)b->sgx, .manifest_len = b->sgx_len,
				       .enclave_size = a->enclave_size, .max_threads = a->max_threads, .edmm = a->edmm };
	struct ens_gr_report rep = { .memory = rep_memory, .area = rep_area };
	rc = ens_gr_mrenclave(&li, &pal, b->verbose ? &rep : NULL, b->mrenclave, err);
	ens_gr_pal_close(&pal);
	if (rc) {
		if (err->msg[0] != '\'')
			ens_err_prefix(err, "'%s'", b->name);
		return -1;
	}
	if (b->verbose) {
		char hex[65];
		ens_hex(b->mrenclave, 32, hex);
		printf("Measurement:\n    %s\n", hex);
	}
	return 0;
}

void gr_build_free(struct gr_build *b)
{
	free(b->sgx);
	b->sgx = NULL;
	ens_toml_free(b->root);
	b->root = NULL;
	ens_gr_expanded_free(&b->deps);
}
