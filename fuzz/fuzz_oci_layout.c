/* Fuzz target (container branch): an OCI image layout directory through
 * ens_oci_open ("oci:DIR": oci-layout, index.json, nested indexes, manifest,
 * config, layer list) and the enclave search over its layers.
 *
 * The input is chunks separated by "\n--8<--\n": chunk 0 is oci-layout,
 * chunk 1 index.json, chunks 2..9 blobs stored under their own digests. A
 * fuzzer cannot guess SHA-256 digests, so in chunk i the text "@D" becomes
 * the digest of chunk D and "#D" its size (for D > i, chunks being final
 * from the last back), and descriptors stay valid while their documents
 * mutate. The directory lives in /dev/shm when it exists (no disk). */
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <openssl/sha.h>
#include "ensign/oci.h"
#include "fuzz_common.h"

#define SEP "\n--8<--\n"
#define NCHUNK 10

static char dir[64];
/* A file on disk and the digest of what it holds ("" path: none). */
struct file { char path[200]; char hex[65]; };
static struct file written[NCHUNK];

struct chunk { uint8_t *p; size_t n; char hex[65]; };

static void cleanup(void)
{
	char path[128];

	for (int i = 0; i < NCHUNK; i++)
		if (*written[i].path)
			unlink(written[i].path);
	snprintf(path, sizeof path, "%s/blobs/sha256", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/blobs", dir);
	rmdir(path);
	rmdir(dir);
}

/* Whether set[] has a file of that path and content. */
static bool has(const struct file *set, const struct file *f)
{
	for (int i = 0; i < NCHUNK; i++)
		if (*set[i].path && !strcmp(set[i].path, f->path) && !strcmp(set[i].hex, f->hex))
			return true;
	return false;
}

static void setup(void)
{
	char path[128];

	snprintf(dir, sizeof dir, "%s/ensign-fuzz-oci-XXXXXX", access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/blobs", dir);
	if (mkdir(path, 0700))
		abort();
	snprintf(path, sizeof path, "%s/blobs/sha256", dir);
	if (mkdir(path, 0700))
		abort();
	atexit(cleanup);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		abort();
}

/* The next '@' or '#' in [p, end), or end (libc's memchr: the harness
 * itself is instrumented, and byte loops over layer tars would dominate). */
static const uint8_t *next_mark(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *a = memchr(p, '@', (size_t)(end - p)), *h = memchr(p, '#', (size_t)(end - p));

	if (!a)
		return h ? h : end;
	return h && h < a ? h : a;
}

/* Chunk i with "@D" / "#D" replaced by chunk D's digest / size (D > i). */
static void substitute(struct chunk *c, int i, int nchunk)
{
	const uint8_t *p = c[i].p, *end = p + c[i].n, *m;
	size_t marks = 0, o = 0;
	uint8_t *out;

	for (m = next_mark(p, end); m < end; m = next_mark(m + 1, end))
		marks++;
	out = malloc(c[i].n + marks * 71 + 1);	/* "@D" (2 bytes) becomes at most 71 */
	if (!out)
		abort();
	while (p < end) {
		int d;

		m = next_mark(p, end);
		memcpy(out + o, p, (size_t)(m - p));
		o += (size_t)(m - p);
		if (m == end)
			break;
		d = m + 1 < end ? m[1] - '0' : -1;
		if (d > i && d < nchunk) {
			o += (size_t)(*m == '@' ? sprintf((char *)out + o, "sha256:%s", c[d].hex)
						: sprintf((char *)out + o, "%zu", c[d].n));
			p = m + 2;
		} else {
			out[o++] = *m;
			p = m + 1;
		}
	}
	c[i].p = out;
	c[i].n = o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunk c[NCHUNK];
	struct ens_oci_image img;
	struct ens_oci_file *files = NULL;
	struct ens_err err;
	char ref[100];
	const uint8_t *p = data, *end = data + size;
	size_t nfiles = 0;
	int n = 0;

	if (!*dir)
		setup();
	while (n < NCHUNK) {
		const uint8_t *s = memmem(p, (size_t)(end - p), SEP, strlen(SEP));

		if (!s || n == NCHUNK - 1)
			s = end;
		c[n++] = (struct chunk){ .p = (uint8_t *)p, .n = (size_t)(s - p) };
		if (s == end)
			break;
		p = s + strlen(SEP);
	}
	for (int i = n - 1; i >= 0; i--) {
		uint8_t md[32];

		substitute(c, i, n);
		SHA256(c[i].p, c[i].n, md);
		for (int k = 0; k < 32; k++)
			sprintf(c[i].hex + 2 * k, "%02x", md[k]);
	}
	/* Files are rewritten only when they change (a blob's name is its
	 * digest, so a blob of the same name is the same blob): most runs
	 * change two or three of them. */
	struct file now[NCHUNK] = { 0 };
	for (int i = 0; i < n; i++) {
		if (i == 0)
			snprintf(now[i].path, sizeof now[i].path, "%s/oci-layout", dir);
		else if (i == 1)
			snprintf(now[i].path, sizeof now[i].path, "%s/index.json", dir);
		else
			snprintf(now[i].path, sizeof now[i].path, "%s/blobs/sha256/%s", dir, c[i].hex);
		memcpy(now[i].hex, c[i].hex, sizeof now[i].hex);
	}
	for (int i = 0; i < NCHUNK; i++)	/* what the input no longer has */
		if (*written[i].path && !has(now, &written[i]))
			unlink(written[i].path);
	for (int i = 0; i < n; i++)
		if (!has(written, &now[i]))
			put(now[i].path, c[i].p, c[i].n);
	memcpy(written, now, sizeof written);
	for (int i = 0; i < n; i++)
		free(c[i].p);
	snprintf(ref, sizeof ref, "oci:%s%s", dir, size && (data[size - 1] & 1) ? ":latest" : "");
	if (ens_oci_open(&img, ref, &err)) {
		if (!err.msg[0])
			abort();
		if (getenv("FUZZ_VERBOSE"))	/* to check that seeds get through */
			fprintf(stderr, "open: %s\n", err.msg);
		return 0;
	}
	if (ens_oci_find_enclaves(&img, &files, &nfiles, &err) == 0)
		ens_oci_files_free(files, nfiles);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "opened: %zu layers, %zu enclaves%s%s\n", img.nlayers, nfiles,
			nfiles ? "" : ": ", nfiles ? "" : err.msg);
	ens_oci_close(&img);
	return 0;
}
