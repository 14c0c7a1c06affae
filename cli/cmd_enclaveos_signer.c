/* enclaveos-signer: IBM's command line for re-signing the enclaves of a
 * container image, as ensign runs it when invoked by that name:
 *   enclaveos-signer --container SRC DST --isvsvn N --isvprodid N
 *       --production -key KEY --memory-model=sgx1|sgx2|all
 * SRC and DST are registry references (docker:// is implied); the work is
 * ensign container sign's. ensign's transport options are accepted too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli_container.h"
#include "ensign/util.h"

int cmd_container(int argc, char **argv);

static const char usage[] =
	"enclaveos-signer --container SRC DST [-key KEY|--key KEY] [--isvsvn N] [--isvprodid N]\n"
	"            [--production] [--memory-model=sgx1|sgx2|all] [--date YYYY-MM-DD]\n"
	"            [--tls-verify=false] [--creds USER[:PASS]] [--authfile FILE] [--cert-dir DIR]\n"
	"            [--retry-times N] [--platform OS/ARCH] [--quiet]\n"
	"SRC, DST: HOST[:PORT]/REPO[:TAG] (a registry; oci:, docker-archive: and docker:// also work)\n"
	"the default memory model is sgx1, as enclaveos-signer's";

/* "--name=value" or "--name value": the value, or NULL (*i advanced). */
static const char *value_of(int argc, char **argv, int *i, const char *name, bool *matched)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	*matched = false;
	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return NULL;
	*matched = true;
	if (a[n] == '=')
		return a + n + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int ref_arg(const char *s, char *out, size_t len)
{
	if (!*s || *s == '-')
		return -1;
	if (!strncmp(s, "docker://", 9) || !strncmp(s, "oci:", 4) || !strncmp(s, "docker-archive:", 15))
		snprintf(out, len, "%s", s);
	else
		snprintf(out, len, "docker://%s", s);
	return 0;
}

int cmd_enclaveos_signer(int argc, char **argv)
{
	static const char *const passthrough[] = { "--creds", "--authfile", "--cert-dir", "--retry-times",
						   "--platform", "--date" };
	static const char *const numbers[] = { "--isvsvn", "--isvprodid" };
	char src[4700] = "", dst[4700] = "", mm[64] = "--memory-model=sgx1";
	char **args = calloc((size_t)argc * 2 + 16, sizeof *args);
	int n = 0, rc;

	if (!args)
		return cli_errorf("out of memory");
	args[n++] = "container";
	args[n++] = "sign";
	n += 2;		/* SRC DST */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool m = false;
		size_t k;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: %s\n", usage);
			free(args);
			return 0;
		}
		if (!strcmp(a, "--container")) {
			if (i + 2 >= argc || ref_arg(argv[i + 1], src, sizeof src) || ref_arg(argv[i + 2], dst, sizeof dst)) {
				free(args);
				return cli_usage_error(usage, "--container needs SRC and DST (two image references)");
			}
			i += 2;
			continue;
		}
		if (!strcmp(a, "--production") || !strcmp(a, "--quiet") || !strcmp(a, "--tls-verify") ||
		    !strncmp(a, "--tls-verify=", 13)) {
			if (!strncmp(a, "--tls-verify=", 13) && strcmp(a + 13, "true") && strcmp(a + 13, "false")) {
				free(args);
				return cli_usage_error(usage, "%s: '%s' is not true or false", "--tls-verify", a + 13);
			}
			args[n++] = (char *)a;
			continue;
		}
		if ((v = value_of(argc, argv, &i, "-key", &m)) || m || (v = value_of(argc, argv, &i, "--key", &m)) || m) {
			if (!v || !*v) {
				free(args);
				return cli_usage_error(usage, "%s needs a key file (or pkcs11: URI)", a);
			}
			args[n++] = "--key";
			args[n++] = (char *)v;
			continue;
		}
		if ((v = value_of(argc, argv, &i, "--memory-model", &m)) || m) {
			if (!v || (strcmp(v, "sgx1") && strcmp(v, "sgx2") && strcmp(v, "all"))) {
				free(args);
				return cli_usage_error(usage, "--memory-model: '%s' is not sgx1, sgx2 or all", v ? v : "");
			}
			snprintf(mm, sizeof mm, "--memory-model=%s", v);
			continue;
		}
		for (k = 0; k < 2 && !m; k++)
			if ((v = value_of(argc, argv, &i, numbers[k], &m)) || m) {
				struct ens_err err = { 0 };
				uint64_t x;

				if (!v || ens_parse_u64(v, &x, numbers[k], &err) || x > 0xFFFF) {
					free(args);
					return cli_usage_error(usage, "%s: '%s' is not a number from 0 to 65535", numbers[k],
							       v ? v : "");
				}
				args[n++] = (char *)numbers[k];
				args[n++] = (char *)v;
			}
		for (k = 0; k < sizeof passthrough / sizeof *passthrough && !m; k++)
			if ((v = value_of(argc, argv, &i, passthrough[k], &m)) || m) {
				if (!v) {
					free(args);
					return cli_usage_error(usage, "%s needs a value", passthrough[k]);
				}
				args[n++] = (char *)passthrough[k];
				args[n++] = (char *)v;
			}
		if (m)
			continue;
		free(args);
		if (*a == '-')
			return cli_usage_error(usage, "unknown argument '%s'", a);
		return cli_usage_error(usage, "unexpected argument '%s' (images are given as --container SRC DST)", a);
	}
	if (!*src) {
		free(args);
		return cli_usage_error(usage, "no --container SRC DST given");
	}
	args[2] = src;
	args[3] = dst;
	args[n++] = mm;
	args[n] = NULL;
	rc = cmd_container(n, args);
	free(args);
	return rc;
}
