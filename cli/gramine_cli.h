/* Gramine in the CLI: the steps shared by gramine-sgx-sign, ensign sign and
 * the measure/info/verify format row (gramine-format.md §1.1 steps 4-7). */
#ifndef ENSIGN_GRAMINE_CLI_H
#define ENSIGN_GRAMINE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ensign/gramine.h"
#include "ensign/toml.h"

struct gr_build {
	/* in */
	const char *name;		/* the manifest's name, for messages */
	const char *libpal;
	const char *chroot;
	const char *pkglibdir;
	bool expand;			/* input is APP.manifest (else already .manifest.sgx) */
	bool verbose;			/* the §1.3 report on stdout */
	/* out */
	char *sgx;			/* the .manifest.sgx bytes */
	size_t sgx_len;
	struct ens_gr_expanded deps;
	struct ens_toml *root;		/* parsed back from sgx */
	struct ens_gr_attrs attrs;
	uint8_t mrenclave[32];
	bool missing_file;		/* Gramine's exit 2 case */
};
/* Read a manifest (path "-" = stdin), CRLF/CR -> LF. */
int gr_read_manifest(const char *path, char **text, size_t *len, struct ens_err *err);
/* Parse, expand (if asked), write, parse again, measure. Prints the report
 * when verbose. */
int gr_build_run(struct gr_build *b, const char *text, size_t len, struct ens_err *err);
void gr_build_free(struct gr_build *b);
/* Gramine's pkglibdir: ENSIGN_GRAMINE_PKGLIBDIR, else ENS_GR_PKGLIBDIR; and
 * the default libpal in it (<pkglibdir>/sgx/libpal.so). */
const char *gr_pkglibdir(void);
const char *gr_default_libpal(void);
/* YYYY-MM-DD digits (no calendar check) or "today" (local) as BCD. */
int gr_parse_date(const char *s, uint32_t *bcd);

#endif
