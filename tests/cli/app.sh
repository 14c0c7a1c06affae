# Applications: ensign sign/measure/info/verify/check on an x86-64 ELF
# (issue 8): every flag and variable, units, precedence, errors, layout rules,
# SGXS export, production/debug attributes, the start-up check.
. "$(dirname "$0")/lib.sh"

CHECKER="$BUILD/tests/app_layout_check"
APP="$TMP/hello"
D=2024-01-31
if [ ! -x "$BUILD/examples/hello" ] || [ ! -x "$CHECKER" ]; then
	t_bad setup "build/examples/hello or $CHECKER missing (run make check)"; t_done; exit 1
fi
cp "$BUILD/examples/hello" "$APP"
# all the SCONE_*/ENSIGN_* variables of the environment are ours to set
for v in STACK MIN_HEAP HEAP TCS MPROTECT ALLOW_DLOPEN XFRM ISVSVN ISVPRODID KEY PRODUCTION MEMORY_MODEL; do
	unset "SCONE_$v" "ENSIGN_$v"
done

# mr [VAR=VALUE...] MODEL ARGS...: MRENCLAVE of one model from `ensign measure APP ARGS`
mr() { envs=""; while case "$1" in *=*) true ;; *) false ;; esac; do envs="$envs $1"; shift; done
	m=$1; shift
	# shellcheck disable=SC2086
	env $envs "$ENSIGN" measure "$APP" "$@" 2>/dev/null | awk -v m="$m" '$1==m {print $2}'; }
# hexat FILE OFFSET LEN
hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'; }
# sig [VAR=VALUE...] MODEL ARGS...: sign into $TMP/s, print the path of MODEL's .sig
sig() { envs=""; while case "$1" in *=*) true ;; *) false ;; esac; do envs="$envs $1"; shift; done
	m=$1; shift; rm -rf "$TMP/s"; mkdir -p "$TMP/s"
	# shellcheck disable=SC2086
	env $envs "$ENSIGN" sign --date $D -o "$TMP/s/out" --sig-dir "$TMP/s" "$@" "$APP" >/dev/null 2>&1
	echo "$TMP/s/hello.$m.sig"; }

# --- default signing, outputs, measure, verify
t_run "sign default" 0 "$ENSIGN" sign --date $D "$APP"
t_eq "sign prints 4 lines" "$(wc -l <"$TMP/out" | tr -d ' ')" 4
t_eq "signed file" "$(test -f "$APP.signed" && echo yes)" yes
S1=$(awk '$1=="sgx1"{print $2}' "$TMP/out"); S2=$(awk '$1=="sgx2"{print $2}' "$TMP/out")
t_eq "measure sgx1 = sign" "$(mr sgx1)" "$S1"
t_eq "measure sgx2 = sign" "$(mr sgx2)" "$S2"
t_eq "sgx1 differs from sgx2" "$([ "$S1" != "$S2" ] && [ ${#S1} -eq 64 ] && echo yes)" yes
t_eq "signed file measures the same (section not measured)" \
	"$("$ENSIGN" measure "$APP.signed" | awk '$1=="sgx1"{print $2}')" "$S1"
t_run "verify signed" 0 "$ENSIGN" verify "$APP.signed"
t_eq "verify lines" "$(grep -c ' OK mrenclave ' "$TMP/out")" 2
t_eq "signed app still runs" "$("$APP.signed")" "hello from an ensign-signed application"
t_eq "section present" "$(readelf -S "$APP.signed" 2>/dev/null | grep -c '\.ensign\.app')" 1
t_eq "original bytes kept" "$(cmp -n 64 "$APP" "$APP.signed" >/dev/null 2>&1; echo $?)" 1
n=$(wc -c <"$APP")
t_eq "program bytes kept" "$(cmp -s -n $((n - 64)) "$APP" "$APP.signed" 64 64 && echo same)" same
t_run "measure --json" 0 "$ENSIGN" measure "$APP" --json
t_eq "measure --json" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["sgx1"])' "$TMP/out")" "$S1"
t_run "info --json" 0 "$ENSIGN" info --json "$APP.signed"
t_eq "info --json config" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["config"]["heap"], d["config"]["tcs"], d["signed"])' "$TMP/out")" "67108864 8 True"
t_run "info text" 0 "$ENSIGN" info "$APP.signed"
t_eq "info shows heap" "$(grep -c '^heap 64M$' "$TMP/out")" 1

# -o, --in-place, --sig-dir, re-signing a signed file
t_run "sign -o" 0 "$ENSIGN" sign --date $D -o "$TMP/o.signed" "$APP"
t_cmp "-o equals default output" "$TMP/o.signed" "$APP.signed"
t_run "re-sign a signed file" 0 "$ENSIGN" sign --date $D -o "$TMP/re.signed" "$APP.signed"
t_cmp "re-signing gives the same file" "$TMP/re.signed" "$APP.signed"
cp "$APP" "$TMP/inplace"
t_run "sign --in-place" 0 "$ENSIGN" sign --date $D --in-place "$TMP/inplace"
t_cmp "--in-place equals default output" "$TMP/inplace" "$APP.signed"
mkdir -p "$TMP/sd"
t_run "sign --sig-dir" 0 "$ENSIGN" sign --date $D -o "$TMP/sd.signed" --sig-dir "$TMP/sd" "$APP"
t_eq "sig-dir files" "$(wc -c <"$TMP/sd/hello.sgx1.sig" | tr -d ' ') $(wc -c <"$TMP/sd/hello.sgx2.sig" | tr -d ' ')" "1808 1808"
t_eq "sig ENCLAVEHASH sgx1" "$(hexat "$TMP/sd/hello.sgx1.sig" 960 32)" "$S1"
t_eq "sig ENCLAVEHASH sgx2" "$(hexat "$TMP/sd/hello.sgx2.sig" 960 32)" "$S2"
t_err "-o with --in-place" 2 "exclude" "$ENSIGN" sign -o "$TMP/x" --in-place "$APP"
t_err "-o onto the input" 2 "is the input" "$ENSIGN" sign -o "$APP" "$APP"
t_err "--sig-dir missing" 1 "cannot create output '/nonexistent" \
	"$ENSIGN" sign --memory-model=sgx1 --sgxs "$TMP/y.sgxs" --sig-dir /nonexistent -o "$TMP/y.signed" "$APP"
t_absent "failed sign leaves nothing" "$TMP/y.sgxs" "$TMP/y.signed"
t_err "unsigned app: verify" 1 "not signed" "$ENSIGN" verify "$APP"
t_err "unsigned app: check" 1 "not signed" "$ENSIGN" check "$APP"

# --- memory models
t_run "model sgx1" 0 "$ENSIGN" measure "$APP" --memory-model=sgx1
t_eq "model sgx1 output" "$(cat "$TMP/out")" "sgx1 $S1"
t_run "model sgx2" 0 "$ENSIGN" measure "$APP" --memory-model sgx2
t_eq "model sgx2 output" "$(cat "$TMP/out")" "sgx2 $S2"
t_run "model all" 0 "$ENSIGN" measure "$APP" --memory-model=all
t_eq "model all output" "$(wc -l <"$TMP/out" | tr -d ' ')" 2
t_run "sign one model" 0 "$ENSIGN" sign --date $D --memory-model=sgx2 -o "$TMP/m2.signed" "$APP"
t_run "info one model" 0 "$ENSIGN" info "$TMP/m2.signed"
t_eq "only sgx2 signed" "$(grep -c 'sigstruct:' "$TMP/out") $(grep -c '^sgx2 sigstruct:' "$TMP/out")" "1 1"
t_err "bad model" 2 "--memory-model: 'sgx3'" "$ENSIGN" measure "$APP" --memory-model=sgx3

# --- each enclave parameter changes MRENCLAVE (both models)
for a in --heap=128M --stack=1M --tcs=4 --mprotect=1 --dlopen=1 --minheap=8M; do
	for m in sgx1 sgx2; do
		base=$([ $m = sgx1 ] && echo "$S1" || echo "$S2")
		t_eq "$a changes $m" "$([ "$(mr $m "$a")" != "$base" ] && echo changed)" changed
	done
done
# defaults are what gets signed: giving them explicitly changes nothing
t_eq "explicit defaults" "$(mr sgx1 --heap=64M --minheap=20M --stack=2M --tcs=8 --mprotect=0 --dlopen=0)" "$S1"
t_eq "explicit defaults sgx2" "$(mr sgx2 --heap=64M --minheap=20M --stack=2M --tcs=8 --mprotect=0 --dlopen=0)" "$S2"

# --- isvsvn, isvprodid, xfrm, key change the SIGSTRUCT, not MRENCLAVE
BASE=$(sig sgx1); cp "$BASE" "$TMP/base.sig"
"$ENSIGN" keygen -o "$TMP/k.pem" >/dev/null 2>&1
for a in --isvsvn=3 --isvprodid=7 --xfrm=7 "--key=$TMP/k.pem"; do
	f=$(sig sgx1 "$a")
	t_eq "$a keeps MRENCLAVE" "$(hexat "$f" 960 32)" "$S1"
	t_eq "$a changes the SIGSTRUCT" "$(cmp -s "$f" "$TMP/base.sig" || echo changed)" changed
done
t_eq "--isvsvn field" "$(hexat "$(sig sgx1 --isvsvn=0x102)" 1026 2)" "0201"
t_eq "--isvprodid field" "$(hexat "$(sig sgx1 --isvprodid=258)" 1024 2)" "0201"
t_eq "--xfrm field" "$(hexat "$(sig sgx1 --xfrm=0x7)" 936 1)" "07"
t_eq "default xfrm 3" "$(hexat "$TMP/base.sig" 936 1)" "03"
t_eq "sgx2 requires EXINFO" "$(hexat "$(sig sgx2)" 900 4)" "01000000"
t_eq "sgx1 MISCSELECT 0" "$(hexat "$TMP/base.sig" 900 4)" "00000000"

# --- debug and production
t_eq "debug: DEBUG set" "$(hexat "$TMP/base.sig" 928 1)" "06"
t_eq "debug: DEBUG in mask" "$(hexat "$TMP/base.sig" 944 1)" "ff"
t_err "--production without --key" 2 "--production needs --key" "$ENSIGN" sign --production "$APP"
t_err "--production with the debug key" 2 "debug" "$ENSIGN" sign --production --key debug "$APP"
t_absent "no output after refusal" "$TMP/nothing.signed"
P=$(sig sgx1 --production "--key=$TMP/k.pem")
t_eq "production: DEBUG clear" "$(hexat "$P" 928 1)" "04"
t_eq "production: DEBUG masked" "$(hexat "$P" 944 1)" "ff"
t_eq "production keeps MRENCLAVE" "$(hexat "$P" 960 32)" "$S1"
t_run "production sign" 0 "$ENSIGN" sign --date $D --production --key "$TMP/k.pem" -o "$TMP/prod.signed" "$APP"
t_run "production verify" 0 "$ENSIGN" verify "$TMP/prod.signed"

# --- units
t_eq "64M = 65536K" "$(mr sgx1 --heap=65536K)" "$S1"
t_eq "64M = 0x4000000" "$(mr sgx1 --heap=0x4000000)" "$S1"
t_eq "64M = bytes" "$(mr sgx1 --heap=67108864)" "$S1"
t_eq "64M = 64mb" "$(mr sgx1 --heap=64mb)" "$S1"
t_eq "64M = 64MB" "$(mr sgx1 --heap=64MB)" "$S1"
t_eq "64M = 64m" "$(mr sgx1 --heap=64m)" "$S1"
t_eq "2M stack = 2048kb" "$(mr sgx1 --stack=2048kb)" "$S1"
t_eq "1G = 1024M" "$(mr sgx1 --heap=1G)" "$(mr sgx1 --heap=1024M)"
t_eq "1gb = 1G" "$(mr sgx1 --heap=1gb)" "$(mr sgx1 --heap=1G)"
t_eq "tcs hex" "$(mr sgx1 --tcs=0x8)" "$S1"

# --- errors name the flag or the variable
t_err "unknown suffix" 2 "--heap: unknown size suffix" "$ENSIGN" measure "$APP" --heap=12Q
t_err "empty size" 2 "--heap: empty" "$ENSIGN" measure "$APP" --heap=
t_err "negative size" 2 "--stack: negative" "$ENSIGN" measure "$APP" --stack=-4K
t_err "overflow" 2 "--heap: .*too large" "$ENSIGN" measure "$APP" --heap=99999999999999999999
t_err "overflow with suffix" 2 "--heap: .*too large" "$ENSIGN" measure "$APP" --heap=99999999999G
t_err "too big for an enclave" 2 "--heap: .*largest enclave" "$ENSIGN" measure "$APP" --heap=1048576G
t_err "not page-aligned" 2 "--heap: 1000 bytes is not a multiple of the page size.*rejected, not rounded" \
	"$ENSIGN" measure "$APP" --heap=1000
t_err "minheap not aligned" 2 "--minheap: 5000 bytes" "$ENSIGN" measure "$APP" --minheap=5000
t_err "zero stack" 2 "--stack: .*at least one page" "$ENSIGN" measure "$APP" --stack=0
t_err "tcs 0" 2 "--tcs: 0 is out of range" "$ENSIGN" measure "$APP" --tcs=0
t_err "tcs too many" 2 "--tcs: 70000 is out of range" "$ENSIGN" measure "$APP" --tcs=70000
t_err "tcs not a number" 2 "--tcs: 'abc' is not a number" "$ENSIGN" measure "$APP" --tcs=abc
t_err "mprotect 2" 2 "--mprotect: '2' is not 0 or 1" "$ENSIGN" measure "$APP" --mprotect=2
t_err "dlopen x" 2 "--dlopen: 'x' is not a number" "$ENSIGN" measure "$APP" --dlopen=x
t_err "isvsvn range" 2 "--isvsvn: 65536 is out of range" "$ENSIGN" sign "$APP" --isvsvn=65536
t_err "isvprodid range" 2 "--isvprodid: 70000 is out of range" "$ENSIGN" sign "$APP" --isvprodid=70000
t_err "xfrm without SSE" 2 "xfrm: 0x1 must have x87 and SSE" "$ENSIGN" sign "$APP" --xfrm=1
t_err "xfrm AMX" 2 "xfrm: 0x60003 needs" "$ENSIGN" sign "$APP" --xfrm=0x60003
t_err "minheap above heap" 2 "--minheap: 128M exceeds the heap \(64M\)" "$ENSIGN" measure "$APP" --minheap=128M
t_eq "default minheap follows a small heap" "$(mr sgx2 --heap=8M)" "$(mr sgx2 --heap=8M --minheap=8M)"
t_err "unknown option" 2 "unknown" "$ENSIGN" measure "$APP" --bogus=1
t_err "--sgxs needs one model" 2 "--sgxs exports one layout" "$ENSIGN" sign --sgxs "$TMP/a.sgxs" "$APP"
t_err "two-step needs one model" 2 "one layout" "$ENSIGN" sign --gendata "$TMP/g.bin" "$APP"
head -c 100 "$APP" >"$TMP/trunc"
t_err "truncated ELF" 1 "'$TMP/trunc'" "$ENSIGN" measure "$TMP/trunc"

# --- environment: off by default, each variable, ENSIGN_ synonyms, flags win
t_eq "variables ignored without --env" "$(mr SCONE_HEAP=128M SCONE_TCS=2 sgx1)" "$S1"
for pair in "SCONE_HEAP=128M --heap=128M" "SCONE_STACK=1M --stack=1M" "SCONE_MIN_HEAP=8M --minheap=8M" \
	    "SCONE_TCS=3 --tcs=3" "SCONE_MPROTECT=1 --mprotect=1" "SCONE_ALLOW_DLOPEN=1 --dlopen=1" \
	    "ENSIGN_HEAP=0x8000000 --heap=128M" "ENSIGN_STACK=1024K --stack=1M" "ENSIGN_MIN_HEAP=8M --minheap=8M" \
	    "ENSIGN_TCS=3 --tcs=3" "ENSIGN_MPROTECT=1 --mprotect=1" "ENSIGN_ALLOW_DLOPEN=1 --dlopen=1"; do
	var=${pair%% *}; flag=${pair#* }
	t_eq "$var with --env" "$(env "$var" "$ENSIGN" measure "$APP" --env --memory-model=sgx2)" \
		"$("$ENSIGN" measure "$APP" "$flag" --memory-model=sgx2)"
	t_eq "$var overridden by the flag" "$(env "$var" "$ENSIGN" measure "$APP" --env --memory-model=sgx2 --heap=64M --stack=2M --minheap=20M --tcs=8 --mprotect=0 --dlopen=0)" "sgx2 $S2"
done
t_eq "ENSIGN_ wins over SCONE_" "$(mr SCONE_TCS=2 ENSIGN_TCS=3 sgx1 --env)" "$(mr sgx1 --tcs=3)"
t_eq "ENSIGN_MEMORY_MODEL" "$(ENSIGN_MEMORY_MODEL=sgx2 "$ENSIGN" measure "$APP" --env)" "sgx2 $S2"
t_eq "ENSIGN_MEMORY_MODEL ignored without --env" "$(ENSIGN_MEMORY_MODEL=sgx2 "$ENSIGN" measure "$APP" | wc -l | tr -d ' ')" 2
t_eq "flag beats ENSIGN_MEMORY_MODEL" "$(ENSIGN_MEMORY_MODEL=sgx2 "$ENSIGN" measure "$APP" --env --memory-model=sgx1)" "sgx1 $S1"
t_eq "SCONE_ISVSVN" "$(hexat "$(sig SCONE_ISVSVN=5 sgx1 --env)" 1026 2)" "0500"
t_eq "ENSIGN_ISVSVN" "$(hexat "$(sig ENSIGN_ISVSVN=6 sgx1 --env)" 1026 2)" "0600"
t_eq "SCONE_ISVSVN without --env" "$(hexat "$(sig SCONE_ISVSVN=5 sgx1)" 1026 2)" "0000"
t_eq "--isvsvn beats SCONE_ISVSVN" "$(hexat "$(sig SCONE_ISVSVN=5 sgx1 --env --isvsvn=9)" 1026 2)" "0900"
t_eq "SCONE_ISVPRODID" "$(hexat "$(sig SCONE_ISVPRODID=4 sgx1 --env)" 1024 2)" "0400"
t_eq "ENSIGN_ISVPRODID" "$(hexat "$(sig ENSIGN_ISVPRODID=4 sgx1 --env)" 1024 2)" "0400"
t_eq "--isvprodid beats SCONE_ISVPRODID" "$(hexat "$(sig SCONE_ISVPRODID=4 sgx1 --env --isvprodid=1)" 1024 2)" "0100"
t_eq "SCONE_XFRM" "$(hexat "$(sig SCONE_XFRM=7 sgx1 --env)" 936 1)" "07"
t_eq "ENSIGN_XFRM" "$(hexat "$(sig ENSIGN_XFRM=0x7 sgx1 --env)" 936 1)" "07"
t_eq "--xfrm beats SCONE_XFRM" "$(hexat "$(sig SCONE_XFRM=7 sgx1 --env --xfrm=3)" 936 1)" "03"
KS=$(hexat "$(sig sgx1 --key="$TMP/k.pem")" 128 384)
t_eq "SCONE_KEY" "$(hexat "$(sig SCONE_KEY="$TMP/k.pem" sgx1 --env)" 128 384)" "$KS"
t_eq "ENSIGN_KEY" "$(hexat "$(sig ENSIGN_KEY="$TMP/k.pem" sgx1 --env)" 128 384)" "$KS"
t_eq "SCONE_KEY without --env" "$(hexat "$(sig SCONE_KEY="$TMP/k.pem" sgx1)" 128 384)" "$(hexat "$TMP/base.sig" 128 384)"
t_eq "--key beats SCONE_KEY" "$(hexat "$(sig SCONE_KEY=/nonexistent sgx1 --env --key="$TMP/k.pem")" 128 384)" "$KS"
t_eq "SCONE_PRODUCTION" "$(hexat "$(sig SCONE_PRODUCTION=1 sgx1 --env --key="$TMP/k.pem")" 928 1)" "04"
t_eq "ENSIGN_PRODUCTION" "$(hexat "$(sig ENSIGN_PRODUCTION=1 ENSIGN_KEY="$TMP/k.pem" sgx1 --env)" 928 1)" "04"
t_eq "SCONE_PRODUCTION without --env" "$(hexat "$(sig SCONE_PRODUCTION=1 sgx1 --key="$TMP/k.pem")" 928 1)" "06"
t_err "SCONE_PRODUCTION without key" 2 "SCONE_PRODUCTION=1 \\(production\\) needs a key" env SCONE_PRODUCTION=1 "$ENSIGN" sign --env "$APP"
t_err "SCONE_PRODUCTION=yes" 2 "SCONE_PRODUCTION: 'yes' is not 0 or 1" env SCONE_PRODUCTION=yes "$ENSIGN" sign --env "$APP"
t_err "SCONE_HEAP bad suffix" 2 "SCONE_HEAP: unknown size suffix" env SCONE_HEAP=12Q "$ENSIGN" measure "$APP" --env
t_err "ENSIGN_HEAP empty" 2 "ENSIGN_HEAP: empty" env ENSIGN_HEAP= "$ENSIGN" measure "$APP" --env
t_err "SCONE_STACK negative" 2 "SCONE_STACK: negative" env SCONE_STACK=-1 "$ENSIGN" measure "$APP" --env
t_err "SCONE_MIN_HEAP unaligned" 2 "SCONE_MIN_HEAP: 100 bytes" env SCONE_MIN_HEAP=100 "$ENSIGN" measure "$APP" --env
t_err "SCONE_MIN_HEAP above heap" 2 "SCONE_MIN_HEAP: 128M exceeds" env SCONE_MIN_HEAP=128M "$ENSIGN" measure "$APP" --env
t_err "ENSIGN_TCS 0" 2 "ENSIGN_TCS: 0 is out of range" env ENSIGN_TCS=0 "$ENSIGN" measure "$APP" --env
t_err "SCONE_MPROTECT 5" 2 "SCONE_MPROTECT: '5' is not 0 or 1" env SCONE_MPROTECT=5 "$ENSIGN" measure "$APP" --env
t_err "SCONE_ALLOW_DLOPEN 2" 2 "SCONE_ALLOW_DLOPEN: '2'" env SCONE_ALLOW_DLOPEN=2 "$ENSIGN" measure "$APP" --env
t_err "SCONE_XFRM 1" 2 "xfrm: 0x1" env SCONE_XFRM=1 "$ENSIGN" sign --env "$APP"
t_err "SCONE_ISVSVN range" 2 "SCONE_ISVSVN: 65536" env SCONE_ISVSVN=65536 "$ENSIGN" sign --env "$APP"
t_err "SCONE_ISVPRODID junk" 2 "SCONE_ISVPRODID: 'x'" env SCONE_ISVPRODID=x "$ENSIGN" sign --env "$APP"
t_err "ENSIGN_MEMORY_MODEL junk" 2 "ENSIGN_MEMORY_MODEL: 'sgx9'" env ENSIGN_MEMORY_MODEL=sgx9 "$ENSIGN" measure "$APP" --env
t_err "SCONE_KEY empty" 2 "SCONE_KEY: empty" env SCONE_KEY= "$ENSIGN" sign --env "$APP"
t_eq "bad variable ignored without --env" "$(mr SCONE_HEAP=12Q sgx1)" "$S1"

# --- SGXS export: measured by `ensign measure`, equal to ENCLAVEHASH; every layout rule holds
n=0
for conf in "" "--tcs=1 --heap=0 --minheap=0 --stack=4K" "--mprotect=1 --dlopen=1 --tcs=5 --stack=64K" \
	    "--heap=256M --minheap=4M --tcs=2" "--heap=16K --minheap=8K --stack=8K --tcs=16"; do
	n=$((n+1))
	for m in sgx1 sgx2; do
		# shellcheck disable=SC2086
		"$ENSIGN" sign --date $D --memory-model=$m $conf --sgxs "$TMP/e$n$m.sgxs" --sig-dir "$TMP/s" \
			-o "$TMP/e$n.signed" "$APP" >/dev/null 2>"$TMP/err" || t_bad "export $n $m" "$(cat "$TMP/err")"
		t_eq "export $n $m: measure = ENCLAVEHASH" "$("$ENSIGN" measure "$TMP/e$n$m.sgxs")" \
			"$(hexat "$TMP/s/hello.$m.sig" 960 32)"
		# shellcheck disable=SC2086
		t_eq "export $n $m: measure APP agrees" "$(mr $m $conf)" "$(hexat "$TMP/s/hello.$m.sig" 960 32)"
		t_run "export $n $m: layout rules" 0 "$CHECKER" "$TMP/e$n$m.sgxs"
	done
done
t_eq "sgx2 adds only minheap" "$("$CHECKER" "$TMP/e4sgx2.sgxs" | sed 's/.*heap added //')" "0x400000"
t_eq "sgx1 adds the whole heap" "$("$CHECKER" "$TMP/e4sgx1.sgxs" | sed 's/.*heap added //')" "0x10000000"

# the checker itself catches a broken layout: a TCS with a non-zero CSSA
"$ENSIGN" sign --date $D --memory-model=sgx1 --tcs=1 --heap=0 --minheap=0 --stack=4K --sgxs "$TMP/b.sgxs" -o "$TMP/b.signed" "$APP" >/dev/null 2>&1
off=$(python3 - "$TMP/b.sgxs" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
i = 64; tcs = None
while i < len(d):
    tag = d[i:i+8]
    if tag == b'EADD\0\0\0\0':
        off, flags = struct.unpack_from('<QQ', d, i + 8)
        tcs = off if flags == 0x100 else None
        i += 64
    elif tag == b'EEXTEND\0':
        off = struct.unpack_from('<Q', d, i + 8)[0]
        if tcs is not None and off == tcs:
            print(i + 64 + 24); break
        i += 64 + 256
    else:
        i += 64
EOF
)
printf '\001' | dd of="$TMP/b.sgxs" bs=1 seek="$off" conv=notrunc 2>/dev/null
t_err "checker catches CSSA" 1 "CSSA" "$CHECKER" "$TMP/b.sgxs"

# --- the start-up check
t_run "check matching" 0 "$ENSIGN" check "$APP.signed"
t_eq "check ok line" "$(head -n 1 "$TMP/out")" "ok: the configuration matches the signed one"
t_run "check mismatch (debug)" 0 "$ENSIGN" check "$APP.signed" --heap=128M
t_eq "check names the parameter" "$(head -n 1 "$TMP/out")" "heap: signed 64M, requested 128M"
t_eq "check re-signs: new sgx1" "$(awk '$1=="sgx1"{print $2}' "$TMP/out")" "$(mr sgx1 --heap=128M)"
t_eq "check re-signs: new sgx2" "$(awk '$1=="sgx2"{print $2}' "$TMP/out")" "$(mr sgx2 --heap=128M)"
t_eq "check warns" "$(grep -c 'warning: .*re-signed in memory with the built-in debug key' "$TMP/err")" 1
t_run "check several mismatches" 0 "$ENSIGN" check "$APP.signed" --tcs=2 --stack=1M --mprotect=1 --dlopen=1 --minheap=4M
t_eq "check lists each" "$(grep -c ': signed ' "$TMP/out")" 5
t_eq "check tcs line" "$(grep '^tcs' "$TMP/out")" "tcs: signed 8, requested 2"
t_eq "check stack line" "$(grep '^stack' "$TMP/out")" "stack: signed 2M, requested 1M"
t_run "check with --env" 0 env SCONE_HEAP=32M "$ENSIGN" check --env "$APP.signed"
t_eq "check env mismatch" "$(head -n 1 "$TMP/out")" "heap: signed 64M, requested 32M"
t_run "check env off by default" 0 env SCONE_HEAP=32M "$ENSIGN" check "$APP.signed"
t_eq "check env ignored" "$(head -n 1 "$TMP/out")" "ok: the configuration matches the signed one"
t_run "check model not signed" 0 "$ENSIGN" check "$TMP/m2.signed" --memory-model=sgx1
t_eq "check model line" "$(head -n 1 "$TMP/out")" "memory-model: signed sgx2, requested sgx1"
t_run "check production matching" 0 "$ENSIGN" check "$TMP/prod.signed"
t_err "check production mismatch" 1 "production signature" "$ENSIGN" check "$TMP/prod.signed" --heap=128M
t_eq "production mismatch line" "$(head -n 1 "$TMP/out")" "heap: signed 64M, requested 128M"

# --- verify catches tampering: code bytes (MRENCLAVE) and the signature
cp "$APP.signed" "$TMP/t1"
printf '\220' | dd of="$TMP/t1" bs=1 seek=4097 conv=notrunc 2>/dev/null
t_err "verify: code changed" 1 "check\(s\) failed" "$ENSIGN" verify "$TMP/t1"
cp "$APP.signed" "$TMP/t2"
soff=$(readelf -SW "$APP.signed" | awk '/\.ensign\.app/ {for (i = 1; i < NF; i++) if ($i == "PROGBITS") print $(i + 2)}')
printf '\001' | dd of="$TMP/t2" bs=1 seek=$((0x$soff + 128 + 600)) conv=notrunc 2>/dev/null
t_err "verify: signature changed" 1 "failed" "$ENSIGN" verify "$TMP/t2"

# --- flat memory: a 64G heap with 256 threads signs both models in a few MB
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f "%M" -o "$TMP/rss" "$ENSIGN" sign --date $D --heap=64G --tcs=256 -o "$TMP/big.signed" "$APP" \
		>"$TMP/out" 2>/dev/null
	t_eq "64G/256 threads signed" "$(grep -c '^sgx[12] ' "$TMP/out")" 2
	t_eq "64G/256 threads: max RSS under 100 MB" "$([ "$(tail -n 1 "$TMP/rss")" -lt 102400 ] && echo yes)" yes
	t_eq "64G/256 threads: measure agrees" "$(mr sgx2 --heap=64G --tcs=256)" "$(awk '$1=="sgx2"{print $2}' "$TMP/out")"
else
	t_skip "64G flat memory" "/usr/bin/time not installed"
fi

# --- PKCS#11 (SoftHSM2): both models signed through the token equal PEM signing
if t_softhsm "$TMP/k.pem" appkey; then
	t_run "pkcs11 sign app" 0 "$ENSIGN" sign --date $D --production --pkcs11-module "$MOD" \
		--key "pkcs11:token=ensign-test;object=appkey?pin-value=4711" -o "$TMP/p11.signed" "$APP"
	"$ENSIGN" sign --date $D --production --key "$TMP/k.pem" -o "$TMP/pem.signed" "$APP" >/dev/null 2>&1
	t_cmp "pkcs11 = pem" "$TMP/p11.signed" "$TMP/pem.signed"
else
	t_skip "pkcs11 app" "SoftHSM2 not installed"
fi

# --- two-step signing of one model (skipped while the core lacks two-step)
if "$ENSIGN" sign --memory-model=sgx1 --gendata "$TMP/g.bin" "$APP" 2>&1 | grep -q "not available"; then
	t_skip "two-step" "not available in this build"; t_done; exit $?
fi
t_run "gendata sgx1" 0 "$ENSIGN" sign --date $D --memory-model=sgx1 --gendata "$TMP/g.bin" "$APP"
t_eq "gendata size" "$(wc -c <"$TMP/g.bin" | tr -d ' ')" 256
openssl dgst -sha256 -sign "$TMP/k.pem" -out "$TMP/g.sig" "$TMP/g.bin" 2>/dev/null
openssl pkey -in "$TMP/k.pem" -pubout -out "$TMP/k.pub" 2>/dev/null
t_run "two-step sgx1" 0 "$ENSIGN" sign --date $D --memory-model=sgx1 --signature "$TMP/g.sig" --pubkey "$TMP/k.pub" \
	-o "$TMP/two.signed" "$APP"
t_run "two-step verify" 0 "$ENSIGN" verify "$TMP/two.signed"

t_done
