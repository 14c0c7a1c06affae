/* File I/O policy shared by every command: atomic outputs (temporary file in
 * the same directory, fsync, rename) and bounded whole-file reads. */
#ifndef ENSIGN_IO_H
#define ENSIGN_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "err.h"

struct ens_out {
	char tmp[4096];
	const char *path;
	int fd;
	FILE *fp;			/* buffered stream over fd */
};
/* Create PATH.ensign-XXXXXX next to path with the given mode. */
int ens_out_open(struct ens_out *o, const char *path, mode_t mode, struct ens_err *err);
int ens_out_write(struct ens_out *o, const void *buf, size_t len, struct ens_err *err);
/* Flush, fsync, close and rename over the target. On failure the temporary is removed. */
int ens_out_commit(struct ens_out *o, struct ens_err *err);
/* Close and unlink the temporary (safe to call after a failed commit, or twice). */
void ens_out_abort(struct ens_out *o);
/* Whole buffer to a file, atomically. */
int ens_write_file(const char *path, const void *buf, size_t len, mode_t mode, struct ens_err *err);
/* Read a whole file of at most max bytes (malloc'd; caller frees). */
int ens_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct ens_err *err);
/* Mark a file that no output may replace (the signing key): ens_out_open and
 * ens_out_commit refuse a target naming the same file. 'what' is for messages. */
void ens_out_protect(const char *path, const char *what);
/* Refuse an output path that names the same file as an input. */
int ens_check_not_same(const char *in, const char *out, struct ens_err *err);

#endif
