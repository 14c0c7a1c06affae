/* The package runner ("stub"): the program at the front of every package
 * made by `ensign package`. It checks its own payload against its SIGSTRUCT,
 * then runs the application (linux target) or explains why it cannot (sgx). */
#ifndef ENSIGN_PKGSTUB_H
#define ENSIGN_PKGSTUB_H

#include "ensign/io.h"
#include "ensign/package.h"

/* Exit statuses of the runner itself (the application's own status otherwise). */
#define STUB_EXIT_HOST_ARGS 2	/* host arguments given, HostApplicationParameters false */
#define STUB_EXIT_NO_SGX 3	/* an sgx package on a host that cannot run it */
#define STUB_EXIT_FAILED 125	/* tampered package, or cannot unpack or start */

extern const char *stub_name;
void stub_error(const char *fmt, ...) ENS_PRINTF(1, 2);

/* Unpack the archive into a new private directory (mode 0700); *dir is malloc'd. */
int stub_unpack(const uint8_t *cpio, size_t len, char **dir, struct ens_err *err);
/* Remove the tree (never following symbolic links). */
void stub_remove_tree(const char *dir);

#endif
