#!/bin/sh
# Key hygiene: no private key material in any output or message of a signing
# run (good and failing), key bytes wiped from memory after use, a warning for
# a key file others can read, and the debug key refused for production.
. "$(dirname "$0")/lib.sh"
C="$TV/core"
K="$TMP/k.pem"; cp "$C/sgxs-tools_tests_data_sig1.key.pem" "$K"; chmod 600 "$K"
openssl pkey -in "$K" -out "$TMP/k8.pem" 2>/dev/null
openssl pkey -in "$K" -aes256 -passout pass:s3cret -out "$TMP/enc.pem" 2>/dev/null
openssl pkey -in "$K" -pubout -out "$TMP/pub.pem" 2>/dev/null
cp "$C/ensign-debug-key.pem" "$TMP/debug.pem"
chmod 600 "$TMP"/*.pem
D=$(openssl rsa -in "$K" -text -noout 2>/dev/null | sed -n '/privateExponent/,/prime1/p' | sed '1d;$d' | tr -d ' :\n' | sed 's/^00//')
t_eq "private exponent extracted" "${#D}" 768

# 1. Every command that touches a key, good runs and failures: keep all output.
L="$TMP/logs"; mkdir -p "$L"
n=0
run() { n=$((n+1)); "$@" >"$L/$n.out" 2>"$L/$n.err"; }
run "$ENSIGN" sign --key "$K" --date 2024-01-01 "$C/sized.sgxs" -o "$TMP/o1.sig"
run "$ENSIGN" sign --key "$TMP/k8.pem" --date 2024-01-01 "$C/sized.sgxs" -o "$TMP/o2.sig"
run env ENSIGN_KEY_PASSPHRASE=s3cret "$ENSIGN" sign --key "$TMP/enc.pem" "$C/sized.sgxs" -o "$TMP/o3.sig"
run env ENSIGN_KEY_PASSPHRASE=wrong "$ENSIGN" sign --key "$TMP/enc.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
run env -u ENSIGN_KEY_PASSPHRASE "$ENSIGN" sign --key "$TMP/enc.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
run "$ENSIGN" sign "$C/sized.sgxs" -o "$TMP/o4.sig"
run "$ENSIGN" sign --production "$C/sized.sgxs" -o "$TMP/x.sig"
run "$ENSIGN" sgxs-sign -k "$K" -d "$C/sized.sgxs" "$TMP/o5.sig"
run "$ENSIGN" sgxs-sign -k "$K" -V "$TMP/pub.pem" -d "$C/sized.sgxs" "$TMP/o5.sig"
run "$ENSIGN" sgxs-sign -k "$TMP/pub.pem" "$C/sized.sgxs" "$TMP/x.sig"
run "$ENSIGN" sign --key "$K" "$C/sized.sgxs" -o "$K"
head -c 1000 "$K" >"$TMP/trunc.pem"; chmod 600 "$TMP/trunc.pem"
run "$ENSIGN" sign --key "$TMP/trunc.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
sed '5s/./!/' "$K" >"$TMP/b64.pem"; chmod 600 "$TMP/b64.pem"
run "$ENSIGN" sign --key "$TMP/b64.pem" "$C/sized.sgxs" -o "$TMP/x.sig"
run "$ENSIGN" keygen -o "$TMP/new.pem"
run "$ENSIGN" keygen -o "$TMP/new.pem"
run "$ENSIGN" info "$TMP/o1.sig"
run "$ENSIGN" info --json "$TMP/o1.sig"
run "$ENSIGN" verify --sig "$TMP/o1.sig" "$C/sized.sgxs"
run "$ENSIGN" info "$K"
run "$ENSIGN" measure "$K"
run "$ENSIGN" verify --sig "$K"
t_eq "the good runs succeeded" "$(cat "$TMP"/o1.sig "$TMP"/o2.sig "$TMP"/o3.sig "$TMP"/o4.sig "$TMP"/o5.sig | wc -c)" $((5 * 1808))
# Look for: every base64 line of each private key file (the generated one too),
# the private exponent and primes as hex (big- and little-endian), and as bytes.
python3 - "$L" "$TMP" "$K" "$TMP/k8.pem" "$TMP/enc.pem" "$TMP/debug.pem" "$TMP/new.pem" <<'PY' >"$TMP/found"
import os, re, subprocess, sys
logs, tmp, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
pats = set()
for k in keys:
    if not os.path.exists(k):
        continue
    for line in open(k).read().splitlines():
        if len(line) >= 40 and not line.startswith('-'):
            pats.add(line.encode())
    if 'enc' in k:
        continue
    text = subprocess.run(['openssl', 'rsa', '-in', k, '-text', '-noout'], capture_output=True, text=True).stdout
    for name in ('privateExponent', 'prime1', 'prime2'):
        m = re.search(name + r':\s*\n((?:\s+[0-9a-f:]+\n)+)', text)
        if m:
            h = re.sub(r'[\s:]', '', m.group(1)).lstrip('0')
            h = h if len(h) % 2 == 0 else '0' + h
            be = bytes.fromhex(h)
            for b in (be, be[::-1]):
                pats.add(b[:24]); pats.add(b.hex()[:48].encode()); pats.add(b.hex()[:48].upper().encode())
files = [os.path.join(logs, f) for f in os.listdir(logs)] + \
        [os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith('.sig')]
hits = 0
for f in files:
    data = open(f, 'rb').read()
    for p in pats:
        if p in data:
            hits += 1
            print('found in', f, ':', p[:16])
print('patterns', len(pats), 'files', len(files), 'hits', hits)
PY
t_eq "no private key material in $n runs' output and signatures" "$(tail -n 1 "$TMP/found" | sed 's/.*hits //')" 0
grep '^found' "$TMP/found" | head -5
t_eq "the search covered every file" "$(tail -n 1 "$TMP/found" | sed -E 's/patterns [0-9]+ files ([0-9]+) .*/\1/')" $((2 * n + 5))
# the search itself finds key material where there is some
cat "$K" >"$L/control.err"
t_eq "control: the search finds a key" "$(python3 -c 'import sys;d=open(sys.argv[1]).read().splitlines()[3];print(d in open(sys.argv[2]).read())' "$K" "$L/control.err")" True

# 2. Memory: after the signer is freed, no copy of the key file or exponent.
# Checked in the normal build only: under ASan the search does not find even
# the positive control below, so it would prove nothing there.
R="$BUILD/tests/key_residue"
if [ "$("$R" "$K" "$D")" = "skip ASan build" ]; then
	t_skip "key bytes in memory" "ASan build (checked by make check)"
else
	for k in "$K" "$TMP/k8.pem"; do
		t_eq "no key bytes left in memory ($(basename "$k"))" "$("$R" "$k" "$D" | cut -d' ' -f2)" 0
	done
	t_eq "no key bytes left in memory (encrypted)" "$(ENSIGN_KEY_PASSPHRASE=s3cret "$R" "$TMP/enc.pem" "$D" | cut -d' ' -f2)" 0
	openssl rsa -in "$K" -traditional -aes256 -passout pass:s3cret -out "$TMP/trad.pem" 2>/dev/null
	t_eq "no key bytes left in memory (traditional encrypted)" "$(ENSIGN_KEY_PASSPHRASE=s3cret "$R" "$TMP/trad.pem" "$D" | cut -d' ' -f2)" 0
	t_eq "control: a forgotten copy is found" "$("$R" "$K" "$D" --leak | cut -d' ' -f2 | sed 's/^[1-9][0-9]*$/found/')" found
fi

# 3. A key others can read: a warning, still signs; 0600: silent.
for mode in 640 604 644; do
	chmod "$mode" "$K"
	t_err "key mode $mode warns" 0 "warning: key file '.*' is readable by others \\(mode $mode\\); use chmod 600" \
		"$ENSIGN" sign --key "$K" "$C/sized.sgxs" -o "$TMP/w.sig"
done
chmod 600 "$K"
"$ENSIGN" sign --key "$K" "$C/sized.sgxs" -o "$TMP/w.sig" >/dev/null 2>"$TMP/err"
t_eq "key mode 600: no warning" "$(cat "$TMP/err")" ""

# 4. The debug key never signs a production enclave, whatever the command.
t_err "sign --production, no key" 2 "--production needs a key" "$ENSIGN" sign --production "$C/sized.sgxs" -o "$TMP/p.sig"
t_err "sign --production --key debug" 2 "--production needs a key" "$ENSIGN" sign --production --key debug "$C/sized.sgxs" -o "$TMP/p.sig"
t_err "sign --key debug without DEBUG" 2 "debug key signs debug enclaves only" "$ENSIGN" sign --key debug --attributes 4 "$C/sized.sgxs" -o "$TMP/p.sig"
t_err "sgxs-sign -k debug without -d" 2 "debug key signs debug enclaves only" "$ENSIGN" sgxs-sign -k debug "$C/sized.sgxs" "$TMP/p.sig"
t_err "sgxs-sign (as sgxs-sign) -k debug" 2 "debug key signs debug enclaves only" "$BUILD/sgxs-sign" -k debug "$C/sized.sgxs" "$TMP/p.sig"
t_absent "no production signature made" "$TMP/p.sig"
t_run "sgxs-sign -k debug -d still works" 0 "$ENSIGN" sgxs-sign -k debug -d "$C/sized.sgxs" "$TMP/d.sig"
t_done
