/* Image references, named after skopeo's transports: oci:DIR[:TAG],
 * docker-archive:FILE[:NAME:TAG] and docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
 * (docker.io short names resolved as the containers tools do). */
#include <ctype.h>
#include <string.h>
#include "oci_int.h"

/* docker://: "[HOST/]NAME[:TAG][@sha256:HEX]" */
static int parse_docker(const char *s, const char *rest, struct ens_oci_ref *ref, struct ens_err *err)
{
	char name[4096];
	const char *at = strchr(rest, '@'), *slash, *colon, *last;
	size_t n;

	if (at) {
		if (!oci_digest_valid(at + 1))
			return ens_fail(err, ENS_E_USAGE, "'%s': the digest after '@' is not sha256:<64 hex digits>", s);
		strcpy(ref->digest, at + 1);
		n = (size_t)(at - rest);
	} else {
		n = strlen(rest);
	}
	if (!n || n >= sizeof name)
		return ens_fail(err, ENS_E_USAGE, "'%s': no repository in the image reference", s);
	memcpy(name, rest, n);
	name[n] = 0;
	last = strrchr(name, '/');
	last = last ? last + 1 : name;
	if ((colon = strchr(last, ':'))) {
		if (strlen(colon + 1) >= sizeof ref->tag || !colon[1])
			return ens_fail(err, ENS_E_USAGE, "'%s': empty or too long tag", s);
		strcpy(ref->tag, colon + 1);
		name[colon - name] = 0;
	}
	slash = strchr(name, '/');
	/* the first component names a registry when it looks like a host */
	if (slash && (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
		      !strncmp(name, "localhost/", 10))) {
		if ((size_t)(slash - name) >= sizeof ref->host)
			return ens_fail(err, ENS_E_USAGE, "'%s': host name too long", s);
		memcpy(ref->host, name, (size_t)(slash - name));
		strcpy(ref->path, slash + 1);
	} else {
		strcpy(ref->host, "docker.io");
		snprintf(ref->path, sizeof ref->path, "%s%s", slash ? "" : "library/", name);
	}
	if (!strcmp(ref->host, "docker.io") || !strcmp(ref->host, "index.docker.io"))
		strcpy(ref->host, "registry-1.docker.io");
	if (!*ref->path)
		return ens_fail(err, ENS_E_USAGE, "'%s': no repository in the image reference", s);
	for (const char *p = ref->path; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("._-/", *p)))
			return ens_fail(err, ENS_E_USAGE, "'%s': repository '%s' has a character other than a-z, 0-9,"
					" '.', '_', '-' and '/'", s, ref->path);
	for (const char *p = ref->tag; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-", *p)))
			return ens_fail(err, ENS_E_USAGE, "'%s': tag '%s' has a character other than letters,"
					" digits, '.', '_' and '-'", s, ref->tag);
	return 0;
}

int ens_oci_ref_parse(const char *s, struct ens_oci_ref *ref, struct ens_err *err)
{
	const char *rest, *colon;
	size_t plen;

	memset(ref, 0, sizeof *ref);
	if (strlen(s) >= sizeof ref->text)
		return ens_fail(err, ENS_E_USAGE, "image reference is too long");
	strcpy(ref->text, s);
	if (!strncmp(s, "oci:", 4)) {
		ref->transport = ENS_OCI_LAYOUT;
		rest = s + 4;
	} else if (!strncmp(s, "docker-archive:", 15)) {
		ref->transport = ENS_OCI_DOCKER_ARCHIVE;
		rest = s + 15;
	} else if (!strncmp(s, "docker://", 9)) {
		ref->transport = ENS_OCI_REGISTRY;
		return parse_docker(s, s + 9, ref, err);
	} else {
		return ens_fail(err, ENS_E_USAGE, "'%s': not an image reference (oci:DIR[:TAG],"
				" docker-archive:FILE[:NAME:TAG] or docker://HOST/REPO[:TAG])", s);
	}
	/* as skopeo: the path ends at the first colon */
	colon = strchr(rest, ':');
	plen = colon ? (size_t)(colon - rest) : strlen(rest);
	if (!plen)
		return ens_fail(err, ENS_E_USAGE, "'%s': no path in the image reference", s);
	if (plen >= sizeof ref->path || (colon && strlen(colon + 1) >= sizeof ref->tag))
		return ens_fail(err, ENS_E_USAGE, "'%s': image reference is too long", s);
	memcpy(ref->path, rest, plen);
	if (colon) {
		strcpy(ref->tag, colon + 1);
		if (!*ref->tag)
			return ens_fail(err, ENS_E_USAGE, "'%s': empty tag", s);
	}
	return 0;
}
