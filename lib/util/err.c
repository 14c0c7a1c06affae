/* Error reporting: messages are built where the context is, passed up unchanged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "ensign/err.h"

static void vfill(struct ens_err *err, enum ens_code code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int ens_fail(struct ens_err *err, enum ens_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->sys_errno = 0;
	va_start(ap, fmt);
	vfill(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int ens_fail_errno(struct ens_err *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vfill(err, ENS_E_IO, fmt, ap);
	va_end(ap);
	err->sys_errno = saved;
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(saved));
	return -1;
}

int ens_fail_crypto(struct ens_err *err, const char *fmt, ...)
{
	unsigned long e = ERR_get_error();
	va_list ap;
	size_t n;

	if (!err) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	vfill(err, ENS_E_CRYPTO, fmt, ap);
	va_end(ap);
	err->sys_errno = 0;
	if (e) {
		char buf[256];

		ERR_error_string_n(e, buf, sizeof buf);
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, " (%s)", buf);
	}
	ERR_clear_error();
	return -1;
}

int ens_err_prefix(struct ens_err *err, const char *fmt, ...)
{
	char prefix[384], old[sizeof err->msg];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
	return -1;
}

const char *ens_strerror(enum ens_code code)
{
	switch (code) {
	case ENS_OK: return "success";
	case ENS_E_USAGE: return "invalid arguments";
	case ENS_E_IO: return "input/output error";
	case ENS_E_FORMAT: return "malformed input";
	case ENS_E_KEY: return "unusable key";
	case ENS_E_SIGNER: return "signer failed";
	case ENS_E_VERIFY: return "verification failed";
	case ENS_E_UNSUPPORTED: return "unsupported input";
	case ENS_E_NOMEM: return "out of memory";
	case ENS_E_CRYPTO: return "cryptographic library error";
	}
	return "unknown error";
}
