/* Applications in the CLI: the scone-signer style options shared by
 * `sign APP`, `measure APP` and `check APP.signed` (cli/cmd_sign_app.c),
 * and the helpers the format row and `check` use (cli/fmt_app.c). */
#ifndef ENSIGN_CLI_APP_H
#define ENSIGN_CLI_APP_H

#include "cli.h"
#include "ensign/app.h"

enum cli_app_mode { CLI_APP_SIGN, CLI_APP_MEASURE, CLI_APP_CHECK };

struct cli_app_opts {
	struct ens_app_config cfg;
	uint64_t xfrm;
	uint16_t isvsvn, isvprodid;
	unsigned models;		/* bit set of enum ens_mm */
	bool models_given;		/* --memory-model or ENSIGN_MEMORY_MODEL */
	struct cli_sign_opts sign;
	bool env, json, in_place;
	const char *output, *sig_dir, *sgxs, *date, *input;
	const char *production_var;	/* the variable that set production, NULL if the flag did */
};

/* Parse argv (argv[0] the command name). Returns 0 to go on, -1 after
 * --help (exit 0), or the exit status after printing the error. 'path' (may be NULL): the
 * input already chosen by the caller; a positional argument must match it. */
int cli_app_parse(int argc, char **argv, enum cli_app_mode mode, const char *path,
		  struct cli_app_opts *o);
/* "64M", "2G", "12K" or "N" (bytes): the shortest exact form. buf >= 32. */
void cli_app_size(uint64_t v, char *buf, size_t len);
/* The SIGSTRUCT fields of one model for these options, ENCLAVEHASH set. */
void cli_app_fields(const struct cli_app_opts *o, enum ens_mm mm, const uint8_t mr[32],
		    struct ens_sigstruct_fields *f, uint32_t date);

int cli_sign_app(int argc, char **argv);
/* The synopsis of `ensign sign APP` (for `ensign sign --help`). */
const char *cli_app_sign_usage(void);
int cmd_check(int argc, char **argv);

/* Format row (cli/formats.c). */
bool fmt_app_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size);
int fmt_app_measure(const char *path, int argc, char **argv, bool json);
int fmt_app_info(const char *path, int argc, char **argv, bool json);
int fmt_app_verify(const char *path, int argc, char **argv);

#endif
