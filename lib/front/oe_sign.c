/* Open Enclave front end, output stage: the SIGSTRUCT fields oesign derives
 * from the merged properties (§A.3) and the signed file, a byte copy of the
 * input with only the 1960 .oeinfo bytes replaced (§A.4). */
#include <string.h>
#include "ensign/io.h"
#include "ensign/oe.h"
#include "oe_internal.h"

void ens_oe_sigstruct_fields(const struct ens_oe_props *p, const uint8_t mrenclave[32], uint32_t date,
			     struct ens_sigstruct_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->date = date;
	f->miscselect = 0;
	f->miscmask = (p->flags & ENS_OE_FLAG_CAPTURE_PFGP) ? 0xFFFFFFFEu : 0xFFFFFFFFu;
	f->attributes = p->attributes;
	f->xfrm = 3;
	/* MODE64BIT and KSS are left to the loader, and DEBUG when requested;
	 * a KSS enclave enforces KSS. AVX and AVX-512 XFRM bits are not enforced. */
	f->attributes_mask = 0xFFFFFFFFFFFFFF7Bull;
	if (p->attributes & ENS_ATTR_DEBUG)
		f->attributes_mask &= ~(uint64_t)ENS_ATTR_DEBUG;
	if (p->attributes & ENS_ATTR_KSS) {
		f->attributes_mask |= ENS_ATTR_KSS;
		memcpy(f->isvfamilyid, p->family_id, 16);
		memcpy(f->isvextprodid, p->extended_product_id, 16);
	}
	f->xfrm_mask = 0xFFFFFFFFFFFFFF1Bull;
	memcpy(f->enclavehash, mrenclave, 32);
	f->isvprodid = p->product_id;
	f->isvsvn = p->security_version;
}

int ens_oe_write_signed(const struct ens_oe_image *img, const struct ens_oe_props *p, const char *out,
			struct ens_err *err)
{
	struct ens_out o;
	if (ens_check_not_same(img->path, out, err) < 0 ||
	    ens_out_open(&o, out, img->mode & 0777, err) < 0)
		return -1;
	uint64_t end = img->oeinfo_off + sizeof(*p);
	if (ens_out_write(&o, img->map, img->oeinfo_off, err) < 0 ||
	    ens_out_write(&o, p, sizeof(*p), err) < 0 ||
	    ens_out_write(&o, img->map + end, img->file_size - end, err) < 0) {
		ens_out_abort(&o);
		return -1;
	}
	return ens_out_commit(&o, err);
}
