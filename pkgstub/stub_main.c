/* Package runner, entry point: read /proc/self/exe, verify the payload
 * against the SIGSTRUCT (libensign), then run the application as an
 * ordinary process (linux target) in a private unpacked tree. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "stub.h"

const char *stub_name = "package";
static volatile sig_atomic_t child_pid;

void stub_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", stub_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* EnvironmentVariables, then the host's value of each HostEnvironmentVariables
 * name that is set (a host value replaces a configured one). */
static char **build_env(const struct ens_pkg_config *c)
{
	size_t n = 0, cap = c->env.n + c->host_env.n + 1;
	char **env = calloc(cap, sizeof *env);

	if (!env)
		return NULL;
	for (size_t i = 0; i < c->env.n; i++)
		env[n++] = c->env.v[i];
	for (size_t i = 0; i < c->host_env.n; i++) {
		const char *name = c->host_env.v[i];
		size_t len = strlen(name);
		bool replaced = false;
		char *entry = NULL;

		if (!getenv(name) || strchr(name, '='))
			continue;
		for (char **e = environ; *e && !entry; e++)
			if (!strncmp(*e, name, len) && (*e)[len] == '=')
				entry = *e;
		for (size_t j = 0; j < n && !replaced; j++)
			if (!strncmp(env[j], name, len) && env[j][len] == '=')
				env[j] = entry, replaced = true;
		if (!replaced)
			env[n++] = entry;
	}
	return env;
}

static int run_app(const struct ens_pkg *p, const struct ens_pkg_config *c, int argc, char **argv)
{
	struct ens_err err = { 0 };
	char *root = NULL, *exe = NULL, *cwd = NULL;
	char **args = NULL, **env = NULL;
	const struct ens_pkg_strlist *params = &c->app_params;
	int status, rc = STUB_EXIT_FAILED;
	pid_t pid;

	if (stub_unpack(p->archive, p->tr.archive_len, &root, &err)) {
		stub_error("cannot unpack the application: %s", err.msg);
		goto out;
	}
	if (asprintf(&exe, "%s%s", root, c->application_path) < 0 ||
	    asprintf(&cwd, "%s/%s", root, c->cwd ? c->cwd : "") < 0) {
		exe = cwd = NULL;
		stub_error("out of memory");
		goto out;
	}
	args = calloc((size_t)argc + params->n + 2, sizeof *args);
	env = build_env(c);
	if (!args || !env) {
		stub_error("out of memory");
		goto out;
	}
	args[0] = c->application_path;
	if (argc > 1)	/* allowed: checked by the caller */
		memcpy(args + 1, argv + 1, (size_t)(argc - 1) * sizeof *args);
	else if (params->n)
		memcpy(args + 1, params->v, params->n * sizeof *args);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		stub_error("cannot start '%s': %s", c->application_path, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (chdir(cwd)) {
			stub_error("CurrentWorkingDirectory '%s': %s", c->cwd, strerror(errno));
			_exit(STUB_EXIT_FAILED);
		}
		execve(exe, args, env);
		stub_error("cannot run '%s': %s", c->application_path, strerror(errno));
		_exit(STUB_EXIT_FAILED);
	}
	child_pid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			stub_error("cannot wait for '%s': %s", c->application_path, strerror(errno));
			goto out;
		}
	child_pid = 0;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (root)
		stub_remove_tree(root);
	free(root);
	free(exe);
	free(cwd);
	free(args);
	free(env);
	return rc;
}

int main(int argc, char **argv)
{
	struct ens_err err = { 0 };
	struct ens_pkg p;
	struct ens_pkg_config cfg;
	uint8_t mr[32], *self;
	const char *slash;
	size_t len;
	int rc;

	if (argc > 0 && argv[0]) {
		slash = strrchr(argv[0], '/');
		stub_name = slash ? slash + 1 : argv[0];
	}
	if (ens_read_file("/proc/self/exe", SIZE_MAX, &self, &len, &err) ||
	    ens_pkg_open_buffer(&p, stub_name, self, len, &err)) {
		stub_error("cannot read the package: %s", err.msg);
		return STUB_EXIT_FAILED;
	}
	if (ens_pkg_verify(&p, stub_name, &cfg, mr, &err)) {
		stub_error("refusing to run a package that fails its check: %s", err.msg);
		ens_pkg_close(&p);
		return STUB_EXIT_FAILED;
	}
	if (p.tr.target == ENS_PKG_SGX) {
		if (access("/dev/sgx_enclave", F_OK))
			stub_error("this package runs in an SGX enclave and this host has no SGX "
				   "(/dev/sgx_enclave is missing); package with --target linux to run "
				   "without SGX");
		else
			stub_error("this package runs in an SGX enclave; this build of the runner has no "
				   "enclave loader (the package is verified; MRENCLAVE and SIGSTRUCT are in "
				   "'ensign info')");
		rc = STUB_EXIT_NO_SGX;
	} else if (argc > 1 && !cfg.host_application_parameters) {
		stub_error("command-line arguments are not allowed: HostApplicationParameters is false in "
			   "config.json");
		rc = STUB_EXIT_HOST_ARGS;
	} else {
		struct sigaction sa = { .sa_handler = forward };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		rc = run_app(&p, &cfg, argc, argv);
	}
	ens_pkg_config_free(&cfg);
	ens_pkg_close(&p);
	return rc;
}
