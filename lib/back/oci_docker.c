/* Container images, reading side: `docker save` archives (manifest.json,
 * configuration <hex>.json, uncompressed layer tars whose digests are the
 * configuration's diff_ids). */
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include "oci_int.h"

static int slurp_member(const struct ens_oci_image *img, const char *name, const char *digest, uint8_t **buf,
			size_t *len, json_t **out, struct ens_err *err)
{
	json_error_t je;

	if (oci_blob_slurp(img, digest, UINT64_MAX, name, buf, len, err))
		return -1;
	*out = json_loadb((const char *)*buf, *len, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return ens_fail(err, ENS_E_FORMAT, "'%s': '%s' is not valid JSON: %s (line %d)", img->ref.text, name,
				je.text, je.line);
	return 0;
}

static bool tag_matches(const char *have, const char *want)
{
	static const char *const prefixes[] = { "", "docker.io/", "docker.io/library/" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(have, prefixes[i], n) && !strcmp(have + n, want))
			return true;
	}
	return false;
}

static json_t *pick(const struct ens_oci_image *img, json_t *list, struct ens_err *err)
{
	size_t i, j;
	json_t *e, *t;

	if (!json_is_array(list) || !json_array_size(list)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': manifest.json lists no image", img->ref.text);
		return NULL;
	}
	if (!*img->ref.tag) {
		if (json_array_size(list) == 1)
			return json_array_get(list, 0);
		ens_fail(err, ENS_E_USAGE, "'%s': the archive holds %zu images: name one with docker-archive:FILE:NAME:TAG",
			 img->ref.text, json_array_size(list));
		return NULL;
	}
	json_array_foreach(list, i, e) {
		json_array_foreach(json_object_get(e, "RepoTags"), j, t)
			if (json_is_string(t) && tag_matches(json_string_value(t), img->ref.tag))
				return e;
	}
	ens_fail(err, ENS_E_FORMAT, "'%s': no image tagged '%s' in the archive", img->ref.text, img->ref.tag);
	return NULL;
}

/* "<64 hex>.json" (docker save before 25, skopeo) or "blobs/sha256/<64 hex>"
 * (docker save 25 and later) names its own digest. */
static void digest_from_name(const char *name, const char *ext, char *out)
{
	const char *base = strrchr(name, '/');
	size_t n;
	char d[ENS_OCI_DIGEST_LEN + 1];

	*out = 0;
	base = base ? base + 1 : name;
	n = strlen(base);
	if (n == 64 + strlen(ext) && !strcmp(base + 64, ext))
		;
	else if (n != 64 || base - name < 13 || strncmp(base - 13, "blobs/sha256/", 13))
		return;
	snprintf(d, sizeof d, "sha256:%.64s", base);
	if (oci_digest_valid(d))
		strcpy(out, d);
}

int oci_docker_open(struct ens_oci_image *img, struct ens_err *err)
{
	json_t *list = NULL, *entry, *layers, *l, *diff_ids;
	uint8_t *buf = NULL;
	size_t len, i;
	const char *cfgname;
	char want[ENS_OCI_DIGEST_LEN + 1];
	int rc = -1;

	if (slurp_member(img, "manifest.json", NULL, &buf, &len, &list, err))
		goto out;
	free(buf);
	buf = NULL;
	if (!(entry = pick(img, list, err)))
		goto out;
	cfgname = json_string_value(json_object_get(entry, "Config"));
	layers = json_object_get(entry, "Layers");
	if (!cfgname || !json_is_array(layers)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': manifest.json entry lacks Config or Layers", img->ref.text);
		goto out;
	}
	digest_from_name(cfgname, ".json", want);
	if (slurp_member(img, cfgname, want, &buf, &len, &img->config, err) ||
	    oci_sha_buf(buf, len, img->config_digest, err))
		goto out;
	if (!json_is_object(img->config)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': the configuration is not a JSON object", img->ref.text);
		goto out;
	}
	img->repo_tags = json_incref(json_object_get(entry, "RepoTags"));
	diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	if (json_array_size(diff_ids) != json_array_size(layers)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': %zu layers but %zu diff_ids in the configuration", img->ref.text,
			 json_array_size(layers), json_array_size(diff_ids));
		goto out;
	}
	if (!(img->layers = calloc(json_array_size(layers) + 1, sizeof *img->layers))) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(layers, i, l) {
		struct ens_oci_layer *ly = &img->layers[i];
		const char *d = json_string_value(json_array_get(diff_ids, i));

		if (!json_is_string(l) || !d || !oci_digest_valid(d)) {
			ens_fail(err, ENS_E_FORMAT, "'%s': layer %zu: bad name or diff_id", img->ref.text, i + 1);
			goto out;
		}
		/* docker save layers are plain tars: their digest is the diff_id */
		strcpy(ly->digest, d);
		ly->size = UINT64_MAX;
		if (!(ly->member = strdup(json_string_value(l))) || !(ly->media_type = strdup(MT_OCI_LAYER))) {
			ens_fail(err, ENS_E_NOMEM, "out of memory");
			img->nlayers = i + 1;
			goto out;
		}
		img->nlayers = i + 1;
	}
	rc = 0;
out:
	free(buf);
	json_decref(list);
	return rc;
}
