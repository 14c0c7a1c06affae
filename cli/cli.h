/* The ensign command-line tool: shared declarations. Only the CLI prints;
 * the library reports through struct ens_err. Exit status: 0 success,
 * 1 failure, 2 usage error (personalities may map to their peer's codes). */
#ifndef ENSIGN_CLI_H
#define ENSIGN_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <getopt.h>
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
/* "usage: <usage>", with "ensign <cmd>" replaced by the name invoked (a personality). */
void cli_print_usage(FILE *f, const char *usage);

/* Signing options every signing command shares (one-step, two-step, PKCS#11,
 * external command). Commands add CLI_SIGN_LONGOPTS to their getopt_long
 * table and pass unknown option codes to cli_sign_opt(). */
struct cli_sign_opts {
	const char *key;		/* --key: PEM path, "debug", or a pkcs11: URI */
	const char *pkcs11_module;	/* --pkcs11-module (else ENSIGN_PKCS11_MODULE) */
	bool production;		/* --production: the debug key is refused */
	const char *gendata_out;	/* --gendata OUT: write the 256 signed bytes, stop */
	const char *digest_out;		/* --digest-out OUT: write SHA-256 of them, stop */
	const char *signature;		/* --signature SIG: raw RSA signature (big-endian) */
	bool signature_le;		/* --signature-le: SIG is little-endian */
	const char *pubkey;		/* --pubkey PUB.pem: the key that made SIG */
	const char *unsigned_in;	/* --unsigned GENDATA: step 1's material (its date wins) */
	const char *sign_command;	/* --sign-command CMD: 256 bytes on stdin, signature on stdout */
};
enum {
	CLI_OPT_KEY = 0x1000, CLI_OPT_PKCS11_MODULE, CLI_OPT_PRODUCTION, CLI_OPT_GENDATA,
	CLI_OPT_DIGEST_OUT, CLI_OPT_SIGNATURE, CLI_OPT_SIGNATURE_LE, CLI_OPT_PUBKEY,
	CLI_OPT_UNSIGNED, CLI_OPT_SIGN_COMMAND, CLI_OPT_PASSPHRASE_FILE, CLI_OPT_SIGN_END_
};
/* --passphrase-file FILE: the first line of FILE is the passphrase of an
 * encrypted PEM key (else ENSIGN_KEY_PASSPHRASE, else a prompt on a terminal). */
extern const char *cli_passphrase_file;
/* A no-echo prompt on the controlling terminal (/dev/tty); -1 without one. */
int cli_tty_prompt(const char *prompt, char *buf, size_t len, void *arg);
#define CLI_SIGN_LONGOPTS \
	{ "key", required_argument, 0, CLI_OPT_KEY }, \
	{ "pkcs11-module", required_argument, 0, CLI_OPT_PKCS11_MODULE }, \
	{ "production", no_argument, 0, CLI_OPT_PRODUCTION }, \
	{ "gendata", required_argument, 0, CLI_OPT_GENDATA }, \
	{ "digest-out", required_argument, 0, CLI_OPT_DIGEST_OUT }, \
	{ "signature", required_argument, 0, CLI_OPT_SIGNATURE }, \
	{ "signature-le", no_argument, 0, CLI_OPT_SIGNATURE_LE }, \
	{ "pubkey", required_argument, 0, CLI_OPT_PUBKEY }, \
	{ "unsigned", required_argument, 0, CLI_OPT_UNSIGNED }, \
	{ "sign-command", required_argument, 0, CLI_OPT_SIGN_COMMAND }, \
	{ "passphrase-file", required_argument, 0, CLI_OPT_PASSPHRASE_FILE }
/* Returns 1 if c was one of CLI_OPT_*, else 0. */
int cli_sign_opt(int c, const char *arg, struct cli_sign_opts *o);
/* True when the options ask for two-step step 1 (--gendata/--digest-out). */
bool cli_sign_is_step1(const struct cli_sign_opts *o);
/* Sign s (fields already built, ENCLAVEHASH set) per o:
 *  - step 1 (--gendata/--digest-out): write the material, return 1 (caller
 *    writes no other output and exits 0);
 *  - step 2 (--signature/--pubkey [--unsigned]) or --sign-command: check and
 *    attach the external signature, return 0;
 *  - otherwise open the signer (--key, default the debug key), sign, return 0.
 * -1 on error (nothing written). */
int cli_sign_sigstruct(struct ens_sigstruct *s, const struct cli_sign_opts *o, struct ens_err *err);

/* The key options every signing command shares.
 * keyspec: NULL or "" = built-in debug key (warns), "debug" = the same,
 * a path = PEM file, "pkcs11:..." = a key on a token (cli_open_pkcs11). production with the debug key
 * is an error. Prints warnings (world-readable key, debug key) itself. */
int cli_open_signer(const char *keyspec, bool production, struct ens_signer **out,
		    struct ens_err *err);

/* PKCS#11 (cli/pkcs11_cli.c). Module: module (--pkcs11-module), else
 * module-path= in the URI, else ENSIGN_PKCS11_MODULE; the PIN is asked on the
 * terminal (no echo) when the URI and ENSIGN_PKCS11_PIN give none. */
int cli_open_pkcs11(const char *uri, const char *module, struct ens_signer **out,
		    struct ens_err *err);
/* ensign keygen --pkcs11 URI: generate on the token, print MRSIGNER, and write
 * the public key PEM to pubout when not NULL. Returns the exit status. */
int cli_keygen_pkcs11(const char *uri, const char *module, const char *pubout);

/* Write a 1808-byte SIGSTRUCT atomically to path (mode 0644). */
int cli_write_sigstruct(const char *path, const struct ens_sigstruct *s, struct ens_err *err);

/* JSON string escaping to stdout. */
void cli_json_str(const char *s);
/* Print a sigstruct's fields; json=true prints one JSON object (no newline
 * handling by caller needed). */
void cli_print_sigstruct(const struct ens_sigstruct *s, bool json, const char *indent);
/* The SIGSTRUCT keys of the JSON report, without braces: "mrenclave": ..., ... */
void cli_json_sigstruct_members(const struct ens_sigstruct *s);

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
	/* MRENCLAVE of FILE for `verify --sig S FILE` (default configuration);
	 * NULL if not applicable. */
	int (*mrenclave)(const char *path, uint8_t out[32], struct ens_err *err);
};
const struct cli_format *cli_format_detect(const char *path, struct ens_err *err);
/* The first argument (after argv[0]) that names an existing regular file,
 * skipping option values; NULL if none. */
const char *cli_find_input(int argc, char **argv);
int cli_input_missing(const char *path);
bool cli_has_flag(int argc, char **argv, const char *flag);
/* The input file of a generic command and its format; on failure prints the
 * error, sets *rc to the exit status and returns NULL. */
const struct cli_format *cli_input_format(int argc, char **argv, const char *usage, const char **path, int *rc);

/* cli/probe_cli.c: 0 when path is of a kind in want (ENS_KBIT mask of
 * include/ensign/probe.h) or of no known kind; else prints "'path' is <kind>,
 * not <what>: <what to do>" and returns 1. */
int cli_expect_kind(const char *path, uint64_t want, const char *what);

/* cli/progress_cli.c: progress of long measurements on a terminal (not with
 * quiet) and the large-enclave warning; main() calls it once. */
void cli_progress_init(bool quiet);

/* cli/json_out.c: --json of sign, verify, check, package (see json_out.c). */
struct json_t;
extern bool cli_json;
int cli_json_take(const char *cmd, int *argc, char **argv);
void cli_json_emit(struct json_t *obj);
int cli_json_capture(const char *command, const char *file, const char *format, int (*fn)(void *), void *arg);

/* cli/completion.c: every getopt_long of the CLI goes through here, so that
 * `ensign completion bash|zsh` is generated from the parsers' own tables. */
int cli_getopt_long(int argc, char *const *argv, const char *shortopts, const struct option *longopts, int *idx);
#define getopt_long cli_getopt_long
int cli_completion(const struct cmd *cmds, size_t n, int argc, char **argv);

/* Implemented in cli/sgxs_info.c */
int cli_sgxs_info(const char *path, int argc, char **argv, bool json);

#endif
