/* PKCS#11 in the CLI: opens token signers for every signing command (with a
 * no-echo PIN prompt on the terminal) and generates keys on a token for
 * `ensign keygen --pkcs11 URI`. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "cli.h"
#include "ensign/pkcs11.h"

/* Reads the PIN from the controlling terminal with echo off; -1 when there is
 * no terminal (CI, cron), so that the caller can say how to pass a PIN. */
static int pin_prompt(const char *prompt, char *pin, size_t len, void *arg)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	struct termios old, quiet;
	size_t n = 0;

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* echo off before the prompt shows: what is typed after it is never echoed
	 * nor flushed away */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0 || write(fd, prompt, strlen(prompt)) < 0) {
		tcsetattr(fd, TCSAFLUSH, &old);
		close(fd);
		return -1;
	}
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 < len)
			pin[n++] = c;
		c = 0;
	}
	pin[n] = 0;
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the PIN was read */
	}
	close(fd);
	return 0;
}

int cli_tty_prompt(const char *prompt, char *buf, size_t len, void *arg)
{
	return pin_prompt(prompt, buf, len, arg);
}

int cli_open_pkcs11(const char *uri, const char *module, struct ens_signer **out,
		    struct ens_err *err)
{
	struct ens_pkcs11_opts o = { .module = module, .prompt = pin_prompt };
	return ens_signer_open_pkcs11(out, uri, &o, err);
}

int cli_keygen_pkcs11(const char *uri, const char *module, const char *pubout)
{
	struct ens_pkcs11_opts o = { .module = module, .prompt = pin_prompt };
	struct ens_err err = { 0 };
	uint8_t modulus_be[384], modulus_le[384], mrsigner[32];
	char hex[65], shown[256];
	char *pem = NULL;
	size_t pem_len = 0;

	if (ens_pkcs11_keygen(uri, &o, modulus_be, &err) < 0)
		return cli_error(&err);
	ens_pkcs11_uri_redact(uri, shown, sizeof shown);
	ens_reverse(modulus_le, modulus_be, sizeof modulus_le);
	SHA256(modulus_le, sizeof modulus_le, mrsigner);
	ens_hex(mrsigner, sizeof mrsigner, hex);
	if (pubout) {
		if (ens_pubkey_pem_from_modulus(modulus_be, &pem, &pem_len, &err) < 0 ||
		    ens_write_file(pubout, pem, pem_len, 0644, &err) < 0) {
			free(pem);
			cli_error(&err);
			return cli_errorf("the key was generated on the token; its public key was not "
					  "written to '%s'", pubout);
		}
		free(pem);
	}
	printf("key:      %s\nmrsigner: %s\n", shown, hex);
	return 0;
}
