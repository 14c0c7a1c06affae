/* `ensign info FILE.sgxs`: a summary of an SGXS file. */
#include <stdio.h>
#include "cli.h"

int cli_sgxs_info(const char *path, int argc, char **argv, bool json)
{
	struct ens_sgxs_summary sum;
	struct ens_err err;
	uint8_t mr[32];
	char hex[65];

	if (ens_sgxs_mrenclave(path, mr, &sum, &err))
		return cli_error(&err);
	ens_hex(mr, 32, hex);
	if (json) {
		printf("{\"file\": ");
		cli_json_str(path);
		printf(", \"format\": \"sgxs\", \"size\": \"0x%llx\", \"ssaframesize\": %u, \"eadd\": %llu, "
		       "\"eextend\": %llu, \"unmeasrd\": %llu, \"mrenclave\": \"%s\"}\n",
		       (unsigned long long)sum.size, sum.ssaframesize, (unsigned long long)sum.n_eadd,
		       (unsigned long long)sum.n_eextend, (unsigned long long)sum.n_unmeasrd, hex);
		return 0;
	}
	printf("format:          sgxs\nsize:            0x%llx\nssaframesize:    %u\n"
	       "pages added:     %llu\nchunks measured: %llu\nchunks unmeasured: %llu\nmrenclave:       %s\n",
	       (unsigned long long)sum.size, sum.ssaframesize, (unsigned long long)sum.n_eadd,
	       (unsigned long long)sum.n_eextend, (unsigned long long)sum.n_unmeasrd, hex);
	return 0;
}
