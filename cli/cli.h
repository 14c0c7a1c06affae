/* The ensign command-line tool: shared declarations. Only the CLI prints;
 * the library reports through struct ens_err. Exit status: 0 success,
 * 1 failure, 2 usage error (personalities may map to their peer's codes). */
#ifndef ENSIGN_CLI_H
#define ENSIGN_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "ensign/ensign.h"

#define EXIT_USAGE 2

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command name */
	const char *summary;
};

extern const char *cli_prog;	/* "ensign", or the personality name */

/* "ensign: <msg>" on stderr; returns 1. */
int cli_error(const struct ens_err *err);
int cli_errorf(const char *fmt, ...) ENS_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) ENS_PRINTF(1, 2);
void cli_note(const char *fmt, ...) ENS_PRINTF(1, 2);
/* "ensign <cmd>: <msg>" plus "usage: ..." on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) ENS_PRINTF(2, 3);

/* The key options every signing command shares.
 * keyspec: NULL or "" = built-in debug key (warns), "debug" = the same,
 * a path = PEM file. (Later: "pkcs11:" URIs.) production with the debug key
 * is an error. Prints warnings (world-readable key, debug key) itself. */
int cli_open_signer(const char *keyspec, bool production, struct ens_signer **out,
		    struct ens_err *err);

/* Write a 1808-byte SIGSTRUCT atomically to path (mode 0644). */
int cli_write_sigstruct(const char *path, const struct ens_sigstruct *s, struct ens_err *err);

/* JSON string escaping to stdout. */
void cli_json_str(const char *s);
/* Print a sigstruct's fields; json=true prints one JSON object (no newline
 * handling by caller needed). */
void cli_print_sigstruct(const struct ens_sigstruct *s, bool json, const char *indent);

/* Input-format registry used by the generic commands measure, info and verify.
 * Each format that ensign can read adds one row in cli/formats.c. */
struct cli_format {
	const char *name;
	/* true if the file looks like this format (head = first bytes, up to 4096) */
	bool (*probe)(const char *path, const uint8_t *head, size_t len, uint64_t file_size);
	/* ensign measure FILE [args]: print one MRENCLAVE per memory model. */
	int (*measure)(const char *path, int argc, char **argv, bool json);
	/* ensign info FILE */
	int (*info)(const char *path, int argc, char **argv, bool json);
	/* ensign verify FILE (embedded signature); NULL if not applicable */
	int (*verify)(const char *path, int argc, char **argv);
};
const struct cli_format *cli_format_detect(const char *path, struct ens_err *err);

#endif
