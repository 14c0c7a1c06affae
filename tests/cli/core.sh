#!/bin/sh
# Core commands: measure, sign, sgxs-sign, info, verify, keygen; every error
# path with its message, exit status, and no output left behind.
. "$(dirname "$0")/lib.sh"
C="$TV/core"
K="$C/sgxs-tools_tests_data_sig1.key.pem"
MRS_K=83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e
MRS_DEBUG=c30c485c415eec204fdb99005b2299ec08847e066ded29139842aaf07ccb13c3
cp "$K" "$TMP/k.pem"; chmod 600 "$TMP/k.pem"; K="$TMP/k.pem"

# measure: every SGXS vector
while read -r f want; do
	t_eq "measure $f" "$("$ENSIGN" measure "$C/$f" 2>&1)" "$want"
done <<'LIST'
sized.sgxs 471554745bad5497053506c7acdb1137e5e2e1004cd97eb50497a7253b3d6bf4
nodebug.sgxs 873fe689ffc11e9a60409aacba191c5a81edc8ae7bbaba3bf2d70eac1297f8e4
seed.sgxs ade374d9eaeead686e8d22b3604d7780f505ae5f442d3251ceca0e059c4babff
withcfg.sgxs 76a2d78a4608d5a1311a9d10a277d48dfc953bbb7149663e3a834a4f72d6c634
manual_appended_permbug.sgxs 6d30045adba61db40299b34677039b2b401b3e73e289b8d613b6045d088fca15
enclave-example_le.signed.sgxs c0acdca38163ef4d4ef3bd51a4b98f4b00fb8d81045e7c6cd4fdeb3beb3b4574
report-test_enclave_report.sgxs a06a560b26f5e397b2d7872fac66fe4b43bf4f507296ee048f110be6fb1a2290
sgx_detect_test_enclave.sgxs 784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc
LIST
t_eq "measure --json" "$("$ENSIGN" measure --json "$C/sized.sgxs" | python3 -c 'import json,sys;print(json.load(sys.stdin)["mrenclave"])')" \
	471554745bad5497053506c7acdb1137e5e2e1004cd97eb50497a7253b3d6bf4
t_err "measure unsized" 1 "UNSIZED SGXS stream" "$ENSIGN" measure "$C/unsized.sgxs"
t_err "measure manual unsized" 1 "UNSIZED" "$ENSIGN" measure "$C/manual_unsized.sgxs"
t_err "measure missing file" 1 "no such file|cannot open" "$ENSIGN" measure "$TMP/nope.sgxs"

# malformed SGXS inputs, one message each
python3 - "$TMP" <<'PY'
import struct, sys, os
d = sys.argv[1]
def ecreate(size, ssa=1): return struct.pack('<QIQ', 0x0045544145524345, ssa, size).ljust(64, b'\0')
def eadd(off, flags=0x203): return struct.pack('<QQQ', 0x44444145, off, flags).ljust(64, b'\0')
def eext(off, data=b'\0'*256): return struct.pack('<QQ', 0x00444E4554584545, off).ljust(64, b'\0') + data
cases = {
  'truncated': ecreate(0x2000) + eadd(0) + eext(0)[:100],
  'noeadd': ecreate(0x2000) + eext(0),
  'misaligned': ecreate(0x2000) + eadd(0x10),
  'chunkalign': ecreate(0x2000) + eadd(0) + eext(0x80),
  'notpow2': ecreate(0x3000) + eadd(0),
  'dupecreate': ecreate(0x2000) + ecreate(0x2000),
  'unknowntag': ecreate(0x2000) + b'BOGUSTAG'.ljust(64, b'\0'),
  'outside': ecreate(0x2000) + eadd(0x2000),
  'order': ecreate(0x4000) + eadd(0x1000) + eadd(0x0),
  'dupchunk': ecreate(0x2000) + eadd(0) + eext(0x100) + eext(0x100),
  'otherpage': ecreate(0x2000) + eadd(0) + eext(0x1000),
  'badsecinfo': ecreate(0x2000) + eadd(0, 0x20b),
  'tcsperm': ecreate(0x2000) + eadd(0, 0x103),
  'empty': b'',
  'noecreate': eadd(0),
}
for k, v in cases.items():
    open(os.path.join(d, k + '.sgxs'), 'wb').write(v)
PY
while read -r name pat; do
	t_err "bad sgxs $name" 1 "$pat" "$ENSIGN" sign --key "$K" "$TMP/$name.sgxs" -o "$TMP/$name.sig"
	t_absent "bad sgxs $name leaves no output" "$TMP/$name.sig"
done <<'LIST'
truncated truncated record at file offset 128
noeadd has no EADD before it
misaligned EADD offset 0x10 .* not page-aligned
chunkalign not 256-byte aligned
notpow2 0x3000 is not a power of two
dupecreate duplicate ECREATE
unknowntag unknown record tag
outside outside the enclave
order not above the previous page
dupchunk appears twice
otherpage outside its EADD page
badsecinfo bits other than type
tcsperm TCS page must have R/W/X clear
noecreate first record is not ECREATE
LIST
t_err "empty sgxs" 1 "unrecognized file format|empty" "$ENSIGN" measure "$TMP/empty.sgxs"

# sgxs-sign: byte-identical with Fortanix, also under its own name
"$ENSIGN" sgxs-sign -x 3/0xe4 --date 20160109 --in-hash -k "$K" \
	c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d "$TMP/g.sig" >"$TMP/out" 2>&1
t_cmp "sgxs-sign --in-hash golden" "$TMP/g.sig" "$C/sgxs-tools_tests_data_sig1.sigstruct.bin"
t_eq "sgxs-sign prints ENCLAVEHASH" "$(cat "$TMP/out")" \
	"ENCLAVEHASH: c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d (OK)"
for n in sized seed; do
	"$ENSIGN" sgxs-sign --key "$K" "$C/$n.sgxs" "$TMP/$n.sig" -d --xfrm 7/0 --isvprodid 0 --isvsvn 0 --date 20240101 >/dev/null 2>&1
	t_cmp "sgxs-sign $n" "$TMP/$n.sig" "$C/$n.sig"
done
"$BUILD/sgxs-sign" --key "$K" --date 20240101 "$C/report-test_enclave_report.sgxs" "$TMP/r.sig" >/dev/null 2>&1
t_cmp "sgxs-sign (as sgxs-sign) defaults" "$TMP/r.sig" "$C/report_defaults.sig"
# PKCS#8 form of the same key gives the same bytes
openssl pkey -in "$K" -out "$TMP/k8.pem" 2>/dev/null; chmod 600 "$TMP/k8.pem"
"$ENSIGN" sgxs-sign --key "$TMP/k8.pem" --date 20240101 "$C/report-test_enclave_report.sgxs" "$TMP/r8.sig" >/dev/null 2>&1
t_cmp "sgxs-sign PKCS#8 key" "$TMP/r8.sig" "$C/report_defaults.sig"
t_err "sgxs-sign needs --key" 2 "required" "$ENSIGN" sgxs-sign "$C/sized.sgxs" "$TMP/x.sig"
t_err "sgxs-sign bad number" 2 "Invalid value" "$ENSIGN" sgxs-sign -k "$K" -p 0X10 "$C/sized.sgxs" "$TMP/x.sig"
t_err "sgxs-sign bad date" 2 "YYYYMMDD" "$ENSIGN" sgxs-sign -k "$K" --date 2024-01-01 "$C/sized.sgxs" "$TMP/x.sig"
t_err "sgxs-sign unsized" 1 "UNSIZED" "$ENSIGN" sgxs-sign -k "$K" "$C/unsized.sgxs" "$TMP/x.sig"
t_absent "sgxs-sign errors leave nothing" "$TMP/x.sig"
"$ENSIGN" sgxs-sign -k "$K" -a 0x404 -m 0x3 --date 20240101 "$C/sized.sgxs" "$TMP/drop.sig" >"$TMP/out" 2>&1
t_eq "sgxs-sign drops unknown bits" "$(grep -c 'WARNING: Dropping unknown bits' "$TMP/out")" 2
t_eq "sgxs-sign dropped-bit masks" "$("$ENSIGN" info --json "$TMP/drop.sig" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["attributes"]["flags"],j["attributemask"]["flags"],j["miscselect"],j["miscmask"])')" \
	"0x0000000000000004 0xfffffffffffffbfb 0x00000001 0xfffffffc"
# --resign-verify: needs the public key and the old output to match
openssl pkey -in "$K" -pubout -out "$TMP/pub.pem" 2>/dev/null
cp "$C/sized.sig" "$TMP/rv.sig"
t_run "sgxs-sign -V ok" 0 "$ENSIGN" sgxs-sign -k "$K" -V "$TMP/pub.pem" -d --xfrm 7/0 --date 20240102 "$C/sized.sgxs" "$TMP/rv.sig"
cp "$C/sized.sig" "$TMP/rv2.sig"
t_err "sgxs-sign -V other enclave" 1 "ENCLAVEHASH mismatch" "$ENSIGN" sgxs-sign -k "$K" -V "$TMP/pub.pem" "$C/seed.sgxs" "$TMP/rv2.sig"
t_cmp "sgxs-sign -V failure leaves old output" "$TMP/rv2.sig" "$C/sized.sig"

# native sign: defaults, production, key checks
"$ENSIGN" sign --key "$K" --date 2024-01-01 "$C/sized.sgxs" -o "$TMP/n.sig" >"$TMP/out" 2>"$TMP/err"
t_eq "sign prints mrenclave" "$(sed -n 1p "$TMP/out")" "mrenclave: 471554745bad5497053506c7acdb1137e5e2e1004cd97eb50497a7253b3d6bf4"
t_eq "sign prints mrsigner" "$(sed -n 2p "$TMP/out")" "mrsigner:  $MRS_K"
j=$("$ENSIGN" info --json "$TMP/n.sig")
t_eq "sign defaults" "$(printf '%s' "$j" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["debug"],j["attributes"]["flags"],j["attributemask"]["flags"],j["attributes"]["xfrm"],j["attributemask"]["xfrm"],j["miscmask"],j["date"])')" \
	"True 0x0000000000000006 0xfffffffffffffffd 0x0000000000000003 0xffffffffffffff1b 0xffffffff 2024-01-01"
"$ENSIGN" sign --key "$K" --production --isvprodid 7 --isvsvn 0x10 --date 20240101 "$C/sized.sgxs" -o "$TMP/p.sig" >/dev/null 2>&1
t_eq "sign --production" "$("$ENSIGN" info --json "$TMP/p.sig" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["debug"],j["attributes"]["flags"],j["attributemask"]["flags"],j["isvprodid"],j["isvsvn"])')" \
	"False 0x0000000000000004 0xffffffffffffffff 7 16"
"$ENSIGN" sign --key "$K" --isvfamilyid 0x0102 --date 20240101 "$C/sized.sgxs" -o "$TMP/kss.sig" >/dev/null 2>"$TMP/err"
t_eq "sign --isvfamilyid implies KSS" "$("$ENSIGN" info --json "$TMP/kss.sig" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["attributes"]["flags"],j["isvfamilyid"])')" \
	"0x0000000000000086 02010000000000000000000000000000"
t_eq "KSS notice" "$(grep -c 'imply KSS' "$TMP/err")" 1
cp "$C/sized.sgxs" "$TMP/def.sgxs"
"$ENSIGN" sign "$TMP/def.sgxs" >"$TMP/out" 2>"$TMP/err"
t_eq "sign default key output name" "$([ -f "$TMP/def.sig" ] && echo yes)" yes
t_eq "sign debug key MRSIGNER" "$(sed -n 2p "$TMP/out")" "mrsigner:  $MRS_DEBUG"
t_eq "sign debug key warns" "$(grep -c 'built-in debug key' "$TMP/err")" 1
t_err "production with debug key" 2 "production needs a key" "$ENSIGN" sign --production "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "production with --key debug" 2 "production needs a key" "$ENSIGN" sign --production --key debug "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "bad --date" 2 "not a calendar date" "$ENSIGN" sign --date 2024-02-30 "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "bad --isvsvn" 2 "does not fit 16 bits" "$ENSIGN" sign --isvsvn 70000 "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "bad --xfrm" 2 "not a number" "$ENSIGN" sign --xfrm 3/zz "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "output is input" 2 "is the input file" "$ENSIGN" sign "$TMP/def.sgxs" -o "$TMP/def.sgxs"
t_err "output in missing dir" 1 "cannot create output" "$ENSIGN" sign --key "$K" "$C/sized.sgxs" -o "$TMP/no/such/dir.sig"
t_absent "key errors leave nothing" "$TMP/x.sig"
openssl genrsa -3 -out "$TMP/k2048.pem" 2048 2>/dev/null
openssl genrsa -out "$TMP/k65537.pem" 3072 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/ec.pem" 2>/dev/null
openssl pkey -in "$TMP/k2048.pem" -pubout -out "$TMP/pub2048.pem" 2>/dev/null
chmod 600 "$TMP"/*.pem
t_err "2048-bit key" 1 "2048-bit RSA key; SGX needs 3072" "$ENSIGN" sign --key "$TMP/k2048.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "e=65537 key" 1 "public exponent 65537; SGX needs exponent 3" "$ENSIGN" sign --key "$TMP/k65537.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "EC key" 1 "is an EC key" "$ENSIGN" sign --key "$TMP/ec.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "public key" 1 "holds a public key or certificate; signing needs the private key" "$ENSIGN" sign --key "$TMP/pub.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
t_err "missing key" 1 "cannot open key" "$ENSIGN" sign --key "$TMP/none.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
t_absent "key errors leave nothing" "$TMP/x.sig"
cp "$K" "$TMP/open.pem"; chmod 644 "$TMP/open.pem"
t_err "world-readable key warns" 0 "readable by others" "$ENSIGN" sign --key "$TMP/open.pem" "$C/sized.sgxs" -o "$TMP/w.sig"
openssl pkey -in "$K" -aes256 -passout pass:s3cret -out "$TMP/enc.pem" 2>/dev/null; chmod 600 "$TMP/enc.pem"
t_err "encrypted key without passphrase" 1 "is encrypted and no passphrase was given" env -u ENSIGN_KEY_PASSPHRASE "$ENSIGN" sign --key "$TMP/enc.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
ENSIGN_KEY_PASSPHRASE=s3cret "$ENSIGN" sign --key "$TMP/enc.pem" --date 2024-01-01 "$C/sized.sgxs" -o "$TMP/e.sig" >/dev/null 2>&1
t_cmp "encrypted key signs identically" "$TMP/e.sig" "$TMP/n.sig"
# no private key material in any output
openssl pkey -in "$K" -text -noout 2>/dev/null | sed -n '/privateExponent/,/prime1/p' | sed 1d | head -3 | tr -d ' :\n' | cut -c1-24 >"$TMP/d.hex"
cat "$TMP"/out "$TMP"/err | tr -d ' :\n' | grep -q -f "$TMP/d.hex" && t_bad "no key material in output" || t_ok
# dates
SOURCE_DATE_EPOCH=1795392000 "$ENSIGN" sign --key "$K" "$C/sized.sgxs" -o "$TMP/sde.sig" >/dev/null 2>&1
t_eq "SOURCE_DATE_EPOCH" "$("$ENSIGN" info --json "$TMP/sde.sig" | python3 -c 'import json,sys;print(json.load(sys.stdin)["date"])')" 2026-11-23
SOURCE_DATE_EPOCH=1795392000 "$ENSIGN" sign --key "$K" --date 2024-01-01 "$C/sized.sgxs" -o "$TMP/sde2.sig" >/dev/null 2>&1
t_cmp "--date wins over SOURCE_DATE_EPOCH" "$TMP/sde2.sig" "$TMP/n.sig"

# verify and info
for f in le_prod_css.bin intel_le_prod_css.bin fortanix_test_enclave.sig sgx_detect_test_enclave.sig enclave-example_le.signed.sig sized.sig; do
	t_run "verify $f" 0 "$ENSIGN" verify --sig "$C/$f"
done
t_run "verify bad-sigflip" 1 "$ENSIGN" verify --sig "$C/bad-sigflip.sig"
t_eq "bad-sigflip reason" "$(cat "$TMP/out")" "FAIL $C/bad-sigflip.sig: SIGNATURE does not verify: the signature was not made with this key (padding mismatch)"
t_run "verify bad-exponent" 1 "$ENSIGN" verify --sig "$C/bad-exponent.sig"
t_eq "bad-exponent reason" "$(grep -c 'EXPONENT is 65537, must be 3' "$TMP/out")" 1
t_run "verify bad-truncated" 1 "$ENSIGN" verify --sig "$C/bad-truncated.sig"
t_eq "bad-truncated reason" "$(grep -c 'a SIGSTRUCT has 1808' "$TMP/out")" 1
t_run "verify sig + sgxs" 0 "$ENSIGN" verify --sig "$C/sgx_detect_test_enclave.sig" "$C/sgx_detect_test_enclave.sgxs"
t_run "verify sig + other sgxs" 1 "$ENSIGN" verify --sig "$C/sized.sig" "$C/nodebug.sgxs"
t_eq "mismatch reason" "$(grep -c 'ENCLAVEHASH: the SIGSTRUCT says 4715.*, the enclave measures 873f' "$TMP/out")" 1
t_run "verify --mrenclave" 0 "$ENSIGN" verify --sig "$C/sized.sig" --mrenclave 471554745bad5497053506c7acdb1137e5e2e1004cd97eb50497a7253b3d6bf4
t_run "verify --mrsigner wrong" 1 "$ENSIGN" verify --sig "$C/sized.sig" --mrsigner "$MRS_DEBUG"
t_run "verify FILE.sgxs with FILE.sig" 0 "$ENSIGN" verify "$C/sgx_detect_test_enclave.sgxs"
cp "$C/sized.sig" "$TMP/q.sig"; printf '\001' | dd of="$TMP/q.sig" bs=1 seek=1100 conv=notrunc 2>/dev/null
t_run "verify bad Q1" 1 "$ENSIGN" verify --sig "$TMP/q.sig"
t_eq "bad Q1 reason" "$(grep -c 'Q1 is not' "$TMP/out")" 1
for row in "le_prod_css.bin 8050122c5f999a28624b23ddd85b0483caedae3f38a29d192758798e6785d090 acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4 0x00008086 2016-11-16" \
	   "intel_le_prod_css.bin 7881af9f9def547da9908c008f29cde9bd78064e36ac7e14c83c294ca4806150 acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4 0x00008086 2024-08-11" \
	   "fortanix_test_enclave.sig 784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542 0x00000000 2016-12-14"; do
	set -- $row
	got=$("$ENSIGN" info --json "$C/$1" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["mrenclave"],j["mrsigner"],j["vendor"],j["date"])')
	t_eq "info --json $1" "$got" "$2 $3 $4 $5"
done
t_eq "info text names attributes" "$("$ENSIGN" info "$C/intel_le_prod_css.bin" | grep -c 'MODE64BIT|EINITTOKEN_KEY')" 1
# a non-BCD date is reported, not fatal
cp "$C/sized.sig" "$TMP/nb.sig"; printf '\377' | dd of="$TMP/nb.sig" bs=1 seek=20 conv=notrunc 2>/dev/null
t_eq "info non-BCD date" "$("$ENSIGN" info "$TMP/nb.sig" | grep -c 'not BCD')" 1

# keygen
t_run "keygen" 0 "$ENSIGN" keygen -o "$TMP/new.pem"
t_eq "keygen mode" "$(stat -c %a "$TMP/new.pem")" 600
t_eq "keygen e=3, 3072" "$(openssl pkey -in "$TMP/new.pem" -text -noout | grep -E -c 'Private-Key: \(3072 bit|publicExponent: 3 ')" 2
t_err "keygen refuses existing" 1 "not overwriting" "$ENSIGN" keygen -o "$TMP/new.pem"
t_run "keygen'd key signs" 0 "$ENSIGN" sign --key "$TMP/new.pem" "$C/sized.sgxs" -o "$TMP/kg.sig"

# generic usage
t_err "unknown command" 2 "not a command" "$ENSIGN" frobnicate
for c in measure sign info verify keygen sgxs-sign; do
	t_run "$c --help" 0 "$ENSIGN" "$c" --help
done
# every command's usage text, after --help and after a bad option or argument:
# one "usage:" at the start of its first line, never doubled
for c in $("$ENSIGN" --help | awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}'); do
	for args in --help --no-such-option "bogus-subcommand --no-such-option"; do
		"$ENSIGN" $c $args >"$TMP/u" 2>&1
		# (commands taking a file stop at "bogus-subcommand": cannot open it)
		if grep -q "usage: *usage:" "$TMP/u" ||
			{ ! grep -q "^usage: " "$TMP/u" && ! grep -q "cannot open 'bogus-subcommand'" "$TMP/u"; }; then
			t_bad "usage text of '$c $args'" "$(head -n 3 "$TMP/u")"
		else
			t_ok
		fi
	done
done
t_done
