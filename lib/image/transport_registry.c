/* Image transport docker:// (placeholder until the registry client lands). */
#include "oci_int.h"

static int reg_open(struct ens_oci_image *img, struct ens_err *err)
{
	return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': registries are not supported yet", img->ref.text);
}
static int reg_blob_open(struct oci_blob *b, const char *digest, const char *what, struct ens_err *err)
{
	return ens_fail(err, ENS_E_UNSUPPORTED, "registries are not supported yet");
}
static ssize_t reg_blob_read(struct oci_blob *b, void *p, size_t n, struct ens_err *err) { return -1; }
static void reg_blob_close(struct oci_blob *b) {}
static int reg_dst_open(struct oci_dest *d, struct ens_err *err)
{
	return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': registries are not supported yet", d->ref.text);
}
const struct oci_transport oci_transport_registry = {
	.name = "docker", .open = reg_open, .blob_open = reg_blob_open, .blob_read = reg_blob_read,
	.blob_close = reg_blob_close, .dst_open = reg_dst_open,
};
