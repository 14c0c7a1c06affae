/* Unit tests of the package front end: sizes, config.json defaults and
 * values, and the exact CPIO newc header bytes (reproducible fields). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "ensign/package.h"
#include "tap.h"

static void sizes(void)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "1k", 1024 }, { "1K", 1024 }, { "64m", 64ull << 20 },
		{ "2G", 2ull << 30 }, { "1536k", 1536ull << 10 },
	};
	static const char *const bad[] = { "", "k", "1kb", "1t", "-1", " 1", "1 ", "1.5m", "999999999999g" };
	uint64_t v;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		CHECK(!ens_pkg_parse_size(ok[i].s, &v) && v == ok[i].v, "size '%s'", ok[i].s);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(ens_pkg_parse_size(bad[i], &v), "size '%s' accepted", bad[i]);
}

static int parse(const char *json, struct ens_pkg_config *c, struct ens_err *err)
{
	return ens_pkg_config_parse((const uint8_t *)json, strlen(json), "c.json", c, err);
}

static void config(void)
{
	struct ens_pkg_config c;
	struct ens_err err = { 0 };

	CHECK(!parse("{\"version\": \"0.1\", \"ApplicationPath\": \"/a\"}", &c, &err), "%s", err.msg);
	CHECK(!c.debug && c.memory_size == ENS_PKG_DEFAULT_MEMORY && c.main_stack_size == (1536u << 10) &&
	      !c.thread_stack_size && c.fork_mode == ENS_PKG_FORK_NONE && !c.cwd && c.app_params.n == 0,
	      "defaults");
	ens_pkg_config_free(&c);
	CHECK(parse("{\"version\": \"0.1\", \"ApplicationPath\": \"/a\", \"MemorySize\": 5000,"
		    " \"UserMemSize\": 0}", &c, &err) && strstr(err.msg, "old name"), "both memory keys accepted");
	CHECK(!parse("{\"version\": \"0.1\", \"ApplicationPath\": \"/a\", \"Debug\": 1, \"MemorySize\": 5000,"
		     " \"MainStackSize\": \"1m\", \"ProductID\": 7, \"SecurityVersion\": 65534, \"ForkMode\":"
		     " \"pseudo\", \"ApplicationParameters\": [\"x\", \"y\"]}", &c, &err), "%s", err.msg);
	CHECK(c.debug && c.memory_size == 8192 && c.main_stack_size == (1u << 20) && c.product_id == 7 &&
	      c.security_version == 65534 && c.fork_mode == ENS_PKG_FORK_PSEUDO && c.app_params.n == 2 &&
	      !strcmp(c.app_params.v[1], "y"), "values");
	ens_pkg_config_free(&c);
	CHECK(!parse("{\"version\": \"0.1\", \"ApplicationPath\": \"/a\", \"UserMemSize\": \"1m\"}", &c, &err) &&
	      c.deprecated_user_mem_size && c.memory_size == (1u << 20), "UserMemSize");
	ens_pkg_config_free(&c);
	CHECK(parse("{\"version\": \"0.1\", \"ApplicationPath\": \"/a\", \"MemorySize\": \"1x\"}", &c, &err) &&
	      strstr(err.msg, "'c.json': 'MemorySize'"), "malformed size: %s", err.msg);
}

/* newc header: 070701 then 13 8-digit hex fields. */
static unsigned long field(const uint8_t *h, int i)
{
	char buf[9];

	memcpy(buf, h + 6 + 8 * i, 8);
	buf[8] = 0;
	return strtoul(buf, NULL, 16);
}

static void cpio(void)
{
	char dir[] = "/tmp/t_pkg.XXXXXX", path[64];
	struct ens_err err = { 0 };
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/b", dir);
	f = fopen(path, "w");
	if (f) {
		fputs("bee", f);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/a", dir);
	mkdir(path, 0755);
	CHECK(!ens_pkg_cpio_create(dir, &a, &alen, &err), "%s", err.msg);
	CHECK(alen % 512 == 0 && alen > 110 && !memcmp(a, "070701", 6), "newc, 512-byte padding");
	if (alen > 110) {
		/* first entry "a" (sorted): ino 1, dir, uid/gid 0, nlink 2, mtime 0, dev 0 */
		CHECK(field(a, 0) == 1 && field(a, 1) == 040755 && field(a, 2) == 0 && field(a, 3) == 0 &&
		      field(a, 4) == 2 && field(a, 5) == 0 && field(a, 7) == 0 && field(a, 8) == 0 &&
		      field(a, 11) == 2 && !memcmp(a + 110, "a", 2), "first header");
	}
	snprintf(path, sizeof path, "%s/b", dir);
	CHECK(!utimes(path, (struct timeval[2]){ { 1000, 0 }, { 1000, 0 } }), "utimes");
	CHECK(!ens_pkg_cpio_create(dir, &b, &blen, &err) && blen == alen && !memcmp(a, b, alen), "mtime does not matter");
	unlink(path);
	snprintf(path, sizeof path, "%s/a", dir);
	rmdir(path);
	rmdir(dir);
	free(a);
	free(b);
}

int main(void)
{
	sizes();
	config();
	cpio();
	return tap_done();
}
