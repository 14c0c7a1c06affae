/* The "intel-sdk" input format (an ELF with .note.sgxmeta) for `ensign
 * measure|info|verify FILE`: every metadata block is re-measured from its own
 * patch and layout tables and checked against its SIGSTRUCT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ensign/intel_sdk.h"

#define MAXB 16

bool cli_intel_probe(const char *path, const uint8_t *h, size_t n, uint64_t size);
int cli_intel_measure(const char *path, int argc, char **argv, bool json);
int cli_intel_info(const char *path, int argc, char **argv, bool json);
int cli_intel_verify(const char *path, int argc, char **argv);
int cli_intel_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);

bool cli_intel_probe(const char *path, const uint8_t *h, size_t n, uint64_t size)
{
	if (n < 64 || memcmp(h, "\177ELF", 4))
		return false;
	struct ens_intel_elf e;
	struct ens_intel_elf_opts o = {0};
	struct ens_err err;
	if (ens_intel_elf_open(&e, path, &o, &err))
		return false;
	ens_intel_elf_free(&e);
	return true;
}

struct loaded {
	struct ens_intel_elf e;
	const uint8_t *area;
	size_t offs[MAXB];
	int n;
};

static int load(struct loaded *l, const char *path, struct ens_err *err)
{
	struct ens_intel_elf_opts o = {0};
	if (ens_intel_elf_open(&l->e, path, &o, err))
		return -1;
	l->area = l->e.data + l->e.meta_off;
	l->n = ens_intel_meta_chain(l->area, l->e.meta_size, l->offs, MAXB, err);
	if (l->n < 0) {
		ens_err_prefix(err, "'%s'", path);
		ens_intel_elf_free(&l->e);
		return -1;
	}
	if (l->n == 0) {
		ens_fail(err, ENS_E_FORMAT, "'%s': not signed (its .note.sgxmeta metadata area holds no metadata)", path);
		ens_intel_elf_free(&l->e);
		return -1;
	}
	return 0;
}

static size_t blen(const struct loaded *l, int i) { return l->e.meta_size - l->offs[i]; }

/* "2.4, 2.1, 1.4" */
static void versions_str(const struct loaded *l, char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < l->n; i++) {
		uint64_t v = ens_get_le64(l->area + l->offs[i] + 8);
		size_t k = strlen(buf);
		snprintf(buf + k, len - k, "%s%u.%u", i ? ", " : "", (unsigned)(v >> 32), (unsigned)v);
	}
}

/* The SDK version line: detected version and family, or why it cannot be told. */
static void sdk_str(const struct ens_intel_elf *e, char *buf, size_t len)
{
	char ver[16];
	if (!e->sdk) {
		snprintf(buf, len, "unknown (%s)", e->sdk_why[0] ? e->sdk_why : "no g_global_data");
		return;
	}
	ens_intel_sdk_str(e->sdk, ver, sizeof(ver));
	snprintf(buf, len, "%s (family %s; %s)", ver, ens_intel_sdk_family(e->sdk), e->sdk_why);
}

/* Bytes after the metadata chain: the loader never reads them (Intel's own
 * PSW 2.1 enclaves have some); reported by info, not an error. */
static size_t trailing_bytes(const struct loaded *l, size_t *first)
{
	size_t end = l->offs[l->n - 1] + ens_get_le32(l->area + l->offs[l->n - 1] + 16), cnt = 0;
	*first = 0;
	for (size_t k = end; k < l->e.meta_size; k++)
		if (l->area[k] && !cnt++)
			*first = k;
	return cnt;
}

int cli_intel_mrenclave(const char *path, uint8_t out[32], struct ens_err *err)
{
	struct loaded l;
	if (load(&l, path, err))
		return -1;
	int rc = ens_intel_mrenclave(&l.e, l.area, blen(&l, 0), out, NULL, err);
	ens_intel_elf_free(&l.e);
	return rc;
}

int cli_intel_measure(const char *path, int argc, char **argv, bool json)
{
	uint8_t mr[32];
	char hex[65];
	struct ens_err err;
	if (cli_intel_mrenclave(path, mr, &err))
		return cli_error(&err);
	ens_hex(mr, 32, hex);
	if (json)
		printf("{\"format\": \"intel-sdk\", \"mrenclave\": \"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	return 0;
}

static void version_str(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", (unsigned)(v >> 32), (unsigned)v);
}

/* Header fields the loader trusts but neither MRENCLAVE nor the signature
 * covers directly: tie them to the SIGSTRUCT and to the measured g_global_data. */
static int cross_check(const struct loaded *l, int i, char *why, size_t len)
{
	struct ens_intel_meta h;
	memcpy(&h, l->area + l->offs[i], sizeof(h));
	const struct ens_sigstruct *c = &h.css;
	if (h.attr_flags != c->attributes)
		return snprintf(why, len, "metadata attributes.flags 0x%llx differ from the SIGSTRUCT's 0x%llx",
				(unsigned long long)h.attr_flags, (unsigned long long)c->attributes), -1;
	/* SDKs before 2.22 wrote desired_misc_select 0 and a raw MISCSELECT */
	if (h.desired_misc_select && (h.desired_misc_select & c->miscmask) != c->miscselect)
		return snprintf(why, len, "metadata desired_misc_select 0x%x does not match SIGSTRUCT MISCSELECT 0x%x",
				h.desired_misc_select, c->miscselect), -1;
	if (ens_intel_meta_new_format(h.version) && (h.attr_xfrm & c->xfrm_mask) != (c->xfrm & c->xfrm_mask))
		return snprintf(why, len, "metadata attributes.xfrm 0x%llx is not allowed by the SIGSTRUCT XFRM/XFRMMASK",
				(unsigned long long)h.attr_xfrm), -1;
	if (i > 0 && memcmp(l->area + l->offs[0] + 64, c, sizeof(*c)))
		return snprintf(why, len, "its SIGSTRUCT differs from block 0's"), -1;
	/* sgx_sign's compatible copy shares every byte with the first block but
	 * the version, size, layout directory and layout table. */
	if (i > 0) {
		struct ens_intel_meta h0;
		memcpy(&h0, l->area + l->offs[0], sizeof(h0));
		bool nf = ens_intel_meta_new_format(h.version);
		uint32_t hdr = nf ? 1904 : 1888;	/* 2 dirs before SDK 2.24 */
		if (nf == ens_intel_meta_new_format(h0.version)) {
			uint32_t lo = h.dirs[ENS_INTEL_DIR_LAYOUT].offset;
			if (lo == h0.dirs[ENS_INTEL_DIR_LAYOUT].offset && lo >= hdr &&
			    (memcmp((const uint8_t *)&h + 20, (const uint8_t *)&h0 + 20, 1872 - 20 + 8) ||
			     memcmp(l->area + l->offs[i] + hdr, l->area + l->offs[0] + hdr, lo - hdr)))
				return snprintf(why, len, "it differs from block 0 outside its layout table"), -1;
		}
	}
	uint32_t pol, xs;
	if (h.dirs[ENS_INTEL_DIR_PATCH].size >= 32) {
		struct ens_intel_patch p;
		memcpy(&p, l->area + l->offs[i] + h.dirs[ENS_INTEL_DIR_PATCH].offset, sizeof(p));
		if (!ens_intel_gd_offsets(p.size, &pol, &xs) && (uint64_t)p.src + p.size <= h.size) {
			const uint8_t *g = l->area + l->offs[i] + p.src;
			if (ens_get_le64(g + pol) != h.tcs_policy)
				return snprintf(why, len, "metadata tcs_policy %u differs from g_global_data's %llu",
						h.tcs_policy, (unsigned long long)ens_get_le64(g + pol)), -1;
			/* before SDK 2.18 max_save_buffer_size was the constant 2632 (no xsave size is) */
			if (h.max_save_buffer_size != 2632 && ens_get_le64(g + xs) != h.max_save_buffer_size)
				return snprintf(why, len, "metadata max_save_buffer_size 0x%x differs from g_global_data's",
						h.max_save_buffer_size), -1;
		}
	}
	return 0;
}

int cli_intel_verify(const char *path, int argc, char **argv)
{
	struct loaded l;
	struct ens_err err;
	if (load(&l, path, &err))
		return cli_error(&err);
	int bad = 0;
	uint8_t mr0[32];
	for (int i = 0; i < l.n; i++) {
		struct ens_intel_meta h;
		char ver[32], why[256] = "", hex[65], want[65];
		uint8_t mr[32];
		uint64_t pages = 0;
		memcpy(&h, l.area + l.offs[i], sizeof(h));
		version_str(h.version, ver, sizeof(ver));
		if (ens_intel_mrenclave(&l.e, l.area + l.offs[i], blen(&l, i), mr, &pages, &err)) {
			cli_errorf("'%s': metadata block %d (version %s): %s", path, i, ver, err.msg);
			bad++;
			continue;
		}
		ens_hex(mr, 32, hex);
		ens_hex(h.css.enclavehash, 32, want);
		if (i == 0)
			memcpy(mr0, mr, 32);
		if (memcmp(mr, h.css.enclavehash, 32)) {
			cli_errorf("'%s': metadata block %d (version %s): MRENCLAVE mismatch: measured %s, SIGSTRUCT says %s "
				   "(a measured page, the layout or the patch table was changed)", path, i, ver, hex, want);
			bad++;
			continue;
		}
		struct ens_verify_report rep;
		memset(&rep, 0, sizeof(rep));
		if (ens_sigstruct_verify((const uint8_t *)&h.css, sizeof(h.css), mr, &rep)) {
			for (int k = 0; k < ENS_VC_COUNT; k++)
				if (rep.failed[k])
					cli_errorf("'%s': metadata block %d (version %s): SIGSTRUCT: %s", path, i, ver, rep.why[k]);
			bad++;
			continue;
		}
		if (cross_check(&l, i, why, sizeof(why))) {
			cli_errorf("'%s': metadata block %d (version %s): %s", path, i, ver, why);
			bad++;
			continue;
		}
		printf("metadata block %d (version %s): MRENCLAVE %s OK (%llu pages added)\n", i, ver, hex,
		       (unsigned long long)pages);
	}
	if (!bad) {
		char vers[128], sdk[400];
		versions_str(&l, vers, sizeof(vers));
		sdk_str(&l.e, sdk, sizeof(sdk));
		printf("SDK %s\nmetadata versions %s\n", sdk, vers);
		struct ens_sigstruct css;
		uint8_t mrs[32];
		char hex[65];
		memcpy(&css, l.area + l.offs[0] + 64, sizeof(css));
		ens_sigstruct_mrsigner(&css, mrs);
		ens_hex(mrs, 32, hex);
		printf("MRSIGNER %s\n%s: OK (%d metadata block%s)\n", hex, path, l.n, l.n == 1 ? "" : "s");
	}
	ens_intel_elf_free(&l.e);
	return bad ? 1 : 0;
}

static void print_layout(const uint8_t *m, const struct ens_intel_meta *h, bool json)
{
	struct ens_intel_dir d = h->dirs[ENS_INTEL_DIR_LAYOUT];
	for (uint32_t k = 0; k < d.size / 32 && d.offset + (k + 1) * 32 <= h->size; k++) {
		struct ens_intel_layout x;
		memcpy(&x, m + d.offset + 32 * k, sizeof(x));
		bool g = x.id & ENS_LAYOUT_GROUP_FLAG;
		if (json) {
			printf("%s{\"id\": %u, \"name\": \"%s\", ", k ? ", " : "", x.id, ens_intel_layout_name(x.id));
			if (g)
				printf("\"entry_count\": %u, \"load_times\": %u, \"load_step\": %llu}", x.attributes,
				       x.page_count, (unsigned long long)x.rva);
			else
				printf("\"attributes\": %u, \"page_count\": %u, \"rva\": %llu, \"content_size\": %u, "
				       "\"content_offset\": %u, \"si_flags\": %llu}", x.attributes, x.page_count,
				       (unsigned long long)x.rva, x.content_size, x.content_offset,
				       (unsigned long long)x.si_flags);
		} else if (g) {
			printf("    %-16s entry_count=%u load_times=%u load_step=0x%llx\n", ens_intel_layout_name(x.id),
			       x.attributes, x.page_count, (unsigned long long)x.rva);
		} else {
			printf("    %-16s attr=0x%02x pages=%-7u rva=0x%-9llx csize=0x%x coff=0x%x si_flags=0x%llx\n",
			       ens_intel_layout_name(x.id), x.attributes, x.page_count, (unsigned long long)x.rva,
			       x.content_size, x.content_offset, (unsigned long long)x.si_flags);
		}
	}
}

int cli_intel_info(const char *path, int argc, char **argv, bool json)
{
	struct loaded l;
	struct ens_err err;
	if (load(&l, path, &err))
		return cli_error(&err);
	if (json)
		printf("{\"format\": \"intel-sdk\", \"file\": ");
	if (json)
		cli_json_str(path);
	char vers[128], sdk[400];
	size_t tfirst, tcount = trailing_bytes(&l, &tfirst);
	versions_str(&l, vers, sizeof(vers));
	sdk_str(&l.e, sdk, sizeof(sdk));
	if (json) {
		char ver[16];
		ens_intel_sdk_str(l.e.sdk, ver, sizeof(ver));
		printf(", \"sdk_version\": ");
		cli_json_str(l.e.sdk ? ver : "unknown");
		printf(", \"sdk_evidence\": ");
		cli_json_str(l.e.sdk_why);
		printf(", \"nonzero_bytes_after_chain\": %zu", tcount);
	}
	if (json)
		printf(", \"metadata\": [");
	else
		printf("file: %s\nformat: intel-sdk (Intel SGX SDK enclave)\nSDK: %s\n"
		       "metadata area: file offset 0x%llx, 0x%llx bytes, %d block(s): versions %s\n",
		       path, sdk, (unsigned long long)l.e.meta_off, (unsigned long long)l.e.meta_size, l.n, vers);
	if (!json && tcount)
		printf("  %zu non-zero byte(s) after the metadata chain, from area offset 0x%zx (not read by the loader)\n",
		       tcount, tfirst);
	for (int i = 0; i < l.n; i++) {
		const uint8_t *m = l.area + l.offs[i];
		struct ens_intel_meta h;
		char ver[32];
		memcpy(&h, m, sizeof(h));
		version_str(h.version, ver, sizeof(ver));
		if (json) {
			printf("%s{\"version\": \"%s\", \"offset\": %zu, \"size\": %u, \"tcs_policy\": %u, "
			       "\"ssa_frame_size\": %u, \"max_save_buffer_size\": %u, \"desired_misc_select\": %u, "
			       "\"tcs_min_pool\": %u, \"enclave_size\": %llu, \"attributes\": %llu, \"xfrm\": %llu, "
			       "\"layout\": [", i ? ", " : "", ver, (size_t)l.e.meta_off + l.offs[i], h.size, h.tcs_policy,
			       h.ssa_frame_size, h.max_save_buffer_size, h.desired_misc_select, h.tcs_min_pool,
			       (unsigned long long)h.enclave_size, (unsigned long long)h.attr_flags,
			       (unsigned long long)h.attr_xfrm);
			print_layout(m, &h, true);
			printf("]}");
		} else {
			printf("metadata block %d: version %s at file offset 0x%llx, size 0x%x\n", i, ver,
			       (unsigned long long)(l.e.meta_off + l.offs[i]), h.size);
			printf("  enclave_size 0x%llx, ssa_frame_size %u, max_save_buffer_size 0x%x, tcs_policy %u, "
			       "tcs_min_pool %u, desired_misc_select 0x%x, attributes 0x%llx/0x%llx\n",
			       (unsigned long long)h.enclave_size, h.ssa_frame_size, h.max_save_buffer_size, h.tcs_policy,
			       h.tcs_min_pool, h.desired_misc_select, (unsigned long long)h.attr_flags,
			       (unsigned long long)h.attr_xfrm);
			printf("  layout:\n");
			print_layout(m, &h, false);
		}
	}
	struct ens_sigstruct css;
	memcpy(&css, l.area + l.offs[0] + 64, sizeof(css));
	if (json) {
		printf("], \"sigstruct\": {");
		cli_json_sigstruct_members(&css);
		printf("}}\n");
	} else {
		printf("SIGSTRUCT (block 0):\n");
		cli_print_sigstruct(&css, false, "  ");
	}
	ens_intel_elf_free(&l.e);
	return 0;
}
