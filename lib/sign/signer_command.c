/* External signing command (sign stage): runs a user command (a cloud KMS
 * client, an HSM tool, openssl) through /bin/sh with the 256 signed bytes on
 * its standard input and reads the raw RSA signature from its output. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ensign/signer.h"
#include "ensign/util.h"

#define SIG_BYTES 384
#define OUT_MAX 65536	/* read a little more than expected to report the length */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ens_sign_command_run(const char *cmd, const uint8_t *msg, size_t len, bool little_endian,
			 uint8_t sig_be[384], struct ens_err *err)
{
	int in[2], out[2];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	if (pipe2(in, O_CLOEXEC) < 0)
		return ens_fail_errno(err, "sign command: cannot create a pipe");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return ens_fail_errno(err, "sign command: cannot create a pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		errno = e;
		return ens_fail_errno(err, "sign command: cannot start '/bin/sh'");
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* A command that does not read its input must not kill us with SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old);
	int werr = write_all(in[1], msg, len) < 0 ? errno : 0;
	close(in[1]);
	sigaction(SIGPIPE, &old, NULL);

	uint8_t *buf = malloc(OUT_MAX);
	size_t got = 0;
	int rerr = 0;
	if (!buf)
		rerr = ENOMEM;
	while (buf && got < OUT_MAX) {
		ssize_t r = read(out[0], buf + got, OUT_MAX - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rerr = errno;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == OUT_MAX) {	/* drain so the child can finish */
		uint8_t sink[4096];
		ssize_t r;
		while ((r = read(out[0], sink, sizeof sink)) > 0 || (r < 0 && errno == EINTR))
			if (r > 0)
				got += (size_t)r;
	}
	close(out[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return ens_fail_errno(err, "sign command: waitpid");
		}
	int ret = -1;
	if (WIFSIGNALED(status))
		ens_fail(err, ENS_E_SIGNER, "sign command '%s' was killed by signal %d", cmd,
			 WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		ens_fail(err, ENS_E_SIGNER, "sign command '%s' exited with status 127 (command not found?)",
			 cmd);
	else if (WEXITSTATUS(status) != 0)
		ens_fail(err, ENS_E_SIGNER, "sign command '%s' exited with status %d", cmd,
			 WEXITSTATUS(status));
	else if (rerr) {
		errno = rerr;
		ens_fail_errno(err, "sign command '%s': cannot read its output", cmd);
	} else if (werr && got != SIG_BYTES) {
		errno = werr;
		ens_fail_errno(err, "sign command '%s': cannot write the data to sign to it", cmd);
	} else if (got != SIG_BYTES)
		ens_fail(err, ENS_E_SIGNER,
			 "sign command '%s' printed %zu%s bytes; expected a 384-byte raw RSA signature",
			 cmd, got, got >= OUT_MAX ? " or more" : "");
	else {
		if (little_endian)
			ens_reverse(sig_be, buf, SIG_BYTES);
		else
			memcpy(sig_be, buf, SIG_BYTES);
		ret = 0;
	}
	free(buf);
	return ret;
}
