/* ensign run (and the ftxsgx-runner personality): everything EINIT would
 * check, with the exact cause of each failure, then load and run the enclave
 * when the host has SGX. CLI stage over lib/loader (image, host CPU, checks).
 * Exit: 0 ok, 1 a check failed or error, 2 usage, 3 no SGX on this host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ensign/probe.h"
#include "ensign/fortanix.h"
#include "ensign/io.h"
#include "ensign/sigstruct.h"
#include "ensign/signer.h"

#define EXIT_NO_SGX 3

static const char usage[] =
	"ensign run [--check-only] [--sig FILE | -s coresident|dummy|file=FILE] [--debug|--production]\n"
	"           FILE.sgxs [ENCLAVE-ARGS...]";

/* MRSIGNERs of published keys: a production launch with them protects nothing. */
static const char *const published_keys[] = {
	"9affcfae47b848ec2caf1c49b4b283531e1cc425f93582b36806e52a43d78d1a",	/* Fortanix runner dummy.key */
	"83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e",	/* Intel SDK sample / sig1.key.pem */
};

static void sibling_sig(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t keep = (dot && dot != base) ? (size_t)(dot - path) : strlen(path);
	snprintf(out, len, "%.*s.sig", (int)keep, path);
}

static int dummy_sign(const struct ens_run_image *img, const struct ens_host_cpu *cpu, uint8_t out[ENS_SIGSTRUCT_SIZE],
		      struct ens_err *err)
{
	struct ens_sigstruct_fields f;
	memset(&f, 0, sizeof f);
	if (ens_date_resolve(NULL, &f.date, err))
		return -1;
	f.attributes = ENS_ATTR_DEBUG | ENS_ATTR_MODE64BIT;
	f.xfrm = ens_ftx_runner_xfrm(cpu, img->ssaframesize);
	f.attributes_mask = ~0ull;
	f.xfrm_mask = ~0ull;
	f.miscmask = ~0u;
	/* The enclave this loader builds: chunks measured in ascending order. */
	memcpy(f.enclavehash, img->reordered_pages ? img->mrenclave_load : img->mrenclave, 32);
	struct ens_sigstruct s;
	ens_sigstruct_build(&s, &f);
	struct ens_signer *signer = NULL;
	if (ens_signer_open_debug(&signer, err))
		return -1;
	int rc = ens_sigstruct_sign(&s, signer, err);
	ens_signer_free(signer);
	if (rc == 0)
		memcpy(out, &s, sizeof s);
	return rc;
}

/* 1: ensign's built-in debug key, 2: another published key, 0: neither. */
static int key_kind(const uint8_t *sig, size_t len)
{
	if (len != ENS_SIGSTRUCT_SIZE)
		return 0;
	struct ens_sigstruct s;
	uint8_t mr[32], dbg[32];
	char hex[65];
	memcpy(&s, sig, sizeof s);
	ens_sigstruct_mrsigner(&s, mr);
	struct ens_signer *d = NULL;
	struct ens_err err;
	if (ens_signer_open_debug(&d, &err) == 0) {
		ens_signer_mrsigner(d, dbg);
		ens_signer_free(d);
		if (memcmp(dbg, mr, 32) == 0)
			return 1;
	}
	ens_hex(mr, 32, hex);
	for (size_t i = 0; i < sizeof published_keys / sizeof *published_keys; i++)
		if (strcmp(hex, published_keys[i]) == 0)
			return 2;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	bool check_only = false, force_dummy = false;
	const char *sig_path = NULL, *input = NULL;
	int debug = -1, i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--check-only") == 0) {
			check_only = true;
		} else if (strcmp(a, "--debug") == 0) {
			debug = 1;
		} else if (strcmp(a, "--production") == 0) {
			debug = 0;
		} else if (strcmp(a, "--sig") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "--signature") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error(usage, "%s needs an argument", a);
			const char *v = argv[++i];
			if (strcmp(a, "--sig") == 0)
				sig_path = v;
			else if (strcmp(v, "dummy") == 0)
				force_dummy = true;
			else if (strncmp(v, "file=", 5) == 0)
				sig_path = v + 5;
			else if (strcmp(v, "coresident") != 0)
				return cli_usage_error(usage, "-s takes coresident, dummy or file=PATH, not '%s'", v);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli_print_usage(stdout, usage);
			return 0;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-' && !input) {
			return cli_usage_error(usage, "unknown option '%s'", a);
		} else if (!input) {
			input = a;
		} else {
			break;	/* the enclave's own arguments start here */
		}
	}
	if (!input && i < argc)
		input = argv[i++];
	if (!input)
		return cli_usage_error(usage, "missing SGXS file");
	int enclave_argc = argc - i;

	struct ens_err err = { 0 };
	struct ens_host_cpu cpu;
	ens_host_cpu_probe(&cpu);
	struct ens_run_image img;
	int kr = cli_expect_kind(input, ENS_KBIT(ENS_K_SGXS) | ENS_KBIT(ENS_K_SGXS_UNSIZED), "an SGXS file");
	if (kr)
		return kr;
	if (ens_run_image_read(input, &img, &err))
		return cli_error(&err);

	uint8_t *sig = NULL;
	size_t sig_len = 0;
	char sibling[4096];
	bool dummy = false;
	if (!sig_path && !force_dummy) {
		sibling_sig(input, sibling, sizeof sibling);
		if (access(sibling, F_OK) == 0)
			sig_path = sibling;
	}
	int rc = 1;
	if (sig_path) {
		if (ens_read_file(sig_path, 1 << 20, &sig, &sig_len, &err)) {
			cli_error(&err);
			goto out;
		}
	} else {
		if (debug == 0) {
			cli_errorf("'%s': no signature (%s) and a production launch was requested: the built-in debug key is never used for production",
				   input, force_dummy ? "-s dummy" : "no .sig beside it");
			goto out;
		}
		sig = malloc(ENS_SIGSTRUCT_SIZE);
		if (!sig || dummy_sign(&img, &cpu, sig, &err)) {
			if (!sig)
				ens_fail(&err, ENS_E_NOMEM, "out of memory");
			cli_error(&err);
			goto out;
		}
		sig_len = ENS_SIGSTRUCT_SIZE;
		dummy = true;
		cli_note("no signature file for '%s': signed in memory with the built-in debug key (DEBUG enclave; MRSIGNER-based sealing is meaningless with this key)",
			 input);
	}

	int kind = key_kind(sig, sig_len);
	struct ens_launch_opts lo = { .debug = debug, .debug_key = dummy || kind == 1, .published_key = kind == 2 };
	struct ens_launch_report rep;
	unsigned nerr = ens_launch_check(&img, sig, sig_len, &cpu, &lo, &rep);
	for (unsigned k = 0; k < rep.n; k++) {
		if (rep.f[k].error)
			cli_errorf("%s: %s", input, rep.f[k].msg);
		else
			cli_warn("%s: %s", input, rep.f[k].msg);
	}
	if (rep.dropped)
		cli_warn("%u more finding(s) not shown", rep.dropped);
	char mr[65];
	ens_hex(img.mrenclave, 32, mr);
	if (nerr) {
		cli_errorf("'%s': %u EINIT check(s) failed; the enclave would not launch", input, nerr);
		goto out;
	}
	printf("enclave:      %s\nmrenclave:    %s\n", input, mr);
	if (img.reordered_pages) {
		char ld[65];
		ens_hex(img.mrenclave_load, 32, ld);
		printf("as loaded:    %s (the Linux driver measures each page's chunks in ascending order)\n", ld);
	}
	printf("signature:    %s\n", dummy ? "built-in debug key (in memory)" : sig_path);
	printf("secs:         size 0x%llx, ssaframesize %u, attributes 0x%llx, xfrm 0x%llx, miscselect 0x%x\n",
	       (unsigned long long)img.size, img.ssaframesize, (unsigned long long)rep.attributes,
	       (unsigned long long)rep.xfrm, rep.miscselect);
	printf("tcs:          %zu\nchecks:       all EINIT checks passed\n", img.ntcs);
	if (check_only) {
		rc = 0;
		goto out;
	}
	if (!ens_sgx_device()) {
		cli_errorf("SGX is not available on this host (no /dev/sgx_enclave): the enclave was checked but not run");
		rc = EXIT_NO_SGX;
		goto out;
	}
	/* Untested on hardware (no SGX machine was available). */
	struct ens_enclave enc;
	if (ens_enclave_load(input, &img, sig, rep.attributes, rep.xfrm, rep.miscselect, &enc, &err)) {
		cli_error(&err);
		goto out;
	}
	uint64_t args[5] = { 0 };
	if (enclave_argc)
		cli_warn("%d enclave argument(s) not passed: this build does not service Fortanix usercalls", enclave_argc);
	rc = ens_enclave_enter(&enc, img.tcs[0].offset, args, &err) ? cli_error(&err) : 0;
	if (rc == 0)
		cli_note("the enclave exited (EEXIT); usercalls are not serviced by this build, so the run ends at its first exit");
	ens_enclave_unload(&enc);
out:
	free(sig);
	ens_run_image_free(&img);
	return rc;
}
