#!/bin/sh
# Keys beyond PEM files: two-step signing, --sign-command and PKCS#11 tokens
# (SoftHSM2). Every mode must give the same bytes as one-step PEM signing,
# and every refusal its own message with no output file.
. "$(dirname "$0")/lib.sh"

V="$TV/keys"
S="$TMP/e.sgxs"; cp "$V/sized.sgxs" "$S"
OTHER="$TMP/other.sgxs"; cp "$V/nodebug.sgxs" "$OTHER"
REF="$V/sized.sig"
K="$TMP/key.pem"; cp "$V/sig1.key.pem" "$K"; chmod 600 "$K"
openssl rsa -in "$K" -pubout -out "$TMP/pub.pem" 2>/dev/null
set -- --attributes 6 --xfrm 7/0xffffffffffffffff	# the options sized.sig was made with
OPTS="$*"
D="--date 2024-01-01"
E="$ENSIGN"
# reverse a file's bytes
rev_bytes() { xxd -p -c1 "$1" | tac | xxd -r -p > "$2"; }

# ---- one-step PEM: the reference for everything below ----
t_run "one-step pem" 0 $E sign --key "$K" $OPTS $D "$S" -o "$TMP/one.sig"
t_cmp "one-step pem = fortanix sgxs-sign" "$TMP/one.sig" "$REF"

# ---- two-step, step 1 ----
t_run "step 1" 0 $E sign $OPTS $D "$S" --gendata "$TMP/g.bin" --digest-out "$TMP/d.bin"
t_absent "step 1 writes no sigstruct" "$TMP/e.sig"
{ head -c 128 "$REF"; tail -c +901 "$REF" | head -c 128; } > "$TMP/want_g.bin"
t_cmp "gendata = SIGSTRUCT header ++ body (Intel gendata)" "$TMP/g.bin" "$TMP/want_g.bin"
openssl dgst -sha256 -binary "$TMP/want_g.bin" > "$TMP/want_d.bin"
t_cmp "digest-out = SHA-256 of the 256 bytes (OE digest)" "$TMP/d.bin" "$TMP/want_d.bin"
t_run "step 1 gendata only" 0 $E sign $OPTS $D "$S" --gendata "$TMP/g2.bin"
t_cmp "step 1 gendata only" "$TMP/g2.bin" "$TMP/want_g.bin"
t_absent "gendata only: no digest" "$TMP/d2.bin"

# ---- external signatures (what an HSM ceremony produces) ----
openssl dgst -sha256 -sign "$K" -out "$TMP/sig.bin" "$TMP/g.bin"
openssl pkeyutl -sign -inkey "$K" -pkeyopt digest:sha256 -in "$TMP/d.bin" -out "$TMP/sig_d.bin"
t_cmp "pkeyutl over digest = dgst over gendata" "$TMP/sig_d.bin" "$TMP/sig.bin"

# ---- step 2 ----
t_run "step 2 --unsigned" 0 $E sign $OPTS "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" \
	--unsigned "$TMP/g.bin" -o "$TMP/two.sig"
t_cmp "step 2 --unsigned = one-step" "$TMP/two.sig" "$REF"
t_run "step 2 with --date" 0 $E sign $OPTS $D "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" \
	-o "$TMP/two_d.sig"
t_cmp "step 2 with --date = one-step" "$TMP/two_d.sig" "$REF"
t_run "step 2 a later day" 0 env SOURCE_DATE_EPOCH=1900000000 $E sign $OPTS "$S" \
	--signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" --unsigned "$TMP/g.bin" -o "$TMP/two_l.sig"
t_cmp "step 2 a later day: date from step 1" "$TMP/two_l.sig" "$REF"
t_run "step 2 --date ignored for --unsigned" 0 $E sign $OPTS --date 2031-12-31 "$S" \
	--signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" --unsigned "$TMP/g.bin" -o "$TMP/two_x.sig"
t_cmp "step 2 --date ignored for --unsigned" "$TMP/two_x.sig" "$REF"
rev_bytes "$TMP/sig.bin" "$TMP/sig_le.bin"
t_run "step 2 --signature-le" 0 $E sign $OPTS $D "$S" --signature "$TMP/sig_le.bin" --signature-le \
	--pubkey "$TMP/pub.pem" -o "$TMP/two_le.sig"
t_cmp "step 2 --signature-le = one-step" "$TMP/two_le.sig" "$REF"

# ---- --sign-command ----
t_run "sign-command" 0 $E sign $OPTS $D "$S" --pubkey "$TMP/pub.pem" \
	--sign-command "openssl dgst -sha256 -sign '$K'" -o "$TMP/cmd.sig"
t_cmp "sign-command = one-step" "$TMP/cmd.sig" "$REF"

# ---- refusals: each with its message, nothing written ----
O="$TMP/refused.sig"
openssl genrsa -3 -out "$TMP/k2.pem" 3072 2>/dev/null
openssl rsa -in "$TMP/k2.pem" -pubout -out "$TMP/pub2.pem" 2>/dev/null
openssl dgst -sha256 -sign "$TMP/k2.pem" -out "$TMP/sig_k2.bin" "$TMP/g.bin"
t_err "signature by another key" 1 "signature in '.*sig_k2.bin' was not made with the key in '.*pub.pem'" \
	$E sign $OPTS $D "$S" --signature "$TMP/sig_k2.bin" --pubkey "$TMP/pub.pem" -o "$O"
t_absent "another key: no output" "$O"
t_err "pubkey of another key" 1 "was not made with the key in '.*pub2.pem'" \
	$E sign $OPTS $D "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub2.pem" -o "$O"
t_absent "pubkey of another key: no output" "$O"
cp "$TMP/sig.bin" "$TMP/sig_bad.bin"; printf '\001' | dd of="$TMP/sig_bad.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
t_err "damaged signature" 1 "was not made with the key .*or is damaged" \
	$E sign $OPTS $D "$S" --signature "$TMP/sig_bad.bin" --pubkey "$TMP/pub.pem" -o "$O"
t_absent "damaged signature: no output" "$O"
t_err "signature over other bytes (other date)" 1 "is by the key in '.*pub.pem' but over other bytes.*2024-01-02.*--unsigned" \
	$E sign $OPTS --date 2024-01-02 "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" -o "$O"
t_absent "other bytes: no output" "$O"
t_err "signature little-endian without the flag" 1 "is little-endian: add --signature-le" \
	$E sign $OPTS $D "$S" --signature "$TMP/sig_le.bin" --pubkey "$TMP/pub.pem" -o "$O"
t_absent "little-endian: no output" "$O"
head -c 383 "$TMP/sig.bin" > "$TMP/sig_short.bin"
t_err "signature of the wrong size" 1 "sig_short.bin' is 383 bytes; expected a 384-byte raw RSA signature" \
	$E sign $OPTS $D "$S" --signature "$TMP/sig_short.bin" --pubkey "$TMP/pub.pem" -o "$O"
t_absent "wrong size: no output" "$O"
t_err "material of another enclave" 1 "g.bin' was made for another enclave: its ENCLAVEHASH is 471554745bad5497" \
	$E sign $OPTS "$OTHER" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" --unsigned "$TMP/g.bin" -o "$O"
t_absent "another enclave: no output" "$O"
t_err "material made with other options" 1 "g.bin' was made with other options: ISVSVN differs \(ISVSVN is 0x0 there, 0x1 now\)" \
	$E sign $OPTS --isvsvn 1 "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" --unsigned "$TMP/g.bin" -o "$O"
t_absent "other options: no output" "$O"
t_err "material of another size" 1 "sig.bin' is 384 bytes; step 1 material \(--gendata\) is exactly 256 bytes" \
	$E sign $OPTS "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" --unsigned "$TMP/sig.bin" -o "$O"
t_absent "material size: no output" "$O"
t_err "sign-command exit status" 1 "sign command 'exit 3' exited with status 3" \
	$E sign $OPTS $D "$S" --pubkey "$TMP/pub.pem" --sign-command "exit 3" -o "$O"
t_absent "sign-command status: no output" "$O"
t_err "sign-command wrong length" 1 "printed 100 bytes; expected a 384-byte raw RSA signature" \
	$E sign $OPTS $D "$S" --pubkey "$TMP/pub.pem" --sign-command "cat >/dev/null; head -c 100 /dev/zero" -o "$O"
t_absent "sign-command length: no output" "$O"
t_err "sign-command with another key" 1 "signature from the sign command was not made with the key" \
	$E sign $OPTS $D "$S" --pubkey "$TMP/pub.pem" --sign-command "openssl dgst -sha256 -sign '$TMP/k2.pem'" -o "$O"
t_absent "sign-command other key: no output" "$O"
t_err "--signature needs --pubkey" 2 "--signature needs --pubkey" \
	$E sign $OPTS $D "$S" --signature "$TMP/sig.bin" -o "$O"
t_err "step 1 and step 2 together" 2 "cannot be combined" \
	$E sign $OPTS $D "$S" --gendata "$TMP/g3.bin" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" -o "$O"
t_absent "combinations: no output" "$O" "$TMP/g3.bin"
t_err "--key with --signature" 2 "--key cannot be combined with --signature" \
	$E sign --key "$K" $OPTS $D "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/pub.pem" -o "$O"

# ---- PKCS#11 with SoftHSM2 ----
if ! t_softhsm "$K" sig1; then
	t_skip "pkcs11" "SoftHSM2 not installed (scripts/install-deps.sh installs softhsm2)"
	t_done; exit $?
fi
openssl genrsa -3 2048 2>/dev/null >"$TMP/small.pem"
t_softhsm_import "$TMP/small.pem" small 02
openssl genrsa 3072 2>/dev/null >"$TMP/f4.pem"
t_softhsm_import "$TMP/f4.pem" f4 03

t_run "pkcs11 sign" 0 $E sign --key "pkcs11:token=ensign-test;object=sig1?pin-value=$PIN" \
	--pkcs11-module "$MOD" $OPTS $D "$S" -o "$TMP/p11.sig"
t_cmp "pkcs11 = one-step pem" "$TMP/p11.sig" "$REF"
t_run "pkcs11 by id, pin-source, ENSIGN_PKCS11_MODULE" 0 env ENSIGN_PKCS11_MODULE="$MOD" \
	$E sign --key "pkcs11:token=ensign-test;id=%01%a2?pin-source=file:$TMP/pin.txt" $OPTS $D "$S" -o "$TMP/p11b.sig"
t_cmp "pkcs11 by id = one-step pem" "$TMP/p11b.sig" "$REF"
t_run "pkcs11 CKM_RSA_PKCS over DigestInfo, ENSIGN_PKCS11_PIN, module-path" 0 \
	env ENSIGN_PKCS11_MECHANISM=RSA_PKCS ENSIGN_PKCS11_PIN=$PIN \
	$E sign --key "pkcs11:object=sig1?module-path=$MOD" $OPTS $D "$S" -o "$TMP/p11c.sig"
t_cmp "pkcs11 CKM_RSA_PKCS = one-step pem" "$TMP/p11c.sig" "$REF"
t_run "pkcs11 through sgxs-sign" 0 env ENSIGN_PKCS11_MODULE="$MOD" ENSIGN_PKCS11_PIN=$PIN \
	$E sgxs-sign --key "pkcs11:token=ensign-test;object=sig1" "$S" "$TMP/p11d.sig" -d --xfrm 7/0 --date 20240101
t_cmp "pkcs11 through sgxs-sign = fortanix" "$TMP/p11d.sig" "$REF"

t_err "pkcs11 wrong PIN" 1 "wrong PIN for token 'ensign-test' \(from pin-value in the URI\)" \
	$E sign --key "pkcs11:token=ensign-test;object=sig1?pin-value=98765" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
t_absent "wrong PIN: no output" "$O"
if grep -q 98765 "$TMP/err"; then t_bad "PIN never printed" "$(cat "$TMP/err")"; else t_ok; fi
if command -v setsid >/dev/null 2>&1; then
	t_err "pkcs11 no PIN and no terminal" 1 "token 'ensign-test' needs a PIN: give pin-source" \
		setsid -w $E sign --key "pkcs11:token=ensign-test;object=sig1" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
	t_absent "no PIN: no output" "$O"
else
	t_skip "pkcs11 no PIN and no terminal" "setsid not available"
fi
t_err "pkcs11 no module" 2 "no PKCS#11 module: give --pkcs11-module" \
	$E sign --key "pkcs11:token=ensign-test;object=sig1?pin-value=$PIN" $OPTS $D "$S" -o "$O"
t_err "pkcs11 module not loadable" 1 "cannot load PKCS#11 module '$TMP/nope.so'" \
	$E sign --key "pkcs11:token=ensign-test;object=sig1?pin-value=$PIN" --pkcs11-module "$TMP/nope.so" $OPTS $D "$S" -o "$O"
t_err "pkcs11 unknown token" 1 "no PKCS#11 token matches \(tokens present: 'ensign-test'\)" \
	$E sign --key "pkcs11:token=nope;object=sig1?pin-value=$PIN" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
t_err "pkcs11 unknown key" 1 "no RSA private key on token 'ensign-test' matches" \
	$E sign --key "pkcs11:token=ensign-test;object=nope?pin-value=$PIN" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
t_err "pkcs11 2048-bit key" 1 "object=small.*key size is 2048 bits, SGX requires 3072" \
	$E sign --key "pkcs11:token=ensign-test;object=small?pin-value=$PIN" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
t_err "pkcs11 exponent 65537" 1 "object=f4.*public exponent is 65537, SGX requires 3" \
	$E sign --key "pkcs11:token=ensign-test;object=f4?pin-value=$PIN" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
t_err "pkcs11 bad URI" 2 "pkcs11 URI: bad percent-encoding in 'id'" \
	$E sign --key "pkcs11:token=ensign-test;id=%zz?pin-value=$PIN" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$O"
t_absent "pkcs11 refusals: no output" "$O"

# ---- keygen on the token ----
U="pkcs11:token=ensign-test;object=made-here;id=%42?pin-source=file:$TMP/pin.txt"
t_run "keygen --pkcs11" 0 $E keygen --pkcs11 "$U" --pkcs11-module "$MOD" --pubout "$TMP/made.pub.pem"
MR=$(sed -n 's/^mrsigner: *//p' "$TMP/out")
t_eq "keygen --pkcs11 prints MRSIGNER" "$(printf %s "$MR" | wc -c)" 64
t_run "sign with the generated key" 0 $E sign --key "$U" --pkcs11-module "$MOD" $OPTS $D "$S" -o "$TMP/made.sig"
t_run "verify the generated key's signature" 0 $E verify --sig "$TMP/made.sig" "$S"
if grep -q "$MR" "$TMP/out"; then t_ok; else t_bad "generated key's MRSIGNER" "$(cat "$TMP/out")"; fi
# the exported public key checks a two-step signature made on the token
t_run "two-step with the token's public key" 0 $E sign $OPTS $D "$S" --pubkey "$TMP/made.pub.pem" \
	--sign-command "$E sign --key '$U' --pkcs11-module '$MOD' $OPTS $D '$S' -o '$TMP/inner.sig' >/dev/null 2>&1 && tail -c +517 '$TMP/inner.sig' | head -c 384 | xxd -p -c1 | tac | xxd -r -p" \
	-o "$TMP/made2.sig"
t_cmp "two-step with the token's key = one-step on the token" "$TMP/made2.sig" "$TMP/made.sig"
t_err "keygen refuses an existing name" 1 "already holds a key with this object=/id=" \
	$E keygen --pkcs11 "$U" --pkcs11-module "$MOD"
t_err "keygen needs a name" 2 "name the new key with object= and/or id=" \
	$E keygen --pkcs11 "pkcs11:token=ensign-test?pin-value=$PIN" --pkcs11-module "$MOD"

t_done
