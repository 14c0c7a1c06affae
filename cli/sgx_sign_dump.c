/* sgx_sign personality, output stage: the `dump` / -dumpfile text, byte for
 * byte as sgx_sign 2.26 prints it (intel-sdk-format.md §11), and as 2.1.2 and
 * later do; 2.0 - 2.1.1 printed the first block and, only when the next one
 * is a 1.x block, that one, with no MRSIGNER (intel-sdk-versions.md §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ensign/intel_sdk.h"
#include "sgx_sign.h"

static void arr(FILE *f, const char *pfx, const char *name, const uint8_t *b, size_t n)
{
	fprintf(f, "%s%s:", pfx, name);
	for (size_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			fputc('\n', f);
		fprintf(f, "0x%02x ", b[i]);
	}
	fputc('\n', f);
}

#define S(name, val) fprintf(f, "%s%s: 0x%llx\n", pfx, name, (unsigned long long)(val))

/* pfx: "metadata->", or "metadata2->" for 2.0 - 2.1.1's compatible block */
static void block(FILE *f, const uint8_t *m, const char *pfx)
{
	struct ens_intel_meta h;
	memcpy(&h, m, sizeof(h));
	const struct ens_sigstruct *c = &h.css;
	S("magic_num", h.magic);
	S("version", h.version);
	S("size", h.size);
	S("tcs_policy", h.tcs_policy);
	S("ssa_frame_size", h.ssa_frame_size);
	S("max_save_buffer_size", h.max_save_buffer_size);
	S("desired_misc_select", h.desired_misc_select);
	S("enclave_size", h.enclave_size);
	S("attributes.flags", h.attr_flags);
	S("attributes.xfrm", h.attr_xfrm);
	arr(f, pfx, "enclave_css.header.header", c->header, 12);
	S("enclave_css.header.type", ens_get_le32(c->header + 12));
	S("enclave_css.header.module_vendor", c->vendor);
	S("enclave_css.header.date", c->date);
	arr(f, pfx, "enclave_css.header.header2", c->header2, 16);
	S("enclave_css.header.hw_version", c->swdefined);
	arr(f, pfx, "enclave_css.key.modulus", c->modulus, 384);
	uint8_t e[4];
	ens_put_le32(e, c->exponent);
	arr(f, pfx, "enclave_css.key.exponent", e, 4);
	arr(f, pfx, "enclave_css.key.signature", c->signature, 384);
	S("enclave_css.body.misc_select", c->miscselect);
	S("enclave_css.body.misc_mask", c->miscmask);
	S("enclave_css.body.attributes.flags", c->attributes);
	S("enclave_css.body.attributes.xfrm", c->xfrm);
	S("enclave_css.body.attribute_mask.flags", c->attributes_mask);
	S("enclave_css.body.attribute_mask.xfrm", c->xfrm_mask);
	arr(f, pfx, "enclave_css.body.enclave_hash.m", c->enclavehash, 32);
	S("enclave_css.body.isv_prod_id", c->isvprodid);
	S("enclave_css.body.isv_svn", c->isvsvn);
	arr(f, pfx, "enclave_css.buffer.q1", c->q1, 384);
	arr(f, pfx, "enclave_css.buffer.q2", c->q2, 384);
}

int sgx_dump_text(const uint8_t *area, size_t len, unsigned sdk, char **text, size_t *text_len,
		  struct ens_err *err)
{
	size_t offs[16];
	int n = ens_intel_meta_chain(area, len, offs, 16, err);
	if (n < 0)
		return -1;
	if (n == 0)
		return ens_fail(err, ENS_E_FORMAT, "the enclave holds no metadata (not signed)");
	for (int i = 0; i < n; i++)
		if (len - offs[i] < sizeof(struct ens_intel_meta))
			return ens_fail(err, ENS_E_FORMAT, "metadata block %d is truncated", i);
	FILE *f = open_memstream(text, text_len);
	if (!f)
		return ens_fail_errno(err, "cannot allocate the dump text");
	if (sdk && sdk < ENS_SDK(1, 2)) {
		fputs("The metadata information:\n=========================\n", f);
		block(f, area + offs[0], "metadata->");
		if (n > 1 && ens_get_le64(area + offs[1] + 8) >> 32 == 1) {
			fputs("\n\nThe compatible metadata information: \n====================================\n", f);
			block(f, area + offs[1], "metadata2->");
		}
		if (fclose(f))
			return ens_fail_errno(err, "cannot build the dump text");
		return 0;
	}
	fputs("=============================\nThe metadata information:\n=============================\n", f);
	block(f, area + offs[0], "metadata->");
	for (int k = 1; k < n; k++) {
		if (k == 1)
			fputs("\n\n\n====================================\nThe compatible metadata information: \n"
			      "====================================\n", f);
		fprintf(f, "\nCompatible metadata number %d:\n------------------------------\n", k);
		block(f, area + offs[k], "metadata->");
	}
	fputs("\n\n===================\nThe mrsigner value:\n===================\n", f);
	struct ens_sigstruct css;
	memcpy(&css, area + offs[n - 1] + offsetof(struct ens_intel_meta, css), sizeof(css));
	uint8_t mrs[32];
	ens_sigstruct_mrsigner(&css, mrs);
	arr(f, "mrsigner->", "value", mrs, 32);
	if (fclose(f))
		return ens_fail_errno(err, "cannot build the dump text");
	return 0;
}
