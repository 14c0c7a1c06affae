#!/bin/sh
# Atomic outputs: a writer killed with SIGKILL in the middle of a write leaves
# the old file intact (a leftover PATH.ensign-XXXXXX temporary is allowed only
# beside an intact target); `ensign sign` killed at any moment leaves either
# the old output or the complete new one.
. "$(dirname "$0")/lib.sh"
W="$BUILD/tests/atomic_writer"
[ -x "$W" ] || { t_bad "atomic_writer helper missing ($W)"; t_done; exit 1; }

# 1. ens_out_* killed mid-write (deterministic: the helper pauses half-way)
printf 'old contents\n' >"$TMP/t.bin"
mkfifo "$TMP/fifo"
"$W" "$TMP/t.bin" 8 N <"$TMP/fifo" >"$TMP/w.out" 2>&1 &
pid=$!
exec 9>"$TMP/fifo"		# keep the helper's stdin open: it blocks in fgets
i=0; while ! grep -q paused "$TMP/w.out" && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
tmpfile=$(sed -n 's/^paused //p' "$TMP/w.out")
t_eq "writer paused with a temporary beside the target" "$(dirname "$tmpfile")/$(basename "$tmpfile" | sed 's/\.ensign-.*//')" "$TMP/t.bin"
t_eq "temporary holds the first half" "$(stat -c %s "$tmpfile" 2>/dev/null)" $((5 * 1048576))
kill -9 "$pid"; wait "$pid" 2>/dev/null; exec 9>&-
t_eq "killed mid-write: old file intact" "$(cat "$TMP/t.bin")" "old contents"
left=$(ls "$TMP"/t.bin.ensign-* 2>/dev/null | wc -l)
t_eq "killed mid-write: at most the one temporary left" "$left" 1
rm -f "$TMP"/t.bin.ensign-*

# 2. the same write allowed to finish: the new file, no temporary
echo go | "$W" "$TMP/t.bin" 8 Y >/dev/null 2>&1
t_eq "completed write replaces the file" "$(stat -c %s "$TMP/t.bin") $(head -c 3 "$TMP/t.bin")" "8388608 YYY"
t_absent "completed write leaves no temporary" "$TMP/t.bin.ensign-x"
t_eq "completed write: mode from the API" "$(stat -c %a "$TMP/t.bin")" 644

# 3. ensign sign killed at increasing moments on a 4 GiB enclave (32 MiB of
# records): every outcome must be the old output or the whole new one.
python3 - "$TMP/big.sgxs" <<'PY'
import struct, sys
size = 4 << 30
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<QIQ', 0x0045544145524345, 1, size).ljust(64, b'\0'))
    rec = bytearray(64)
    struct.pack_into('<Q', rec, 0, 0x44444145)
    struct.pack_into('<Q', rec, 16, 0x203)
    out = bytearray()
    for p in range(size // 2 // 4096):
        struct.pack_into('<Q', rec, 8, p * 4096)
        out += rec
    f.write(out)
PY
K="$TMP/k.pem"; cp "$TV/core/sgxs-tools_tests_data_sig1.key.pem" "$K"; chmod 600 "$K"
"$ENSIGN" sign --key "$K" --date 2024-01-01 "$TMP/big.sgxs" -o "$TMP/new.sig" >/dev/null 2>&1
t_run "reference signature verifies" 0 "$ENSIGN" verify --sig "$TMP/new.sig" "$TMP/big.sgxs"
printf 'old signature\n' >"$TMP/old.sig"
olds=0 news=0 bad=0
for delay in 0 0.01 0.02 0.05 0.1 0.15 0.2 0.3 0.5 0.8; do
	cp "$TMP/old.sig" "$TMP/out.sig"
	"$ENSIGN" sign --key "$K" --date 2024-01-01 "$TMP/big.sgxs" -o "$TMP/out.sig" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	if cmp -s "$TMP/out.sig" "$TMP/old.sig"; then olds=$((olds+1))
	elif cmp -s "$TMP/out.sig" "$TMP/new.sig"; then news=$((news+1))
		ls "$TMP"/out.sig.ensign-* >/dev/null 2>&1 && bad=$((bad+1))	# renamed: nothing may remain
	else bad=$((bad+1)); echo "# delay $delay: torn output ($(stat -c %s "$TMP/out.sig") bytes)"; fi
	rm -f "$TMP"/out.sig.ensign-*
done
echo "# killed sign: $olds old, $news new, $bad torn"
t_eq "killed sign: never a torn output" "$bad" 0
t_eq "killed sign: every run accounted for" $((olds + news)) 10
t_done
