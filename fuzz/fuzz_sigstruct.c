/* Fuzz target: SIGSTRUCT verification (ens_sigstruct_verify), as `ensign
 * verify --sig` runs it, plus the field decoder `ensign info` uses. */
#include "ensign/sigstruct.h"
#include "ensign/util.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t expected[32] = { 0x47, 0x15, 0x54 };
	struct ens_verify_report rep;
	int rc = ens_sigstruct_verify(data, size, size & 1 ? expected : NULL, &rep);

	if (rc != (rep.nfailed ? 1 : 0))
		abort();
	for (int c = 0; c < ENS_VC_COUNT; c++)
		if (rep.failed[c] && !rep.why[c][0])
			abort();	/* every failed check says why */
	if (size == ENS_SIGSTRUCT_SIZE) {
		struct ens_sigstruct s;
		struct ens_sigstruct_fields f;
		char date[16];

		memcpy(&s, data, sizeof s);
		ens_sigstruct_fields(&s, &f);
		ens_date_format(f.date, date, sizeof date);
		/* a well-formed header: rebuilding from the decoded fields gives
		 * back the signed bytes (no field is lost or misplaced) */
		if (!rep.failed[ENS_VC_HEADER] && !rep.warn_reserved) {
			struct ens_sigstruct t;
			uint8_t a[ENS_SIGNED_SIZE], b[ENS_SIGNED_SIZE];

			ens_sigstruct_build(&t, &f);
			ens_sigstruct_signed_bytes(&s, a);
			ens_sigstruct_signed_bytes(&t, b);
			if (memcmp(a, b, sizeof a))
				abort();
		}
	}
	return 0;
}
