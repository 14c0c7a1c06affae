/* Unit tests: Enclave.config.xml parsing (number forms, defaults, derived
 * defaults) and the SGX1/SGX2 metadata selection of the Intel SDK front end. */
#include <string.h>
#include "tap.h"
#include "ensign/intel_sdk.h"
#include "ensign/util.h"

static int parse(struct ens_intel_config *c, const char *body)
{
	char xml[1024];
	struct ens_err err;
	snprintf(xml, sizeof xml, "<EnclaveConfiguration>%s</EnclaveConfiguration>", body);
	return ens_intel_config_parse(c, xml, strlen(xml), "t.xml", &err);
}

int main(void)
{
	struct ens_intel_config c;
	CHECK(parse(&c, "") == 0, "empty config");
	CHECK(c.v[EIO_TCSNUM] == 1 && c.v[EIO_TCSMAXNUM] == 1 && c.v[EIO_HEAPINIT] == 0x1000000, "defaults");
	CHECK(c.v[EIO_MISCMASK] == 0xFFFFFFFF && c.v[EIO_STACKMAX] == 0x40000, "defaults 2");
	CHECK(parse(&c, "<ProdID> 010 </ProdID><ISVSVN>0x10</ISVSVN>") == 0 && c.v[EIO_PRODID] == 8 &&
	      c.v[EIO_ISVSVN] == 16, "octal and hex");
	CHECK(parse(&c, "<TCSNum>3</TCSNum>") == 0 && c.v[EIO_TCSMAXNUM] == 3, "TCSMaxNum defaults to TCSNum");
	CHECK(parse(&c, "<HeapMaxSize>0x2000</HeapMaxSize>") == 0 && c.v[EIO_HEAPINIT] == 0x2000,
	      "HeapInitSize defaults to HeapMaxSize");
	CHECK(parse(&c, "<ProdID>08</ProdID>") == -1, "bad octal digit");
	CHECK(parse(&c, "<ProdID>1x</ProdID>") == -1, "trailing junk");
	CHECK(parse(&c, "<!-- c --><ProdID>1</ProdID>") == 0, "comments allowed");

	/* selection (§6) through the builder, on a minimal fake ELF */
	struct ens_intel_elf e;
	memset(&e, 0, sizeof e);
	e.path = "fake.so";
	e.is64 = true;
	e.nseg = 1;
	e.seg[0] = (struct ens_intel_seg){0, 0x3000, 0x3000, 0, 5};
	e.image_end = 0x3000;
	e.gd_fileoff = 0x2000;
	static struct ens_intel_build b;
	struct ens_err err;
	CHECK(parse(&c, "") == 0 && ens_intel_build(&b, &e, &c, &err) == 0 && b.kind == ENS_INTEL_SGX1, "default: SGX1");
	CHECK(b.meta_len == 1904 + 72 + 1768 + 8 + 128 + 11 * 32, "default metadata size 0x%x", b.meta_len);
	CHECK(parse(&c, "<MiscSelect>1</MiscSelect><MiscMask>0xFFFFFFFE</MiscMask>") == 0 &&
	      ens_intel_build(&b, &e, &c, &err) == 0 && b.kind == ENS_INTEL_SGX2_SGX1, "SGX2 + SGX1");
	CHECK(parse(&c, "<MiscSelect>1</MiscSelect>") == 0 && ens_intel_build(&b, &e, &c, &err) == 0 &&
	      b.kind == ENS_INTEL_SGX2, "SGX2 only");
	CHECK(parse(&c, "<HeapMaxSize>0x1000</HeapMaxSize><StackMinSize>0x40000</StackMinSize><MiscSelect>1</MiscSelect>") == 0 &&
	      ens_intel_build(&b, &e, &c, &err) == 0 && b.kind == ENS_INTEL_SGX1, "static: SGX1");
	CHECK(parse(&c, "<AMX>2</AMX>") == 0 && ens_intel_build(&b, &e, &c, &err) == 0 &&
	      ens_get_le32(b.meta + 24) == 3, "AMX=2: 3-page SSA frame");
	return tap_done();
}
