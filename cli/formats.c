/* The input-format registry behind `ensign measure|info|verify FILE`: each
 * format that ensign reads is one row; the first whose probe accepts wins,
 * so more specific formats come first. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "cli_app.h"
#include "ensign/probe.h"

int cli_sigstruct_info(const char *path, int argc, char **argv, bool json);
int cli_sgxs_measure(const char *path, int argc, char **argv, bool json);
int cli_sgxs_verify(const char *path, int argc, char **argv);
int cli_sgxs_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);
bool cli_intel_probe(const char *path, const uint8_t *h, size_t n, uint64_t size);
int cli_intel_measure(const char *path, int argc, char **argv, bool json);
int cli_intel_info(const char *path, int argc, char **argv, bool json);
int cli_intel_verify(const char *path, int argc, char **argv);
int cli_intel_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);
bool fmt_package_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size);
int fmt_package_measure(const char *path, int argc, char **argv, bool json);
int fmt_package_info(const char *path, int argc, char **argv, bool json);
int fmt_package_verify(const char *path, int argc, char **argv);
int fmt_package_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);
bool oe_fmt_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size);
int oe_fmt_measure(const char *path, int argc, char **argv, bool json);
int oe_fmt_info(const char *path, int argc, char **argv, bool json);
int oe_fmt_verify(const char *path, int argc, char **argv);
int oe_fmt_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);
bool fmt_gramine_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size);
int fmt_gramine_measure(const char *path, int argc, char **argv, bool json);
int fmt_gramine_info(const char *path, int argc, char **argv, bool json);
int fmt_gramine_verify(const char *path, int argc, char **argv);
int fmt_gramine_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);

static bool probe_sgxs(const char *path, const uint8_t *h, size_t n, uint64_t size)
{
	uint64_t tag;

	if (n < 64)
		return false;
	tag = ens_get_le64(h);
	return tag == ENS_TAG_ECREATE || tag == ENS_TAG_UNSIZED;
}

static bool probe_sigstruct(const char *path, const uint8_t *h, size_t n, uint64_t size)
{
	return size == ENS_SIGSTRUCT_SIZE;
}

static const struct cli_format formats[] = {
	{ .name = "sgxs", .probe = probe_sgxs, .measure = cli_sgxs_measure, .info = cli_sgxs_info,
	  .verify = cli_sgxs_verify, .mrenclave = cli_sgxs_mrenclave },
	/* packages are ELF files too: the trailer magic at the end decides */
	{ .name = "package", .probe = fmt_package_probe, .measure = fmt_package_measure, .info = fmt_package_info,
	  .verify = fmt_package_verify, .mrenclave = fmt_package_mrenclave },
	{ .name = "openenclave", .probe = oe_fmt_probe, .measure = oe_fmt_measure, .info = oe_fmt_info,
	  .verify = oe_fmt_verify, .mrenclave = oe_fmt_mrenclave },
	{ .name = "intel-sdk", .probe = cli_intel_probe, .measure = cli_intel_measure, .info = cli_intel_info,
	  .verify = cli_intel_verify, .mrenclave = cli_intel_mrenclave },
	/* a Gramine manifest (TOML text named *.manifest[.sgx]) may be 1808 bytes long */
	{ .name = "gramine", .probe = fmt_gramine_probe, .measure = fmt_gramine_measure, .info = fmt_gramine_info,
	  .verify = fmt_gramine_verify, .mrenclave = fmt_gramine_mrenclave },
	{ .name = "sigstruct", .probe = probe_sigstruct, .info = cli_sigstruct_info },
	/* ELF rows with more specific probes (Intel SDK, OE) go above this one */
	{ .name = "application", .probe = fmt_app_probe, .measure = fmt_app_measure, .info = fmt_app_info,
	  .verify = fmt_app_verify },
};

const struct cli_format *cli_format_detect(const char *path, struct ens_err *err)
{
	uint8_t head[4096];
	struct stat st;
	size_t n;
	FILE *f;
	/* kinds no row reads (an EDP ELF would pass for an application) */
	const uint64_t refused = ENS_KBIT(ENS_K_ELF_EDP) | ENS_KBIT(ENS_K_ELF_OBJECT) |
				 ENS_KBIT(ENS_K_PEM_PRIVATE) | ENS_KBIT(ENS_K_PEM_PUBLIC) | ENS_KBIT(ENS_K_PEM_CERT) |
				 ENS_KBIT(ENS_K_PEM_OTHER) | ENS_KBIT(ENS_K_JSON) | ENS_KBIT(ENS_K_TEXT) |
				 ENS_KBIT(ENS_K_ARCHIVE);
	const char *what = "an enclave ensign reads (SGXS, SIGSTRUCT, application, Intel SDK or Open Enclave"
			   " enclave, Gramine manifest, package)";

	if (ens_probe_expect(path, ~refused, what, err))
		return NULL;
	f = fopen(path, "rb");

	if (!f)
		return ens_fail_errno(err, "cannot open '%s'", path), NULL;
	if (fstat(fileno(f), &st)) {
		fclose(f);
		return ens_fail_errno(err, "cannot stat '%s'", path), NULL;
	}
	n = fread(head, 1, sizeof head, f);
	fclose(f);
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (formats[i].probe(path, head, n, (uint64_t)st.st_size))
			return &formats[i];
	ens_fail(err, ENS_E_UNSUPPORTED, "'%s': unrecognized file format", path);
	return NULL;
}
