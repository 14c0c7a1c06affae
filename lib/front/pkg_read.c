/* Package front end, reading a package file back: split it by its trailer,
 * then verify it: recompute MRENCLAVE from the payload, check the SIGSTRUCT
 * (signature and every rule) and that its fields match config.json. Used by
 * the runner stub before it runs anything, and by `ensign info|verify`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ensign/io.h"
#include "ensign/package.h"
#include "ensign/util.h"

#define MAX_PACKAGE (16ull << 30)

bool ens_pkg_probe_tail(const uint8_t tail[8])
{
	return !memcmp(tail, ENS_PKG_MAGIC, 8);
}

void ens_pkg_close(struct ens_pkg *p)
{
	free(p->file);
	memset(p, 0, sizeof *p);
}

int ens_pkg_open_buffer(struct ens_pkg *p, const char *name, uint8_t *buf, size_t len, struct ens_err *err)
{
	const struct ens_pkg_trailer *tr;
	uint64_t total;
	static const uint8_t zero[16];

	memset(p, 0, sizeof *p);
	p->file = buf;
	p->file_len = len;
	if (len < sizeof *tr + sizeof p->sig || !ens_pkg_probe_tail(buf + len - 8)) {
		ens_pkg_close(p);
		return ens_fail(err, ENS_E_FORMAT, "'%s': not an ensign package (no trailer)", name);
	}
	tr = (const struct ens_pkg_trailer *)(buf + len - sizeof *tr);
	memcpy(&p->tr, tr, sizeof *tr);
	tr = &p->tr;
	if (tr->version != ENS_PKG_VERSION || (tr->target != ENS_PKG_SGX && tr->target != ENS_PKG_LINUX) ||
	    memcmp(tr->reserved, zero, sizeof zero)) {
		ens_pkg_close(p);
		return ens_fail(err, ENS_E_FORMAT, "'%s': package trailer is corrupt (version, target or "
				"reserved bytes)", name);
	}
	/* each length is below 2^34 (MAX_PACKAGE), so the sum cannot wrap */
	if (tr->stub_len > MAX_PACKAGE || tr->archive_len > MAX_PACKAGE || tr->config_len > MAX_PACKAGE ||
	    tr->image_len > MAX_PACKAGE ||
	    (total = tr->stub_len + tr->archive_len + tr->config_len + tr->image_len + sizeof p->sig +
		     sizeof *tr) != len) {
		ens_pkg_close(p);
		return ens_fail(err, ENS_E_FORMAT, "'%s': package trailer is corrupt (the lengths do not add up "
				"to the file size)", name);
	}
	(void)total;
	p->stub = buf;
	p->archive = p->stub + tr->stub_len;
	p->config = p->archive + tr->archive_len;
	p->image = p->config + tr->config_len;
	memcpy(&p->sig, p->image + tr->image_len, sizeof p->sig);
	return 0;
}

int ens_pkg_open(struct ens_pkg *p, const char *path, struct ens_err *err)
{
	uint8_t *buf;
	size_t len;

	memset(p, 0, sizeof *p);
	if (ens_read_file(path, MAX_PACKAGE, &buf, &len, err))
		return -1;
	return ens_pkg_open_buffer(p, path, buf, len, err);
}

struct find_ctx {
	const char *path;
	bool found, regular;
};

static int find_app(void *ctx, const char *path, unsigned mode, uint64_t size)
{
	struct find_ctx *f = ctx;

	if (!strcmp(path, f->path)) {
		f->found = true;
		f->regular = (mode & 0170000) == 0100000;
	}
	return 0;
}

static int check_fields(const struct ens_pkg *p, const char *name, const struct ens_pkg_config *c,
			struct ens_err *err)
{
	struct ens_sigstruct_fields f;

	ens_sigstruct_fields(&p->sig, &f);
	if (!!(f.attributes & ENS_ATTR_DEBUG) != c->debug)
		return ens_fail(err, ENS_E_VERIFY, "'%s': SIGSTRUCT is %s but config.json says Debug %s", name,
				c->debug ? "for production" : "for debug", c->debug ? "true" : "false");
	if (f.isvprodid != c->product_id || f.isvsvn != c->security_version)
		return ens_fail(err, ENS_E_VERIFY, "'%s': SIGSTRUCT ISVPRODID/ISVSVN %u/%u differ from config.json's "
				"ProductID/SecurityVersion %u/%u", name, f.isvprodid, f.isvsvn, c->product_id,
				c->security_version);
	return 0;
}

static void input_of(const struct ens_pkg *p, const struct ens_pkg_config *cfg, struct ens_pkg_input *in)
{
	*in = (struct ens_pkg_input){ .target = (enum ens_pkg_target)p->tr.target, .cfg = cfg,
				      .config = p->config, .config_len = p->tr.config_len,
				      .archive = p->archive, .archive_len = p->tr.archive_len,
				      .image = p->image, .image_len = p->tr.image_len };
}

int ens_pkg_mrenclave(const struct ens_pkg *p, const char *name, uint8_t mr[32], struct ens_err *err)
{
	struct ens_pkg_config cfg;
	struct ens_pkg_input in;
	char cfgname[600];
	int rc;

	snprintf(cfgname, sizeof cfgname, "%s: config.json", name);
	if (ens_pkg_config_parse(p->config, p->tr.config_len, cfgname, &cfg, err))
		return -1;
	input_of(p, &cfg, &in);
	rc = ens_pkg_measure(&in, mr, err);
	if (rc)
		ens_err_prefix(err, "'%s': enclave image", name);
	ens_pkg_config_free(&cfg);
	return rc;
}

int ens_pkg_verify(const struct ens_pkg *p, const char *name, struct ens_pkg_config *out_cfg, uint8_t mr[32],
		   struct ens_err *err)
{
	struct ens_pkg_config cfg;
	struct ens_verify_report rep;
	struct ens_pkg_input in;
	struct find_ctx fc;
	char cfgname[600];

	snprintf(cfgname, sizeof cfgname, "%s: config.json", name);
	/* config.json was checked when the package was made: one that does not
	 * parse now was changed (or damaged) after signing */
	if (ens_pkg_config_parse(p->config, p->tr.config_len, cfgname, &cfg, err)) {
		ens_err_prefix(err, "'%s': the package was changed after signing or is damaged", name);
		return -1;
	}
	/* the signature and MRENCLAVE first: a tampered package is reported as
	 * tampered, not by whatever its changed bytes now say */
	input_of(p, &cfg, &in);
	if (ens_pkg_measure(&in, mr, err)) {
		ens_err_prefix(err, "'%s': enclave image", name);
		goto fail;
	}
	if (ens_sigstruct_verify((const uint8_t *)&p->sig, sizeof p->sig, mr, &rep)) {
		for (int i = 0; i < ENS_VC_COUNT; i++)
			if (rep.failed[i]) {
				ens_fail(err, ENS_E_VERIFY, i == ENS_VC_ENCLAVEHASH ?
					 "'%s': the package was changed after signing: the payload (archive, "
					 "config.json or image) does not match its SIGSTRUCT: %s" : "'%s': SIGSTRUCT: %s", name, rep.why[i]);
				goto fail;
			}
	}
	if (rep.warn_reserved) {
		ens_fail(err, ENS_E_VERIFY, "'%s': SIGSTRUCT: reserved bytes are not zero", name);
		goto fail;
	}
	fc = (struct find_ctx){ .path = cfg.application_path + 1 };
	if (ens_pkg_cpio_list(p->archive, p->tr.archive_len, find_app, &fc, err)) {
		ens_err_prefix(err, "'%s'", name);
		goto fail;
	}
	if (!fc.found || !fc.regular) {
		ens_fail(err, ENS_E_VERIFY, "'%s': ApplicationPath '%s' is %s in the archive", name,
			 cfg.application_path, fc.found ? "not a regular file" : "missing");
		goto fail;
	}
	if (check_fields(p, name, &cfg, err))
		goto fail;
	if (out_cfg)
		*out_cfg = cfg;
	else
		ens_pkg_config_free(&cfg);
	return 0;
fail:
	ens_pkg_config_free(&cfg);
	return -1;
}
