/* Unit tests of the registry client's parsers (issue 15): docker://
 * references as skopeo resolves them, WWW-Authenticate challenges, the
 * token answer; each against values written out by hand. */
#include <stdlib.h>
#include "tap.h"
#include "ensign/image.h"
#include "ensign/oci.h"

static struct ens_oci_ref ref;

static void ref_ok(const char *s, const char *host, const char *repo, const char *tag, const char *digest)
{
	struct ens_err err = { 0 };
	int r = ens_oci_ref_parse(s, &ref, &err);

	CHECK(r == 0, "%s: %s", s, err.msg);
	if (r)
		return;
	CHECK(ref.transport == ENS_OCI_REGISTRY, "%s: transport", s);
	CHECK_STR(ref.host, host);
	CHECK_STR(ref.path, repo);
	CHECK_STR(ref.tag, tag);
	CHECK_STR(ref.digest, digest);
}

static void ref_bad(const char *s, const char *msg)
{
	struct ens_err err = { 0 };

	CHECK(ens_oci_ref_parse(s, &ref, &err) == -1 && err.code == ENS_E_USAGE && strstr(err.msg, msg),
	      "%s: '%s' lacks '%s'", s, err.msg, msg);
}

static void auth_ok(const char *h, int scheme, const char *realm, const char *service, const char *scope)
{
	struct ens_www_auth a;
	struct ens_err err = { 0 };
	int r = ens_www_auth_parse(h, &a, &err);

	CHECK(r == 0, "%s: %s", h, err.msg);
	if (r)
		return;
	CHECK((int)a.scheme == scheme, "%s: scheme %d", h, (int)a.scheme);
	CHECK_STR(a.realm, realm);
	CHECK_STR(a.service, service);
	CHECK_STR(a.scope, scope);
}

static void auth_bad(const char *h, const char *msg)
{
	struct ens_www_auth a;
	struct ens_err err = { 0 };

	CHECK(ens_www_auth_parse(h, &a, &err) == -1 && strstr(err.msg, msg), "%s: '%s' lacks '%s'", h, err.msg, msg);
}

int main(void)
{
	static const char d[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char s[300], *tok;
	const char *j;
	struct ens_err err = { 0 };

	ref_ok("docker://registry.example/app-sgx-output", "registry.example", "app-sgx-output", "", "");
	ref_ok("docker://127.0.0.1:5000/team/app:v1.2", "127.0.0.1:5000", "team/app", "v1.2", "");
	ref_ok("docker://localhost/app:x", "localhost", "app", "x", "");
	ref_ok("docker://alpine", "registry-1.docker.io", "library/alpine", "", "");
	ref_ok("docker://alpine:3.19", "registry-1.docker.io", "library/alpine", "3.19", "");
	ref_ok("docker://user/app", "registry-1.docker.io", "user/app", "", "");
	ref_ok("docker://docker.io/library/debian:12", "registry-1.docker.io", "library/debian", "12", "");
	snprintf(s, sizeof s, "docker://quay.io/org/app@%s", d);
	ref_ok(s, "quay.io", "org/app", "", d);
	snprintf(s, sizeof s, "docker://quay.io:443/org/app:v1@%s", d);
	ref_ok(s, "quay.io:443", "org/app", "v1", d);
	ref_bad("docker://", "no repository");
	ref_bad("docker://quay.io/Org/app", "character other than a-z");
	ref_bad("docker://quay.io/org/app:", "empty or too long tag");
	ref_bad("docker://quay.io/org/app@sha256:12", "not sha256");
	ref_bad("registry.example/app", "not an image reference");

	auth_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		"scope=\"repository:samalba/my-app:pull,push\"", ENS_AUTH_BEARER, "https://auth.docker.io/token",
		"registry.docker.io", "repository:samalba/my-app:pull,push");
	auth_ok("Basic realm=\"Registry Realm\"", ENS_AUTH_BASIC, "Registry Realm", "", "");
	auth_ok("basic realm=x", ENS_AUTH_BASIC, "x", "", "");
	/* several challenges: Bearer preferred, wherever it stands */
	auth_ok("Basic realm=\"a\", Bearer realm=\"https://t/\", service=\"s\"", ENS_AUTH_BEARER, "https://t/", "s", "");
	auth_ok("Negotiate, Basic realm=\"b\"", ENS_AUTH_BASIC, "b", "", "");
	auth_ok("Bearer realm=\"https://t/?a=\\\"q\\\"\",error=\"insufficient_scope\"", ENS_AUTH_BEARER,
		"https://t/?a=\"q\"", "", "");
	auth_bad("Bearer service=\"s\"", "without a realm");
	auth_bad("Bearer realm=\"https://t", "unterminated");
	auth_bad("Negotiate", "no Basic or Bearer");
	auth_bad("", "no Basic or Bearer");

	CHECK(ens_registry_token_parse("{\"token\":\"abc.def\",\"expires_in\":60}", 35, &tok, &err) == 0 &&
	      !strcmp(tok, "abc.def"), "token: %s", err.msg);
	free(tok);
	CHECK(ens_registry_token_parse("{\"access_token\":\"x1\"}", 21, &tok, &err) == 0 && !strcmp(tok, "x1"),
	      "access_token: %s", err.msg);
	free(tok);
	j = "{\"token\":\"a\\r\\nX-Evil: 1\"}";
	CHECK(ens_registry_token_parse(j, strlen(j), &tok, &err) == -1 &&
	      strstr(err.msg, "not allowed in a header"), "header injection: %s", err.msg);
	CHECK(ens_registry_token_parse("{}", 2, &tok, &err) == -1 && strstr(err.msg, "no token"), "no token");
	CHECK(ens_registry_token_parse("[", 1, &tok, &err) == -1, "not JSON");
	return tap_done();
}
