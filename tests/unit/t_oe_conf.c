/* Unit tests for the Open Enclave settings stage: oesign's .conf syntax,
 * the merge into .oeinfo properties, validation and SIGSTRUCT defaults. */
#include <string.h>
#include "ensign/oe.h"
#include "tap.h"

static int parse(const char *text, struct ens_oe_conf *c, struct ens_err *err)
{
	memset(err, 0, sizeof(*err));
	return ens_oe_conf_parse("t.conf", text, strlen(text), c, err);
}

static void expect_error(const char *text, const char *msg)
{
	struct ens_oe_conf c;
	struct ens_err err;
	int rc = parse(text, &c, &err);
	CHECK(rc == -1 && strstr(err.msg, msg), "'%s': rc %d, message '%s', want '%s'", text, rc, err.msg, msg);
}

/* OE's placeholder .oeinfo, as OE_SET_ENCLAVE_SGX leaves it for oesign. */
static void placeholder(struct ens_oe_props *p)
{
	memset(p, 0, sizeof(*p));
	p->size = ENS_OE_PROPS_SIZE;
	p->enclave_type = ENS_OE_TYPE_SGX;
	p->num_heap_pages = p->num_stack_pages = p->num_tcs = 0xffff;
	p->product_id = p->security_version = 0xffff;
	p->attributes = ENS_ATTR_MODE64BIT;
	p->end_marker = ENS_OE_END_MARKER;
}

static void test_syntax(void)
{
	struct ens_oe_conf c;
	struct ens_err err;

	CHECK(parse("# comment\n\n  Debug=1\r\nNumHeapPages 1024\nNumStackPages = 512\n"
		    "\tNumTCS\t=\t4  \nProductID=1\nSecurityVersion=65534", &c, &err) == 0, "%s", err.msg);
	CHECK(c.has_debug && c.debug, "Debug");
	CHECK(c.has_heap && c.num_heap_pages == 1024, "NumHeapPages");
	CHECK(c.has_stack && c.num_stack_pages == 512, "NumStackPages with ' = '");
	CHECK(c.has_tcs && c.num_tcs == 4, "NumTCS with tabs");
	CHECK(c.product_id == 1 && c.security_version == 65534, "ids");
	CHECK(!c.has_family && !c.has_pfgp && !c.has_zero_base, "absent keys");

	CHECK(parse("FamilyID=00112233-4455-6677-8899-AABBCCDDEEFF\nExtendedProductID=0-011-2233445566778899aabbccddee-f-f\n",
		    &c, &err) == 0, "%s", err.msg);
	static const uint8_t want[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	CHECK_MEM(c.family_id, want, 16, "FamilyID bytes in text order");
	CHECK_MEM(c.extended_product_id, want, 16, "'-' skipped anywhere");
	CHECK(parse("CreateZeroBaseEnclave=1\nStartAddress=1048576\nCapturePFGPExceptions=0\n", &c, &err) == 0,
	      "%s", err.msg);
	CHECK(c.zero_base && c.start_address == 0x100000 && c.has_pfgp && !c.pfgp, "zero base");
	CHECK(parse("NumHeapPages=18446744073709551614\n", &c, &err) == 0 && c.num_heap_pages == UINT64_MAX - 1,
	      "largest heap");
}

static void test_errors(void)
{
	expect_error("Debug\n", "t.conf(1): syntax error");
	expect_error("\n=1\n", "t.conf(2): syntax error");
	expect_error("Debug=\n", "t.conf(1): syntax error");
	expect_error("ProductID=1\nProductID=1\n", "t.conf(2): Duplicate 'ProductID' value provided");
	expect_error("Bogus=7\n", "t.conf(1): unknown setting 'Bogus' (value 7)");
	expect_error("debug=1\n", "unknown setting 'debug' (value 1)");
	expect_error("Debug=yes\n", "'Debug' value must be 0 or 1");
	expect_error("CapturePFGPExceptions=2\n", "'CapturePFGPExceptions' value must be 0 or 1");
	expect_error("CreateZeroBaseEnclave=-1\n", "'CreateZeroBaseEnclave' value must be 0 or 1");
	expect_error("NumHeapPages=0x10\n", "bad value for 'NumHeapPages': 0x10");
	expect_error("NumHeapPages=18446744073709551615\n", "bad value for 'NumHeapPages'");
	expect_error("NumHeapPages=18446744073709551616\n", "bad value for 'NumHeapPages'");
	expect_error("NumStackPages=-5\n", "bad value for 'NumStackPages': -5");
	expect_error("NumTCS=1025\n", "bad value for 'NumTCS': 1025");
	expect_error("ProductID=65535\n", "bad value for 'ProductID': 65535");
	expect_error("SecurityVersion=70000\n", "bad value for 'SecurityVersion': 70000");
	expect_error("SecurityVersion=1 # svn\n", "bad value for 'SecurityVersion': 1 # svn");
	expect_error("StartAddress=0\n", "bad value for 'StartAddress': 0");
	expect_error("StartAddress=4095\n", "bad value for 'StartAddress': 4095");
	expect_error("FamilyID=0\n", "bad value for 'FamilyID': 0");
	expect_error("FamilyID=00112233-4455-6677-8899-aabbccddeeZZ\n", "bad value for 'FamilyID'");
	expect_error("ExtendedProductID=00112233445566778899aabbccddeeff\n", "bad value for 'ExtendedProductID'");
}

static void test_merge(void)
{
	struct ens_oe_props p;
	struct ens_oe_conf c;
	struct ens_err err;

	placeholder(&p);
	CHECK(ens_oe_merge(&p, NULL, &err) == -1 && strstr(err.msg, "num_tcs"), "placeholder needs a .conf: %s",
	      err.msg);

	placeholder(&p);
	parse("Debug=1\nNumHeapPages=1024\nNumStackPages=1024\nNumTCS=1\nProductID=1\nSecurityVersion=1\n", &c, &err);
	CHECK(ens_oe_merge(&p, &c, &err) == 0, "%s", err.msg);
	CHECK(p.attributes == (ENS_ATTR_MODE64BIT | ENS_ATTR_DEBUG), "Debug=1 sets DEBUG");
	CHECK(p.num_heap_pages == 1024 && p.num_tcs == 1 && p.product_id == 1, "sizes and ids");

	/* absent keys keep the .oeinfo values; Debug=0 clears DEBUG */
	parse("Debug=0\n", &c, &err);
	CHECK(ens_oe_merge(&p, &c, &err) == 0 && p.attributes == ENS_ATTR_MODE64BIT && p.num_heap_pages == 1024,
	      "Debug=0 clears, others kept");

	/* an uninitialised header is reset: MODE64BIT only */
	p.size = 0;
	p.attributes = 0x7;
	CHECK(ens_oe_merge(&p, NULL, &err) == 0 && p.size == 1960 && p.attributes == ENS_ATTR_MODE64BIT,
	      "header initialised");

	/* IDs turn KSS on; absent IDs are zeroed and KSS cleared; flags reset */
	parse("FamilyID=00112233-4455-6677-8899-aabbccddeeff\nCapturePFGPExceptions=1\n", &c, &err);
	CHECK(ens_oe_merge(&p, &c, &err) == 0 && (p.attributes & ENS_ATTR_KSS) && p.family_id[1] == 0x11 &&
	      (p.flags & ENS_OE_FLAG_CAPTURE_PFGP), "KSS and PFGP set");
	struct ens_sigstruct_fields f;
	uint8_t mr[32] = { 1 };
	ens_oe_sigstruct_fields(&p, mr, 0x20210906, &f);
	CHECK(f.attributes_mask == 0xFFFFFFFFFFFFFFFBull && f.miscmask == 0xFFFFFFFE && f.isvfamilyid[1] == 0x11,
	      "KSS enforced, PFGP misc mask: 0x%llx 0x%x", (unsigned long long)f.attributes_mask, f.miscmask);
	CHECK(ens_oe_merge(&p, NULL, &err) == 0 && !(p.attributes & ENS_ATTR_KSS) && p.family_id[1] == 0 &&
	      p.flags == 0, "KSS, IDs and flags reset without the keys");

	/* StartAddress applies only with CreateZeroBaseEnclave=1 */
	parse("StartAddress=8192\n", &c, &err);
	CHECK(ens_oe_merge(&p, &c, &err) == 0 && p.start_address == 0, "StartAddress alone ignored");
	parse("StartAddress=8192\nCreateZeroBaseEnclave=1\n", &c, &err);
	CHECK(ens_oe_merge(&p, &c, &err) == 0 && p.start_address == 8192 && (p.flags & ENS_OE_FLAG_ZERO_BASE),
	      "zero base");

	/* SIGSTRUCT defaults (§A.3) for Debug=1 */
	placeholder(&p);
	parse("Debug=1\nNumTCS=1\nProductID=3\nSecurityVersion=4\n", &c, &err);
	CHECK(ens_oe_merge(&p, &c, &err) == 0, "%s", err.msg);
	ens_oe_sigstruct_fields(&p, mr, 0x20210906, &f);
	CHECK(f.attributes == 6 && f.xfrm == 3 && f.attributes_mask == 0xFFFFFFFFFFFFFF79ull &&
	      f.xfrm_mask == 0xFFFFFFFFFFFFFF1Bull && f.miscselect == 0 && f.miscmask == 0xFFFFFFFF &&
	      f.isvprodid == 3 && f.isvsvn == 4 && f.date == 0x20210906 && f.vendor == 0 && f.enclavehash[0] == 1,
	      "debug defaults");

	/* validation */
	p.attributes |= ENS_ATTR_PROVISIONKEY;
	CHECK(ens_oe_validate(&p, &err) == -1 && strstr(err.msg, "config.attributes"), "PROVISIONKEY refused");
	p.attributes = ENS_ATTR_DEBUG;
	CHECK(ens_oe_validate(&p, &err) == -1, "MODE64BIT required");
	p.attributes = ENS_ATTR_MODE64BIT;
	p.family_id[0] = 1;
	CHECK(ens_oe_validate(&p, &err) == -1 && strstr(err.msg, "KSS"), "IDs without KSS");
}

int main(void)
{
	test_syntax();
	test_errors();
	test_merge();
	return tap_done();
}
