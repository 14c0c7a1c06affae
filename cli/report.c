/* All terminal output of the CLI goes through here: messages on stderr and
 * the SIGSTRUCT report (text and JSON) on stdout. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

const char *cli_prog = "ensign";
const char *cli_passphrase_file;

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", cli_prog, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(const struct ens_err *err)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", cli_prog, err->msg[0] ? err->msg : ens_strerror(err->code));
	return err->code == ENS_E_USAGE ? EXIT_USAGE : 1;
}

int cli_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	return 1;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("note: ", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	if (usage)
		cli_print_usage(stderr, usage);
	return EXIT_USAGE;
}

void cli_print_usage(FILE *f, const char *usage)
{
	/* "ensign elf2sgxs ..." under the name ftxsgx-elf2sgxs reads "ftxsgx-elf2sgxs ..." */
	if (strcmp(cli_prog, "ensign") && !strncmp(usage, "ensign ", 7)) {
		const char *rest = usage + 7;

		/* scone-signer sign, myst package-sgx: the tool's own verb follows */
		if (!strcmp(cli_prog, "scone-signer"))
			rest = usage + 6;
		else
			rest += strcspn(rest, " \n");
		if (!strcmp(cli_prog, "myst")) {
			fprintf(f, "usage: myst package-sgx%s\n", rest);
			return;
		}
		fprintf(f, "usage: %s%s\n", cli_prog, rest);
		return;
	}
	fprintf(f, "usage: %s\n", usage);
}

void cli_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const struct { uint64_t bit; const char *name; } attr_names[] = {
	{ ENS_ATTR_INIT, "INIT" }, { ENS_ATTR_DEBUG, "DEBUG" }, { ENS_ATTR_MODE64BIT, "MODE64BIT" },
	{ ENS_ATTR_PROVISIONKEY, "PROVISIONKEY" }, { ENS_ATTR_EINITTOKEN_KEY, "EINITTOKEN_KEY" },
	{ ENS_ATTR_CET, "CET" }, { ENS_ATTR_KSS, "KSS" }, { ENS_ATTR_AEXNOTIFY, "AEXNOTIFY" },
};
static const struct { uint64_t bits; const char *name; } xfrm_names[] = {
	{ 0x3, "LEGACY" }, { 0x4, "AVX" }, { 0x18, "MPX" }, { 0xe0, "AVX512" }, { 0x200, "PKRU" },
	{ 0x60000, "AMX" },
};

static void names(char *buf, size_t len, uint64_t v, bool xfrm)
{
	size_t n = 0;
	uint64_t known = 0;

	buf[0] = 0;
	if (!xfrm) {
		for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
			known |= attr_names[i].bit;
			if (v & attr_names[i].bit)
				n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", attr_names[i].name);
		}
	} else {
		for (size_t i = 0; i < sizeof xfrm_names / sizeof xfrm_names[0]; i++) {
			known |= xfrm_names[i].bits;
			if ((v & xfrm_names[i].bits) == xfrm_names[i].bits)
				n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", xfrm_names[i].name);
		}
	}
	if ((v & ~known) && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s0x%llx", n ? "|" : "", (unsigned long long)(v & ~known));
	if (!n)
		snprintf(buf, len, "none");
}

/* The SIGSTRUCT fields both reports print as text. */
struct sig_text {
	char mr[65], signer[65], fam[33], ext[33], date[16];
	const char *encoding;	/* "bcd", "binary" (u16 year, u8 month, u8 day) or "unknown" */
};

static void sig_text(const struct ens_sigstruct *s, struct sig_text *t)
{
	uint8_t mrsigner[32];

	ens_hex(s->enclavehash, 32, t->mr);
	ens_sigstruct_mrsigner(s, mrsigner);
	ens_hex(mrsigner, 32, t->signer);
	ens_hex(s->isvfamilyid, 16, t->fam);
	ens_hex(s->isvextprodid, 16, t->ext);
	ens_date_format(s->date, t->date, sizeof t->date);
	t->encoding = ens_date_is_bcd(s->date) ? "bcd" : "unknown";
	if (!ens_date_is_bcd(s->date)) {
		unsigned y, m, d;

		if (ens_date_binary(s->date, &y, &m, &d)) {
			snprintf(t->date, sizeof t->date, "%04u-%02u-%02u", y, m, d);
			t->encoding = "binary";
		}
	}
}

void cli_json_sigstruct_members(const struct ens_sigstruct *s)
{
	struct sig_text t;

	sig_text(s, &t);
	printf("\"mrenclave\": \"%s\", \"mrsigner\": \"%s\", \"isvprodid\": %u, \"isvsvn\": %u, "
	       "\"debug\": %s, \"attributes\": {\"flags\": \"0x%016llx\", \"xfrm\": \"0x%016llx\"}, "
	       "\"attributemask\": {\"flags\": \"0x%016llx\", \"xfrm\": \"0x%016llx\"}, "
	       "\"miscselect\": \"0x%08x\", \"miscmask\": \"0x%08x\", \"isvfamilyid\": \"%s\", "
	       "\"isvextprodid\": \"%s\", \"date\": \"%s\", \"date_encoding\": \"%s\", \"date_raw\": \"0x%08x\", "
	       "\"vendor\": \"0x%08x\", "
	       "\"swdefined\": %u, \"cet_attributes\": %u, \"cet_attributes_mask\": %u, \"exponent\": %u",
	       t.mr, t.signer, s->isvprodid, s->isvsvn, (s->attributes & ENS_ATTR_DEBUG) ? "true" : "false",
	       (unsigned long long)s->attributes, (unsigned long long)s->xfrm,
	       (unsigned long long)s->attributes_mask, (unsigned long long)s->xfrm_mask,
	       s->miscselect, s->miscmask, t.fam, t.ext, t.date, t.encoding, s->date, s->vendor, s->swdefined,
	       s->cet_attributes, s->cet_attributes_mask, s->exponent);
}

void cli_print_sigstruct(const struct ens_sigstruct *s, bool json, const char *ind)
{
	char a[160], x[160];
	struct sig_text t;

	if (!ind)
		ind = "";
	if (json) {
		putchar('{');
		cli_json_sigstruct_members(s);
		putchar('}');
		return;
	}
	sig_text(s, &t);
	printf("%smrenclave:       %s\n", ind, t.mr);
	printf("%smrsigner:        %s\n", ind, t.signer);
	printf("%sisvprodid:       %u\n", ind, s->isvprodid);
	printf("%sisvsvn:          %u\n", ind, s->isvsvn);
	names(a, sizeof a, s->attributes, false);
	names(x, sizeof x, s->xfrm, true);
	printf("%sattributes:      0x%016llx (%s)\n", ind, (unsigned long long)s->attributes, a);
	printf("%sxfrm:            0x%016llx (%s)\n", ind, (unsigned long long)s->xfrm, x);
	printf("%sattributemask:   0x%016llx\n", ind, (unsigned long long)s->attributes_mask);
	printf("%sxfrmmask:        0x%016llx\n", ind, (unsigned long long)s->xfrm_mask);
	printf("%smode:            %s\n", ind,
	       (s->attributes & ENS_ATTR_DEBUG) ? "debug" :
	       (s->attributes_mask & ENS_ATTR_DEBUG) ? "production (debug launch refused)" :
	       "debug or production (DEBUG not enforced)");
	printf("%smiscselect:      0x%08x\n", ind, s->miscselect);
	printf("%smiscmask:        0x%08x\n", ind, s->miscmask);
	printf("%scet:             0x%02x/0x%02x\n", ind, s->cet_attributes, s->cet_attributes_mask);
	printf("%sisvfamilyid:     %s\n", ind, t.fam);
	printf("%sisvextprodid:    %s\n", ind, t.ext);
	if (!strcmp(t.encoding, "binary"))
		printf("%sdate:            %s (0x%08x: binary u16 year, u8 month, u8 day, not BCD)\n", ind, t.date,
		       s->date);
	else
		printf("%sdate:            %s%s\n", ind, t.date, ens_date_is_bcd(s->date) ? "" : " (not BCD)");
	printf("%svendor:          0x%08x%s\n", ind, s->vendor, s->vendor == 0x8086 ? " (Intel)" : "");
	printf("%sswdefined:       0x%08x\n", ind, s->swdefined);
	printf("%sexponent:        %u\n", ind, s->exponent);
	if (s->header[15] & 0x80)
		printf("%sheader:          type bit 31 set (Intel ReleaseType)\n", ind);
}
