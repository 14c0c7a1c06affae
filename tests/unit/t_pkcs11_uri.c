/* RFC 7512 pkcs11: URI parser: attributes, percent-decoding, path/query
 * placement, and one clear message per malformed URI. */
#include <stdlib.h>
#include "tap.h"
#include "ensign/pkcs11.h"

#define S(x) ((x) ? (x) : "(null)")

static void good(void)
{
	struct ens_pkcs11_uri u;
	struct ens_err err = { 0 };

	CHECK(ens_pkcs11_uri_parse("pkcs11:token=My%20Token;object=sgx%3Bkey;id=%01%a2%FF;serial=0123"
				   ";manufacturer=SoftHSM%20project;model=SoftHSM%20v2;slot-id=42;type=private"
				   "?pin-source=file:/run/pin&module-path=/usr/lib/softhsm/libsofthsm2.so",
				   &u, &err) == 0, "full URI: %s", err.msg);
	CHECK_STR(S(u.token), "My Token");
	CHECK_STR(S(u.object), "sgx;key");
	CHECK(u.has_id && u.id_len == 3 && u.id[0] == 0x01 && u.id[1] == 0xa2 && u.id[2] == 0xff, "id");
	CHECK_STR(S(u.serial), "0123");
	CHECK_STR(S(u.manufacturer), "SoftHSM project");
	CHECK_STR(S(u.model), "SoftHSM v2");
	CHECK(u.has_slot_id && u.slot_id == 42, "slot-id");
	CHECK_STR(S(u.type), "private");
	CHECK_STR(S(u.pin_source), "file:/run/pin");
	CHECK_STR(S(u.module_path), "/usr/lib/softhsm/libsofthsm2.so");
	CHECK(u.pin_value == NULL && u.module_name == NULL, "absent attributes stay NULL");
	ens_pkcs11_uri_free(&u);
	CHECK(u.token == NULL && u.id == NULL, "free clears");

	/* empty path, query only; vendor and library attributes ignored; case of scheme */
	CHECK(ens_pkcs11_uri_parse("PKCS11:?pin-value=1234&x-vendor=1", &u, &err) == 0, "query only: %s", err.msg);
	CHECK_STR(S(u.pin_value), "1234");
	CHECK(!u.token && !u.has_id && !u.has_slot_id, "nothing else");
	ens_pkcs11_uri_free(&u);
	CHECK(ens_pkcs11_uri_parse("pkcs11:", &u, &err) == 0, "empty URI: %s", err.msg);
	ens_pkcs11_uri_free(&u);
	CHECK(ens_pkcs11_uri_parse("pkcs11:library-description=x;slot-description=y;object=k;", &u, &err) == 0,
	      "library/slot attributes and trailing ';': %s", err.msg);
	CHECK_STR(S(u.object), "k");
	ens_pkcs11_uri_free(&u);
	/* query attributes in the path (common in the wild) and an empty id */
	CHECK(ens_pkcs11_uri_parse("pkcs11:object=k;pin-value=1%32;id=", &u, &err) == 0, "pin in path: %s", err.msg);
	CHECK_STR(S(u.pin_value), "12");
	CHECK(u.has_id && u.id_len == 0, "empty id");
	ens_pkcs11_uri_free(&u);

	CHECK(ens_pkcs11_is_uri("pkcs11:token=a"), "is_uri");
	CHECK(!ens_pkcs11_is_uri("key.pem") && !ens_pkcs11_is_uri(NULL), "not uri");
}

static void bad(const char *uri, const char *want)
{
	struct ens_pkcs11_uri u;
	struct ens_err err = { 0 };
	int r = ens_pkcs11_uri_parse(uri, &u, &err);
	CHECK(r == -1, "'%s' accepted", uri);
	CHECK(r == -1 && strcmp(err.msg, want) == 0, "'%s': got '%s', want '%s'", uri, err.msg, want);
	CHECK(u.token == NULL && u.pin_value == NULL && u.id == NULL, "'%s': nothing left to free", uri);
}

static void redact(void)
{
	char buf[128];
	ens_pkcs11_uri_redact("pkcs11:token=t;pin-value=secret;object=o?pin-value=s2&module-path=/m", buf, sizeof buf);
	CHECK_STR(buf, "pkcs11:token=t;pin-value=***;object=o?pin-value=***&module-path=/m");
	ens_pkcs11_uri_redact("pkcs11:object=xpin-value=1", buf, sizeof buf);
	CHECK_STR(buf, "pkcs11:object=xpin-value=1");
	ens_pkcs11_uri_redact("pkcs11:token=abcdefgh", buf, 10);
	CHECK_STR(buf, "pkcs11:to");
}

int main(void)
{
	good();
	bad("file:key.pem", "pkcs11 URI must start with 'pkcs11:'");
	bad("pkcs11:token=a;token=b", "pkcs11 URI: attribute 'token' given twice");
	bad("pkcs11:id=%01;id=%02", "pkcs11 URI: attribute 'id' given twice");
	bad("pkcs11:tokn=a", "pkcs11 URI: unknown attribute 'tokn'");
	bad("pkcs11:token", "pkcs11 URI: 'token' is not of the form name=value");
	bad("pkcs11:=x", "pkcs11 URI: attribute with no name before '='");
	bad("pkcs11:id=%0", "pkcs11 URI: bad percent-encoding in 'id' at '%0' (expected %XX)");
	bad("pkcs11:object=a%g1", "pkcs11 URI: bad percent-encoding in 'object' at '%g1' (expected %XX)");
	bad("pkcs11:object=a%00b", "pkcs11 URI: 'object' contains a NUL byte (%00)");
	bad("pkcs11:slot-id=0x1", "pkcs11 URI: slot-id '0x1' is not a decimal number");
	bad("pkcs11:token=t?pin-value=1&pin-source=file:/p", "pkcs11 URI: give pin-value or pin-source, not both");
	bad("pkcs11:token=t?pin-value=1&pin-value=2", "pkcs11 URI: attribute 'pin-value' given twice");
	redact();
	return tap_done();
}
