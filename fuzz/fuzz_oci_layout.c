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
#include <sys/stat.h>
#include <openssl/sha.h>
#include "ensign/oci.h"
#include "fuzz_common.h"

#define SEP "\n--8<--\n"
#define NCHUNK 10

static char dir[64];
static char written[NCHUNK][200];

struct chunk { uint8_t *p; size_t n; char hex[65]; };

static void cleanup(void)
{
	char path[128];

	for (int i = 0; i < NCHUNK; i++)
		if (*written[i])
			unlink(written[i]);
	snprintf(path, sizeof path, "%s/blobs/sha256", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/blobs", dir);
	rmdir(path);
	rmdir(dir);
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

/* Chunk i with "@D" / "#D" replaced by chunk D's digest / size (D > i). */
static void substitute(struct chunk *c, int i, int nchunk)
{
	size_t marks = 0, o = 0;
	uint8_t *out;

	for (size_t k = 0; k < c[i].n; k++)
		marks += c[i].p[k] == '@' || c[i].p[k] == '#';
	out = malloc(c[i].n + marks * 71 + 1);	/* "@D" (2 bytes) becomes at most 71 */

	if (!out)
		abort();
	for (size_t k = 0; k < c[i].n; k++) {
		uint8_t ch = c[i].p[k];
		int d = k + 1 < c[i].n ? c[i].p[k + 1] - '0' : -1;

		if ((ch == '@' || ch == '#') && d > i && d < nchunk) {
			o += (size_t)(ch == '@' ? sprintf((char *)out + o, "sha256:%s", c[d].hex)
						: sprintf((char *)out + o, "%zu", c[d].n));
			k++;
			continue;
		}
		out[o++] = ch;
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
	char path[200], ref[100];
	const uint8_t *p = data, *end = data + size;
	size_t nfiles = 0;
	int n = 0;

	if (!*dir)
		setup();
	for (int i = 0; i < NCHUNK; i++)
		if (*written[i]) {
			unlink(written[i]);
			*written[i] = 0;
		}
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
	for (int i = 0; i < n; i++) {
		if (i == 0)
			snprintf(path, sizeof path, "%s/oci-layout", dir);
		else if (i == 1)
			snprintf(path, sizeof path, "%s/index.json", dir);
		else
			snprintf(path, sizeof path, "%s/blobs/sha256/%s", dir, c[i].hex);
		put(path, c[i].p, c[i].n);
		snprintf(written[i], sizeof written[i], "%s", path);
	}
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
