#!/bin/sh
# make bench: every figure next to its reference measured in the same run.
set -eu
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
