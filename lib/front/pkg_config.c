/* Package front end, first step: config.json (the Mystikos schema, every key
 * with its type and default) parsed with jansson into struct ens_pkg_config.
 * Stricter than Mystikos on purpose: unknown keys and duplicates are errors. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ensign/package.h"

#define PG ENS_PAGE_SIZE

struct ctx {
	const char *file;
	struct ens_pkg_config *c;
	struct ens_err *err;
	bool have_mem, have_usermem;
};

enum kind { K_BOOL, K_U16, K_SIZE, K_POSINT, K_ADDR, K_STR, K_ABSPATH, K_STRLIST, K_ENVLIST, K_ENUM,
	    K_MOUNTS, K_SECRETS, K_VERSION };

struct key {
	const char *name;
	enum kind kind;
	size_t off;			/* offsetof in struct ens_pkg_config */
	const char *const *choices;	/* K_ENUM */
};

static const char *const fork_modes[] = { "none", "pseudo", "pseudo_wait_for_exit_exec", NULL };
static const char *const syslog_levels[] = { "emerg", "alert", "crit", "err", "warn", "notice", "info",
					     "debug", NULL };

#define F(m) offsetof(struct ens_pkg_config, m)
static const struct key keys[] = {
	{ "version", K_VERSION, 0, NULL },
	{ "Debug", K_BOOL, F(debug), NULL },
	{ "ProductID", K_U16, F(product_id), NULL },
	{ "SecurityVersion", K_U16, F(security_version), NULL },
	{ "CreateZeroBaseEnclave", K_BOOL, F(create_zero_base_enclave), NULL },
	{ "EnclaveStartAddress", K_ADDR, F(enclave_start_address), NULL },
	{ "MemorySize", K_SIZE, F(memory_size), NULL },
	{ "UserMemSize", K_SIZE, F(memory_size), NULL },
	{ "MainStackSize", K_SIZE, F(main_stack_size), NULL },
	{ "ThreadStackSize", K_SIZE, F(thread_stack_size), NULL },
	{ "MaxAffinityCPUs", K_POSINT, F(max_affinity_cpus), NULL },
	{ "NoBrk", K_BOOL, F(no_brk), NULL },
	{ "ExecStack", K_BOOL, F(exec_stack), NULL },
	{ "UnhandledSyscallEnosys", K_BOOL, F(unhandled_syscall_enosys), NULL },
	{ "HostUDS", K_BOOL, F(host_uds), NULL },
	{ "HostApplicationParameters", K_BOOL, F(host_application_parameters), NULL },
	{ "ApplicationPath", K_ABSPATH, F(application_path), NULL },
	{ "ApplicationParameters", K_STRLIST, F(app_params), NULL },
	{ "EnvironmentVariables", K_ENVLIST, F(env), NULL },
	{ "HostEnvironmentVariables", K_STRLIST, F(host_env), NULL },
	{ "CurrentWorkingDirectory", K_STR, F(cwd), NULL },
	{ "Hostname", K_STR, F(hostname), NULL },
	{ "ForkMode", K_ENUM, F(fork_mode), fork_modes },
	{ "SyslogLevel", K_ENUM, F(syslog_level), syslog_levels },
	{ "Mount", K_MOUNTS, F(nmounts), NULL },
	{ "Secret", K_SECRETS, F(nsecrets), NULL },
};
#undef F

const char *ens_pkg_fork_mode_name(enum ens_pkg_fork_mode m)
{
	return fork_modes[m <= ENS_PKG_FORK_PSEUDO_WAIT_EXEC ? m : 0];
}

static int bad(struct ctx *x, const char *key, const char *fmt, const char *detail)
{
	char what[256];

	snprintf(what, sizeof what, fmt, detail);
	return ens_fail(x->err, ENS_E_FORMAT, "'%s': '%s' %s", x->file, key, what);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int ens_pkg_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (tolower((unsigned char)*p)) {
	case '\0': break;
	case 'k': mul = 1ull << 10; p++; break;
	case 'm': mul = 1ull << 20; p++; break;
	case 'g': mul = 1ull << 30; p++; break;
	default: return -1;
	}
	if (*p || v > ENS_APP_MAX_SIZE / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int get_bool(struct ctx *x, const char *k, const json_t *v, bool *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return 0;
	}
	return bad(x, k, "must be a boolean (true, false, 0 or 1), not %s",
		   json_is_integer(v) ? "another integer" : type_name(v));
}

static int get_size(struct ctx *x, const char *k, const json_t *v, uint64_t *out)
{
	uint64_t n;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > ENS_APP_MAX_SIZE)
			return bad(x, k, "%s: a size must be between 0 and 128t", "out of range");
		n = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		if (ens_pkg_parse_size(json_string_value(v), &n))
			return bad(x, k, "is a malformed size '%s' (bytes, or a number with a k, m or g suffix)",
				   json_string_value(v));
	} else {
		return bad(x, k, "must be a size (an integer or a string like \"64m\"), not %s", type_name(v));
	}
	*out = (n + PG - 1) & ~(uint64_t)(PG - 1);
	return 0;
}

static char *dup_str(struct ctx *x, const json_t *v)
{
	char *s = strdup(json_string_value(v));

	if (!s)
		ens_fail(x->err, ENS_E_NOMEM, "out of memory");
	return s;
}

static int get_strlist(struct ctx *x, const char *k, const json_t *v, struct ens_pkg_strlist *l, bool env)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return bad(x, k, "must be an array of strings, not %s", type_name(v));
	l->v = calloc(json_array_size(v) + 1, sizeof *l->v);
	if (!l->v)
		return ens_fail(x->err, ENS_E_NOMEM, "out of memory");
	json_array_foreach(v, i, e) {
		const char *s;

		if (!json_is_string(e))
			return bad(x, k, "must be an array of strings; an element is %s", type_name(e));
		s = json_string_value(e);
		if (strlen(s) != json_string_length(e))
			return bad(x, k, "%s", "has a string with a NUL character");
		if (env && (s[0] == '=' || !strchr(s, '=')))
			return bad(x, k, "has '%s', not KEY=VALUE", s);
		if (!(l->v[l->n++] = dup_str(x, e)))
			return -1;
	}
	return 0;
}

/* Mount: [{Target, Type, Flags[], PublicKey|null, RootHash|null}] */
static int check_mounts(struct ctx *x, const char *k, const json_t *v, size_t *n)
{
	static const char *const strs[] = { "Target", "Type" }, *const opt[] = { "PublicKey", "RootHash" };
	size_t i;
	json_t *m;

	if (!json_is_array(v))
		return bad(x, k, "must be an array of objects, not %s", type_name(v));
	json_array_foreach(v, i, m) {
		const char *mk;
		json_t *mv;

		if (!json_is_object(m))
			return bad(x, k, "must be an array of objects; an element is %s", type_name(m));
		json_object_foreach(m, mk, mv) {
			bool ok = false, known = false;

			for (int j = 0; j < 2; j++) {
				if (!strcmp(mk, strs[j]))
					known = true, ok = json_is_string(mv);
				if (!strcmp(mk, opt[j]))
					known = true, ok = json_is_string(mv) || json_is_null(mv);
			}
			if (!strcmp(mk, "Flags")) {
				size_t f;
				json_t *fv;

				known = ok = json_is_array(mv);
				json_array_foreach(mv, f, fv)
					ok = ok && json_is_string(fv);
			}
			if (!known)
				return bad(x, k, "has an unknown key '%s' (Target, Type, Flags, PublicKey, RootHash)",
					   mk);
			if (!ok)
				return bad(x, k, "has '%s' of the wrong type", mk);
		}
		if (!json_is_string(json_object_get(m, "Target")) || !json_is_string(json_object_get(m, "Type")))
			return bad(x, k, "%s", "entries need the strings Target and Type");
	}
	*n = json_array_size(v);
	return 0;
}

static int check_secrets(struct ctx *x, const char *k, const json_t *v, size_t *n)
{
	size_t i;
	json_t *s;

	if (!json_is_array(v))
		return bad(x, k, "must be an array of objects, not %s", type_name(v));
	json_array_foreach(v, i, s)
		if (!json_is_object(s))
			return bad(x, k, "must be an array of objects; an element is %s", type_name(s));
	*n = json_array_size(v);
	return 0;
}

static int get_key(struct ctx *x, const struct key *d, const json_t *v)
{
	void *field = (char *)x->c + d->off;
	const char *k = d->name;

	switch (d->kind) {
	case K_VERSION:
		if (!json_is_string(v))
			return bad(x, k, "must be a string (\"0.1\"), not %s", type_name(v));
		if (strcmp(json_string_value(v), "0.1"))
			return bad(x, k, "'%s' is unsupported (only \"0.1\")", json_string_value(v));
		return 0;
	case K_BOOL:
		return get_bool(x, k, v, field);
	case K_U16:
		if (!json_is_integer(v))
			return bad(x, k, "must be an integer, not %s", type_name(v));
		if (json_integer_value(v) < 0 || json_integer_value(v) >= 0xFFFF)
			return bad(x, k, "%s: must be between 0 and 65534", "out of range");
		*(uint16_t *)field = (uint16_t)json_integer_value(v);
		return 0;
	case K_POSINT:
		if (!json_is_integer(v))
			return bad(x, k, "must be an integer, not %s", type_name(v));
		if (json_integer_value(v) <= 0 || json_integer_value(v) > UINT32_MAX)
			return bad(x, k, "%s: must be a positive integer", "out of range");
		*(uint32_t *)field = (uint32_t)json_integer_value(v);
		return 0;
	case K_ADDR:
		if (!json_is_integer(v))
			return bad(x, k, "must be an integer, not %s", type_name(v));
		if (json_integer_value(v) <= 0 || json_integer_value(v) % PG)
			return bad(x, k, "%s: must be a positive multiple of the page size (4096)", "out of range");
		*(uint64_t *)field = (uint64_t)json_integer_value(v);
		return 0;
	case K_SIZE:
		return get_size(x, k, v, field);
	case K_STR:
	case K_ABSPATH:
		if (!json_is_string(v))
			return bad(x, k, "must be a string, not %s", type_name(v));
		if (strlen(json_string_value(v)) != json_string_length(v))
			return bad(x, k, "%s", "has a NUL character");
		if (d->kind == K_ABSPATH && json_string_value(v)[0] != '/')
			return bad(x, k, "'%s' must be an absolute path within the application directory",
				   json_string_value(v));
		return (*(char **)field = dup_str(x, v)) ? 0 : -1;
	case K_STRLIST:
	case K_ENVLIST:
		return get_strlist(x, k, v, field, d->kind == K_ENVLIST);
	case K_ENUM:
		if (json_is_string(v))
			for (int i = 0; d->choices[i]; i++)
				if (!strcmp(d->choices[i], json_string_value(v))) {
					if (d->choices == fork_modes)
						*(enum ens_pkg_fork_mode *)field = (enum ens_pkg_fork_mode)i;
					else if (!(*(char **)field = dup_str(x, v)))
						return -1;
					return 0;
				}
		return bad(x, k, d->choices == fork_modes ? "must be \"none\", \"pseudo\" or "
			   "\"pseudo_wait_for_exit_exec\"%s" : "must be one of emerg, alert, crit, err, warn, "
			   "notice, info, debug%s", "");
	case K_MOUNTS:
		return check_mounts(x, k, v, field);
	case K_SECRETS:
		return check_secrets(x, k, v, field);
	}
	return 0;
}

int ens_pkg_config_parse(const uint8_t *buf, size_t len, const char *name, struct ens_pkg_config *c,
			 struct ens_err *err)
{
	struct ctx x = { .file = name, .c = c, .err = err };
	json_error_t jerr;
	json_t *root, *v;
	const char *k;
	int rc = -1;

	memset(c, 0, sizeof *c);
	c->main_stack_size = ENS_PKG_DEFAULT_MAIN_STACK;
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ens_fail(err, ENS_E_FORMAT, "'%s': line %d column %d: %s", name, jerr.line, jerr.column,
				jerr.text);
	if (!json_is_object(root)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': the top level must be an object, not %s", name, type_name(root));
		goto out;
	}
	json_object_foreach(root, k, v) {
		const struct key *d = NULL;

		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (!strcmp(keys[i].name, k))
				d = &keys[i];
		if (!d) {
			ens_fail(err, ENS_E_FORMAT, "'%s': unknown key '%s'", name, k);
			goto out;
		}
		if (get_key(&x, d, v))
			goto out;
		if (!strcmp(k, "UserMemSize"))
			x.have_usermem = c->deprecated_user_mem_size = true;
		if (!strcmp(k, "MemorySize"))
			x.have_mem = true;
	}
	if (x.have_mem && x.have_usermem) {
		ens_fail(err, ENS_E_FORMAT, "'%s': 'UserMemSize' is the old name of 'MemorySize': give only one", name);
		goto out;
	}
	if (!json_object_get(root, "version")) {
		ens_fail(err, ENS_E_FORMAT, "'%s': missing key 'version' (\"0.1\")", name);
		goto out;
	}
	if (!c->application_path) {
		ens_fail(err, ENS_E_FORMAT, "'%s': missing key 'ApplicationPath'", name);
		goto out;
	}
	if (!c->memory_size)
		c->memory_size = ENS_PKG_DEFAULT_MEMORY;
	if (!c->main_stack_size) {
		ens_fail(err, ENS_E_FORMAT, "'%s': 'MainStackSize' must not be 0", name);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc)
		ens_pkg_config_free(c);
	return rc;
}

static void free_list(struct ens_pkg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void ens_pkg_config_free(struct ens_pkg_config *c)
{
	free(c->application_path);
	free(c->cwd);
	free(c->hostname);
	free(c->syslog_level);
	free_list(&c->app_params);
	free_list(&c->env);
	free_list(&c->host_env);
	c->application_path = c->cwd = c->hostname = c->syslog_level = NULL;
}
