/* Package front end: the application directory as a reproducible CPIO newc
 * archive (libarchive). Entries are sorted bytewise within each directory,
 * a directory comes before its contents, and every field that depends on the
 * host (mtime, owner, device, inode, link count) is fixed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "ensign/package.h"

#define MAX_DEPTH 64

struct writer {
	struct archive *a;
	struct archive_entry *e;
	const char *root;
	int64_t ino;
	struct ens_err *err;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int arc_fail(struct writer *w, const char *what)
{
	return ens_fail(w->err, ENS_E_IO, "cannot archive '%s': %s", what, archive_error_string(w->a));
}

static int add_file_data(struct writer *w, const char *path, const char *rel)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return ens_fail_errno(w->err, "cannot open '%s'", path);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		if (archive_write_data(w->a, buf, n) != (la_ssize_t)n) {
			fclose(f);
			return arc_fail(w, rel);
		}
	if (ferror(f)) {
		fclose(f);
		return ens_fail_errno(w->err, "cannot read '%s'", path);
	}
	fclose(f);
	return 0;
}

/* One entry; a directory recurses. rel is "" for the root. */
static int add_tree(struct writer *w, const char *rel, int depth);

static int add_entry(struct writer *w, const char *rel, int depth)
{
	char path[8192], target[4096];
	struct stat st;
	ssize_t tl;

	if (snprintf(path, sizeof path, "%s/%s", w->root, rel) >= (int)sizeof path)
		return ens_fail(w->err, ENS_E_USAGE, "'%s': path too long", rel);
	if (lstat(path, &st))
		return ens_fail_errno(w->err, "cannot stat '%s'", path);
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return 0;	/* skipped, as myst mkcpio does */
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return ens_fail(w->err, ENS_E_UNSUPPORTED, "'%s': cannot archive this file type "
				"(only files, directories and symbolic links)", path);
	archive_entry_clear(w->e);
	archive_entry_set_pathname(w->e, rel);
	archive_entry_set_mode(w->e, st.st_mode & (S_IFMT | 07777));
	archive_entry_set_ino64(w->e, ++w->ino);
	archive_entry_set_dev(w->e, 0);
	archive_entry_set_nlink(w->e, S_ISDIR(st.st_mode) ? 2 : 1);
	archive_entry_set_mtime(w->e, 0, 0);
	archive_entry_set_uid(w->e, 0);
	archive_entry_set_gid(w->e, 0);
	archive_entry_set_size(w->e, S_ISREG(st.st_mode) ? st.st_size : 0);
	if (S_ISLNK(st.st_mode)) {
		tl = readlink(path, target, sizeof target - 1);
		if (tl < 0)
			return ens_fail_errno(w->err, "cannot read link '%s'", path);
		target[tl] = 0;
		archive_entry_set_symlink(w->e, target);
		archive_entry_set_size(w->e, (la_int64_t)tl);
	}
	if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
		return arc_fail(w, rel);
	if (S_ISREG(st.st_mode))
		return add_file_data(w, path, rel);
	if (S_ISDIR(st.st_mode))
		return add_tree(w, rel, depth + 1);
	return 0;
}

static int add_tree(struct writer *w, const char *rel, int depth)
{
	char dirpath[8192], child[8192];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return ens_fail(w->err, ENS_E_UNSUPPORTED, "'%s': directories nested too deep", rel);
	snprintf(dirpath, sizeof dirpath, "%s/%s", w->root, rel);
	if (!(d = opendir(dirpath)))
		return ens_fail_errno(w->err, "cannot open directory '%s'", dirpath);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **t = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names);

			if (!t) {
				rc = ens_fail(w->err, ENS_E_NOMEM, "out of memory");
				break;
			}
			names = t;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = ens_fail(w->err, ENS_E_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && n > 1)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n && !rc; i++) {
		if (snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", names[i]) >= (int)sizeof child)
			rc = ens_fail(w->err, ENS_E_USAGE, "'%s/%s': path too long", rel, names[i]);
		else
			rc = add_entry(w, child, depth);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int ens_pkg_cpio_create(const char *dir, uint8_t **out, size_t *len, struct ens_err *err)
{
	struct writer w = { .root = dir, .err = err };
	struct stat st;
	char *buf = NULL;
	size_t size = 0;
	FILE *mem;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (stat(dir, &st))
		return ens_fail_errno(err, "cannot open '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return ens_fail(err, ENS_E_USAGE, "'%s' is not a directory", dir);
	if (!(mem = open_memstream(&buf, &size)))
		return ens_fail_errno(err, "cannot allocate the archive");
	w.a = archive_write_new();
	w.e = archive_entry_new();
	if (!w.a || !w.e) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	/* 512-byte blocks: the archive ends padded like myst mkcpio's */
	if (archive_write_set_format_cpio_newc(w.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w.a, 512) != ARCHIVE_OK ||
	    archive_write_open_FILE(w.a, mem) != ARCHIVE_OK) {
		arc_fail(&w, dir);
		goto out;
	}
	if (add_tree(&w, "", 0))
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		arc_fail(&w, dir);
		goto out;
	}
	rc = 0;
out:
	if (w.e)
		archive_entry_free(w.e);
	if (w.a)
		archive_write_free(w.a);
	if (fclose(mem) && !rc)
		rc = ens_fail_errno(err, "cannot write the archive");
	if (rc)
		free(buf);
	else
		*out = (uint8_t *)buf, *len = size;
	return rc;
}

/* libarchive reads a newc entry's name (and a symlink's target) into a buffer
 * sized from the header before it knows the data is there: a forged size
 * costs gigabytes (found by fuzz/fuzz_pkg_cpio.c). Check every newc header's
 * sizes against the archive first; other formats are left to libarchive. */
static int newc_sizes_fit(const uint8_t *p, size_t len, struct ens_err *err)
{
	size_t off = 0;

	if (len < 6 || (memcmp(p, "070701", 6) && memcmp(p, "070702", 6)))
		return 0;
	/* newc: every header exactly where the previous entry ends (libarchive
	 * would resynchronise on garbage), up to the trailer */
	for (;;) {
		uint64_t f[13];

		if (len < 110 || off > len - 110)
			return ens_fail(err, ENS_E_FORMAT, "malformed archive: no TRAILER!!! entry before the end");
		if (memcmp(p + off, "070701", 6) && memcmp(p + off, "070702", 6))
			return ens_fail(err, ENS_E_FORMAT, "malformed archive: no header at offset %zu", off);
		for (int i = 0; i < 13; i++) {
			f[i] = 0;
			for (int j = 0; j < 8; j++) {
				int c = p[off + 6 + 8 * i + j], v = c >= '0' && c <= '9' ? c - '0' :
					c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

				if (v < 0)
					return ens_fail(err, ENS_E_FORMAT, "malformed archive: bad header at offset %zu", off);
				f[i] = f[i] << 4 | (uint64_t)v;
			}
		}
		uint64_t namesize = f[11], filesize = f[6], data;

		if (namesize > len - off - 110)
			return ens_fail(err, ENS_E_FORMAT, "malformed archive: the name at offset %zu runs past the end", off);
		/* a name of at least one byte plus its NUL (libarchive mishandles 0) */
		if (namesize < 2 || p[off + 110 + namesize - 1])
			return ens_fail(err, ENS_E_FORMAT, "malformed archive: bad name at offset %zu", off);
		data = (off + 110 + namesize + 3) & ~(uint64_t)3;
		if (data > len || filesize > len - data)
			return ens_fail(err, ENS_E_FORMAT, "malformed archive: the entry at offset %zu runs past the end", off);
		if (namesize == 11 && !memcmp(p + off + 110, "TRAILER!!!", 11))
			return 0;
		off = (size_t)((data + filesize + 3) & ~(uint64_t)3);
	}
}

int ens_pkg_cpio_list(const uint8_t *cpio, size_t len,
		      int (*fn)(void *ctx, const char *path, unsigned mode, uint64_t size), void *ctx,
		      struct ens_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, rc = 0;

	if (!a)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	if (newc_sizes_fit(cpio, len, err)) {
		archive_read_free(a);
		return -1;
	}
	if (archive_read_support_format_cpio(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, cpio, len) != ARCHIVE_OK) {
		rc = ens_fail(err, ENS_E_FORMAT, "malformed archive: %s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (fn && fn(ctx, archive_entry_pathname(e), (unsigned)archive_entry_mode(e),
			     (uint64_t)archive_entry_size(e))) {
			rc = -1;
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = ens_fail(err, ENS_E_FORMAT, "malformed archive: %s", archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}
