/* Package runner: unpack the measured archive into a private temporary
 * directory (libarchive, refusing "..", absolute paths and writes through
 * symbolic links) and remove it afterwards. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "stub.h"

static int extract(struct archive *in, struct archive *out, const char *root, struct ens_err *err)
{
	struct archive_entry *e;
	char path[8192];
	int r;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (snprintf(path, sizeof path, "%s/%s", root, name) >= (int)sizeof path)
			return ens_fail(err, ENS_E_USAGE, "'%s': path too long", name);
		archive_entry_set_pathname(e, path);
		if (archive_write_header(out, e) != ARCHIVE_OK)
			return ens_fail(err, ENS_E_IO, "cannot unpack '%s': %s", name, archive_error_string(out));
		if (archive_entry_size(e) > 0) {
			const void *buf;
			size_t size;
			la_int64_t off;

			while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
					return ens_fail(err, ENS_E_IO, "cannot unpack '%s': %s", name,
							archive_error_string(out));
			if (r != ARCHIVE_EOF)
				return ens_fail(err, ENS_E_FORMAT, "cannot unpack '%s': %s", name,
						archive_error_string(in));
		}
		if (archive_write_finish_entry(out) != ARCHIVE_OK)
			return ens_fail(err, ENS_E_IO, "cannot unpack '%s': %s", name, archive_error_string(out));
	}
	if (r != ARCHIVE_EOF)
		return ens_fail(err, ENS_E_FORMAT, "malformed archive: %s", archive_error_string(in));
	return 0;
}

int stub_unpack(const uint8_t *cpio, size_t len, char **dir, struct ens_err *err)
{
	const char *tmp = getenv("TMPDIR");
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	char *root = NULL;
	int rc = -1;

	*dir = NULL;
	if (!in || !out || asprintf(&root, "%s/ensign-pkg-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		root = NULL;
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	if (!mkdtemp(root)) {	/* mode 0700 */
		ens_fail_errno(err, "cannot create a directory in '%s'", tmp && *tmp ? tmp : "/tmp");
		goto out;
	}
	*dir = root;
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
				       ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	if (archive_read_support_format_cpio(in) != ARCHIVE_OK || archive_read_open_memory(in, cpio, len) != ARCHIVE_OK) {
		ens_fail(err, ENS_E_FORMAT, "malformed archive: %s", archive_error_string(in));
		goto out;
	}
	rc = extract(in, out, root, err);
	if (!rc && archive_write_close(out) != ARCHIVE_OK)
		rc = ens_fail(err, ENS_E_IO, "cannot unpack: %s", archive_error_string(out));
out:
	if (in)
		archive_read_free(in);
	if (out)
		archive_write_free(out);
	if (!*dir)
		free(root);
	return rc;
}

/* Directories first made writable (the application may have made some
 * read-only), then everything removed children first. */
static int open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void stub_remove_tree(const char *dir)
{
	nftw(dir, open_up, 32, FTW_PHYS);
	nftw(dir, remove_one, 32, FTW_DEPTH | FTW_PHYS);
}
