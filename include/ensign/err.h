/* Errors: built once in the library, where the context is richest, printed
 * once by the CLI. Fallible functions return 0 (or a positive count) on
 * success and -1 on failure, with the message in a caller-owned ens_err. */
#ifndef ENSIGN_ERR_H
#define ENSIGN_ERR_H

#include <stdarg.h>

#define ENS_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum ens_code {			/* stable numbers; add at the end */
	ENS_OK = 0,
	ENS_E_USAGE,		/* bad arguments */
	ENS_E_IO,		/* cannot read or write a file */
	ENS_E_FORMAT,		/* malformed input */
	ENS_E_KEY,		/* unusable key */
	ENS_E_SIGNER,		/* the signer failed */
	ENS_E_VERIFY,		/* a check failed */
	ENS_E_UNSUPPORTED,	/* valid input we do not handle */
	ENS_E_NOMEM,
	ENS_E_CRYPTO,		/* OpenSSL failed */
};

struct ens_err {
	enum ens_code code;
	int sys_errno;
	char msg[768];
};

/* Fill err and return -1; err may be NULL. */
int ens_fail(struct ens_err *err, enum ens_code code, const char *fmt, ...) ENS_PRINTF(3, 4);
/* As ens_fail with ENS_E_IO, appending ": strerror(errno)". */
int ens_fail_errno(struct ens_err *err, const char *fmt, ...) ENS_PRINTF(2, 3);
/* Append OpenSSL's queued error text, then fail with ENS_E_CRYPTO. */
int ens_fail_crypto(struct ens_err *err, const char *fmt, ...) ENS_PRINTF(2, 3);
/* Prefix an existing message: "PREFIX: old message". Returns -1. */
int ens_err_prefix(struct ens_err *err, const char *fmt, ...) ENS_PRINTF(2, 3);
const char *ens_strerror(enum ens_code code);

#endif
