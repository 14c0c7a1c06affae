/* Shared by the Open Enclave commands (cmd_oesign.c) and the "openenclave"
 * input format (fmt_oe.c). */
#ifndef ENSIGN_OE_CLI_H
#define ENSIGN_OE_CLI_H

#include "ensign/oe.h"

/* Open image and merge conf into its .oeinfo properties; with conf NULL,
 * merge (oesign sign) or take them as stored (a signed file). */
int oe_cli_load(const char *image, const char *conf, bool merge, struct ens_oe_image **img,
		struct ens_oe_props *p, struct ens_err *err);
int cmd_oesign(int argc, char **argv);

bool oe_fmt_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size);
int oe_fmt_measure(const char *path, int argc, char **argv, bool json);
int oe_fmt_info(const char *path, int argc, char **argv, bool json);
int oe_fmt_verify(const char *path, int argc, char **argv);
int oe_fmt_mrenclave(const char *path, uint8_t out[32], struct ens_err *err);

#endif
