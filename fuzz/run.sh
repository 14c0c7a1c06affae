#!/bin/sh
# make fuzz FUZZ_SECONDS=N: build every libFuzzer target (fuzz/fuzz_<name>.c)
# into build-fuzz/ and run each for N seconds (default 60) on a copy of its
# seed corpus (fuzz/corpus/<name>/, kept in the repo). Crashes are saved in
# build-fuzz/crashes/<name>/ and make the script fail.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -u
cd "$(dirname "$0")/.." || exit 1
SECONDS_PER=${1:-60}
[ $# -gt 0 ] && shift
OUT=${FUZZ_BUILD:-build-fuzz}
make -s -f fuzz/Makefile FUZZ_BUILD="$OUT" -j"${FUZZ_JOBS:-2}" >/dev/null || { echo "fuzz: build failed"; exit 1; }
targets=${*:-$(for f in fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)}
failed=""
printf '%-12s %12s %8s %s\n' target executions seconds result
for t in $targets; do
	corpus="$OUT/corpus/$t" crashes="$OUT/crashes/$t" log="$OUT/logs/$t.log"
	mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
	[ -d "fuzz/corpus/$t" ] && cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
	opts=""
	[ -f "fuzz/$t.options" ] && opts=$(grep -v '^#' "fuzz/$t.options")
	[ -f "fuzz/$t.dict" ] && opts="$opts -dict=fuzz/$t.dict"
	# -rss_limit_mb: a parser must never need much memory, whatever the input.
	# shellcheck disable=SC2086
	# A small quarantine keeps long runs under the RSS limit; the outer timeout
	# turns a fuzzer that hangs on exit into a reported failure, never a stuck CI.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=32} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	timeout -k 10 $((SECONDS_PER + 120)) "$OUT/fuzz_$t" -max_total_time="$SECONDS_PER" -rss_limit_mb=512 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crashes/" $opts "$corpus" >"$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ "$st" -eq 0 ]; then res=ok; else res="CRASH (exit $st, see $log, $crashes/)"; failed="$failed $t"; fi
	printf '%-12s %12s %8s %s\n' "$t" "${execs:-?}" "$SECONDS_PER" "$res"
done
[ -z "$failed" ] || { echo "fuzz: crashes in:$failed"; exit 1; }
