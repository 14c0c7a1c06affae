/* --json for the commands that report (sign, verify, check, package; measure,
 * info and container inspect parse it themselves): one JSON document on
 * stdout with the keys documented in their man pages. main() takes --json
 * off the command line for them (cli_json) and refuses it for commands that
 * have no JSON output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

bool cli_json;

static const char *const takes[] = { "sign", "verify", "check", "package", "scone-signer", "myst" };
static const char *const native[] = { "measure", "info", "container" };
/* a --json after the enclave file is the enclave's own argument */
static const char *const passes[] = { "run", "ftxsgx-runner" };

static bool in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}
#define IN(name, list) in(name, list, sizeof list / sizeof list[0])

int cli_json_take(const char *cmd, int *argc, char **argv)
{
	int j = 1;
	bool found = false;

	if (IN(cmd, native) || IN(cmd, passes))
		return 0;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--json"))
			found = true;
		else
			argv[j++] = argv[i];
	}
	if (!found)
		return 0;
	if (!IN(cmd, takes))
		return cli_usage_error(NULL, "%s: --json: this command has no JSON output (sign, verify, check, measure,"
				       " info, package and container inspect have)", cmd);
	*argc = j;
	argv[j] = NULL;
	cli_json = true;
	return 0;
}

void cli_json_emit(json_t *obj)
{
	if (obj) {
		json_dumpf(obj, stdout, JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(obj);
	}
}

/* Run fn with its stdout report captured; then one JSON object:
 * {"command", "file", "format", "ok", "report": [the report's lines]}. */
int cli_json_capture(const char *command, const char *file, const char *format, int (*fn)(void *), void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len), *saved = stdout;
	json_t *lines = json_array(), *o;
	int rc;

	if (!mem || !lines) {
		if (mem)
			fclose(mem);
		json_decref(lines);
		return cli_errorf("out of memory");
	}
	fflush(stdout);
	stdout = mem;
	rc = fn(arg);
	fflush(mem);
	stdout = saved;
	fclose(mem);
	for (char *s = text; s && *s;) {
		char *nl = strchr(s, '\n');

		if (nl)
			*nl = 0;
		json_array_append_new(lines, json_string(s));
		if (!nl)
			break;
		s = nl + 1;
	}
	free(text);
	o = json_pack("{s:s, s:s?, s:s?, s:b, s:i, s:o}", "command", command, "file", file, "format", format,
		      "ok", rc == 0, "exit", rc, "report", lines);
	cli_json_emit(o);
	return rc;
}
