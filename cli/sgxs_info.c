/* `ensign info FILE.sgxs [--pages] [--json]`: what an SGXS file holds. CLI
 * stage: streams the file through the SGXS reader into a statistics sink
 * (and the measurement sink), then prints a summary or one line per page. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "ensign/measure.h"
#include "ensign/sgxs.h"

#define MAX_KINDS 64

struct kind { uint64_t secinfo, pages; };
struct stats {
	bool list, json;
	uint64_t pages, full, partial, unmeasured_only, empty, tcs;
	uint64_t chunks_measured, chunks_unmeasured;
	struct kind kinds[MAX_KINDS];
	unsigned nkinds;
	uint64_t listed;
};

static const char *type_name(uint64_t secinfo)
{
	switch ((secinfo & ENS_SECINFO_PT_MASK) >> ENS_SECINFO_PT_SHIFT) {
	case ENS_PT_SECS: return "SECS";
	case ENS_PT_TCS: return "TCS";
	case ENS_PT_REG: return "REG";
	case ENS_PT_VA: return "VA";
	case ENS_PT_TRIM: return "TRIM";
	default: return "?";
	}
}

static void perms(uint64_t secinfo, char out[4])
{
	out[0] = (secinfo & ENS_SECINFO_R) ? 'r' : '-';
	out[1] = (secinfo & ENS_SECINFO_W) ? 'w' : '-';
	out[2] = (secinfo & ENS_SECINFO_X) ? 'x' : '-';
	out[3] = 0;
}

static int st_ecreate(void *ctx, uint32_t ssa, uint64_t size, struct ens_err *err) { return 0; }

static int st_page(void *ctx, const struct ens_page *pg, struct ens_err *err)
{
	struct stats *s = ctx;
	s->pages++;
	s->chunks_measured += (uint64_t)__builtin_popcount(pg->eextend_mask);
	s->chunks_unmeasured += (uint64_t)__builtin_popcount(pg->unmeasured_mask);
	if (pg->eextend_mask == 0xffff)
		s->full++;
	else if (pg->eextend_mask)
		s->partial++;
	else if (pg->unmeasured_mask)
		s->unmeasured_only++;
	else
		s->empty++;
	if ((pg->secinfo_flags & ENS_SECINFO_PT_MASK) == ENS_SECINFO_TCS)
		s->tcs++;
	unsigned k;
	for (k = 0; k < s->nkinds && s->kinds[k].secinfo != pg->secinfo_flags; k++)
		;
	if (k == s->nkinds && k < MAX_KINDS)
		s->kinds[s->nkinds++].secinfo = pg->secinfo_flags;
	if (k < MAX_KINDS)
		s->kinds[k].pages++;
	if (s->list) {
		char p[4];
		perms(pg->secinfo_flags, p);
		if (s->json)
			printf("%s\n    {\"offset\": \"0x%llx\", \"secinfo\": \"0x%llx\", \"type\": \"%s\", \"perms\": \"%s\", "
			       "\"measured_chunks\": \"0x%04x\", \"unmeasured_chunks\": \"0x%04x\"}",
			       s->listed ? "," : "", (unsigned long long)pg->offset,
			       (unsigned long long)pg->secinfo_flags, type_name(pg->secinfo_flags), p,
			       pg->eextend_mask, pg->unmeasured_mask);
		else
			printf("0x%012llx  %-4s %s  0x%03llx  measured 0x%04x  unmeasured 0x%04x%s\n",
			       (unsigned long long)pg->offset, type_name(pg->secinfo_flags), p,
			       (unsigned long long)pg->secinfo_flags, pg->eextend_mask, pg->unmeasured_mask,
			       (pg->eextend_mask && pg->eextend_mask != 0xffff) ? "  (partially measured)" : "");
		s->listed++;
	}
	return 0;
}

static void print_summary(const char *path, const struct ens_sgxs_summary *sum, const struct stats *s,
			  const char *mr, bool json)
{
	if (json) {
		printf("\"file\": ");
		cli_json_str(path);
		printf(", \"format\": \"sgxs\", \"unsized\": %s, ", sum->unsized ? "true" : "false");
		if (sum->unsized)
			printf("\"size_slot\": \"0x%llx\", ", (unsigned long long)sum->unsized_slot);
		else
			printf("\"size\": \"0x%llx\", ", (unsigned long long)sum->size);
		printf("\"ssaframesize\": %u, \"pages\": %llu, \"tcs\": %llu, \"fully_measured\": %llu, "
		       "\"partially_measured\": %llu, \"unmeasured\": %llu, \"chunks_measured\": %llu, "
		       "\"chunks_unmeasured\": %llu, \"by_secinfo\": {",
		       sum->ssaframesize, (unsigned long long)s->pages, (unsigned long long)s->tcs,
		       (unsigned long long)s->full, (unsigned long long)s->partial,
		       (unsigned long long)(s->unmeasured_only + s->empty), (unsigned long long)s->chunks_measured,
		       (unsigned long long)s->chunks_unmeasured);
		for (unsigned k = 0; k < s->nkinds; k++)
			printf("%s\"0x%llx\": %llu", k ? ", " : "", (unsigned long long)s->kinds[k].secinfo,
			       (unsigned long long)s->kinds[k].pages);
		printf("}, \"mrenclave\": ");
		if (mr)
			printf("\"%s\"", mr);
		else
			printf("null");
		return;
	}
	printf("file:               %s\nformat:             SGXS%s\n", path, sum->unsized ? " (unsized)" : "");
	if (sum->unsized)
		printf("size:               not yet set (size slot at 0x%llx; finalize with ensign append -i)\n",
		       (unsigned long long)sum->unsized_slot);
	else
		printf("size:               0x%llx\n", (unsigned long long)sum->size);
	printf("ssaframesize:       %u\n", sum->ssaframesize);
	printf("pages:              %llu (%llu TCS)\n", (unsigned long long)s->pages, (unsigned long long)s->tcs);
	for (unsigned k = 0; k < s->nkinds; k++) {
		char p[4];
		perms(s->kinds[k].secinfo, p);
		printf("  %-4s %s (0x%03llx): %llu\n", type_name(s->kinds[k].secinfo), p,
		       (unsigned long long)s->kinds[k].secinfo, (unsigned long long)s->kinds[k].pages);
	}
	printf("fully measured:     %llu\npartially measured: %llu\nunmeasured:         %llu\n",
	       (unsigned long long)s->full, (unsigned long long)s->partial,
	       (unsigned long long)(s->unmeasured_only + s->empty));
	printf("chunks:             %llu measured (EEXTEND), %llu unmeasured (UNMEASRD)\n",
	       (unsigned long long)s->chunks_measured, (unsigned long long)s->chunks_unmeasured);
	printf("mrenclave:          %s\n", mr ? mr : "none (unsized: finalize it first)");
}

int cli_sgxs_info(const char *path, int argc, char **argv, bool json)
{
	struct stats st;
	memset(&st, 0, sizeof st);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--pages") == 0)
			st.list = true;
	st.json = json;

	struct ens_err err = { 0 };
	static struct ens_measure m;	/* large batch buffer: keep it off the stack */
	if (ens_measure_init(&m, &err))
		return cli_error(&err);
	struct ens_sink stat_sink = { .ctx = &st, .ecreate = st_ecreate, .page = st_page };
	struct ens_sink measure_sink, tee;
	struct ens_tee t = { .to = { &stat_sink, &measure_sink }, .n = 2 };
	ens_sink_measure(&measure_sink, &m);
	ens_sink_tee(&tee, &t);
	struct ens_sgxs_opts o = { .canonical = true, .allow_unsized = true };
	struct ens_sgxs_summary sum;
	memset(&sum, 0, sizeof sum);

	if (json)
		printf("{");
	if (st.list && json)
		printf("\"pages_list\": [");
	else if (st.list)
		printf("%-14s  %-4s %s  %-5s  %s\n", "offset", "type", "prm", "flags", "chunks");
	int rc = ens_sgxs_read(path, &o, &tee, &sum, &err);
	uint8_t mr[32];
	char hex[65];
	bool have_mr = false;
	if (rc == 0 && !sum.unsized) {
		if (ens_measure_final(&m, mr, &err))
			rc = -1;
		else
			have_mr = true;
	}
	ens_measure_free(&m);
	if (rc) {
		if (json || st.listed)
			fflush(stdout);
		return cli_error(&err);
	}
	if (st.list)
		printf(json ? "\n  ], " : "\n");
	if (have_mr)
		ens_hex(mr, 32, hex);
	print_summary(path, &sum, &st, have_mr ? hex : NULL, json);
	if (json)
		printf("}\n");
	return 0;
}
