/* Test helper for tests/cli/key_hygiene.sh: opens a PEM key through the
 * signer, signs, frees it, then searches this process's writable memory for
 * what must not survive: the key file's base64 lines and the private
 * exponent. The patterns are held XOR-masked so they never match themselves.
 * Usage: key_residue KEY.pem D_HEX [--leak]  -> prints "residue N" (places found). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ensign/signer.h"
#include "ensign/util.h"

#define MASK 0x5a
struct pat { unsigned char b[400]; size_t n; };
static struct pat pats[64];
static size_t npats;

static void add(const unsigned char *p, size_t n)
{
	if (npats < 64 && n <= sizeof pats[0].b) {
		for (size_t i = 0; i < n; i++)
			pats[npats].b[i] = p[i] ^ MASK;
		pats[npats++].n = n;
	}
}

/* Under ASan, RESIDUE_DEBUG=1 says which allocation holds a find. */
void __asan_describe_address(void *addr) __attribute__((weak));
static unsigned long debug_base;
static size_t count_in(const unsigned char *p, size_t n, const struct pat *pt)
{
	size_t found = 0;
	unsigned char first = pt->b[0] ^ MASK;

	for (const unsigned char *q = p; (q = memchr(q, first, n - (size_t)(q - p))); q++) {
		size_t k = 1;

		if ((size_t)(q - p) + pt->n > n)
			break;
		while (k < pt->n && (q[k] ^ MASK) == pt->b[k])
			k++;
		found += k == pt->n;
		if (k == pt->n && debug_base && __asan_describe_address)
			__asan_describe_address((void *)(debug_base + (unsigned long)(q - p)));
	}
	return found;
}

int main(int argc, char **argv)
{
	struct ens_signer *s;
	struct ens_err err;
	unsigned char sig[384], msg[256] = { 1 }, d[384], file[8192];
	static char maps[1 << 16];
	size_t dlen, residue = 0;
	ssize_t len;
	int fd, memfd;

	/* --leak: a positive control, as a signer that forgets to wipe would be */
	bool leak = argc == 4 && !strcmp(argv[3], "--leak");

#ifdef __SANITIZE_ADDRESS__
	/* Under ASan this search does not find even the --leak control (the
	 * allocator's freed blocks are not where a plain malloc leaves them), so
	 * the check proves nothing there: it runs in the normal build. */
	if (!getenv("RESIDUE_DEBUG")) {
		printf("skip ASan build\n");
		return 0;
	}
#endif
	if ((argc != 3 && !leak) || (dlen = strlen(argv[2]) / 2) > sizeof d || ens_unhex(argv[2], d, dlen))
		return fprintf(stderr, "usage: key_residue KEY.pem D_HEX\n"), 2;
	add(d, dlen);
	memset(d, 0, sizeof d);
	fd = open(argv[1], O_RDONLY);
	len = fd < 0 ? -1 : read(fd, file, sizeof file);
	if (len <= 0)
		return perror(argv[1]), 1;
	close(fd);
	for (unsigned char *l = file, *e; l < file + len; l = e + 1) {
		e = memchr(l, '\n', (size_t)(file + len - l));
		if (!e)
			e = file + len;
		if (e - l >= 40 && l[0] != '-')
			add(l, (size_t)(e - l));
	}
	if (ens_signer_open_pem(&s, argv[1], NULL, NULL, 0, &err) || ens_signer_sign(s, msg, sizeof msg, sig, &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	ens_signer_free(s);
	if (leak) {
		volatile unsigned char *copy = malloc((size_t)len);

		/* volatile stores: a memcpy before free is a dead store to an optimizer */
		for (ssize_t i = 0; copy && i < len; i++)
			copy[i] = file[i];
		free((void *)copy);	/* freed unwiped: the bytes stay in the heap */
	}
	memset(file, 0, sizeof file);
	/* no heap allocation from here on: it could overwrite what we look for */
	fd = open("/proc/self/maps", O_RDONLY);
	len = fd < 0 ? -1 : read(fd, maps, sizeof maps - 1);
	memfd = open("/proc/self/mem", O_RDONLY);
	if (len <= 0 || memfd < 0)
		return perror("/proc/self"), 1;
	maps[len] = 0;
	for (char *l = maps, *e; *l; l = e + 1) {
		unsigned long lo, hi;
		char perms[8];
		unsigned char *buf;

		e = strchr(l, '\n');
		if (!e)
			break;
		*e = 0;
		/* writable memory but the stack (argv) */
		if (sscanf(l, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' || perms[1] != 'w' ||
		    strstr(l, "[stack]") || hi - lo > (256ul << 20))
			continue;
		buf = mmap(NULL, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			continue;
		debug_base = getenv("RESIDUE_DEBUG") ? lo : 0;
		if (pread(memfd, buf, hi - lo, (off_t)lo) == (ssize_t)(hi - lo))
			for (size_t i = 0; i < npats; i++) {
				size_t c = count_in(buf, hi - lo, &pats[i]);

				if (c && getenv("RESIDUE_DEBUG"))
					fprintf(stderr, "pattern %zu (%zu bytes) found %zu times in %s\n", i, pats[i].n, c, l);
				residue += c;
			}
		munmap(buf, hi - lo);
	}
	printf("residue %zu (%zu patterns)\n", residue, npats);
	return 0;
}
