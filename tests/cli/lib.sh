# Shared helpers for CLI test scripts: source this, run checks, end with t_done.
# $ENSIGN is the binary under test, $TV the repo's test vectors, $TMP a scratch dir.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
ENSIGN=${ENSIGN:-$BUILD/ensign}
TV="$TOP/tests/vectors"
SHARED_V="$TOP/../shared/vectors"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ensign-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
t_pass=0; t_fail=0; t_skip=0
t_ok()   { t_pass=$((t_pass+1)); }
t_bad()  { t_fail=$((t_fail+1)); echo "FAIL $1${2:+: $2}"; }
t_skip() { t_skip=$((t_skip+1)); echo "SKIP $1${2:+: $2}"; }
# t_eq NAME GOT WANT
t_eq()   { if [ "$2" = "$3" ]; then t_ok; else t_bad "$1" "got '$2' want '$3'"; fi; }
# t_cmp NAME FILE_GOT FILE_WANT: byte-identical
t_cmp()  { if [ -f "$2" ] && cmp -s "$2" "$3"; then t_ok; else t_bad "$1" "$2 differs from $3"; fi; }
# t_run NAME WANT_STATUS CMD...: runs CMD, stdout in $TMP/out, stderr in $TMP/err
t_run()  { local name=$1 want=$2; shift 2; "$@" >"$TMP/out" 2>"$TMP/err"; local st=$?
	if [ "$st" -eq "$want" ]; then t_ok; else t_bad "$name" "exit $st, want $want; stderr: $(head -c 300 "$TMP/err")"; fi; }
# t_err NAME WANT_STATUS PATTERN CMD...: fails with that status and stderr matching PATTERN (grep -E)
t_err()  { local name=$1 want=$2 pat=$3; shift 3; "$@" >"$TMP/out" 2>"$TMP/err"; local st=$?
	if [ "$st" -ne "$want" ]; then t_bad "$name" "exit $st, want $want; stderr: $(head -c 300 "$TMP/err")"
	elif ! grep -qE -- "$pat" "$TMP/err"; then t_bad "$name" "stderr '$(head -c 300 "$TMP/err")' lacks /$pat/"
	else t_ok; fi; }
# t_absent NAME PATH...: no such file (and no temporary left beside it)
t_absent() { local name=$1; shift; for p in "$@"; do
	if [ -e "$p" ] || ls "$p".ensign-* >/dev/null 2>&1; then t_bad "$name" "'$p' (or a temporary) exists"; return; fi; done; t_ok; }
t_done() { echo "$t_pass passed, $t_fail failed${t_skip:+, $t_skip skipped}"; [ "$t_fail" -eq 0 ]; }
# t_softhsm KEY.pem LABEL: a SoftHSM2 token "ensign-test" (PIN 4711, file $TMP/pin.txt)
# in $TMP holding KEY under LABEL with id 01a2; sets MOD (the module) and
# SOFTHSM2_CONF. Returns 1 when SoftHSM2 is not installed. Import more keys with
# t_softhsm_import KEY.pem LABEL ID.
t_softhsm() {
	MOD=""
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
		/usr/lib64/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
		[ -f "$m" ] && { MOD=$m; break; }
	done
	[ -n "$MOD" ] && command -v softhsm2-util >/dev/null 2>&1 || return 1
	mkdir -p "$TMP/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$TMP" > "$TMP/softhsm2.conf"
	export SOFTHSM2_CONF="$TMP/softhsm2.conf"
	unset ENSIGN_PKCS11_MODULE ENSIGN_PKCS11_PIN ENSIGN_PKCS11_MECHANISM
	PIN=4711
	softhsm2-util --init-token --free --label ensign-test --pin $PIN --so-pin 5678 >/dev/null || return 1
	printf '%s\n' $PIN > "$TMP/pin.txt"
	t_softhsm_import "$1" "$2" 01a2
}
t_softhsm_import() {
	openssl pkcs8 -topk8 -nocrypt -in "$1" -out "$TMP/import.pk8" &&
	softhsm2-util --import "$TMP/import.pk8" --token ensign-test --label "$2" --id "$3" --pin "$PIN" >/dev/null
	local st=$?
	rm -f "$TMP/import.pk8"
	return $st
}
