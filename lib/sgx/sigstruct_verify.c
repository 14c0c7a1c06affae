/* SIGSTRUCT verification (sgx-architecture.md §1.5): every check runs and
 * reports its own reason, so one bad field never hides another. */
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include "ensign/signer.h"
#include "ensign/sigstruct.h"
#include "ensign/util.h"

static void fail(struct ens_verify_report *r, enum ens_verify_check c, const char *fmt, const char *a)
{
	if (!r->failed[c])
		r->nfailed++;
	r->failed[c] = true;
	snprintf(r->why[c], sizeof r->why[c], fmt, a);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int ens_sigstruct_verify(const uint8_t *buf, size_t len, const uint8_t *expected,
			 struct ens_verify_report *r)
{
	struct ens_sigstruct s;
	uint8_t n_be[384], sig_be[384], msg[ENS_SIGNED_SIZE];
	struct ens_err err;
	char num[32];

	memset(r, 0, sizeof *r);
	if (len != ENS_SIGSTRUCT_SIZE) {
		snprintf(num, sizeof num, "%zu", len);
		fail(r, ENS_VC_SIZE, "size is %s bytes, a SIGSTRUCT has 1808", num);
		return 1;
	}
	memcpy(&s, buf, sizeof s);
	/* Intel's ReleaseType=1 sets bit 31 of the header's last word ("bit31 = debug"). */
	if (memcmp(s.header, ens_sigstruct_header, 15) || (s.header[15] & 0x7f)) {
		fail(r, ENS_VC_HEADER, "HEADER is not the architectural constant%s", "");
	} else if (s.header[15] & 0x80) {
		r->header_quirk = true;
	}
	if (memcmp(s.header2, ens_sigstruct_header2, 16))
		fail(r, ENS_VC_HEADER, "HEADER2 is not the architectural constant%s", "");
	if (s.exponent != 3) {
		snprintf(num, sizeof num, "%u", s.exponent);
		fail(r, ENS_VC_EXPONENT, "EXPONENT is %s, must be 3", num);
	}
	if (!(s.modulus[383] & 0x80))
		fail(r, ENS_VC_MODULUS, "MODULUS is not a 3072-bit number (top bit clear)%s", "");
	ens_reverse(n_be, s.modulus, 384);
	ens_reverse(sig_be, s.signature, 384);
	ens_sigstruct_signed_bytes(&s, msg);
	if (!r->failed[ENS_VC_MODULUS]) {
		if (memcmp(sig_be, n_be, 384) >= 0)
			fail(r, ENS_VC_SIGNATURE, "SIGNATURE is not less than MODULUS%s", "");
		else if (ens_rsa_verify(n_be, s.exponent == 3 ? 3 : s.exponent, msg, sizeof msg, sig_be, &err))
			fail(r, ENS_VC_SIGNATURE, "SIGNATURE does not verify: %s", err.msg);
		if (!r->failed[ENS_VC_SIGNATURE]) {
			struct ens_sigstruct t = s;

			if (ens_sigstruct_attach(&t, n_be, sig_be, &err) == 0) {
				if (memcmp(t.q1, s.q1, 384))
					fail(r, ENS_VC_Q1, "Q1 is not floor(S^2 / N)%s", "");
				if (memcmp(t.q2, s.q2, 384))
					fail(r, ENS_VC_Q2, "Q2 is not floor(S * (S^2 mod N) / N)%s", "");
			}
		}
	}
	if (!all_zero(s.reserved1, sizeof s.reserved1) || !all_zero(s.reserved2, sizeof s.reserved2) ||
	    !all_zero(s.reserved3, sizeof s.reserved3) || !all_zero(s.reserved4, sizeof s.reserved4))
		r->warn_reserved = true;
	if (expected && memcmp(expected, s.enclavehash, 32)) {
		char a[65], b[65], both[192];

		ens_hex(s.enclavehash, 32, a);
		ens_hex(expected, 32, b);
		snprintf(both, sizeof both, "the SIGSTRUCT says %s, the enclave measures %s", a, b);
		fail(r, ENS_VC_ENCLAVEHASH, "ENCLAVEHASH: %s", both);
	}
	return r->nfailed ? 1 : 0;
}
