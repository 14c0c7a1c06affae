/* Packages (Mystikos `myst package-sgx` style): an application directory and
 * its config.json in one signed executable. config.json: lib/front/pkg_config.c;
 * CPIO archive: lib/front/pkg_cpio.c; enclave layout: lib/front/pkg_layout.c
 * (the application layout of app.h plus measured read-only regions); the
 * package file: lib/back/pkg_write.c and lib/front/pkg_read.c. */
#ifndef ENSIGN_PACKAGE_H
#define ENSIGN_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app.h"
#include "err.h"
#include "sgx.h"
#include "sigstruct.h"

/* ---- config.json ---- */

#define ENS_PKG_DEFAULT_MEMORY (64ull << 20)
#define ENS_PKG_DEFAULT_MAIN_STACK (1536ull << 10)

struct ens_pkg_strlist {
	char **v;
	size_t n;
};

enum ens_pkg_fork_mode { ENS_PKG_FORK_NONE, ENS_PKG_FORK_PSEUDO, ENS_PKG_FORK_PSEUDO_WAIT_EXEC };

/* Every key of the Mystikos schema. Sizes are page-rounded, as Mystikos does. */
struct ens_pkg_config {
	bool debug;
	uint16_t product_id, security_version;
	uint64_t memory_size;			/* MemorySize (or UserMemSize); 0 → default */
	uint64_t main_stack_size;
	uint64_t thread_stack_size;		/* 0: not given */
	uint32_t max_affinity_cpus;		/* 0: not given */
	bool no_brk, exec_stack, unhandled_syscall_enosys, host_uds;
	bool host_application_parameters;
	bool create_zero_base_enclave;
	uint64_t enclave_start_address;
	char *application_path;			/* required, absolute */
	char *cwd, *hostname, *syslog_level;	/* NULL: not given */
	struct ens_pkg_strlist app_params, env, host_env;
	enum ens_pkg_fork_mode fork_mode;
	size_t nmounts, nsecrets;
	bool deprecated_user_mem_size;		/* UserMemSize was used: the caller warns */
};

/* Parse config.json bytes; 'name' is the file name used in messages
 * ("'config.json': ..."). Unknown keys, wrong types, duplicate keys, a missing
 * version or ApplicationPath and malformed sizes are errors. */
int ens_pkg_config_parse(const uint8_t *buf, size_t len, const char *name, struct ens_pkg_config *c,
			 struct ens_err *err);
void ens_pkg_config_free(struct ens_pkg_config *c);
/* "N", "Nk", "Nm", "Ng" (case-insensitive, base 1024). 0 ok, -1 malformed or too large. */
int ens_pkg_parse_size(const char *s, uint64_t *out);
const char *ens_pkg_fork_mode_name(enum ens_pkg_fork_mode m);

/* ---- the archive of APPDIR (CPIO newc, reproducible) ---- */

/* Sorted paths (bytewise, each directory before its contents), mtime 0,
 * uid/gid 0, dev 0, inode = entry index, regular files, directories and
 * symbolic links; character devices and FIFOs are skipped, as Mystikos does. */
int ens_pkg_cpio_create(const char *dir, uint8_t **out, size_t *len, struct ens_err *err);
/* Call fn for each entry (path without "./", mode, size). */
int ens_pkg_cpio_list(const uint8_t *cpio, size_t len,
		      int (*fn)(void *ctx, const char *path, unsigned mode, uint64_t size), void *ctx,
		      struct ens_err *err);

/* ---- the package file ---- */

enum ens_pkg_target { ENS_PKG_SGX = 1, ENS_PKG_LINUX = 2 };
const char *ens_pkg_target_name(enum ens_pkg_target t);

/* The file: stub (runner ELF) ++ archive ++ config ++ image ++ SIGSTRUCT ++
 * trailer (64 bytes, at the very end, its magic last). */
#define ENS_PKG_MAGIC "ENSIGNPK"
#define ENS_PKG_VERSION 1u
struct ens_pkg_trailer {
	uint32_t version;		/* 0: 1 */
	uint32_t target;		/* 4: enum ens_pkg_target */
	uint64_t stub_len;		/* 8 */
	uint64_t archive_len;		/* 16 */
	uint64_t config_len;		/* 24 */
	uint64_t image_len;		/* 32 */
	uint8_t reserved[16];		/* 40: zero */
	uint8_t magic[8];		/* 56: "ENSIGNPK" */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_pkg_trailer) == 64, "package trailer");

/* The first page of the measured package regions: it binds the target, the
 * region sizes and the whole image file (the app layout measures only its
 * loaded segments) into MRENCLAVE. The rest of the page is zero. */
#define ENS_PKG_DESC_MAGIC "ENSIGNPD"
struct ens_pkg_desc {
	uint8_t magic[8];		/* 0: "ENSIGNPD" */
	uint32_t version;		/* 8: 1 */
	uint32_t target;		/* 12 */
	uint64_t config_offset;		/* 16: enclave offset of the config bytes */
	uint64_t config_len;		/* 24 */
	uint64_t archive_offset;	/* 32 */
	uint64_t archive_len;		/* 40 */
	uint64_t image_len;		/* 48 */
	uint8_t image_sha256[32];	/* 56: SHA-256 of the whole image file */
} ENS_PACKED;
_Static_assert(sizeof(struct ens_pkg_desc) == 88, "package descriptor");

/* A package in memory (views into 'file', which is owned). */
struct ens_pkg {
	uint8_t *file;
	size_t file_len;
	struct ens_pkg_trailer tr;
	const uint8_t *stub, *archive, *config, *image;
	struct ens_sigstruct sig;
};
/* Cheap test: the last 8 bytes of a file are ENS_PKG_MAGIC. */
bool ens_pkg_probe_tail(const uint8_t tail[8]);
int ens_pkg_open(struct ens_pkg *p, const char *path, struct ens_err *err);
/* Takes over buf (malloc'd). */
int ens_pkg_open_buffer(struct ens_pkg *p, const char *name, uint8_t *buf, size_t len, struct ens_err *err);
void ens_pkg_close(struct ens_pkg *p);

/* ---- the enclave of a package ---- */

/* The application layout (MemorySize → heap, MainStackSize → stack, sgx1)
 * with the package regions (descriptor page, config, archive: REG R,
 * measured) placed after the thread blocks, before the configuration page
 * and heap, and counted in the enclave size. */
struct ens_pkg_layout {
	struct ens_app_layout app;
	struct ens_pkg_desc desc;
	uint64_t regions_offset, regions_size;
};
struct ens_pkg_input {
	enum ens_pkg_target target;
	const struct ens_pkg_config *cfg;
	const uint8_t *config;		/* raw config.json bytes */
	size_t config_len;
	const uint8_t *archive;
	size_t archive_len;
	const uint8_t *image;
	size_t image_len;
};
int ens_pkg_plan(const struct ens_app *app, const struct ens_pkg_input *in, struct ens_pkg_layout *lay,
		 struct ens_err *err);
int ens_pkg_stream(const struct ens_app *app, const struct ens_pkg_layout *lay, const struct ens_pkg_input *in,
		   struct ens_sink *sink, struct ens_err *err);
/* Open the image, plan and measure: MRENCLAVE of the package enclave. */
int ens_pkg_measure(const struct ens_pkg_input *in, uint8_t mr[32], struct ens_err *err);

/* The SIGSTRUCT fields of a package (ENCLAVEHASH = mr): Debug → DEBUG
 * attribute, ProductID → ISVPRODID, SecurityVersion → ISVSVN, xfrm 3. */
void ens_pkg_sigstruct_fields(const struct ens_pkg_config *cfg, const uint8_t mr[32], uint32_t date,
			      struct ens_sigstruct_fields *f);

/* MRENCLAVE of a package's payload (config parsed, image measured). */
int ens_pkg_mrenclave(const struct ens_pkg *p, const char *name, uint8_t mr[32], struct ens_err *err);
/* Check a whole package: config parses, MRENCLAVE recomputed from the
 * payload equals the SIGSTRUCT's, the signature and every SIGSTRUCT rule
 * hold, the SIGSTRUCT fields match the config. The message names what
 * failed. cfg (may be NULL) receives the parsed config (caller frees). */
int ens_pkg_verify(const struct ens_pkg *p, const char *name, struct ens_pkg_config *cfg, uint8_t mr[32],
		   struct ens_err *err);

/* Write stub ++ payload ++ trailer to path atomically with mode 0755. */
int ens_pkg_write(const char *path, const uint8_t *stub, size_t stub_len, const struct ens_pkg_input *in,
		  const struct ens_sigstruct *sig, struct ens_err *err);

#endif
