#!/bin/sh
# The README's demo: sign the example enclave with the built-in debug key,
# print its MRENCLAVE and MRSIGNER, and verify the result.
set -eu
BUILD=${1:-build}
E="$BUILD/ensign"
OUT="$BUILD/demo"
mkdir -p "$OUT"
if [ -x "$BUILD/examples/hello" ]; then
	APP="$BUILD/examples/hello"
	echo "== ensign sign $APP (built-in debug key, default layout: SGX1 and SGX2)"
	"$E" sign "$APP" -o "$OUT/hello.signed"
	echo "== ensign verify $OUT/hello.signed"
	"$E" verify "$OUT/hello.signed"
else
	cp examples/report.sgxs "$OUT/report.sgxs"
	echo "== ensign sign examples/report.sgxs (built-in debug key)"
	"$E" sign "$OUT/report.sgxs" -o "$OUT/report.sig"
	echo "== ensign verify --sig report.sig report.sgxs"
	"$E" verify --sig "$OUT/report.sig" "$OUT/report.sgxs"
fi
