/* Fuzz target: numbers with units and dates as the CLI options take them
 * (ens_parse_u64, ens_parse_size, ens_date_resolve, ens_unhex). */
#include <inttypes.h>
#include "ensign/util.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct ens_err err;
	uint64_t v;
	uint32_t bcd;
	uint8_t bytes[64];
	char buf[32];

	if (ens_parse_u64(s, &v, "--fuzz", &err) == 0) {
		/* an accepted number prints back and parses to the same value */
		uint64_t again;

		snprintf(buf, sizeof buf, "0x%" PRIx64, v);
		if (ens_parse_u64(buf, &again, "--fuzz", &err) || again != v)
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	if (ens_parse_size(s, &v, "--fuzz", &err) && !err.msg[0])
		abort();
	if (ens_date_resolve(s, &bcd, &err) == 0) {
		if (!ens_date_is_bcd(bcd))
			abort();	/* an accepted date is always a BCD calendar date */
		ens_date_format(bcd, buf, sizeof buf);
	} else if (!err.msg[0]) {
		abort();
	}
	if (size <= 128 && size % 2 == 0)
		(void)ens_unhex(s, bytes, size / 2);
	if (size >= 4)
		ens_date_format(ens_get_le32(data), buf, sizeof buf);
	free(s);
	return 0;
}
