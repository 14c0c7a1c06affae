#!/bin/sh
# Open Enclave: oesign sign/digest/dump, verify/info/measure, .conf errors and
# two-step signing, on the repo's tiny test enclave (tests/oe) and, when the
# shared vectors are present, on the real oesign pair (never copied in: no licence).
. "$(dirname "$0")/lib.sh"
O="$TOP/tests/oe"
W="$TMP/w"
mkdir -p "$W"
cp "$O/tiny_enclave.so" "$O/tiny_enclave.so.signed" "$O/tiny.conf" "$O/test-key.pem" "$O/other-key.pem" \
	"$O/oe_mrenclave.py" "$W/"
chmod u+w "$W"/*; chmod 600 "$W"/*.pem
cd "$W" || exit 1
OE="$ENSIGN oesign"
MR=6aa329f87d738833c3d71c938749bf872984e0ef77de6728ef35d4f4d1b5945c	# tiny + tiny.conf
unset SOURCE_DATE_EPOCH
D="--date 2021-09-06"

flip() { b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '); printf "$(printf '\\%03o' $((b ^ 1)))" |
	dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# offset of .oeinfo / .text in a file
sec_off() { echo $((0x$(readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\]//' | awk -v s="$2" '$1 == s { print $4 }' | head -n1))); }

# 1. one-step signing of the tiny enclave: golden file, default output name, SOURCE_DATE_EPOCH
t_run "sign tiny" 0 $OE sign -e tiny_enclave.so -c tiny.conf -k test-key.pem -o o.signed $D
t_cmp "sign tiny bytes" o.signed tiny_enclave.so.signed
rm -f tiny_enclave.so.signed.copy; cp tiny_enclave.so.signed golden.signed; rm tiny_enclave.so.signed
SOURCE_DATE_EPOCH=1630886400 $OE sign -e tiny_enclave.so -c tiny.conf -k test-key.pem >/dev/null 2>&1
t_cmp "sign default output IMG.signed + SOURCE_DATE_EPOCH" tiny_enclave.so.signed golden.signed
t_run "resign signed file" 0 $OE sign -e golden.signed -c tiny.conf -k test-key.pem -o re.signed $D
t_cmp "resign is idempotent" re.signed golden.signed
t_run "sign via personality name" 0 env "PATH=$(dirname "$ENSIGN"):$PATH" oesign sign -e tiny_enclave.so \
	-c tiny.conf -k test-key.pem -o p.signed $D
t_cmp "personality output" p.signed golden.signed

# 2. dump, verify, info, measure
t_run "dump" 0 $OE dump -e golden.signed
t_eq "dump mrenclave" "$(grep '^mrenclave=' "$TMP/out")" "mrenclave=$MR"
t_eq "dump entry" "$(sed -n 3p "$TMP/out")" "name=_start"
t_eq "dump sizes" "$(grep -E '^(num_|product|security|debug)' "$TMP/out" | tr '\n' ' ')" \
	"product_id=7 security_version=3 debug=1 num_heap_pages=16 num_stack_pages=4 num_tcs=2 "
t_run "verify golden" 0 $ENSIGN verify golden.signed
t_eq "verify mrenclave" "$(grep '^mrenclave' "$TMP/out")" "mrenclave: $MR (matches)"
t_run "measure signed" 0 $ENSIGN measure golden.signed
t_eq "measure signed value" "$(cat "$TMP/out")" "$MR"
t_run "measure unsigned with -c" 0 $ENSIGN measure tiny_enclave.so -c tiny.conf
t_eq "measure unsigned value" "$(cat "$TMP/out")" "$MR"
t_err "measure unsigned without -c" 1 "set NumTCS in the .conf" $ENSIGN measure tiny_enclave.so
t_run "info --json" 0 $ENSIGN info golden.signed --json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["format"]=="openenclave" and d["mrenclave"]==sys.argv[2] and d["enclave_size"]==262144 and d["signed"]' "$TMP/out" "$MR" 2>/dev/null
then t_ok; else t_bad "info --json content" "$(head -c 300 "$TMP/out")"; fi
t_err "verify unsigned" 1 "not signed" $ENSIGN verify tiny_enclave.so

# 3. verify fails on a changed byte, naming the cause
cp golden.signed t1; flip t1 $(($(sec_off t1 .text) + 1))
t_run "verify changed code" 1 $ENSIGN verify t1
grep -q "MRENCLAVE mismatch" "$TMP/out" && t_ok || t_bad "changed code names MRENCLAVE" "$(cat "$TMP/out")"
cp golden.signed t2; flip t2 $(($(sec_off t2 .oeinfo) + 144 + 516 + 10))	# SIGNATURE
t_run "verify changed signature" 1 $ENSIGN verify t2
grep -qi "signature" "$TMP/out" && t_ok || t_bad "changed signature named" "$(cat "$TMP/out")"
cp golden.signed t3; flip t3 $(($(sec_off t3 .oeinfo) + 32))	# product_id
t_run "verify changed .oeinfo" 1 $ENSIGN verify t3

# 4. two-step: digest -> openssl pkeyutl -> sign -x -d reproduces the one-step output
openssl req -new -x509 -key test-key.pem -subj /CN=ensign-oe-test -days 3650 -out cert.pem 2>/dev/null
openssl rsa -in test-key.pem -pubout -out pub.pem 2>/dev/null
t_run "digest" 0 $OE digest -e tiny_enclave.so -c tiny.conf -d x.dig $D
t_eq "digest size" "$(wc -c <x.dig | tr -d ' ')" 32
openssl pkeyutl -sign -pkeyopt digest:sha256 -inkey test-key.pem -in x.dig -out x.sig 2>/dev/null
t_run "sign -x -d" 0 $OE sign -e tiny_enclave.so -c tiny.conf -x cert.pem -d x.sig -o x.signed $D
t_cmp "two-step equals one-step" x.signed golden.signed
t_run "sign -x public key PEM, date recovered" 0 $OE sign -e tiny_enclave.so -c tiny.conf -x pub.pem -d x.sig -o y.signed
t_cmp "two-step without --date keeps the digest's date" y.signed golden.signed
openssl pkeyutl -sign -pkeyopt digest:sha256 -inkey other-key.pem -in x.dig -out bad.sig 2>/dev/null
t_err "signature from another key" 1 "not a signature by the key in 'cert.pem'" \
	$OE sign -e tiny_enclave.so -c tiny.conf -x cert.pem -d bad.sig -o z.signed $D
t_absent "nothing written on refusal" z.signed
sed 's/ProductID=7/ProductID=8/' tiny.conf >other.conf
t_err "digest of another configuration" 1 "does not match this enclave and configuration" \
	$OE sign -e tiny_enclave.so -c other.conf -x cert.pem -d x.sig -o z.signed $D
t_err "digest of another date" 1 "with date 2021-09-07" \
	$OE sign -e tiny_enclave.so -c tiny.conf -x cert.pem -d x.sig -o z.signed --date 2021-09-07
head -c 100 x.sig >short.sig
t_err "truncated signature" 1 "is 100 bytes, expected 384" \
	$OE sign -e tiny_enclave.so -c tiny.conf -x cert.pem -d short.sig -o z.signed $D
t_absent "nothing written on errors" z.signed

# 5. .conf errors, each with its message
conf_err() { printf "$2" >bad.conf
	t_err "conf: $1" 1 "$3" $OE sign -e tiny_enclave.so -c bad.conf -k test-key.pem -o z.signed $D; }
conf_err "syntax" 'Debug\n' "bad.conf\\(1\\): syntax error"
conf_err "empty value" '# c\nDebug=  \n' "bad.conf\\(2\\): syntax error"
conf_err "duplicate" 'Debug=1\nDebug=1\n' "bad.conf\\(2\\): Duplicate 'Debug' value provided"
conf_err "unknown key" 'Frobnicate=3\n' "unknown setting 'Frobnicate' \\(value 3\\)"
conf_err "debug value" 'Debug=2\n' "'Debug' value must be 0 or 1"
conf_err "hex number" 'NumHeapPages=0x10\n' "bad value for 'NumHeapPages': 0x10"
conf_err "negative" 'NumStackPages=-1\n' "bad value for 'NumStackPages': -1"
conf_err "NumTCS limit" 'NumTCS=1025\n' "bad value for 'NumTCS': 1025"
conf_err "ProductID limit" 'ProductID=65535\n' "bad value for 'ProductID': 65535"
conf_err "trailing comment" 'SecurityVersion=1 # one\n' "bad value for 'SecurityVersion'"
conf_err "bad uuid" 'FamilyID=1\n' "bad value for 'FamilyID': 1"
conf_err "StartAddress alignment" 'StartAddress=4097\n' "bad value for 'StartAddress': 4097"
conf_err "placeholder ProductID" 'Debug=1\nNumHeapPages=1\nNumStackPages=1\nNumTCS=1\nSecurityVersion=1\n' \
	"config.product_id': 65535.*set ProductID"
t_err "missing conf file" 1 "nope.conf" $OE sign -e tiny_enclave.so -c nope.conf -k test-key.pem -o z.signed
t_absent "no output after conf errors" z.signed
printf 'Debug=0\nNumHeapPages=16\nNumStackPages=4\nNumTCS=2\nProductID=7\nSecurityVersion=3\nCapturePFGPExceptions=1\nFamilyID=00112233-4455-6677-8899-aabbccddeeff\n' >kss.conf
t_run "sign KSS/PFGP conf" 0 $OE sign -e tiny_enclave.so -c kss.conf -k test-key.pem -o kss.signed $D
t_run "info KSS" 0 $ENSIGN info kss.signed --json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["sigstruct"]; assert d["attributes"]==0x84 and d["capture_pf_gp_exceptions"] and not d["debug"]' "$TMP/out" 2>/dev/null
then t_ok; else t_bad "KSS/PFGP properties" "$(head -c 400 "$TMP/out")"; fi
t_run "verify KSS" 0 $ENSIGN verify kss.signed
grep -q "$MR" "$TMP/out" && t_bad "Debug=0 changes MRENCLAVE" || t_ok

printf 'Debug=1\nNumHeapPages=3\nNumStackPages=2\nNumTCS=3\nProductID=1\nSecurityVersion=1\nCreateZeroBaseEnclave=1\nStartAddress=65536\n' >zb.conf
t_run "sign zero-base" 0 $OE sign -e tiny_enclave.so -c zb.conf -k test-key.pem -o zb.signed $D
t_run "verify zero-base" 0 $ENSIGN verify zb.signed

# 5b. an independent implementation (tests/oe/oe_mrenclave.py, from the spec) agrees
if command -v python3 >/dev/null 2>&1; then
	for f in golden.signed kss.signed zb.signed; do
		t_eq "python cross-check $f" "$(python3 oe_mrenclave.py $f 2>&1)" "$($ENSIGN measure $f 2>&1)"
	done
else
	t_skip "python cross-check" "python3 not found"
fi

# 6. usage errors and bad inputs
t_err "no image" 2 "enclave-image" $OE sign -k test-key.pem
t_err "no key" 2 "key is required" $OE sign -e tiny_enclave.so -c tiny.conf
t_err "-k with -x" 2 "cannot be combined" $OE sign -e tiny_enclave.so -k test-key.pem -x cert.pem -d x.sig
t_err "-d without -x" 2 "go together" $OE sign -e tiny_enclave.so -d x.sig
t_err "engine" 2 "engines are not supported" $OE sign -e tiny_enclave.so -n pkcs11 -i k
t_err "unknown command" 2 "unknown command" $OE frob
t_err "not OE" 1 "no .oeinfo section" $OE dump -e "$ENSIGN"
t_err "wrong key size" 1 "" $OE sign -e tiny_enclave.so -c tiny.conf -k cert.pem -o z.signed
t_absent "no output" z.signed

# 7. the real oesign pair, when the shared vectors are present (not in the repo: no licence)
G="$SHARED_V/openenclave/guessing-game"
if [ -f "$G/enclave" ] && [ -f "$G/enclave.signed" ]; then
	cp "$G/enclave" "$G/enclave.signed" "$G/guessing.conf" "$G/private.pem" "$G/public.pem" "$W/"
	chmod 600 private.pem
	SOURCE_DATE_EPOCH=1630886400 $OE sign -e enclave -c guessing.conf -k private.pem -o g.signed >/dev/null 2>&1
	t_cmp "guessing-game sign (oesign byte for byte)" g.signed enclave.signed
	t_run "guessing-game verify" 0 $ENSIGN verify enclave.signed
	t_run "guessing-game dump" 0 $OE dump -e enclave.signed
	t_eq "guessing-game dump mrenclave" "$(grep '^mrenclave=' "$TMP/out")" \
		"mrenclave=2ad13ec7949ce84028d4db6698bc20edd02ee720060054d244b125a12bdeb67b"
	t_run "guessing-game digest" 0 $OE digest -e enclave -c guessing.conf -d g.dig --date 2021-09-06
	openssl pkeyutl -sign -pkeyopt digest:sha256 -inkey private.pem -in g.dig -out g.sig 2>/dev/null
	t_run "guessing-game sign -x -d" 0 $OE sign -e enclave -c guessing.conf -x public.pem -d g.sig -o g2.signed
	t_cmp "guessing-game two-step" g2.signed enclave.signed
	if command -v python3 >/dev/null 2>&1; then
		t_eq "guessing-game python cross-check" "$(python3 oe_mrenclave.py enclave.signed 2>&1)" \
			2ad13ec7949ce84028d4db6698bc20edd02ee720060054d244b125a12bdeb67b
	fi
	cp enclave.signed g3; flip g3 $(($(sec_off g3 .text) + 100))
	t_run "guessing-game changed byte" 1 $ENSIGN verify g3
else
	t_skip "guessing-game vectors" "$G not present"
fi

t_done
