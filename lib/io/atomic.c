/* Atomic outputs: write a temporary file next to the target, fsync, rename.
 * A crash or an error leaves either the old file or the new one, never half. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ensign/io.h"

int ens_out_open(struct ens_out *o, const char *path, mode_t mode, struct ens_err *err)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if (!path || !*path)
		return ens_fail(err, ENS_E_USAGE, "empty output path");
	if (snprintf(o->tmp, sizeof o->tmp, "%s.ensign-XXXXXX", path) >= (int)sizeof o->tmp)
		return ens_fail(err, ENS_E_IO, "output path too long: '%s'", path);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		o->tmp[0] = 0;
		return ens_fail_errno(err, "cannot create output '%s'", path);
	}
	o->path = path;
	if (fchmod(o->fd, mode)) {
		ens_fail_errno(err, "cannot set the mode of '%s'", o->tmp);
		ens_out_abort(o);
		return -1;
	}
	o->fp = fdopen(o->fd, "wb");
	if (!o->fp) {
		ens_fail_errno(err, "cannot open '%s'", o->tmp);
		ens_out_abort(o);
		return -1;
	}
	return 0;
}

int ens_out_write(struct ens_out *o, const void *buf, size_t len, struct ens_err *err)
{
	if (len && fwrite(buf, 1, len, o->fp) != len)
		return ens_fail_errno(err, "cannot write '%s'", o->path);
	return 0;
}

int ens_out_commit(struct ens_out *o, struct ens_err *err)
{
	if (fflush(o->fp) || fsync(o->fd)) {
		ens_fail_errno(err, "cannot write '%s'", o->path);
		ens_out_abort(o);
		return -1;
	}
	if (fclose(o->fp)) {
		o->fp = NULL;
		o->fd = -1;
		ens_fail_errno(err, "cannot write '%s'", o->path);
		ens_out_abort(o);
		return -1;
	}
	o->fp = NULL;
	o->fd = -1;
	if (rename(o->tmp, o->path)) {
		ens_fail_errno(err, "cannot rename '%s' to '%s'", o->tmp, o->path);
		ens_out_abort(o);
		return -1;
	}
	o->tmp[0] = 0;
	return 0;
}

void ens_out_abort(struct ens_out *o)
{
	int saved = errno;

	if (o->fp)
		fclose(o->fp);
	else if (o->fd >= 0)
		close(o->fd);
	o->fp = NULL;
	o->fd = -1;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
	errno = saved;
}

int ens_write_file(const char *path, const void *buf, size_t len, mode_t mode, struct ens_err *err)
{
	struct ens_out o;

	if (ens_out_open(&o, path, mode, err))
		return -1;
	if (ens_out_write(&o, buf, len, err)) {
		ens_out_abort(&o);
		return -1;
	}
	return ens_out_commit(&o, err);
}

int ens_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct ens_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *b;
	size_t n;

	*buf = NULL;
	*len = 0;
	if (!f)
		return ens_fail_errno(err, "cannot open '%s'", path);
	if (fstat(fileno(f), &st)) {
		fclose(f);
		return ens_fail_errno(err, "cannot stat '%s'", path);
	}
	if (S_ISDIR(st.st_mode)) {
		fclose(f);
		return ens_fail(err, ENS_E_IO, "'%s' is a directory", path);
	}
	if ((uint64_t)st.st_size > max) {
		fclose(f);
		return ens_fail(err, ENS_E_FORMAT, "'%s' is too large (%lld bytes, at most %zu expected)",
				path, (long long)st.st_size, max);
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		fclose(f);
		return ens_fail(err, ENS_E_NOMEM, "out of memory reading '%s'", path);
	}
	n = fread(b, 1, (size_t)st.st_size + 1, f);
	if (ferror(f)) {
		free(b);
		fclose(f);
		return ens_fail_errno(err, "cannot read '%s'", path);
	}
	fclose(f);
	if (n > max) {
		free(b);
		return ens_fail(err, ENS_E_FORMAT, "'%s' is too large", path);
	}
	*buf = b;
	*len = n;
	return 0;
}

int ens_check_not_same(const char *in, const char *out, struct ens_err *err)
{
	struct stat a, b;

	if (stat(in, &a) || stat(out, &b))
		return 0;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return ens_fail(err, ENS_E_USAGE, "output '%s' is the input file", out);
	return 0;
}
