/* Container images, reading side: open an image through its transport,
 * parse its manifest and configuration (shared by oci: and docker://),
 * check digests, media types and the platform of an index. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "oci_int.h"
#include "ensign/io.h"

int oci_parse_json(const struct ens_oci_image *img, const char *what, const uint8_t *buf, size_t len,
		      json_t **out, struct ens_err *err)
{
	json_error_t je;

	*out = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return ens_fail(err, ENS_E_FORMAT, "'%s': %s is not valid JSON: %s (line %d)", img->ref.text, what,
				je.text, je.line);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ens_fail(err, ENS_E_FORMAT, "'%s': %s is not a JSON object", img->ref.text, what);
	}
	return 0;
}

static const char *str_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A descriptor's digest and size, checked. */
static int descriptor(const struct ens_oci_image *img, json_t *d, const char *what, const char **digest,
		      uint64_t *size, struct ens_err *err)
{
	json_t *sz = json_object_get(d, "size");

	*digest = str_member(d, "digest");
	if (!json_is_object(d) || !*digest || !json_is_integer(sz) || json_integer_value(sz) < 0)
		return ens_fail(err, ENS_E_FORMAT, "'%s': %s descriptor lacks a digest or size", img->ref.text, what);
	if (!oci_digest_valid(*digest))
		return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': %s digest '%s' is not sha256", img->ref.text, what,
				*digest);
	*size = (uint64_t)json_integer_value(sz);
	return 0;
}

static int load(const struct ens_oci_image *img, json_t *desc, const char *what, json_t **out, char *digest_out,
		struct ens_err *err)
{
	const char *digest;
	uint64_t size;
	uint8_t *buf;
	size_t len;
	int r;

	if (descriptor(img, desc, what, &digest, &size, err) ||
	    oci_blob_slurp(img, digest, size, what, &buf, &len, err))
		return -1;
	r = oci_parse_json(img, what, buf, len, out, err);
	free(buf);
	if (!r && digest_out)
		strcpy(digest_out, digest);
	return r;
}

bool oci_mt_index(const char *mt) { return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)); }
bool oci_mt_manifest(const char *mt) { return mt && (!strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST)); }

/* The platform wanted from an index: "os/arch[/variant]". */
static bool platform_matches(const struct ens_oci_image *img, json_t *p)
{
	const char *want = img->opts && img->opts->platform ? img->opts->platform : "linux/amd64";
	const char *os = str_member(p, "os"), *arch = str_member(p, "architecture"), *var = str_member(p, "variant");
	char have[256];

	if (!os || !arch)
		return false;
	snprintf(have, sizeof have, "%s/%s", os, arch);
	if (!strcmp(have, want))
		return true;
	snprintf(have, sizeof have, "%s/%s/%s", os, arch, var ? var : "");
	return var && !strcmp(have, want);
}

/* From an index: the entry tagged 'tag', else the only one, else "latest";
 * a nested index picks the platform (linux/amd64 unless the options say). */
json_t *oci_pick(const struct ens_oci_image *img, json_t *index, const char *tag, bool nested,
		    struct ens_err *err)
{
	json_t *m = json_object_get(index, "manifests"), *d, *found = NULL;
	size_t i, n = json_array_size(m), hits = 0;

	if (!json_is_array(m) || !n) {
		ens_fail(err, ENS_E_FORMAT, "'%s': the index lists no manifest", img->ref.text);
		return NULL;
	}
	if (nested) {
		json_array_foreach(m, i, d) {
			json_t *p = json_object_get(d, "platform");

			if ((n == 1 && !json_is_object(p)) || platform_matches(img, p))
				return d;
		}
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': no %s image in the image index", img->ref.text,
			 img->opts && img->opts->platform ? img->opts->platform : "linux/amd64");
		return NULL;
	}
	json_array_foreach(m, i, d) {
		const char *name = str_member(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name");

		if ((*tag && name && !strcmp(name, tag)) || (!*tag && name && !strcmp(name, "latest"))) {
			found = d;
			hits++;
		}
	}
	if (*tag && !found)
		ens_fail(err, ENS_E_FORMAT, "'%s': no manifest tagged '%s'", img->ref.text, tag);
	else if (!*tag && !found && n == 1)
		return json_array_get(m, 0);
	else if (!*tag && !found)
		ens_fail(err, ENS_E_USAGE, "'%s': %zu images and none tagged 'latest': name one with oci:DIR:TAG",
			 img->ref.text, n);
	else if (hits > 1)
		ens_fail(err, ENS_E_FORMAT, "'%s': several manifests tagged '%s'", img->ref.text, *tag ? tag : "latest");
	else
		return found;
	return NULL;
}

static int layers_from_manifest(struct ens_oci_image *img, struct ens_err *err)
{
	json_t *ls = json_object_get(img->manifest, "layers"), *d;
	size_t i;

	if (!json_is_array(ls))
		return ens_fail(err, ENS_E_FORMAT, "'%s': the manifest has no layer list", img->ref.text);
	img->layers = calloc(json_array_size(ls) + 1, sizeof *img->layers);
	if (!img->layers)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	json_array_foreach(ls, i, d) {
		struct ens_oci_layer *l = &img->layers[i];
		const char *digest, *mt = str_member(d, "mediaType");
		char what[32];

		snprintf(what, sizeof what, "layer %zu", i + 1);
		if (descriptor(img, d, what, &digest, &l->size, err))
			return -1;
		if (!mt || !oci_mt_layer(mt, &l->gzip))
			return ens_fail(err, ENS_E_UNSUPPORTED, "'%s': layer %zu has unsupported media type '%s'"
					" (tar and tar+gzip layers are supported)", img->ref.text, i + 1, mt ? mt : "");
		strcpy(l->digest, digest);
		if (!(l->media_type = strdup(mt)))
			return ens_fail(err, ENS_E_NOMEM, "out of memory");
		l->desc = json_incref(d);
		img->nlayers = i + 1;
	}
	return 0;
}

/* From a manifest descriptor (an index is followed to the platform's
 * entry): the manifest, its configuration and its layers. */
int oci_open_descriptor(struct ens_oci_image *img, json_t *d, struct ens_err *err)
{
	json_t *nested = NULL, *cfg;
	const char *mt, *v;
	int rc = -1;

	mt = str_member(d, "mediaType");
	if (oci_mt_index(mt)) {
		if (load(img, d, "image index", &nested, NULL, err) || !(d = oci_pick(img, nested, "", true, err)))
			goto out;
		mt = str_member(d, "mediaType");
	}
	if (!oci_mt_manifest(mt)) {
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': manifest has unsupported media type '%s'", img->ref.text,
			 mt ? mt : "");
		goto out;
	}
	if (load(img, d, "manifest", &img->manifest, img->manifest_digest, err))
		goto out;
	v = str_member(img->manifest, "mediaType");
	if (v && strcmp(v, mt)) {
		ens_fail(err, ENS_E_FORMAT, "'%s': manifest says media type '%s', the index '%s'", img->ref.text, v, mt);
		goto out;
	}
	if (!(img->manifest_media_type = strdup(mt))) {
		ens_fail(err, ENS_E_NOMEM, "out of memory");
		goto out;
	}
	cfg = json_object_get(img->manifest, "config");
	mt = str_member(cfg, "mediaType");
	if (!mt || (strcmp(mt, MT_OCI_CONFIG) && strcmp(mt, MT_DOCKER_CONFIG))) {
		ens_fail(err, ENS_E_UNSUPPORTED, "'%s': configuration has unsupported media type '%s'", img->ref.text,
			 mt ? mt : "");
		goto out;
	}
	if (load(img, cfg, "config", &img->config, img->config_digest, err) || layers_from_manifest(img, err))
		goto out;
	rc = 0;
out:
	json_decref(nested);
	return rc;
}

const struct oci_transport *oci_transport_of(enum ens_oci_transport t)
{
	return t == ENS_OCI_LAYOUT ? &oci_transport_layout :
	       t == ENS_OCI_DOCKER_ARCHIVE ? &oci_transport_docker_archive : &oci_transport_registry;
}

void ens_image_opts_default(struct ens_image_opts *o)
{
	memset(o, 0, sizeof *o);
	o->tls_verify = true;
	o->retry_times = 3;
	o->retry_delay_ms = 500;
}

int ens_oci_open(struct ens_oci_image *img, const char *ref, struct ens_err *err)
{
	return ens_image_open(img, ref, NULL, err);
}

int ens_image_open(struct ens_oci_image *img, const char *ref, struct ens_image_opts *opts, struct ens_err *err)
{
	static __thread struct ens_image_opts own;	/* without options: the defaults */
	int r;

	memset(img, 0, sizeof *img);
	if (!opts) {
		ens_image_opts_default(&own);
		opts = &own;
	}
	img->opts = opts;
	if (ens_oci_ref_parse(ref, &img->ref, err))
		return -1;
	r = oci_transport_of(img->ref.transport)->open(img, err);
	if (!r && !json_is_object(json_object_get(img->config, "rootfs")))
		r = ens_fail(err, ENS_E_FORMAT, "'%s': the configuration has no rootfs", img->ref.text);
	if (!r && json_array_size(json_object_get(json_object_get(img->config, "rootfs"), "diff_ids")) != img->nlayers)
		r = ens_fail(err, ENS_E_FORMAT, "'%s': the configuration lists %zu diff_ids for %zu layers",
			     img->ref.text, json_array_size(json_object_get(json_object_get(img->config, "rootfs"),
									    "diff_ids")), img->nlayers);
	if (r)
		ens_oci_close(img);
	return r;
}

void ens_oci_close(struct ens_oci_image *img)
{
	if (img->ref.transport && oci_transport_of(img->ref.transport)->close)
		oci_transport_of(img->ref.transport)->close(img);
	for (size_t i = 0; i < img->nlayers; i++) {
		free(img->layers[i].media_type);
		free(img->layers[i].member);
		json_decref(img->layers[i].desc);
	}
	free(img->layers);
	for (size_t i = 0; i < img->ndirs; i++)
		free(img->dirs[i].path);
	free(img->dirs);
	free(img->manifest_media_type);
	json_decref(img->manifest);
	json_decref(img->config);
	json_decref(img->repo_tags);
	memset(img, 0, sizeof *img);
}

const char *ens_oci_label(const struct ens_oci_image *img, const char *key)
{
	return str_member(json_object_get(json_object_get(img->config, "config"), "Labels"), key);
}
