/* Package front end, layout: the application layout (lib/front/app_layout.c)
 * of the packaged ELF, with the package regions (descriptor page, config.json
 * bytes, CPIO archive; REG R, measured) inserted between the last thread
 * block and the configuration page, and the SIGSTRUCT fields of a package. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "ensign/measure.h"
#include "ensign/package.h"
#include "ensign/progress.h"
#include "ensign/util.h"

#define PG ENS_PAGE_SIZE
#define ALL_CHUNKS 0xFFFFu

static uint64_t pages(uint64_t n)
{
	return (n + PG - 1) & ~(uint64_t)(PG - 1);
}

int ens_pkg_plan(const struct ens_app *app, const struct ens_pkg_input *in, struct ens_pkg_layout *lay,
		 struct ens_err *err)
{
	struct ens_app_config cfg;
	struct ens_app_layout *a = &lay->app;
	struct ens_pkg_desc *d = &lay->desc;

	memset(lay, 0, sizeof *lay);
	ens_app_config_default(&cfg);
	cfg.heap = cfg.minheap = in->cfg->memory_size;
	cfg.stack = in->cfg->main_stack_size;
	if (ens_app_plan(app, &cfg, a, err)) {
		if (err)	/* config.json's values: a bad input file (exit 1) */
			err->code = ENS_E_FORMAT;
		return ens_err_prefix(err, "config.json");
	}
	lay->regions_offset = a->config_offset;
	lay->regions_size = PG + pages(in->config_len) + pages(in->archive_len);
	/* the app layout ends with the configuration page and the heap: move them up */
	a->config_offset += lay->regions_size;
	a->heap_offset += lay->regions_size;
	a->end += lay->regions_size;
	if (a->end > ENS_APP_MAX_SIZE)
		return ens_fail(err, ENS_E_FORMAT, "the enclave would need 0x%" PRIx64 " bytes, more than the"
				" largest enclave (128T)", a->end);
	a->size = ens_next_pow2(a->end);
	/* from config.json's MemorySize: a bad input file (exit 1), not a usage error */
	if (ens_enclave_size_check(a->size, ENS_E_FORMAT, err))
		return -1;
	memcpy(d->magic, ENS_PKG_DESC_MAGIC, 8);
	d->version = ENS_PKG_VERSION;
	d->target = (uint32_t)in->target;
	d->config_offset = lay->regions_offset + PG;
	d->config_len = in->config_len;
	d->archive_offset = d->config_offset + pages(in->config_len);
	d->archive_len = in->archive_len;
	d->image_len = in->image_len;
	SHA256(in->image, in->image_len, d->image_sha256);
	return 0;
}

static int emit(struct ens_sink *sink, uint64_t off, const uint8_t *data, struct ens_err *err)
{
	struct ens_page pg = { .offset = off, .secinfo_flags = ENS_SECINFO_REG | ENS_SECINFO_R,
			       .eextend_mask = ALL_CHUNKS, .added = true, .data = data };

	return sink->page(sink->ctx, &pg, err);
}

static int stream_bytes(struct ens_sink *sink, uint64_t off, const uint8_t *p, size_t len, struct ens_err *err)
{
	uint8_t last[PG];

	for (size_t done = 0; done < len; done += PG, off += PG) {
		const uint8_t *data = p + done;

		if (len - done < PG) {
			memset(last, 0, PG);
			memcpy(last, data, len - done);
			data = last;
		}
		if (emit(sink, off, data, err))
			return -1;
	}
	return 0;
}

int ens_pkg_stream(const struct ens_app *app, const struct ens_pkg_layout *lay, const struct ens_pkg_input *in,
		   struct ens_sink *sink, struct ens_err *err)
{
	uint8_t desc[PG];

	memset(desc, 0, PG);
	memcpy(desc, &lay->desc, sizeof lay->desc);
	if (ens_app_stream_common(app, &lay->app, sink, err) || emit(sink, lay->regions_offset, desc, err) ||
	    stream_bytes(sink, lay->desc.config_offset, in->config, in->config_len, err) ||
	    stream_bytes(sink, lay->desc.archive_offset, in->archive, in->archive_len, err))
		return -1;
	return ens_app_stream_model(&lay->app, ENS_MM_SGX1, sink, err);
}

int ens_pkg_measure(const struct ens_pkg_input *in, uint8_t mr[32], struct ens_err *err)
{
	struct ens_app app;
	struct ens_pkg_layout lay;
	struct ens_measure *m;
	struct ens_sink sink;
	const char *slash = strrchr(in->cfg->application_path, '/');
	uint8_t *copy = malloc(in->image_len ? in->image_len : 1);
	int rc = -1;

	if (!copy)
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	memcpy(copy, in->image, in->image_len);
	if (ens_app_open_buffer(&app, slash ? slash + 1 : in->cfg->application_path, copy, in->image_len, err))
		return -1;
	if (!(m = malloc(sizeof *m))) {
		ens_app_close(&app);
		return ens_fail(err, ENS_E_NOMEM, "out of memory");
	}
	m->sha = NULL;
	if (!ens_pkg_plan(&app, in, &lay, err) && !ens_measure_init(m, err)) {
		struct ens_progress prog;

		ens_progress_start(&prog, lay.app.size, lay.app.end / ENS_PAGE_SIZE);
		ens_sink_measure(&sink, m);
		if (!ens_pkg_stream(&app, &lay, in, ens_progress_sink(&prog, &sink), err) &&
		    !ens_measure_final(m, mr, err))
			rc = 0;
		ens_progress_finish(&prog);
	}
	if (m->sha)
		ens_measure_free(m);
	free(m);
	ens_app_close(&app);
	return rc;
}

void ens_pkg_sigstruct_fields(const struct ens_pkg_config *cfg, const uint8_t mr[32], uint32_t date,
			      struct ens_sigstruct_fields *f)
{
	memset(f, 0, sizeof *f);
	f->date = date;
	f->miscselect = 0;
	f->miscmask = 0xFFFFFFFF;
	f->attributes = ENS_ATTR_MODE64BIT | (cfg->debug ? ENS_ATTR_DEBUG : 0);
	f->attributes_mask = ~(uint64_t)0;
	f->xfrm = ENS_APP_DEFAULT_XFRM;
	f->xfrm_mask = 0xFFFFFFFFFFFFFF1Bull;
	memcpy(f->enclavehash, mr, 32);
	f->isvprodid = cfg->product_id;
	f->isvsvn = cfg->security_version;
}
