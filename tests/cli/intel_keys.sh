#!/bin/sh
# sgx_sign mode with keys beyond PEM files: two-step (--gendata, --signature),
# --sign-command and PKCS#11 tokens (SoftHSM2) must give the .so that
# one-step signing with the same key and date gives; refusals write nothing.
. "$(dirname "$0")/lib.sh"
V="$TV/intel-sdk"
W="$TMP/w"
mkdir -p "$W"
cp "$V/mini_enclave.so" "$V/c1_multi_tcs.xml" "$V/enclave_public_test_key.pem" \
	"$V/mini_enclave.c1_multi_tcs.signed.so" "$V/mini_enclave.c1_multi_tcs.gendata.bin" \
	"$V/mini_enclave.c1_multi_tcs.catsig.signed.so" "$V/mini_enclave.c1_multi_tcs.sig.bin" "$W/"
cp "$V/enclave_private_test_key.pem" "$W/key.pem"
chmod -R u+w "$W"; chmod 600 "$W/key.pem"
cd "$W" || exit 1
export SOURCE_DATE_EPOCH=1795392000	# the vectors' date, 2026-11-23
SGX="$ENSIGN sgx_sign"
IN="-enclave mini_enclave.so -config c1_multi_tcs.xml"
REF=mini_enclave.c1_multi_tcs.signed.so
PUB=enclave_public_test_key.pem
K=key.pem

# ---- one-step PEM (the reference) ----
t_run "one-step pem" 0 $SGX sign -key $K $IN -out one.so
t_cmp "one-step pem = sgx_sign 2.26" one.so $REF

cp $K debug; chmod 600 debug
t_run "-key debug names a file, as in Intel's sgx_sign" 0 $SGX sign -key debug $IN -out dbg.so
t_cmp "-key debug (a file)" dbg.so $REF
rm -f debug

# ---- two-step: step 1 writes the material only ----
t_run "step 1 --gendata --digest-out" 0 $SGX sign $IN --gendata g.bin --digest-out d.bin -out x.so \
	-cssfile x.css -dumpfile x.txt
t_cmp "--gendata = sgx_sign gendata" g.bin mini_enclave.c1_multi_tcs.gendata.bin
openssl dgst -sha256 -binary g.bin > want_d.bin
t_cmp "--digest-out = SHA-256 of the material" d.bin want_d.bin
t_absent "step 1 writes nothing else" x.so x.css x.txt
t_run "step 1 without -key or -out" 0 $SGX sign $IN --digest-out d2.bin
t_cmp "step 1 --digest-out only" d2.bin want_d.bin
t_absent "--digest-out only: no gendata" g2.bin

# ---- two-step: step 2 ----
openssl dgst -sha256 -sign $K -out sig.bin g.bin
t_cmp "signature over --gendata = Intel's sig.bin" sig.bin mini_enclave.c1_multi_tcs.sig.bin
t_run "step 2 --unsigned" 0 $SGX sign $IN --signature sig.bin --pubkey $PUB --unsigned g.bin -out two.so
t_cmp "step 2 --unsigned = one-step" two.so $REF
t_run "step 2, date from SOURCE_DATE_EPOCH" 0 $SGX sign $IN --signature sig.bin --pubkey $PUB -out two_d.so
t_cmp "step 2 without --unsigned = one-step" two_d.so $REF
t_run "step 2 a later day: date from step 1" 0 env SOURCE_DATE_EPOCH=1900000000 $SGX sign $IN \
	--signature sig.bin --pubkey $PUB --unsigned g.bin -out two_l.so -cssfile two_l.css
t_cmp "step 2 a later day = one-step" two_l.so $REF
t_run "step 2 with -date of step 1" 0 env -u SOURCE_DATE_EPOCH $SGX sign $IN -date 2026-11-23 \
	--signature sig.bin --pubkey $PUB -out two_x.so
t_cmp "step 2 with -date = one-step" two_x.so $REF
xxd -p -c1 sig.bin | tac | xxd -r -p > sig_le.bin
t_run "step 2 --signature-le" 0 $SGX sign $IN --signature sig_le.bin --signature-le --pubkey $PUB -out two_le.so
t_cmp "step 2 --signature-le = one-step" two_le.so $REF

# ---- --sign-command ----
t_run "sign-command" 0 $SGX sign $IN --pubkey $PUB --sign-command "openssl dgst -sha256 -sign $K" -out cmd.so
t_cmp "sign-command = one-step" cmd.so $REF

# ---- -resign through the shared paths ----
t_run "-resign two-step, step 1" 0 $SGX sign -enclave $REF -resign --gendata rg.bin
t_cmp "-resign step 1 = the signed enclave's material" rg.bin g.bin
t_run "-resign sign-command" 0 env SOURCE_DATE_EPOCH=1900000000 $SGX sign -enclave $REF -resign \
	--pubkey $PUB --sign-command "openssl dgst -sha256 -sign $K" --unsigned rg.bin -out rcmd.so
t_cmp "-resign sign-command = the signed enclave" rcmd.so $REF

# ---- sgx_sign's own gendata/catsig unchanged ----
t_run "gendata" 0 $SGX gendata $IN -out ig.bin
t_cmp "gendata" ig.bin g.bin
t_run "catsig" 0 $SGX catsig $IN -key $PUB -sig sig.bin -unsigned ig.bin -out ic.so
t_cmp "catsig" ic.so mini_enclave.c1_multi_tcs.catsig.signed.so
t_err "catsig with the private key" 1 "^ensign: 'key.pem' is a private key; catsig needs the public key \(openssl rsa -in 'key.pem' -pubout" \
	$SGX catsig $IN -key $K -sig sig.bin -unsigned ig.bin -out bad.so
if grep -qi "decoder\|error:" "$TMP/err"; then t_bad "catsig private key: no OpenSSL text" "$(cat "$TMP/err")"; else t_ok; fi
t_absent "catsig with the private key: no output" bad.so
t_err "--pubkey with the private key" 1 "'key.pem' is a private key; a public key is needed" \
	$SGX sign $IN --signature sig.bin --pubkey $K -out bad.so
t_absent "--pubkey private key: no output" bad.so

# ---- refusals: nothing written ----
O=refused.so
openssl genrsa -3 -out k2.pem 3072 2>/dev/null
openssl dgst -sha256 -sign k2.pem -out sig_k2.bin g.bin
t_err "signature by another key" 1 "signature in 'sig_k2.bin' was not made with the key in '$PUB'" \
	$SGX sign $IN --signature sig_k2.bin --pubkey $PUB -out $O -cssfile $O.css -dumpfile $O.txt
t_absent "another key: nothing written" $O $O.css $O.txt
cp sig.bin sig_bad.bin; printf '\001' | dd of=sig_bad.bin bs=1 seek=100 conv=notrunc 2>/dev/null
t_err "damaged signature" 1 "was not made with the key .*or is damaged" \
	$SGX sign $IN --signature sig_bad.bin --pubkey $PUB -out $O
t_absent "damaged signature: no output" $O
t_err "signature over other bytes (other date)" 1 "by the key in '$PUB' but over other bytes.*2027-01-01.*--unsigned" \
	$SGX sign $IN -date 2027-01-01 --signature sig.bin --pubkey $PUB -out $O
t_absent "other date: no output" $O
sed 's/<ISVSVN>7</<ISVSVN>8</' c1_multi_tcs.xml > svn8.xml
t_err "material of another configuration" 1 "'g.bin' was made with other options: ISVSVN differs \(ISVSVN is 0x7 there, 0x8 now\)" \
	$SGX sign -enclave mini_enclave.so -config svn8.xml --signature sig.bin --pubkey $PUB --unsigned g.bin -out $O
t_absent "other configuration: no output" $O
t_err "sign-command with another key" 1 "signature from the sign command was not made with the key" \
	$SGX sign $IN --pubkey $PUB --sign-command "openssl dgst -sha256 -sign k2.pem" -out $O
t_absent "sign-command other key: no output" $O
t_err "sign needs -key without the shared options" 2 "'sign' needs option '-key'" $SGX sign $IN -out $O
t_err "step 1 with -key" 2 "step 1\) uses no key: drop --key" $SGX sign -key $K $IN --gendata g3.bin
t_absent "step 1 with -key: no output" g3.bin
t_err "-key with --signature" 2 "--key cannot be combined with --signature" \
	$SGX sign -key $K $IN --signature sig.bin --pubkey $PUB -out $O
t_err "--signature needs --pubkey" 2 "--signature needs --pubkey" $SGX sign $IN --signature sig.bin -out $O
t_err "shared options only with sign" 2 "option '--gendata' is used only with 'sign'" \
	$SGX gendata $IN --gendata g3.bin -out g4.bin
t_err "step 1 output over the enclave" 2 "options '-enclave' and '--gendata' name the same file" \
	$SGX sign $IN --gendata mini_enclave.so
t_absent "refusals: no output" $O g3.bin g4.bin
t_cmp "enclave untouched" mini_enclave.so "$V/mini_enclave.so"

# ---- PKCS#11 with SoftHSM2 (set up as tests/cli/keys.sh does) ----
if ! t_softhsm "$K" intel; then
	t_skip "pkcs11" "SoftHSM2 not installed (scripts/install-deps.sh installs softhsm2)"
	t_done; exit $?
fi
t_run "pkcs11 -key with --pkcs11-module" 0 $SGX sign -key "pkcs11:token=ensign-test;object=intel?pin-value=$PIN" \
	--pkcs11-module "$MOD" $IN -out p11.so -cssfile p11.css
t_cmp "pkcs11 = sgx_sign 2.26" p11.so $REF
t_cmp "pkcs11 -cssfile" p11.css "$V/mini_enclave.c1_multi_tcs.css.bin"
t_run "pkcs11 by id, ENSIGN_PKCS11_MODULE, pin-source, -date" 0 env -u SOURCE_DATE_EPOCH ENSIGN_PKCS11_MODULE="$MOD" \
	$SGX sign -key "pkcs11:token=ensign-test;id=%01%a2?pin-source=file:$TMP/pin.txt" $IN -date 2026-11-23 -out p11b.so
t_cmp "pkcs11 by id = sgx_sign 2.26" p11b.so $REF
t_run "pkcs11 -resign" 0 env ENSIGN_PKCS11_MODULE="$MOD" ENSIGN_PKCS11_PIN=$PIN \
	$SGX sign -key "pkcs11:object=intel" -enclave $REF -resign -out p11r.so
t_cmp "pkcs11 -resign = the signed enclave" p11r.so $REF
t_err "pkcs11 wrong PIN" 1 "wrong PIN for token 'ensign-test'" \
	$SGX sign -key "pkcs11:token=ensign-test;object=intel?pin-value=98765" --pkcs11-module "$MOD" $IN -out $O
t_absent "wrong PIN: no output" $O
t_err "pkcs11 no module" 2 "no PKCS#11 module: give --pkcs11-module" \
	$SGX sign -key "pkcs11:token=ensign-test;object=intel?pin-value=$PIN" $IN -out $O
t_err "--pkcs11-module without a pkcs11 key" 2 "--pkcs11-module is used only with --key 'pkcs11:" \
	$SGX sign -key $K --pkcs11-module "$MOD" $IN -out $O
t_absent "pkcs11 refusals: no output" $O
t_done
