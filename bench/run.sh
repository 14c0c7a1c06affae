#!/bin/sh
# make bench: every figure next to its reference measured in the same run.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
B="$BUILD/tests/bench_measure"
E="$BUILD/ensign"
W=$(mktemp -d "${TMPDIR:-/tmp}/ensign-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "== 1. MRENCLAVE of a 1 GiB fully measured enclave vs openssl speed -evp sha256 (16 KiB blocks); CPU time for both"
ref=$(openssl speed -seconds 3 -bytes 16384 -evp sha256 2>/dev/null | awk '/^sha256/ {v=$NF; sub(/k$/,"",v); print v*1000}')
out=$("$B" full 1024)
echo "$out"
got=$(echo "$out" | sed -E 's/.* ([0-9.]+) MB\/s.*/\1/')
awk -v g="$got" -v r="$ref" 'BEGIN { printf "| full measurement | %.1f MB/s | openssl %.1f MB/s | ratio %.3f (target >= 0.95) |\n", g, r/1e6, g*1e6/r }'

echo "== 2. 64 GiB enclave with an EADD-only heap: engine vs one SHA-256 stream of the same records"
"$B" eadd 64

echo "== 3. ensign sign on a 64 GiB SGXS file (32 GiB EADD-only heap, 512 MiB of records): peak RSS"
"$B" gen "$W/big.sgxs" 64
ls -l "$W/big.sgxs" | awk '{printf "file: %d bytes\n", $5}'
"$B" rss "$E" sign --key debug --date 2024-01-01 "$W/big.sgxs" -o "$W/big.sig"
"$B" rss /usr/bin/sha256sum "$W/big.sgxs"

echo "== 3b. --memory-model all against one model, application with a 64G heap and 256 threads (CPU time)"
APP="$BUILD/examples/hello"
cpu1() { "$B" rss "$@" | tail -n 1 | sed -E 's/.* ([0-9.]+) s CPU.*/\1/'; }
"$B" rss "$E" measure "$APP" --heap 64G --tcs 256 --memory-model all
t_all=$(cpu1 "$E" measure "$APP" --heap 64G --tcs 256 --memory-model all)
t_one=$(cpu1 "$E" measure "$APP" --heap 64G --tcs 256 --memory-model sgx1)
awk -v a="$t_all" -v o="$t_one" 'BEGIN { printf "| --memory-model all vs sgx1 (64G heap, 256 TCS) | %.3f s | %.3f s | ratio %.2f (target <= 1.2) |\n", a, o, a / o }'

echo "== 4. Signing 100 small enclaves, one process each, as a release pipeline does (CPU time of all processes)"
mkdir -p "$W/small"
K="$W/key.pem"; cp tests/vectors/core/sgxs-tools_tests_data_sig1.key.pem "$K"; chmod 600 "$K"
for i in $(seq 1 100); do cp tests/vectors/core/sized.sgxs "$W/small/e$i.sgxs"; done
cpu() { "$B" rss /bin/sh -c "$1" | sed -E 's/.* ([0-9.]+) s CPU.*/\1/'; }
t_sign=$(cpu "for f in $W/small/*.sgxs; do $E sign --key $K --date 2024-01-01 \$f -o \$f.sig >/dev/null || exit 1; done")
t_measure=$(cpu "for f in $W/small/*.sgxs; do $E measure \$f >/dev/null || exit 1; done")
t_ossl=$(cpu "for f in $W/small/*.sgxs; do openssl dgst -sha256 -sign $K -out \$f.osig \$f || exit 1; done")
t_true=$(cpu "for f in $W/small/*.sgxs; do /bin/true \$f; done")
t_start=$(cpu "for f in $W/small/*.sgxs; do $E --version >/dev/null; done")
ls "$W"/small/*.sig | wc -l | awk '{ if ($1 != 100) { print "signing failed"; exit 1 } }'
awk -v s="$t_sign" -v m="$t_measure" -v o="$t_ossl" -v t="$t_true" -v v="$t_start" 'BEGIN {
	printf "| 100 small enclaves (47 KiB SGXS) | ensign sign %.2f ms/enclave (measure only %.2f ms, ensign --version %.2f ms) | openssl dgst -sha256 -sign %.2f ms/file | ratio %.2f | empty process %.2f ms |\n",
		s * 10, m * 10, v * 10, o * 10, o / s, t * 10 }'
"$B" keys "$K" 100
if command -v valgrind >/dev/null 2>&1; then
	echo "== 4b. One ensign sign of a small enclave under callgrind: instructions (exact, noise-free)"
	valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" "$E" sign --key "$K" --date 2024-01-01 \
		"$W/small/e1.sgxs" -o "$W/cg.sig" >/dev/null 2>"$W/cg.err" || { cat "$W/cg.err"; exit 1; }
	callgrind_annotate --inclusive=yes --threshold=100 "$W/cg.out" 2>/dev/null >"$W/cg.txt"
	total=$(sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$W/cg.txt" | tr -d ,)
	for fn in main ens_signer_open_pem ens_sgxs_mrenclave ens_sigstruct_sign OPENSSL_init_crypto; do
		ir=$(grep -E "[ :]$fn( |$)" "$W/cg.txt" | head -n 1 | awk '{print $1}' | tr -d ,)
		awk -v f="$fn" -v i="${ir:-0}" -v t="$total" 'BEGIN { printf "| %-22s | %12d Ir | %5.1f %% of the process |\n", f, i, 100 * i / t }'
	done
	echo "| total                  | $(printf '%12d' "$total") Ir |"
fi
echo "== 5. Registry to registry (issue 15): bench/registry.sh"
sh bench/registry.sh "$BUILD"
