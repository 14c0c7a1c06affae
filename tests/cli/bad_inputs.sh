#!/bin/sh
# The bad-input catalogue (tests/bad-inputs/cases.tsv): every malformed input
# gives its one-line message and exit status, leaves no output (nor temporary),
# leaves an existing output and every input untouched.
. "$(dirname "$0")/lib.sh"
G="$TMP/in"
python3 "$TOP/tests/bad-inputs/gen.py" "$G" "$TV/core" || { t_bad "gen.py"; t_done; exit 1; }
K="$G/key-good.pem"
unset ENSIGN_KEY_PASSPHRASE
export SOURCE_DATE_EPOCH=1700000000
# every file (and directory) in the inputs, with its checksum; one process
snapshot() { cksum "$G"/* "$G"/*/* 2>&1; }
before=$(snapshot)
# The message: stderr but warnings, notes (and sgx_sign's INFO chatter); after a usage error (exit 2)
# only the "ensign:" line, not the synopsis. A report on stdout (verify's
# FAIL lines, one per failed check) stands for the message when stderr is quiet.
messages() {
	if [ "$st" -eq 2 ]; then grep -E '^ensign: ' "$TMP/err"; else cat "$TMP/err"; fi |
		grep -v -E '^ensign: (warning|note):|^(INFO|WARNING): |^The required memory is' >"$TMP/msg"
	[ -s "$TMP/msg" ] || grep -E '^FAIL ' "$TMP/out" >"$TMP/msg"
	cat "$TMP/msg"
}
run_case() {	# name status regex command outstate
	rm -f "$OUT" "$OUT".ensign-*
	[ "$5" = existing ] && printf 'existing output\n' >"$OUT"
	eval "$4" >"$TMP/out" 2>"$TMP/err" </dev/null
	st=$?
	what="$1 ($5 output)"
	if [ "$st" -ne "$2" ]; then
		t_bad "$what" "exit $st, want $2: $(head -c 300 "$TMP/err")"; return
	fi
	if [ "$st" -ne 2 ] && grep -q '^$' "$TMP/err"; then
		t_bad "$what" "blank line in stderr (a message with an embedded newline)"; return
	fi
	msg=$(messages)
	n=$(printf '%s\n' "$msg" | wc -l)
	case "$msg" in FAIL\ *) n=1 ;; esac	# verify reports each failed check
	if [ -z "$msg" ] || [ "$n" -ne 1 ]; then
		t_bad "$what" "$n message lines, want 1: $(printf '%s' "$msg" | head -c 300)"; return
	fi
	if ! printf '%s\n' "$msg" | grep -qE -- "$3"; then
		t_bad "$what" "message '$msg' lacks /$3/"; return
	fi
	if [ "$5" = existing ]; then
		[ "$(cat "$OUT" 2>/dev/null)" = "existing output" ] || { t_bad "$what" "existing output changed"; return; }
	elif [ -e "$OUT" ]; then
		t_bad "$what" "output created"; return
	fi
	for f in "$OUT".ensign-*; do
		[ -e "$f" ] && { t_bad "$what" "temporary file left: $f"; return; }
	done
	if [ "$(snapshot)" != "$before" ]; then
		t_bad "$what" "an input changed or a file appeared in the input directory"; before=$(snapshot); return
	fi
	t_ok
}
ncase=0
TAB=$(printf '\t')
while IFS="$TAB" read -r name status regex cmd onlyif; do
	case "$name" in '#'*|'') continue ;; esac
	ncase=$((ncase + 1))
	if [ -n "$onlyif" ] && [ "$onlyif" != - ] && ! eval "test $onlyif"; then
		t_skip "$name" "condition not met: $onlyif"; t_skip "$name"; continue
	fi
	OUT="$TMP/$name.out"
	run_case "$name" "$status" "$regex" "$cmd" absent
	run_case "$name" "$status" "$regex" "$cmd" existing
done <"$TOP/tests/bad-inputs/cases.tsv"
echo "# $ncase cases"
t_done
