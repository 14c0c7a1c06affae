#!/bin/sh
# Key file formats: every PEM form of the same key signs the same bytes, every
# public form verifies them, and each key ensign cannot use is named.
# ensign frames PEM itself and gives OpenSSL only the DER (lib/sign/pem.c).
. "$(dirname "$0")/lib.sh"

V="$TV/keys"
S="$TMP/e.sgxs"; cp "$V/sized.sgxs" "$S"
REF="$V/sized.sig"
K="$TMP/key.pem"; cp "$V/sig1.key.pem" "$K"; chmod 600 "$K"
set -- --attributes 6 --xfrm 7/0xffffffffffffffff --date 2024-01-01	# sized.sig's options
OPTS="$*"
E="$ENSIGN"
O="$TMP/out.sig"
pk() { openssl "$@" 2>/dev/null; }
key() { f="$TMP/$1"; shift; "$@" >"$f"; chmod 600 "$f"; }

# ---- private keys: each form gives the reference signature ----
key pkcs1.pem pk rsa -in "$K" -traditional
key pkcs8.pem pk pkey -in "$K"
key pkcs8-enc.pem pk pkey -in "$K" -aes256 -passout pass:s3cret
key trad-enc.pem pk rsa -in "$K" -traditional -aes256 -passout pass:s3cret
key crlf.pem sed 's/$/\r/' "$TMP/pkcs1.pem"
key cert-first.pem sh -c "openssl req -new -x509 -key '$K' -subj /CN=ensign -days 1 2>/dev/null; cat '$TMP/pkcs8.pem'"
key bag.pem sh -c "printf 'Bag Attributes\n    localKeyID: 01 02\nKey Attributes: <No Attributes>\n'; cat '$TMP/pkcs8.pem'"
key wrapped.pem sh -c "head -n1 '$TMP/pkcs1.pem'; sed '1d;\$d' '$TMP/pkcs1.pem' | tr -d '\n' | fold -w 76; echo; tail -n1 '$TMP/pkcs1.pem'"
grep -q "BEGIN RSA PRIVATE KEY" "$TMP/pkcs1.pem" && grep -q "^Proc-Type: 4,ENCRYPTED" "$TMP/trad-enc.pem" &&
	grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$TMP/pkcs8-enc.pem"
t_eq "the key forms were made" $? 0
for f in pkcs1 pkcs8 crlf cert-first bag wrapped; do
	t_run "sign with $f" 0 $E sign --key "$TMP/$f.pem" $OPTS "$S" -o "$TMP/$f.sig"
	t_cmp "$f = reference" "$TMP/$f.sig" "$REF"
done
for f in pkcs8-enc trad-enc; do
	t_run "sign with $f" 0 env ENSIGN_KEY_PASSPHRASE=s3cret $E sign --key "$TMP/$f.pem" $OPTS "$S" -o "$TMP/$f.sig"
	t_cmp "$f = reference" "$TMP/$f.sig" "$REF"
	t_err "$f, wrong passphrase" 1 "'$TMP/$f.pem' is encrypted and the passphrase is wrong" \
		env ENSIGN_KEY_PASSPHRASE=wrong $E sign --key "$TMP/$f.pem" $OPTS "$S" -o "$O"
	t_err "$f, no passphrase" 1 "is encrypted and no passphrase was given" \
		env -u ENSIGN_KEY_PASSPHRASE $E sign --key "$TMP/$f.pem" $OPTS "$S" -o "$O"
done
t_run "sgxs-sign with pkcs8-enc (interactive passphrase not needed)" 0 env ENSIGN_KEY_PASSPHRASE=s3cret \
	$E sgxs-sign -k "$TMP/pkcs8-enc.pem" -d --xfrm 7/0xffffffffffffffff --date 20240101 "$S" "$TMP/ss.sig"

# ---- public keys and certificates for step 2: all give the same output ----
$E sign $OPTS "$S" --gendata "$TMP/g.bin" >/dev/null 2>&1
pk dgst -sha256 -sign "$K" -out "$TMP/sig.bin" "$TMP/g.bin"
pk rsa -in "$K" -pubout -out "$TMP/spki.pem"
pk rsa -in "$K" -RSAPublicKey_out -out "$TMP/rsapub.pem"
pk req -new -x509 -key "$K" -subj /CN=ensign -days 1 -out "$TMP/cert.pem"
sed 's/$/\r/' "$TMP/spki.pem" >"$TMP/spki-crlf.pem"
for f in spki rsapub cert spki-crlf; do
	t_run "step 2 with --pubkey $f" 0 $E sign $OPTS "$S" --signature "$TMP/sig.bin" --pubkey "$TMP/$f.pem" \
		--unsigned "$TMP/g.bin" -o "$TMP/p-$f.sig"
	t_cmp "step 2 with $f = reference" "$TMP/p-$f.sig" "$REF"
done

# ---- keys ensign cannot use, each named; no output ----
pk ecparam -name prime256v1 -genkey -out "$TMP/ec-params.pem"	# EC PARAMETERS, then EC PRIVATE KEY
pk genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:1024 -out "$TMP/pss.pem"
pk genpkey -algorithm ED448 -out "$TMP/ed448.pem"
pk genpkey -algorithm X25519 -out "$TMP/x25519.pem"
pk pkey -in "$TMP/ed448.pem" -pubout -out "$TMP/ed448.pub.pem"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n' >"$TMP/ssh.pem"
sed 's/END RSA PRIVATE KEY/END PRIVATE KEY/' "$TMP/pkcs1.pem" >"$TMP/mismatch.pem"
awk 'NR==3{ $0 = substr($0, 1, 10) "=" substr($0, 12) } { print }' "$TMP/pkcs1.pem" >"$TMP/midpad.pem"
awk 'NR==2{ $0 = substr($0, 2) } { print }' "$TMP/pkcs1.pem" >"$TMP/short.pem"
printf -- '-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n' >"$TMP/tiny.pem"
printf -- '-----BEGIN FOO BAR-----\nMAA=\n-----END FOO BAR-----\n' >"$TMP/foo.pem"
printf -- '-----BEGIN CLEVER PRIVATE KEY-----\nMAA=\n-----END CLEVER PRIVATE KEY-----\n' >"$TMP/clever.pem"
printf -- '-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n' >"$TMP/p8-bad.pem"
chmod 600 "$TMP"/*.pem
bad() { # name pattern keyfile
	t_err "$1" 1 "$2" $E sign --key "$3" $OPTS "$S" -o "$O"
	t_absent "$1: no output" "$O"
}
bad "EC key after EC PARAMETERS" "'$TMP/ec-params.pem' is an EC key; SGX needs an RSA-3072 key with exponent 3" "$TMP/ec-params.pem"
bad "RSA-PSS key" "is an RSA-PSS key; SGX needs" "$TMP/pss.pem"
bad "Ed448 key" "is an Ed448 key; SGX needs" "$TMP/ed448.pem"
bad "X25519 key" "is an X25519 key; SGX needs" "$TMP/x25519.pem"
bad "OpenSSH key" "is in OpenSSH's format; SGX needs an RSA-3072 key in PEM \\(convert a copy with ssh-keygen -p -m PEM" "$TMP/ssh.pem"
bad "END label mismatch" "cannot read the private key: its END line does not match its BEGIN line" "$TMP/mismatch.pem"
bad "padding in the middle" "cannot read the private key: its body is not base64" "$TMP/midpad.pem"
bad "body of the wrong length" "cannot read the private key: its base64 body has a length that is not a multiple of 4" "$TMP/short.pem"
bad "malformed PKCS#1" "cannot read the private key: its RSA PRIVATE KEY is malformed" "$TMP/tiny.pem"
bad "malformed PKCS#8" "cannot read the private key: its PRIVATE KEY is malformed" "$TMP/p8-bad.pem"
bad "unknown private key label" "holds a CLEVER PRIVATE KEY; ensign reads RSA PRIVATE KEY, PRIVATE KEY and ENCRYPTED PRIVATE KEY" "$TMP/clever.pem"
bad "no key block" "'$TMP/foo.pem' is not a PEM private key" "$TMP/foo.pem"
bad "public key only" "holds a public key or certificate; signing needs the private key" "$TMP/cert.pem"

# a 1 MiB file of blocks that never end: refused after one pass over it (a
# rescan per block would take minutes here and trip the time-out)
python3 -c "
import sys
for name, blk in (('many-open', b'-----BEGIN RSA PRIVATE KEY-----\\nProc-Type: 4,ENCRYPTED\\n'),
                  ('many-other', b'-----BEGIN FOO-----\\nQUJD\\n')):
    open(sys.argv[1] + '/' + name + '.pem', 'wb').write(blk * (1000000 // len(blk)))
" "$TMP"
chmod 600 "$TMP"/many-*.pem
t_err "1 MiB of blocks without END" 1 "many-open.pem': cannot read the private key: it has no END line" \
	timeout 20 $E sign --key "$TMP/many-open.pem" $OPTS "$S" -o "$O"
t_err "1 MiB of other blocks" 1 "many-other.pem' is not a PEM private key" \
	timeout 20 $E sign --key "$TMP/many-other.pem" $OPTS "$S" -o "$O"

pub() { # name pattern pubkeyfile
	t_err "$1" 1 "$2" $E sign $OPTS "$S" --signature "$TMP/sig.bin" --pubkey "$3" --unsigned "$TMP/g.bin" -o "$O"
	t_absent "$1: no output" "$O"
}
pub "--pubkey given a private key" "is a private key; a public key is needed here" "$TMP/pkcs8.pem"
pub "--pubkey Ed448" "is an Ed448 key; SGX needs" "$TMP/ed448.pub.pem"
pub "--pubkey garbage" "is not a PEM public key or certificate" "$TMP/foo.pem"
printf -- '-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n' >"$TMP/spki-bad.pem"
pub "--pubkey malformed" "cannot read the public key: its PUBLIC KEY is malformed" "$TMP/spki-bad.pem"
t_done
