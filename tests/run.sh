#!/bin/sh
# Runs every unit test binary and every CLI test script; sums their
# "N passed, N failed" lines into one, which is the last line printed.
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.." || exit 1
total_pass=0; total_fail=0; total_skip=0; broken=""
run_one() {
	name=$1; shift
	out=$("$@" 2>&1); st=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	p=$(printf '%s' "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(printf '%s' "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(printf '%s' "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	[ -n "$p" ] || { p=0; f=1; }
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + ${s:-0}))
	if [ "$f" -ne 0 ]; then
		broken="$broken $name"
		printf '%s\n' "$out" | grep -E '^(FAIL|SKIP)|ERROR|Sanitizer|runtime error' | head -n 40
	fi
	printf '%-28s %s\n' "$name" "${line:-no summary (exit $st)}"
}
for t in "$BUILD"/tests/t_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	run_one "cli/$(basename "$t" .sh)" sh "$t"
done
[ -n "$broken" ] && echo "failing:$broken"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
