#!/bin/sh
# Issue 17: what a new user meets. One section per numbered item of the issue.
. "$(dirname "$0")/lib.sh"

APP="$TMP/hello"
D=2024-01-31
K="$TV/keys/sig1.key.pem"
cp "$BUILD/examples/hello" "$APP" || { t_bad setup "build/examples/hello missing"; t_done; exit 1; }
for v in STACK MIN_HEAP HEAP TCS MPROTECT ALLOW_DLOPEN XFRM ISVSVN ISVPRODID KEY PRODUCTION MEMORY_MODEL; do
	unset "SCONE_$v" "ENSIGN_$v"
done
unset ENSIGN_KEY_PASSPHRASE
# flipbyte FILE OFFSET: overwrite one byte with 0x90 (or 0x91 if it was 0x90)
flipbyte() { b=$(od -An -tx1 -j "$2" -N 1 "$1" | tr -d ' '); [ "$b" = 90 ] && n='\221' || n='\220'
	printf "$n" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# textoff FILE: file offset of the .text section
textoff() { echo $((0x$(readelf -SW "$1" | sed -n 's/.*] \.text  *[A-Z]*  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p' | head -n 1))); }

# --- 1. check recomputes MRENCLAVE: a changed image is a failure, debug and production
t_run "1: sign" 0 "$ENSIGN" sign --date $D -o "$TMP/a.signed" "$APP"
t_run "1: check unchanged" 0 "$ENSIGN" check "$TMP/a.signed"
cp "$TMP/a.signed" "$TMP/t.signed"; flipbyte "$TMP/t.signed" $(( $(textoff "$TMP/t.signed") + 8 ))
t_err "1: check changed code (debug)" 1 "changed after signing: sgx1: the SIGSTRUCT says MRENCLAVE [0-9a-f]{64}, the file measures [0-9a-f]{64}" \
	"$ENSIGN" check "$TMP/t.signed"
t_err "1: check changed code, other config (debug)" 1 "changed after signing" "$ENSIGN" check "$TMP/t.signed" --heap=128M
t_run "1: sign production" 0 "$ENSIGN" sign --date $D --production --key "$K" -o "$TMP/p.signed" "$APP"
t_run "1: check production unchanged" 0 "$ENSIGN" check "$TMP/p.signed"
flipbyte "$TMP/p.signed" $(( $(textoff "$TMP/p.signed") + 8 ))
t_err "1: check changed code (production)" 1 "changed after signing" "$ENSIGN" check "$TMP/p.signed"

# --- 2. a package whose config.json changed is reported as tampered (verify and the runner)
mkdir -p "$TMP/pk/bin" "$TMP/rt"; cp "$APP" "$TMP/pk/bin/hello"
printf '{"version": "0.1", "Debug": true, "ApplicationPath": "/bin/hello", "MemorySize": "256k"}\n' >"$TMP/pk.json"
t_run "2: package" 0 "$ENSIGN" package "$TMP/pk" --config "$TMP/pk.json" --target linux --date 20240131 -o "$TMP/pkg"
t_run "2: verify untouched package" 0 "$ENSIGN" verify "$TMP/pkg"
python3 -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); i=b.rindex(b"\"/bin/hello\""); open(p,"wb").write(b[:i+2]+b"Z"+b[i+3:])' "$TMP/pkg"
t_err "2: verify names the tampering" 1 "changed after signing.*does not match its SIGSTRUCT" "$ENSIGN" verify "$TMP/pkg"
t_err "2: runner names the tampering" 125 "refusing to run.*changed after signing" env TMPDIR="$TMP/rt" "$TMP/pkg"
python3 -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); i=b.rindex(b"\"/Zin/hello\""); open(p,"wb").write(b[:i-3]+b"@"+b[i-2:])' "$TMP/pkg"
t_err "2: config that no longer parses" 1 "changed after signing or is damaged" "$ENSIGN" verify "$TMP/pkg"

# --- 3. the kind of a file is recognised before parsing (the catalogue, tests/bad-inputs/cases.tsv
# rows kind-*, covers every command that reads a file; here the messages of the issue)
printf 'int main(void) { return 0; }\n' >"$TMP/hello.c"
t_err "3: sign hello.c" 1 "^ensign: '[^']*hello.c' is a text file, not an SGXS file or an application" "$ENSIGN" sign "$TMP/hello.c"
t_err "3: sign a PEM" 1 "is a PEM private key, not an SGXS file" "$ENSIGN" sign "$K"
ln -s "$ENSIGN" "$TMP/sgxs-sign"; ln -s "$ENSIGN" "$TMP/ftxsgx-runner"
t_err "3: sgxs-sign an EDP ELF" 1 "^sgxs-sign: '[^']*t.elf' is a Fortanix EDP enclave \(ELF executable\), not an SGXS file: convert it with \`ensign elf2sgxs\`" \
	"$TMP/sgxs-sign" --key "$K" "$TOP/tests/vectors/fortanix/t.elf" "$TMP/x.sig"
t_err "3: ftxsgx-runner an EDP ELF" 1 "^ftxsgx-runner: .* is a Fortanix EDP enclave .*convert it with" \
	"$TMP/ftxsgx-runner" "$TOP/tests/vectors/fortanix/t.elf"
t_err "3: sgxs-sign an application" 1 "is an ELF executable, not an SGXS file: sign it as an application with \`ensign sign\`" \
	"$TMP/sgxs-sign" --key "$K" "$APP" "$TMP/x.sig"
t_err "3: elf2sgxs a signed application" 1 "is an application signed by ensign \(ELF\), not a Fortanix EDP enclave" \
	"$ENSIGN" elf2sgxs --heap-size 0x20000 --stack-size 0x20000 "$TMP/a.signed" -o "$TMP/x.sgxs"
t_absent "3: nothing written" "$TMP/x.sig" "$TMP/x.sgxs"

# --- 4. the README says first which outputs which runtime loads, and that the
# application and package layouts are ensign's own (no claim of scone-signer compatibility)
head -n 25 "$TOP/README.md" >"$TMP/readme"
t_eq "4: runtime table first" "$(grep -c 'Which runtime loads what ensign writes' "$TMP/readme")" 1
for rt in "Intel SGX SDK" "Open Enclave" "Fortanix EDP" "Gramine"; do
	t_eq "4: names $rt" "$(grep -c "$rt" "$TMP/readme" | awk '{print ($1 > 0)}')" 1
done
t_eq "4: application row says no runtime" "$(grep '^| `ensign sign APP`' "$TMP/readme" | grep -c 'no existing runtime')" 1
t_eq "4: package row says ensign's own contract" "$(grep '^| `ensign package`' "$TMP/readme" | grep -c "ensign's own contract")" 1
t_eq "4: no scone compatibility claim" "$(tr '\n' ' ' <"$TOP/README.md" | grep -c 'SCONE-style application signing, byte for byte')" 0
t_eq "4: sign-app page says so" "$(grep -c 'no existing runtime loads it' "$TOP/docs/ensign-sign-app.1")" 1

# --- 10. messages name the variable that set a value; verify says which side says what
t_err "10: SCONE_PRODUCTION names the variable" 2 "^ensign: SCONE_PRODUCTION=1 \(production\) needs a key: set --key or SCONE_KEY" \
	env SCONE_PRODUCTION=1 "$ENSIGN" sign --env -o "$TMP/x" "$APP"
t_err "10: ENSIGN_PRODUCTION names the variable" 2 "^ensign: ENSIGN_PRODUCTION=1 \(production\) needs a key: set --key or ENSIGN_KEY" \
	env ENSIGN_PRODUCTION=1 "$ENSIGN" sign --env -o "$TMP/x" "$APP"
t_err "10: --production names the flag" 2 "^ensign: --production needs --key" "$ENSIGN" sign --production -o "$TMP/x" "$APP"
t_absent "10: nothing written" "$TMP/x"
"$ENSIGN" measure "$TV/core/sized.sgxs" >"$TMP/mr" 2>/dev/null
t_run "10: verify a mismatching SIGSTRUCT" 1 "$ENSIGN" verify --sig "$TV/core/seed.sig" "$TV/core/sized.sgxs"
t_eq "10: verify says which side says what" \
	"$(grep -c "ENCLAVEHASH: the SIGSTRUCT says $(od -An -tx1 -v -j 960 -N 32 "$TV/core/seed.sig" | tr -d ' \n'), the enclave measures $(awk '{print $NF}' "$TMP/mr" | head -n 1)" "$TMP/out")" 1

# --- 11. exit codes: 0 success, 1 failed check or bad input file, 2 usage error, 3 no SGX
for c in append check container elf2sgxs info keygen measure oesign package run sgx_sign sign verify sgxs-sign \
	ftxsgx-runner ftxsgx-elf2sgxs sgxs-append; do
	t_err "11: $c unknown option" 2 "." "$ENSIGN" $c --bogus-option
done
for c in "append" "check" "info" "measure" "run" "sign" "verify" "verify --sig" "elf2sgxs --heap-size 0x20000 --stack-size 0x20000" \
	"oesign dump -e" "sgx_sign dump -dumpfile $TMP/d -enclave"; do
	# shellcheck disable=SC2086
	t_err "11: $c missing file" 1 "cannot open '$TMP/nope'" "$ENSIGN" $c "$TMP/nope"
done
t_err "11: sgxs-sign missing file" 1 "cannot open" "$ENSIGN" sgxs-sign --key "$K" "$TMP/nope" "$TMP/x.sig"
t_err "11: verify a failed check" 1 "." "$ENSIGN" verify "$TMP/t.signed"
t_err "11: check a changed file" 1 "changed after signing" "$ENSIGN" check "$TMP/t.signed"
printf '{"version": "0.1", "Debug": true, "ApplicationPath": "/bin/none"}\n' >"$TMP/none.json"
printf '{"version": "0.1", "Debug": true, "ApplicationPath": "/bin/hello", "MemorySize": "12Q"}\n' >"$TMP/mem.json"
t_err "11: package ApplicationPath missing (config error)" 1 "ApplicationPath '/bin/none' is not a file" \
	"$ENSIGN" package "$TMP/pk" --config "$TMP/none.json" -o "$TMP/x"
t_err "11: package config value error" 1 "MemorySize" "$ENSIGN" package "$TMP/pk" --config "$TMP/mem.json" -o "$TMP/x" 2>/dev/null
t_err "11: contradicting options" 2 "production" "$ENSIGN" sign --production -o "$TMP/x" "$APP"
if [ -e /dev/sgx_enclave ]; then
	t_skip "11: no SGX exit 3" "this host has SGX"
else
	t_err "11: run without SGX" 3 "SGX is not available on this host" "$ENSIGN" run "$TV/core/sized.sgxs"
fi
t_eq "11: ensign(1) documents 3" "$(grep -c 'no SGX on this host' "$TOP/docs/ensign.1")" 1

# --- 12. small surprises
t_err "12: help nosuch" 2 "^ensign: help: 'nosuch' is not a command" "$ENSIGN" help nosuch
t_run "12: help sign" 0 "$ENSIGN" help sign
ln -s "$ENSIGN" "$TMP/ftxsgx-elf2sgxs"; ln -s "$ENSIGN" "$TMP/sgxs-append"
t_run "12: ftxsgx-elf2sgxs --help" 0 "$TMP/ftxsgx-elf2sgxs" --help
t_eq "12: usage names the name invoked" "$(head -n 1 "$TMP/out" | cut -d' ' -f1-2)" "usage: ftxsgx-elf2sgxs"
t_err "12: usage error names the name invoked" 2 "^usage: sgxs-append " "$TMP/sgxs-append" --bogus
t_err "12: ftxsgx-runner usage" 2 "^usage: ftxsgx-runner " "$TMP/ftxsgx-runner"
t_run "12: sgxs-sign --version" 0 "$TMP/sgxs-sign" --version
t_eq "12: sgxs-sign --version prints" "$(cat "$TMP/out")" "sgxs-sign (ensign $("$ENSIGN" --version | cut -d' ' -f2))"
t_run "12: ftxsgx-runner -V" 0 "$TMP/ftxsgx-runner" -V
t_err "12: --heap=0 warns" 0 "^ensign: warning: --heap=0: the application gets no heap" "$ENSIGN" measure "$APP" --heap=0
t_err "12: SCONE_HEAP=0 warns" 0 "^ensign: warning: SCONE_HEAP=0: the application gets no heap" env SCONE_HEAP=0 "$ENSIGN" measure --env "$APP"
m1536=$("$ENSIGN" measure "$APP" --heap=1536M | awk '$1=="sgx1"{print $2}')
t_eq "12: 1.5G = 1536M" "$("$ENSIGN" measure "$APP" --heap=1.5G | awk '$1=="sgx1"{print $2}')" "$m1536"
t_eq "12: 1.5GiB = 1536M" "$("$ENSIGN" measure "$APP" --heap=1.5GiB | awk '$1=="sgx1"{print $2}')" "$m1536"
t_eq "12: 1536MiB = 1536M" "$("$ENSIGN" measure "$APP" --heap=1536MiB | awk '$1=="sgx1"{print $2}')" "$m1536"
t_eq "12: 1572864KiB = 1536M" "$("$ENSIGN" measure "$APP" --heap=1572864kib | awk '$1=="sgx1"{print $2}')" "$m1536"
t_err "12: 1.3K is not whole bytes" 2 "'1.3K' is not a whole number of bytes" "$ENSIGN" measure "$APP" --heap=1.3K
t_err "12: 1.25K is not whole pages" 2 "1280 bytes is not a multiple of the page size" "$ENSIGN" measure "$APP" --heap=1.25K
t_err "12: 2.5 needs a unit" 2 "'2.5': a fraction needs a unit" "$ENSIGN" measure "$APP" --heap=2.5
printf 'Debug=1\nFoo=3\n' >"$TMP/foo.conf"
t_err "12: OE config: the key leads" 1 "foo.conf\(2\): unknown setting 'Foo' \(value 3\)" \
	"$ENSIGN" oesign digest -e "$TOP/tests/oe/tiny_enclave.so" -c "$TMP/foo.conf" -d "$TMP/x.dig"

# --- 8. an encrypted key: a no-echo prompt on a terminal; ENSIGN_KEY_PASSPHRASE or
# --passphrase-file otherwise; "missing" and "wrong" are two messages
openssl pkey -in "$K" -aes256 -passout pass:s3cret -out "$TMP/enc.pem" 2>/dev/null
openssl rsa -in "$K" -aes128 -traditional -passout pass:s3cret -out "$TMP/trad.pem" 2>/dev/null
"$ENSIGN" sign --key "$K" --date $D "$TV/core/sized.sgxs" -o "$TMP/ref.sig" >/dev/null 2>&1
PTY="python3 $TOP/tests/cli/pty_run.py"
for f in enc trad; do
	t_run "8: $f on a terminal" 0 $PTY --answer s3cret "$TMP/tty.out" "$ENSIGN" sign --key "$TMP/$f.pem" --date $D \
		"$TV/core/sized.sgxs" -o "$TMP/$f.sig"
	t_eq "8: $f: prompt shown" "$(grep -c "Passphrase for '$TMP/$f.pem': " "$TMP/tty.out")" 1
	t_eq "8: $f: not echoed" "$(grep -c s3cret "$TMP/tty.out")" 0
	t_cmp "8: $f: signed with the key" "$TMP/$f.sig" "$TMP/ref.sig"
	t_run "8: $f wrong on a terminal" 1 $PTY --answer nope "$TMP/tty.out" "$ENSIGN" sign --key "$TMP/$f.pem" \
		"$TV/core/sized.sgxs" -o "$TMP/x.sig"
	t_eq "8: $f: wrong typed" "$(grep -c 'is encrypted and the passphrase is wrong' "$TMP/tty.out")" 1
	t_run "8: $f: the variable, no prompt" 0 $PTY --timeout 20 "$TMP/tty.out" env ENSIGN_KEY_PASSPHRASE=s3cret "$ENSIGN" sign \
		--key "$TMP/$f.pem" --date $D "$TV/core/sized.sgxs" -o "$TMP/$f.sig"
	t_eq "8: $f: no prompt with the variable" "$(grep -c Passphrase "$TMP/tty.out")" 0
	t_err "8: $f: missing (no terminal)" 1 "is encrypted and no passphrase was given: type it when asked on a terminal, or set ENSIGN_KEY_PASSPHRASE or --passphrase-file" \
		"$ENSIGN" sign --key "$TMP/$f.pem" "$TV/core/sized.sgxs" -o "$TMP/x.sig"
	t_err "8: $f: wrong (variable)" 1 "is encrypted and the passphrase is wrong" env ENSIGN_KEY_PASSPHRASE=nope \
		"$ENSIGN" sign --key "$TMP/$f.pem" "$TV/core/sized.sgxs" -o "$TMP/x.sig"
	printf 's3cret\n' >"$TMP/pass.txt"
	t_run "8: $f: --passphrase-file" 0 "$ENSIGN" sign --key "$TMP/$f.pem" --passphrase-file "$TMP/pass.txt" --date $D \
		"$TV/core/sized.sgxs" -o "$TMP/$f.sig"
	t_cmp "8: $f: --passphrase-file signs" "$TMP/$f.sig" "$TMP/ref.sig"
	printf 'nope\n' >"$TMP/bad.txt"
	t_err "8: $f: --passphrase-file wrong" 1 "is encrypted and the passphrase is wrong" \
		"$ENSIGN" sign --key "$TMP/$f.pem" --passphrase-file "$TMP/bad.txt" "$TV/core/sized.sgxs" -o "$TMP/x.sig"
done
t_err "8: --passphrase-file missing" 1 "--passphrase-file: cannot open '[^']*nope.txt'" \
	"$ENSIGN" sign --key "$TMP/enc.pem" --passphrase-file "$TMP/nope.txt" "$TV/core/sized.sgxs" -o "$TMP/x.sig"
t_run "8: sign APP --passphrase-file" 0 "$ENSIGN" sign --key "$TMP/enc.pem" --passphrase-file "$TMP/pass.txt" -o "$TMP/x" "$APP"
t_absent "8: nothing written by failures" "$TMP/x.sig"

# --- 14. oesign's own messages: sign prints "Created OUT" as digest does; dump prints mrsigner=
OEK="$TOP/tests/oe/test-key.pem"; OES="$TOP/tests/oe/tiny_enclave.so"
t_run "14: oesign sign" 0 "$ENSIGN" oesign sign -e "$OES" -c "$TOP/tests/oe/tiny.conf" -k "$OEK" -o "$TMP/oe.signed"
t_eq "14: oesign sign says Created" "$(cat "$TMP/out")" "Created $TMP/oe.signed"
t_run "14: oesign digest" 0 "$ENSIGN" oesign digest -e "$OES" -c "$TOP/tests/oe/tiny.conf" -d "$TMP/oe.dig"
t_eq "14: oesign digest says Created" "$(cat "$TMP/out")" "Created $TMP/oe.dig"
t_run "14: oesign dump" 0 "$ENSIGN" oesign dump -e "$TMP/oe.signed"
# MRSIGNER = SHA-256 of the modulus, little-endian (independently, with openssl)
want=$(openssl rsa -in "$OEK" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' | python3 -c 'import sys,hashlib; print(hashlib.sha256(bytes.fromhex(sys.stdin.read().strip())[::-1]).hexdigest())')
t_eq "14: dump mrsigner=" "$(sed -n 's/^mrsigner=//p' "$TMP/out")" "$want"
t_eq "14: mrsigner= after mrenclave=" "$(grep -E '^(mrenclave|mrsigner|signature)=' "$TMP/out" | cut -d= -f1 | tr '\n' ' ')" "mrenclave mrsigner signature "

# --- 15. info: one key ("file") for the input of every format, text and JSON; a binary DATE decoded
for f in "$TV/core/sized.sgxs" "$TV/core/sized.sig" "$TMP/a.signed" "$TMP/pkg" "$TOP/tests/oe/tiny_enclave.so.signed" \
	"$TV/intel-sdk/mini_enclave.c1_multi_tcs.signed.so"; do
	"$ENSIGN" info --json "$f" >"$TMP/j" 2>/dev/null
	t_eq "15: info --json file ($(basename "$f"))" \
		"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("file"), "path" in d)' "$TMP/j" 2>&1)" "$f False"
	t_eq "15: info text file line ($(basename "$f"))" "$("$ENSIGN" info "$f" 2>/dev/null | grep -cE "^file:? +$f\$")" 1
done
cp "$TV/core/sized.sig" "$TMP/bin.sig"
printf '\346\007\013\034' | dd of="$TMP/bin.sig" bs=1 seek=20 conv=notrunc 2>/dev/null	# 0x1c0b07e6
t_run "15: info binary date" 0 "$ENSIGN" info "$TMP/bin.sig"
t_eq "15: binary date decoded" "$(grep '^date:' "$TMP/out")" "date:            2022-11-28 (0x1c0b07e6: binary u16 year, u8 month, u8 day, not BCD)"
t_run "15: info --json binary date" 0 "$ENSIGN" info --json "$TMP/bin.sig"
t_eq "15: json binary date" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["date"], d["date_encoding"], d["date_raw"])' "$TMP/out")" "2022-11-28 binary 0x1c0b07e6"
printf '\377\377\377\377' | dd of="$TMP/bin.sig" bs=1 seek=20 conv=notrunc 2>/dev/null
"$ENSIGN" info "$TMP/bin.sig" >"$TMP/out" 2>/dev/null
t_eq "15: undecodable date" "$(grep '^date:' "$TMP/out")" "date:            0xffffffff (not BCD)"
"$ENSIGN" info --json "$TV/core/sized.sig" >"$TMP/out"
t_eq "15: json BCD date" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["date_encoding"])' "$TMP/out")" "bcd"

# --- 13. container inspect shows ISVSVN/ISVPRODID in text; sign prints the tag it wrote
if command -v umoci >/dev/null 2>&1; then
	(cd "$TMP" && umoci init --layout img >/dev/null 2>&1 && umoci new --image img:v1 >/dev/null 2>&1 &&
		umoci unpack --rootless --image img:v1 b >/dev/null 2>&1 && mkdir -p b/rootfs/opt &&
		cp "$TMP/a.signed" b/rootfs/opt/hello && umoci repack --image img:v1 b >/dev/null 2>&1)
	t_run "13: sign, DST without a tag" 0 "$ENSIGN" container sign "oci:$TMP/img:v1" "oci:$TMP/osigned" --key "$K" \
		--memory-model sgx1 --date $D --isvsvn 7 --isvprodid 3
	t_eq "13: the tag written is printed" "$(grep '^tag ' "$TMP/out")" "tag v1"
	t_eq "13: a note says DST took the source's tag" "$(grep -c "note: 'oci:$TMP/osigned' names no tag: the image is tagged 'v1'" "$TMP/err")" 1
	t_run "13: umoci unpacks it under that tag" 0 umoci unpack --rootless --image "$TMP/osigned:v1" "$TMP/u"
	t_run "13: inspect text" 0 "$ENSIGN" container inspect "oci:$TMP/osigned:v1"
	t_eq "13: text shows isvprodid and isvsvn" "$(awk '$1=="sgx1" {print $6, $7, $8, $9}' "$TMP/out")" "isvprodid 3 isvsvn 7"
	t_run "13: sign, DST with a tag" 0 "$ENSIGN" container sign "oci:$TMP/img:v1" "oci:$TMP/osigned2:v2" --key "$K" --memory-model sgx1 --date $D
	t_eq "13: its tag" "$(grep '^tag ' "$TMP/out")" "tag v2"
	t_eq "13: no note" "$(grep -c note "$TMP/err")" 0
else
	t_skip "13: container" "umoci missing (scripts/install-deps.sh installs it)"
fi

# --- 5. long measurements: progress on a terminal (after 2 s; ENSIGN_PROGRESS_DELAY=0 here so
# the test is short), none with --quiet or off a terminal; impossible sizes refused; > 64 GiB warns
t_run "5: progress on a terminal" 0 $PTY "$TMP/tty.out" env ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" measure "$APP" --heap 16G --memory-model sgx1
t_eq "5: progress lines" "$(tr '\r' '\n' <"$TMP/tty.out" | grep -cE '^ensign: measuring: [0-9]+ of ~[0-9]+ pages \([0-9]+%\), [0-9.]+ GiB of enclave/s, ~[0-9]+ s left')" \
	"$(tr '\r' '\n' <"$TMP/tty.out" | grep -c 'measuring:' | awk '{print ($1 > 0) ? $1 : "none"}')"
t_eq "5: the line is cleared at the end" "$(grep -c "$(printf '\r\033\\[K')sgx1 " "$TMP/tty.out")" 1
t_eq "5: the MRENCLAVE is the same" "$(grep -oE 'sgx1 [0-9a-f]{64}' "$TMP/tty.out" | cut -d' ' -f2)" \
	"$("$ENSIGN" measure "$APP" --heap 16G --memory-model sgx1 2>/dev/null | awk '$1=="sgx1"{print $2}')"
# Intel SDK and Open Enclave measurements report the same way
printf '<EnclaveConfiguration><StackMaxSize>0x2000</StackMaxSize><HeapMaxSize>0x400000000</HeapMaxSize><TCSNum>1</TCSNum></EnclaveConfiguration>\n' >"$TMP/big16.xml"
t_run "5: Intel: progress on a terminal" 0 $PTY "$TMP/tty.out" env ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" sgx_sign sign \
	-key "$TV/intel-sdk/enclave_private_test_key.pem" -enclave "$TV/intel-sdk/mini_enclave.so" -config "$TMP/big16.xml" -out "$TMP/big16.so"
t_eq "5: Intel: progress lines" "$(tr '\r' '\n' <"$TMP/tty.out" | grep -cE '^ensign: measuring: [0-9]+ of ~[0-9]+ pages' | awk '{print ($1 > 0)}')" 1
printf 'Debug=1\nNumHeapPages=4194304\nNumStackPages=4\nNumTCS=1\nProductID=7\nSecurityVersion=3\n' >"$TMP/big16.conf"
t_run "5: OE: progress on a terminal" 0 $PTY "$TMP/tty.out" env ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" oesign digest \
	-e "$TOP/tests/oe/tiny_enclave.so" -c "$TMP/big16.conf" -d "$TMP/big16.dig"
t_eq "5: OE: progress lines" "$(tr '\r' '\n' <"$TMP/tty.out" | grep -cE '^ensign: measuring: [0-9]+ of ~[0-9]+ pages' | awk '{print ($1 > 0)}')" 1
mkdir -p "$TMP/gr5" && cp "$TV/gramine/cases/v05-64g/input/"* "$TMP/gr5/"
t_run "5: Gramine: progress on a terminal" 0 $PTY "$TMP/tty.out" env -C "$TMP/gr5" ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" measure \
	app.manifest --libpal "$TV/gramine/common/pal-a.so"
t_eq "5: Gramine: progress lines" "$(tr '\r' '\n' <"$TMP/tty.out" | grep -cE '^ensign: measuring: [0-9]+ of ~[0-9]+ pages' | awk '{print ($1 > 0)}')" 1
t_eq "5: Gramine: the MRENCLAVE is v05's" "$(grep -c b4a30d402e8f638bbe0f925c11d8f050e67deb226f30029f4ef27d4b1bb7dae0 "$TMP/tty.out")" 1
"$ENSIGN" elf2sgxs "$TV/fortanix/t.elf" -H 0x40000000 -S 0x20000 -t 4 -o "$TMP/h1.sgxs" 2>/dev/null
t_run "5: SGXS: progress on a terminal" 0 $PTY "$TMP/tty.out" env ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" measure "$TMP/h1.sgxs"
t_eq "5: SGXS: progress lines" "$(tr '\r' '\n' <"$TMP/tty.out" | grep -cE '^ensign: measuring: [0-9]+ of ~[0-9]+ pages' | awk '{print ($1 > 0)}')" 1
t_eq "5: SGXS: the MRENCLAVE is the file's SHA-256" "$(grep -c "$(openssl dgst -sha256 -r "$TMP/h1.sgxs" | cut -c1-64)" "$TMP/tty.out")" 1
rm -f "$TMP/h1.sgxs"
# a Gramine manifest is known by its name, also when it opens with a table ("[libos]" reads like JSON)
printf '[libos]\nentrypoint = "/bin/x"\n' >"$TMP/j.manifest"
t_err "3: a Gramine manifest given as SGXS is named as one" 1 "'[^']*j.manifest' is a Gramine manifest, not an SGXS file: sign it with .ensign gramine-sgx-sign." \
	"$ENSIGN" sgxs-sign --key "$TV/core/ensign-debug-key.pem" "$TMP/j.manifest" "$TMP/j.sig"
t_err "3: measure reads a manifest that opens with a table as Gramine" 1 "loader.entrypoint.uri: FileNotFoundError" \
	"$ENSIGN" measure "$TMP/j.manifest" --libpal "$TV/gramine/common/pal-a.so"
t_run "5: --quiet on a terminal" 0 $PTY "$TMP/tty.out" env ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" measure "$APP" --heap 16G --memory-model sgx1 --quiet
t_eq "5: --quiet: no progress" "$(grep -c 'measuring:' "$TMP/tty.out")" 0
t_run "5: short measurement on a terminal" 0 $PTY "$TMP/tty.out" "$ENSIGN" measure "$APP"
t_eq "5: under 2 s: no progress" "$(grep -c 'measuring:' "$TMP/tty.out")" 0
t_run "5: not a terminal" 0 env ENSIGN_PROGRESS_DELAY=0 "$ENSIGN" measure "$APP" --heap 16G --memory-model sgx1
t_eq "5: off a terminal: stderr empty" "$(wc -c <"$TMP/err" | tr -d ' ')" 0
t_err "5: too large for any SGX CPU" 2 "the enclave would be 128 TiB \(SECS.SIZE 0x800000000000\): no SGX CPU can build it: ELRANGE" \
	"$ENSIGN" measure "$APP" --heap 100T
printf '{"version": "0.1", "Debug": true, "ApplicationPath": "/bin/hello", "MemorySize": "100000g"}\n' >"$TMP/huge.json"
t_err "5: package MemorySize 100000g refused (config error)" 1 "config.json.*no SGX CPU can build it" \
	"$ENSIGN" package "$TMP/pk" --config "$TMP/huge.json" -o "$TMP/huge"
t_absent "5: nothing written" "$TMP/huge"
t_err "5: above 64 GiB warns" 0 "^ensign: warning: the enclave is 128 GiB: the CPU that runs it must report a MaxEnclaveSize_64 of at least 2\^37 \(CPUID leaf 0x12, EDX bits 15:8\); this host (has no SGX to compare with|reports 2\^[0-9]+)" \
	"$ENSIGN" measure "$APP" --heap 65G --memory-model sgx2
t_eq "5: 64 GiB enclave does not warn" "$("$ENSIGN" measure "$APP" --heap 60G --memory-model sgx2 2>&1 >/dev/null | grep -c warning)" 0

# --- 6. scone-signer sign [flags] APP: in place (atomic, mode kept), -o another output;
# ensign sign --help / ensign help sign show the application flags and ensign-sign-app(1)
ln -s "$ENSIGN" "$TMP/scone-signer"
cp "$APP" "$TMP/sc"; chmod 751 "$TMP/sc"; ino=$(stat -c %i "$TMP/sc")
t_run "6: scone-signer sign in place" 0 env SCONE_HEAP=128M "$TMP/scone-signer" sign --env --date $D --tcs=2 "$TMP/sc"
t_eq "6: mode kept" "$(stat -c %a "$TMP/sc")" 751
t_eq "6: a new file renamed into place (atomic)" "$([ "$(stat -c %i "$TMP/sc")" != "$ino" ] && echo yes)" yes
t_absent "6: no APP.signed beside it" "$TMP/sc.signed"
t_run "6: verify the signed APP" 0 "$ENSIGN" verify "$TMP/sc"
t_eq "6: the variable and flag were used" "$(awk '$1=="sgx1"{print $4}' "$TMP/out")" "$("$ENSIGN" measure "$APP" --heap=128M --tcs=2 | awk '$1=="sgx1"{print $2}')"
t_run "6: still runs" 0 "$TMP/sc"
t_run "6: scone-signer sign -o" 0 "$TMP/scone-signer" sign --date $D -o "$TMP/sc2" "$APP"
t_cmp "6: -o: APP untouched" "$APP" "$BUILD/examples/hello"
t_run "6: -o output verifies" 0 "$ENSIGN" verify "$TMP/sc2"
t_err "6: other scone-signer verbs" 2 "^scone-signer: 'verify' is not provided: ensign provides \`scone-signer sign\`" "$TMP/scone-signer" verify "$TMP/sc"
t_run "6: scone-signer sign --help" 0 "$TMP/scone-signer" sign --help
t_eq "6: its usage" "$(head -n 1 "$TMP/out" | cut -d' ' -f1-4)" "usage: scone-signer sign [--heap=N]"
for h in "sign --help" "help sign"; do
	# shellcheck disable=SC2086
	t_run "6: ensign $h" 0 "$ENSIGN" $h
	for f in --heap --minheap --stack --tcs --mprotect --dlopen --xfrm --isvsvn --isvprodid --env --production --memory-model; do
		t_eq "6: ensign $h shows $f" "$(grep -c -- "\[$f" "$TMP/out" | awk '{print ($1 > 0)}')" 1
	done
	t_eq "6: ensign $h names ensign-sign-app(1)" "$(grep -c 'ensign-sign-app(1)' "$TMP/out")" 1
done

# --- 7. myst package-sgx APPDIR KEY CONFIG under the name myst
ln -s "$ENSIGN" "$TMP/myst"
t_run "7: myst package-sgx" 0 "$TMP/myst" package-sgx "$TMP/pk" NULL "$TMP/pk.json" --target linux --date 20240131 --outfile="$TMP/mp"
t_run "7: ... verifies" 0 "$ENSIGN" verify "$TMP/mp"
t_run "7: ensign package gives the same bytes" 0 "$ENSIGN" package "$TMP/pk" --config "$TMP/pk.json" --target linux --date 20240131 -o "$TMP/mp2"
t_cmp "7: same package" "$TMP/mp" "$TMP/mp2"
t_run "7: myst package-sgx --help" 0 "$TMP/myst" package-sgx --help
t_eq "7: its usage" "$(head -n 1 "$TMP/out" | cut -d' ' -f1-3)" "usage: myst package-sgx"
t_err "7: other myst verbs refused in one line" 2 "^myst: 'exec-sgx' is not provided: ensign provides \`myst package-sgx\`" "$TMP/myst" exec-sgx "$TMP/mp"
t_eq "7: one line (and the synopsis)" "$(grep -vc '^usage: ' "$TMP/err")" 1
t_err "7: unsupported myst options named" 2 "'--roothash=x' is not supported" "$TMP/myst" package-sgx --roothash=x "$TMP/pk" NULL "$TMP/pk.json"

# --- 9. --json: one JSON document from every command that reports; refused where there is none
J() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(str(eval(e, {"d": d})) for e in sys.argv[2:]))' "$TMP/out" "$@"; }
S1=$("$ENSIGN" measure "$APP" | awk '$1=="sgx1"{print $2}')
t_run "9: sign APP --json" 0 "$ENSIGN" sign --json --date $D -o "$TMP/js" "$APP"
t_eq "9: sign APP keys" "$(J 'd["file"]' 'd["format"]' 'd["output"]' 'd["sgx1"]' 'len(d["sgx2"])' 'len(d["mrsigner"])')" "$APP application $TMP/js $S1 64 64"
t_run "9: sign SGXS --json" 0 "$ENSIGN" sign --json --key "$K" -o "$TMP/js.sig" "$TV/core/sized.sgxs"
t_eq "9: sign SGXS keys" "$(J 'd["format"]' 'd["output"]' 'd["mrenclave"]' 'd["mrsigner"]')" \
	"sgxs $TMP/js.sig $("$ENSIGN" measure "$TV/core/sized.sgxs") $("$ENSIGN" info --json "$TMP/js.sig" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mrsigner"])')"
t_run "9: verify --json" 0 "$ENSIGN" verify --json "$TMP/js"
t_eq "9: verify keys" "$(J 'd["command"]' 'd["file"]' 'd["format"]' 'd["ok"]' 'd["exit"]' 'd["report"][0]')" "verify $TMP/js application True 0 sgx1 OK mrenclave $S1"
t_run "9: verify --json, a failed check" 1 "$ENSIGN" verify --json "$TMP/t.signed"
t_eq "9: verify failed: ok false" "$(J 'd["ok"]' 'd["exit"]')" "False 1"
t_run "9: verify --sig --json" 0 "$ENSIGN" verify --json --sig "$TMP/js.sig" "$TV/core/sized.sgxs"
t_eq "9: verify --sig keys" "$(J 'd["ok"]' 'd["format"]')" "True sgxs"
t_run "9: check --json" 0 "$ENSIGN" check --json "$TMP/js" --heap=128M
t_eq "9: check keys" "$(J 'd["command"]' 'd["ok"]' 'd["report"][0]')" "check True heap: signed 64M, requested 128M"
t_run "9: package --json" 0 "$ENSIGN" package --json "$TMP/pk" --config "$TMP/pk.json" --target linux --date 20240131 -o "$TMP/jp"
t_eq "9: package keys" "$(J 'd["format"]' 'd["output"]' 'd["mrenclave"]')" "package $TMP/jp $("$ENSIGN" measure "$TMP/jp")"
t_run "9: measure --json" 0 "$ENSIGN" measure --json "$APP"
t_eq "9: measure keys" "$(J 'd["sgx1"]')" "$S1"
t_run "9: info --json" 0 "$ENSIGN" info --json "$TMP/js"
t_eq "9: info keys" "$(J 'd["file"]' 'd["format"]')" "$TMP/js application"
for c in keygen elf2sgxs append sgx_sign oesign sgxs-sign; do
	t_err "9: $c refuses --json" 2 "$c: --json: this command has no JSON output" "$ENSIGN" $c --json
done

# --- 16. bash and zsh completion, generated from the parsers' own tables, installed by make install
t_run "16: completion bash" 0 "$ENSIGN" completion bash
cp "$TMP/out" "$TMP/comp.bash"
t_run "16: bash syntax" 0 bash -n "$TMP/comp.bash"
# comp WORDS...: what bash completes for the last word (in $TV/core, files there)
comp() { (cd "$TV/core" && bash -c 'source "$1"; shift; f=_ensign; case "$1" in ensign) ;; *) f=_ensign_$1 ;; esac
	COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); $f; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' sh "$TMP/comp.bash" "$@"); }
t_eq "16: commands" "$(comp ensign sc)" "scone-signer "
t_eq "16: sign options from both tables" "$(comp ensign sign --he)" "--heap= --help "
t_eq "16: the shared signing options" "$(comp ensign sign --passph)" "--passphrase-file= "
t_eq "16: verbs" "$(comp ensign container "")" "inspect sign "
t_eq "16: options of a verb" "$(comp ensign container sign --mem)" "--memory-model= "
t_eq "16: a personality" "$(comp sgxs-sign --ke)" "--key= "
t_eq "16: oesign sign -e" "$(comp ensign oesign sign --encl)" "--enclave-image= "
t_eq "16: file kinds: sign takes SGXS files" "$(comp ensign sign si)" "sized.sgxs "
t_eq "16: file kinds: --key takes PEM files" "$(comp ensign sign --key sgxs-tools)" "sgxs-tools_tests_data_sig1.key.pem "
# cannot drift: every option offered is one the command's parser knows
mkdir -p "$TMP/drift"
bad=""
for cv in "append" "check" "elf2sgxs" "info" "keygen" "measure" "package" "sign" "verify" "sgxs-sign" "container inspect" \
	"container sign" "oesign sign" "oesign digest" "oesign dump" "scone-signer sign" "myst package-sgx"; do
	# shellcheck disable=SC2086
	opts=$(bash -c 'source "$1"; _ensign_opts $2 $3' sh "$TMP/comp.bash" $cv)
	for o in $opts; do
		case "$o" in --help|-h|--quiet) continue ;; esac
		v=$o; case "$o" in *=) v="${o}x" ;; --*) ;; -?) v="$o x" ;; esac
		# sign has two parsers (an application, an SGXS file): the option must be known to one
		known=no
		for in in "" app in.sgxs; do
			case "$cv:$in" in sign:|"scone-signer sign":|sign:app|"scone-signer sign:app"|sign:in.sgxs) ;; *:) ;; *) continue ;; esac
			cp "$APP" "$TMP/drift/app"; cp "$TV/core/sized.sgxs" "$TMP/drift/in.sgxs"
			# shellcheck disable=SC2086
			(cd "$TMP/drift" && "$ENSIGN" $cv $v $in </dev/null >"$TMP/d.out" 2>"$TMP/d.err")
			grep -qiE "unknown (or incomplete )?option|unrecognized option|not a command" "$TMP/d.err" || known=yes
		done
		[ $known = yes ] || bad="$bad $cv:$o"
	done
done
t_eq "16: every offered option is known to its parser" "$bad" ""
t_run "16: completion zsh" 0 "$ENSIGN" completion zsh
cp "$TMP/out" "$TMP/comp.zsh"
t_eq "16: zsh #compdef names ensign and its personalities" "$(head -n 1 "$TMP/out" | tr ' ' '\n' | grep -cE '^(ensign|sgxs-sign|scone-signer|myst|oesign)$')" 5
if command -v zsh >/dev/null 2>&1; then
	t_run "16: zsh syntax" 0 zsh -n "$TMP/comp.zsh"
else
	t_skip "16: zsh syntax" "zsh not installed"
fi
t_err "16: completion needs a shell" 2 "usage: ensign completion bash\|zsh" "$ENSIGN" completion fish
rm -rf "$TMP/inst"
t_run "16: make install" 0 make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$TMP/inst" PREFIX=/usr
t_cmp "16: installed bash completion" "$TMP/inst/usr/share/bash-completion/completions/ensign" "$TMP/comp.bash"
t_eq "16: personalities' bash completion" "$(readlink "$TMP/inst/usr/share/bash-completion/completions/scone-signer")" ensign
t_cmp "16: installed zsh completion" "$TMP/inst/usr/share/zsh/site-functions/_ensign" "$TMP/comp.zsh"

t_done
