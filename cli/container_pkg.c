/* ensign container: packages (issue 3) inside images. A package has one
 * layout (sgx1) and its config.json fixes DEBUG, ISVPRODID and ISVSVN, so
 * re-signing changes only the key and date; options that contradict the
 * measured configuration are refused rather than producing a package that
 * `ensign verify` rejects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_container.h"
#include "ensign/package.h"

bool cli_container_is_package(const uint8_t *data, size_t len)
{
	return len >= 8 && ens_pkg_probe_tail(data + len - 8);
}

int cli_container_inspect_package(const char *name, uint8_t *data, size_t len, struct cli_container_found *out,
				  struct ens_err *err)
{
	struct ens_pkg p;

	memset(out, 0, sizeof *out);
	if (ens_pkg_open_buffer(&p, name, data, len, err))
		return -1;
	out->models = ENS_MM_SGX1;
	out->sig[0] = p.sig;
	ens_pkg_close(&p);
	return 0;
}

int cli_container_sign_package(const char *name, uint8_t *data, size_t len, const struct cli_container_sign *o,
			       uint32_t date, const char *outpath, uint8_t mr[32], uint8_t mrsigner[32],
			       struct ens_err *err)
{
	struct ens_pkg p;
	struct ens_pkg_config cfg;
	struct ens_pkg_input in;
	struct ens_sigstruct_fields f;
	struct ens_sigstruct sig;
	char cfgname[600];
	int rc = -1;

	if (ens_pkg_open_buffer(&p, name, data, len, err))
		return -1;
	snprintf(cfgname, sizeof cfgname, "%s: config.json", name);
	if (ens_pkg_config_parse(p.config, p.tr.config_len, cfgname, &cfg, err)) {
		ens_pkg_close(&p);
		return -1;
	}
	if (!(o->models & ENS_MM_SGX1)) {
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': a package has only the sgx1 layout: add --memory-model sgx1 or all",
			 name);
		goto out;
	}
	if (o->svn_given && o->isvsvn != cfg.security_version) {
		ens_fail(err, ENS_E_USAGE, "'%s': its config.json sets SecurityVersion %u, not --isvsvn %u", name,
			 cfg.security_version, o->isvsvn);
		goto out;
	}
	if (o->prodid_given && o->isvprodid != cfg.product_id) {
		ens_fail(err, ENS_E_USAGE, "'%s': its config.json sets ProductID %u, not --isvprodid %u", name,
			 cfg.product_id, o->isvprodid);
		goto out;
	}
	if (o->production == cfg.debug) {
		ens_fail(err, ENS_E_USAGE, cfg.debug ? "'%s': its config.json sets Debug: it cannot be signed with --production"
						     : "'%s': its config.json sets Debug false: sign it with --production",
			 name);
		goto out;
	}
	if (ens_pkg_mrenclave(&p, name, mr, err))
		goto out;
	if (memcmp(p.sig.enclavehash, mr, 32)) {
		ens_fail(err, ENS_E_VERIFY, "'%s': its SIGSTRUCT does not match the package (changed after signing?);"
			 " refusing to re-sign", name);
		goto out;
	}
	in = (struct ens_pkg_input){ .target = (enum ens_pkg_target)p.tr.target, .cfg = &cfg, .config = p.config,
				     .config_len = p.tr.config_len, .archive = p.archive,
				     .archive_len = p.tr.archive_len, .image = p.image, .image_len = p.tr.image_len };
	ens_pkg_sigstruct_fields(&cfg, mr, date, &f);
	ens_sigstruct_build(&sig, &f);
	if (cli_sign_sigstruct(&sig, o->sign, err) < 0) {
		ens_err_prefix(err, "'%s'", name);
		goto out;
	}
	if (ens_pkg_write(outpath, p.stub, p.tr.stub_len, &in, &sig, err))
		goto out;
	ens_sigstruct_mrsigner(&sig, mrsigner);
	rc = 0;
out:
	ens_pkg_config_free(&cfg);
	ens_pkg_close(&p);
	return rc;
}
