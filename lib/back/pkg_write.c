/* Package back end: write the package file (runner stub ++ archive ++
 * config.json ++ image ++ SIGSTRUCT ++ trailer) atomically, mode 0755.
 * The layout of the file is in include/ensign/package.h. */
#include <string.h>
#include "ensign/io.h"
#include "ensign/package.h"

const char *ens_pkg_target_name(enum ens_pkg_target t)
{
	return t == ENS_PKG_SGX ? "sgx" : t == ENS_PKG_LINUX ? "linux" : "unknown";
}

int ens_pkg_write(const char *path, const uint8_t *stub, size_t stub_len, const struct ens_pkg_input *in,
		  const struct ens_sigstruct *sig, struct ens_err *err)
{
	struct ens_pkg_trailer tr;
	struct ens_out out;

	memset(&tr, 0, sizeof tr);
	tr.version = ENS_PKG_VERSION;
	tr.target = (uint32_t)in->target;
	tr.stub_len = stub_len;
	tr.archive_len = in->archive_len;
	tr.config_len = in->config_len;
	tr.image_len = in->image_len;
	memcpy(tr.magic, ENS_PKG_MAGIC, 8);
	if (ens_out_open(&out, path, 0755, err))
		return -1;
	if (ens_out_write(&out, stub, stub_len, err) || ens_out_write(&out, in->archive, in->archive_len, err) ||
	    ens_out_write(&out, in->config, in->config_len, err) ||
	    ens_out_write(&out, in->image, in->image_len, err) || ens_out_write(&out, sig, sizeof *sig, err) ||
	    ens_out_write(&out, &tr, sizeof tr, err)) {
		ens_out_abort(&out);
		return -1;
	}
	return ens_out_commit(&out, err);
}
