# Packages (issue 3): ensign package APPDIR + config.json -> one signed
# executable; running the linux target (arguments, environment filtering,
# working directory, exit status), tamper refusal, info/verify/measure,
# reproducibility and every config.json error.
. "$(dirname "$0")/lib.sh"

D=20240131
KEY="$TV/keys/sig1.key.pem"
APP="$TMP/app"
CC=${CC:-cc}
mkdir -p "$APP/bin" "$APP/work/deep" "$APP/etc" "$TMP/rt" "$TMP/cwd"
if ! $CC -static -O1 -o "$APP/bin/show" "$TOP/tests/package/show.c" 2>/dev/null; then
	$CC -O1 -o "$APP/bin/show" "$TOP/tests/package/show.c" || { t_bad setup "cannot compile show.c"; t_done; exit 1; }
fi
echo hello >"$APP/work/note.txt"
echo x >"$APP/etc/conf"
ln -s ../etc/conf "$APP/work/link"

cat >"$TMP/c.json" <<'EOF'
{
  "version": "0.1",
  "Debug": true,
  "ApplicationPath": "/bin/show",
  "ApplicationParameters": ["one", "two words"],
  "EnvironmentVariables": ["EXIT=7", "GREETING=hi", "HOSTVAR=configured"],
  "HostEnvironmentVariables": ["HOSTVAR", "UNSETVAR"],
  "CurrentWorkingDirectory": "/work",
  "MemorySize": "256k",
  "MainStackSize": 8192
}
EOF
sed 's/"Debug": true,/"Debug": 1, "HostApplicationParameters": 1,/' "$TMP/c.json" >"$TMP/host.json"

# hexat FILE OFFSET LEN ; flip FILE OFFSET: xor one byte with 0x01
hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'; }
flip() { b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
pkg() { "$ENSIGN" package "$APP" --date $D "$@"; }
field() { awk -v k="$1" '$1==k {print $2}' "$TMP/out"; }

# --- packaging (linux target)
t_run "package linux" 0 pkg --config "$TMP/c.json" --target linux -o "$TMP/show"
MR=$(field mrenclave)
t_eq "prints mrenclave" "${#MR}" 64
t_eq "prints created" "$(field created)" "$TMP/show"
t_eq "mode 0755" "$(stat -c %a "$TMP/show")" 755
t_eq "starts with the runner (ELF)" "$(hexat "$TMP/show" 0 4)" 7f454c46
t_eq "ends with the trailer magic" "$(tail -c 8 "$TMP/show")" ENSIGNPK
t_run "debug key warns" 0 pkg --config "$TMP/c.json" --target linux -o "$TMP/show"
t_eq "debug key warning" "$(grep -c 'debug key' "$TMP/err")" 1

# --- running: arguments, environment, working directory, exit status, temp dir
cd "$TMP/cwd" || exit 1
TMPDIR="$TMP/rt" HOSTVAR=fromhost OTHERVAR=no "$TMP/show" >"$TMP/run.out" 2>"$TMP/run.err"
t_eq "exit status is the app's" "$?" 7
t_eq "arguments" "$(grep '^arg ' "$TMP/run.out" | tr '\n' '|')" "arg /bin/show|arg one|arg two words|"
t_eq "environment: config + allowed host variables only" "$(grep '^env ' "$TMP/run.out" | tr '\n' '|')" \
	"env EXIT=7|env GREETING=hi|env HOSTVAR=fromhost|"
t_eq "working directory" "$(grep '^cwd ' "$TMP/run.out")" "cwd /work"
t_eq "reads a packaged file" "$(grep '^note ' "$TMP/run.out")" "note hello"
t_eq "private tree mode 0700" "$(grep '^rootmode ' "$TMP/run.out")" "rootmode 700"
t_eq "tree in TMPDIR" "$(grep -c "^root $TMP/rt/ensign-pkg-" "$TMP/run.out")" 1
t_eq "tree removed on exit" "$(ls -A "$TMP/rt")" ""
t_eq "runner silent" "$(cat "$TMP/run.err")" ""
TMPDIR="$TMP/rt" EXIT=0 "$TMP/show" >/dev/null 2>&1
t_eq "config env wins over the host's unlisted one" "$?" 7
TMPDIR="$TMP/rt" HOSTVAR= "$TMP/show" >"$TMP/run.out" 2>&1
t_eq "empty host value passed" "$(grep -c '^env HOSTVAR=$' "$TMP/run.out")" 1
t_err "host arguments refused" 2 "arguments are not allowed: HostApplicationParameters is false" \
	env TMPDIR="$TMP/rt" "$TMP/show" extra
t_eq "refusal leaves no tree" "$(ls -A "$TMP/rt")" ""
cp "$TMP/show" "$TMP/renamed"
TMPDIR="$TMP/rt" "$TMP/renamed" >/dev/null 2>&1
t_eq "runs after renaming" "$?" 7

t_run "package host args allowed" 0 pkg --config "$TMP/host.json" --target linux -o "$TMP/hshow"
TMPDIR="$TMP/rt" "$TMP/hshow" a "b c" >"$TMP/run.out" 2>&1
t_eq "host arguments replace ApplicationParameters" "$(grep '^arg ' "$TMP/run.out" | tr '\n' '|')" \
	"arg /bin/show|arg a|arg b c|"
TMPDIR="$TMP/rt" "$TMP/hshow" >"$TMP/run.out" 2>&1
t_eq "no host arguments: ApplicationParameters" "$(grep '^arg ' "$TMP/run.out" | tr '\n' '|')" \
	"arg /bin/show|arg one|arg two words|"

# --- info, verify, measure
t_run "verify" 0 "$ENSIGN" verify "$TMP/show"
t_eq "verify mrenclave" "$(awk '$1=="mrenclave:"{print $2}' "$TMP/out")" "$MR"
t_run "measure" 0 "$ENSIGN" measure "$TMP/show"
t_eq "measure = package" "$(cat "$TMP/out")" "$MR"
t_run "info" 0 "$ENSIGN" info "$TMP/show"
t_eq "info format" "$(grep -c '^format: *package' "$TMP/out")" 1
t_eq "info target" "$(awk '$1=="target:"{print $2}' "$TMP/out")" linux
t_eq "info verified" "$(awk '$1=="verified:"{print $2}' "$TMP/out")" yes
t_eq "info contents" "$(awk '$1 ~ /^[0-9]+$/ && NF==3 {print $3}' "$TMP/out" | tr '\n' ' ')" \
	"bin bin/show etc etc/conf work work/deep work/link work/note.txt "
t_eq "info shows the config" "$(grep -c '"CurrentWorkingDirectory": "/work"' "$TMP/out")" 1
t_eq "info mrenclave" "$(awk '$1=="mrenclave:"{print $2}' "$TMP/out")" "$MR"
t_eq "info mrsigner (debug key)" "$(grep -c 'mrsigner:' "$TMP/out")" 1
t_run "info --json" 0 "$ENSIGN" info --json "$TMP/show"
t_eq "json format/target" "$(grep -c '"format": "package", "target": "linux", "verified": true' "$TMP/out")" 1
t_eq "json contents" "$(grep -c '"path": "work/note.txt", "mode": "100644", "size": 6' "$TMP/out")" 1
t_eq "json config object" "$(grep -c '"config": {"version": "0.1"' "$TMP/out")" 1
t_eq "json mrenclave" "$(grep -c "\"mrenclave\": \"$MR\"" "$TMP/out")" 1

# --- reproducibility and what MRENCLAVE covers
pkg --config "$TMP/c.json" --target linux -o "$TMP/again" >/dev/null 2>&1
t_cmp "same inputs and date: same bytes" "$TMP/again" "$TMP/show"
touch -d '2001-01-01' "$APP/work/note.txt" "$APP/bin"
pkg --config "$TMP/c.json" --target linux -o "$TMP/again" >/dev/null 2>&1
t_cmp "mtimes do not matter" "$TMP/again" "$TMP/show"
t_run "other date" 0 pkg --config "$TMP/c.json" --target linux -o "$TMP/again" --date 20240201
t_eq "date changes bytes, not MRENCLAVE" "$(cmp -s "$TMP/again" "$TMP/show" || echo differ) $(field mrenclave)" "differ $MR"
echo hellO >"$APP/work/note.txt"
t_run "one byte of APPDIR" 0 pkg --config "$TMP/c.json" --target linux -o "$TMP/again"
t_eq "one byte of APPDIR changes MRENCLAVE" "$([ "$(field mrenclave)" != "$MR" ] && echo yes)" yes
echo hello >"$APP/work/note.txt"
sed 's/"version": "0.1",/"version":  "0.1",/' "$TMP/c.json" >"$TMP/ws.json"
t_run "config whitespace" 0 pkg --config "$TMP/ws.json" --target linux -o "$TMP/again"
t_eq "config bytes change MRENCLAVE" "$([ "$(field mrenclave)" != "$MR" ] && echo yes)" yes
t_run "restored" 0 pkg --config "$TMP/c.json" --target linux -o "$TMP/again"
t_eq "restored APPDIR gives the same MRENCLAVE" "$(field mrenclave)" "$MR"

# --- default output name, Mystikos' positional order, keys, production
(cd "$TMP/cwd" && "$ENSIGN" package "$APP" --config "$TMP/c.json" --target linux --date $D >/dev/null 2>&1)
t_cmp "named after ApplicationPath" "$TMP/cwd/show" "$TMP/show"
(cd "$TMP/cwd" && rm -f show && "$ENSIGN" package "$APP" NULL "$TMP/c.json" --target linux --date $D >/dev/null 2>&1)
t_cmp "positional APPDIR NULL config.json" "$TMP/cwd/show" "$TMP/show"
t_run "positional key" 0 "$ENSIGN" package "$APP" "$KEY" "$TMP/c.json" --date $D -o "$TMP/keyed"
K_SIGNER=$(field mrsigner)
t_run "--key" 0 pkg --config "$TMP/c.json" --key "$KEY" -o "$TMP/keyed2"
t_cmp "positional key = --key" "$TMP/keyed2" "$TMP/keyed"
t_eq "key mrsigner" "$([ "$K_SIGNER" != "$(awk '$1=="mrsigner:"{print $2}' "$TMP/out")" ] && [ ${#K_SIGNER} -eq 64 ] && echo yes)" yes
sed 's/"Debug": true,/"Debug": false, "ProductID": 7, "SecurityVersion": 3,/' "$TMP/c.json" >"$TMP/prod.json"
t_err "production needs a key" 2 "Debug is false.*needs a key" pkg --config "$TMP/prod.json" -o "$TMP/prod"
t_absent "nothing written" "$TMP/prod"
t_err "--production with Debug true" 2 "contradicts Debug true" pkg --config "$TMP/c.json" --key "$KEY" --production -o "$TMP/prod"
t_run "production package" 0 pkg --config "$TMP/prod.json" --key "$KEY" -o "$TMP/prod"
t_run "production info" 0 "$ENSIGN" info --json "$TMP/prod"
t_eq "production attributes" "$(grep -o '"isvprodid": 7, "isvsvn": 3' "$TMP/out" | head -1)" '"isvprodid": 7, "isvsvn": 3'
t_eq "production: no DEBUG" "$(grep -c '"debug": false\|DEBUG' "$TMP/out")" "$(grep -c '"debug": false' "$TMP/out")"
t_run "production verify" 0 "$ENSIGN" verify "$TMP/prod"
t_run "two-step step 1" 0 pkg --config "$TMP/c.json" --gendata "$TMP/g.bin" -o "$TMP/step1"
t_eq "step 1 writes the 256 bytes only" "$(stat -c %s "$TMP/g.bin") $([ -e "$TMP/step1" ] && echo pkg)" "256 "

# --- sgx target
t_run "package sgx (default)" 0 pkg --config "$TMP/c.json" -o "$TMP/sgx"
t_eq "sgx MRENCLAVE differs from linux" "$([ "$(field mrenclave)" != "$MR" ] && echo yes)" yes
t_run "sgx verify" 0 "$ENSIGN" verify "$TMP/sgx"
t_run "sgx info" 0 "$ENSIGN" info "$TMP/sgx"
t_eq "sgx info target" "$(awk '$1=="target:"{print $2}' "$TMP/out")" sgx
if [ -e /dev/sgx_enclave ]; then
	t_skip "sgx run without SGX" "this host has /dev/sgx_enclave"
else
	t_err "sgx package on a host without SGX" 3 "no SGX \(/dev/sgx_enclave is missing\)" "$TMP/sgx"
fi

# --- tampering: a flipped byte anywhere in the payload
STUB=$(stat -c %s "$BUILD/ensign-pkg-stub")
SIZE=$(stat -c %s "$TMP/show")
"$ENSIGN" info --json "$TMP/show" >"$TMP/j"
ALEN=$(sed -E 's/.*"archive": ([0-9]+).*/\1/' "$TMP/j")
CLEN=$(sed -E 's/.*"sizes": \{[^}]*"config": ([0-9]+).*/\1/' "$TMP/j")
ILEN=$(sed -E 's/.*"image": ([0-9]+).*/\1/' "$TMP/j")
t_eq "payload adds up" $((STUB + ALEN + CLEN + ILEN + 1808 + 64)) "$SIZE"
I=$((STUB + ALEN + CLEN)); S=$((I + ILEN)); T=$((S + 1808))
for off in $STUB $((STUB + 200)) $((STUB + ALEN / 2)) $((STUB + ALEN - 1)) $((STUB + ALEN)) $((I - 1)) \
	$I $((I + 0x28)) $((I + ILEN / 2)) $((S - 1)) $S $((S + 20)) $((S + 200)) $((S + 600)) $((S + 910)) \
	$((S + 1030)) $((S + 1100)) $((S + 1500)) $((S + 1807)) $T $((T + 4)) $((T + 16)) $((T + 45)) $((SIZE - 1)); do
	cp "$TMP/show" "$TMP/t"
	flip "$TMP/t" $off
	TMPDIR="$TMP/rt" "$TMP/t" >"$TMP/out" 2>"$TMP/err"
	st=$?
	if [ $st -ne 125 ] || ! grep -q '^t: ' "$TMP/err" || grep -q '^arg' "$TMP/out"; then
		t_bad "flipped byte at $off runs" "exit $st: $(head -c 200 "$TMP/err")"
	else t_ok; fi
	"$ENSIGN" verify "$TMP/t" >/dev/null 2>&1
	t_eq "flipped byte at $off: verify fails" "$?" 1
done
t_eq "tampered runs leave no tree" "$(ls -A "$TMP/rt")" ""
cp "$TMP/show" "$TMP/t"; flip "$TMP/t" $((STUB + ALEN / 2))
t_err "names the mismatch" 125 "refusing to run.*does not match its SIGSTRUCT" "$TMP/t"
cp "$TMP/show" "$TMP/t"; flip "$TMP/t" $((S + 1500))
t_err "names the SIGSTRUCT check" 125 "refusing to run.*SIGSTRUCT: Q2" "$TMP/t"

# --- config.json errors, each with its message (nothing written)
base='"version": "0.1", "Debug": 1, "ApplicationPath": "/bin/show"'
cfgerr() { name=$1 pat=$2 body=$3; printf '%s' "$body" >"$TMP/bad.json"
	t_err "config: $name" 1 "^ensign: '$TMP/bad.json': $pat" pkg --config "$TMP/bad.json" -o "$TMP/bad"
	t_absent "config: $name: nothing written" "$TMP/bad"; }
cfgerr "unknown key" "unknown key 'Foo'" "{$base, \"Foo\": 1}"
cfgerr "duplicate key" "line 1 column [0-9]+: duplicate object key near '\"Debug\"'" "{$base, \"Debug\": 0}"
cfgerr "missing ApplicationPath" "missing key 'ApplicationPath'" '{"version": "0.1", "Debug": 1}'
cfgerr "missing version" "missing key 'version'" '{"Debug": 1, "ApplicationPath": "/bin/show"}'
cfgerr "bad version" "'version' '0.2' is unsupported" '{"version": "0.2", "ApplicationPath": "/bin/show"}'
cfgerr "relative ApplicationPath" "'ApplicationPath' 'bin/show' must be an absolute path" \
	'{"version": "0.1", "ApplicationPath": "bin/show"}'
cfgerr "ApplicationPath type" "'ApplicationPath' must be a string, not an integer" \
	'{"version": "0.1", "ApplicationPath": 3}'
cfgerr "boolean as string" "'Debug' must be a boolean \(true, false, 0 or 1\), not a string" \
	'{"version": "0.1", "ApplicationPath": "/bin/show", "Debug": "yes"}'
cfgerr "boolean as 2" "'NoBrk' must be a boolean \(true, false, 0 or 1\), not another integer" "{$base, \"NoBrk\": 2}"
cfgerr "malformed size" "'MemorySize' is a malformed size '12q'" "{$base, \"MemorySize\": \"12q\"}"
cfgerr "malformed size suffix" "'MainStackSize' is a malformed size '1mb'" "{$base, \"MainStackSize\": \"1mb\"}"
cfgerr "negative size" "'ThreadStackSize' out of range" "{$base, \"ThreadStackSize\": -1}"
cfgerr "size type" "'MemorySize' must be a size .*not a boolean" "{$base, \"MemorySize\": true}"
cfgerr "ProductID range" "'ProductID' out of range" "{$base, \"ProductID\": 65535}"
cfgerr "SecurityVersion type" "'SecurityVersion' must be an integer, not a string" "{$base, \"SecurityVersion\": \"1\"}"
cfgerr "MaxAffinityCPUs" "'MaxAffinityCPUs' out of range" "{$base, \"MaxAffinityCPUs\": 0}"
cfgerr "parameters type" "'ApplicationParameters' must be an array of strings, not a string" \
	"{$base, \"ApplicationParameters\": \"a b\"}"
cfgerr "parameter element" "'HostEnvironmentVariables' must be an array of strings; an element is an integer" \
	"{$base, \"HostEnvironmentVariables\": [1]}"
cfgerr "environment entry" "'EnvironmentVariables' has 'NOVALUE', not KEY=VALUE" \
	"{$base, \"EnvironmentVariables\": [\"NOVALUE\"]}"
cfgerr "ForkMode" "'ForkMode' must be \"none\", \"pseudo\" or" "{$base, \"ForkMode\": \"fork\"}"
cfgerr "Mount key" "'Mount' has an unknown key 'Bad'" "{$base, \"Mount\": [{\"Target\": \"/m\", \"Type\": \"ext2\", \"Bad\": 1}]}"
cfgerr "both memory keys" "'UserMemSize' is the old name of 'MemorySize'" "{$base, \"MemorySize\": 4096, \"UserMemSize\": 4096}"
cfgerr "not an object" "the top level must be an object" '[1]'
cfgerr "malformed JSON" "line 1 column [0-9]+: " "{$base,"
printf '{%s, "ApplicationPath": "/bin/none"}' '"version": "0.1", "Debug": 1' >"$TMP/bad.json"
t_err "ApplicationPath not in APPDIR" 1 "ApplicationPath '/bin/none' is not a file in" pkg --config "$TMP/bad.json" -o "$TMP/bad"
cat >"$TMP/um.json" <<EOF
{$base, "UserMemSize": "256k", "MainStackSize": "8k", "Mount": [{"Target": "/m", "Type": "ext2", "Flags": [], "PublicKey": null, "RootHash": null}], "ForkMode": "pseudo_wait_for_exit_exec", "ExecStack": 0, "Hostname": "h", "SyslogLevel": "info"}
EOF
t_run "deprecated UserMemSize" 0 pkg --config "$TMP/um.json" -o "$TMP/um" --target linux
t_eq "deprecated UserMemSize warns" "$(grep -c "warning: '$TMP/um.json': 'UserMemSize' is deprecated: use 'MemorySize'" "$TMP/err")" 1
t_err "no config" 2 "no config.json" "$ENSIGN" package "$APP"
t_err "bad target" 2 "--target 'sgx2' is not sgx or linux" pkg --config "$TMP/c.json" --target sgx2
t_err "config twice" 2 "config.json given twice" "$ENSIGN" package "$APP" NULL "$TMP/c.json" --config "$TMP/c.json"

t_done
