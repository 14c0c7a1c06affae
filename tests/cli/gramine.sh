#!/bin/sh
# Gramine: gramine-sgx-sign and gramine-sgx-sigstruct-view byte for byte
# against the vectors made with Gramine v1.9 (tests/vectors/gramine); the
# same .sig from two-step, --sign-command and a PKCS#11 token (SoftHSM2);
# bad input (one line naming the file, non-zero exit, no output left); the
# old binary DATE in the viewer; warnings that change no output byte.
. "$(dirname "$0")/lib.sh"
E=$ENSIGN
G="$TV/gramine"
cp -r "$G/common" "$TMP/common"
chmod 600 "$TMP/common/key-a.pem"

# ---- every vector case, every output file ----
for c in "$G"/cases/*/; do
	id=$(basename "$c"); w="$TMP/cases/$id/input"; mkdir -p "$w"; cp -r "$c/input/." "$w/"
	cmd=$(cat "$c/cmd.txt"); cmd=${cmd#gramine-sgx-sign }
	(cd "$w" && eval "\"$E\" gramine-sgx-sign $cmd") >"$TMP/stdout" 2>"$TMP/err"
	t_eq "$id exit" "$?" 0
	for f in "$c"/expected/*; do
		n=$(basename "$f")
		case "$n" in
		sign.stdout) t_cmp "$id stdout" "$TMP/stdout" "$f";;
		view*) ;;
		*) t_cmp "$id $n" "$w/$n" "$f";;
		esac
	done
	sig=$(cd "$c/expected" && ls *.sig)
	"$E" gramine-sgx-sigstruct-view "$w/$sig" >"$TMP/v" 2>&1; t_cmp "$id view" "$TMP/v" "$c/expected/view.txt"
	"$E" gramine-sgx-sigstruct-view -v "$w/$sig" >"$TMP/v" 2>&1; t_cmp "$id view -v" "$TMP/v" "$c/expected/view-verbose.txt"
	"$E" gramine-sgx-sigstruct-view -v --output-format json "$w/$sig" >"$TMP/v" 2>&1
	t_cmp "$id view json" "$TMP/v" "$c/expected/view.json"
	"$E" gramine-sgx-sigstruct-view -v --output-format toml "$w/$sig" "$TMP/v2" 2>&1
	t_cmp "$id view toml (to FILE)" "$TMP/v2" "$c/expected/view.toml"
	# independent check: MRENCLAVE in CASES.tsv, SIGSTRUCT bytes 960..991
	want=$(awk -F'\t' -v id="$id" '$1==id {print $3}' "$G/CASES.tsv")
	got=$(od -An -tx1 -j960 -N32 "$w/$sig" | tr -d ' \n')
	t_eq "$id ENCLAVEHASH" "$got" "$want"
done

# ---- the compatibility name, --quiet, stdin ----
W="$TMP/cases/v01-defaults/input"; cd "$W" || exit 1
K=../../../common/key-a.pem; P=../../../common/pal-a.so
X="$G/cases/v01-defaults/expected"
ln -sf "$E" "$TMP/gramine-sgx-sign"; ln -sf "$E" "$TMP/gramine-sgx-sigstruct-view"
rm -f app.manifest.sgx app.sig
t_run "argv[0] gramine-sgx-sign" 0 "$TMP/gramine-sgx-sign" -q -m app.manifest -o app.manifest.sgx -l $P -k $K -d 2025-06-20
t_eq "--quiet prints nothing" "$(cat "$TMP/out")" ""
t_cmp "argv[0] .sig" app.sig "$X/app.sig"
t_run "argv[0] sigstruct-view" 0 "$TMP/gramine-sgx-sigstruct-view" app.sig
t_cmp "argv[0] view" "$TMP/out" "$X/view.txt"
t_run "manifest on stdin" 0 sh -c "$E gramine-sgx-sign -q -m - -o s.manifest.sgx -l $P -k $K -d 2025-06-20 < app.manifest"
t_cmp "stdin .manifest.sgx" s.manifest.sgx "$X/app.manifest.sgx"
t_cmp "stdin default sigfile <stdin>.sig" "<stdin>.sig" "$X/app.sig"
printf 'libos.entrypoint = "/app"\r\nloader.entrypoint.uri = "file:libsysdb.so"\r\n' > crlf.manifest
t_run "CRLF manifest" 0 $E gramine-sgx-sign -q -m crlf.manifest -o crlf.manifest.sgx -l $P -k $K -d 2025-06-20
t_cmp "CRLF = LF" crlf.manifest.sgx "$X/app.manifest.sgx"

python3 -c "
import struct
eh = b'\x7fELF' + bytes([1,1,1,0]) + bytes(8) + struct.pack('<HHIIIIIHHHHHH', 3, 40, 1, 0x10, 52, 0, 0, 52, 32, 1, 40, 0, 0)
ph = struct.pack('<IIIIIIII', 1, 0x200, 0, 0, 0x200, 0x2000, 5, 0x1000)
b = eh + ph
open('arm32.so', 'wb').write(b + bytes(0x400 - len(b)))
"
t_run "ELF32 ARM libpal: measured, with a warning" 0 $E gramine-sgx-sign -q -m app.manifest -o arm.manifest.sgx -l arm32.so -k $K -d 2025-06-20
grep -q "libpal 'arm32.so' is not an x86-64 ELF64 file" "$TMP/err" && t_ok || t_bad "non-x86-64 libpal warning" "$(cat "$TMP/err")"
# ---- ENSIGN_GRAMINE_PKGLIBDIR: default libpal and default loader.entrypoint.uri (§2.2 step 6) ----
mkdir -p "$TMP/pkg/sgx"; cp $P "$TMP/pkg/sgx/libpal.so"; cp libsysdb.so "$TMP/pkg/libsysdb.so"
printf 'libos.entrypoint = "/app"\n' > d.manifest
t_run "pkglibdir defaults" 0 env ENSIGN_GRAMINE_PKGLIBDIR="$TMP/pkg" $E gramine-sgx-sign -q -m d.manifest -o d.manifest.sgx -k $K -d 2025-06-20
grep -q "^uri = \"file:$TMP/pkg/libsysdb.so\"$" d.manifest.sgx && t_ok || t_bad "default entrypoint uri" "$(cat d.manifest.sgx | head -5)"
h=$(openssl dgst -sha256 -r libsysdb.so | cut -d' ' -f1)
grep -q "^sha256 = \"$h\"$" d.manifest.sgx && t_ok || t_bad "default entrypoint hashed"
t_err "default libpal missing" 2 "File '$TMP/nopkg/sgx/libpal.so' does not exist" env ENSIGN_GRAMINE_PKGLIBDIR="$TMP/nopkg" $E gramine-sgx-sign -q -m d.manifest -o d.manifest.sgx -k $K
# ---- two-step, --sign-command, PKCS#11: the one-step bytes ----
openssl pkey -in $K -pubout -out "$TMP/pub.pem" 2>/dev/null
rm -f app.sig app.manifest.sgx
t_run "step 1 --gendata" 0 $E gramine-sgx-sign -q -m app.manifest -o app.manifest.sgx -l $P -d 2025-06-20 --gendata "$TMP/g.bin"
t_absent "step 1 writes no .sig" app.sig
openssl dgst -sha256 -sign $K -out "$TMP/s.bin" "$TMP/g.bin"
t_run "step 2 --signature" 0 $E gramine-sgx-sign -q -m app.manifest -o app.manifest.sgx -l $P -d 2025-06-20 \
	--signature "$TMP/s.bin" --pubkey "$TMP/pub.pem" --unsigned "$TMP/g.bin"
t_cmp "two-step .sig = one-step" app.sig "$X/app.sig"
t_cmp "two-step .manifest.sgx" app.manifest.sgx "$X/app.manifest.sgx"
rm -f app.sig
t_run "sign-command" 0 $E gramine-sgx-sign -q -m app.manifest -o app.manifest.sgx -l $P -d 2025-06-20 \
	--sign-command "openssl dgst -sha256 -sign $K" --pubkey "$TMP/pub.pem"
t_cmp "sign-command .sig = one-step" app.sig "$X/app.sig"
t_err "step 2 with another date" 1 "other bytes" $E gramine-sgx-sign -q -m app.manifest -o o.manifest.sgx -l $P \
	-d 2025-06-21 --signature "$TMP/s.bin" --pubkey "$TMP/pub.pem"
t_absent "failed step 2 leaves nothing" o.manifest.sgx o.sig
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:s3cret -in $K -out "$TMP/enc.pem" 2>/dev/null
rm -f app.sig
t_run "encrypted key, -p" 0 $E gramine-sgx-sign -q -m app.manifest -o app.manifest.sgx -l $P -k "$TMP/enc.pem" -p s3cret -d 2025-06-20
t_cmp "encrypted key .sig" app.sig "$X/app.sig"
t_err "encrypted key, wrong passphrase" 2 "Invalid key" $E gramine-sgx-sign -q -m app.manifest -o w.manifest.sgx -l $P -k "$TMP/enc.pem" --password nope
t_absent "wrong passphrase leaves nothing" w.manifest.sgx w.sig
if t_softhsm $K gramine; then
	rm -f app.sig
	t_run "pkcs11 key" 0 $E gramine-sgx-sign -q -m app.manifest -o app.manifest.sgx -l $P -d 2025-06-20 \
		-k "pkcs11:token=ensign-test;object=gramine?pin-value=$PIN&module-path=$MOD"
	t_cmp "pkcs11 .sig = one-step" app.sig "$X/app.sig"
else
	t_skip "pkcs11" "SoftHSM2 not installed"
fi

# ---- depfile rules (§1.2): output as typed, default key path ----
mkdir -p sub
t_run "depfile, XDG key" 0 env XDG_CONFIG_HOME=cfg sh -c "mkdir -p cfg/gramine && cp $K cfg/gramine/enclave-key.pem &&
	$E gramine-sgx-sign -q -m app.manifest -o ./sub//o.manifest.sgx -l $P -d 2025-06-20 --depfile o.d"
printf './sub//o.manifest.sgx: \\\n\t%s \\\n\t%s\n' "$P" cfg/gramine/enclave-key.pem > "$TMP/want.d"
t_cmp "depfile text" o.d "$TMP/want.d"
t_cmp "default key signs" app.sig "$X/app.sig"

# ---- --chroot: trusted files measured inside DIR (independent hash with openssl) ----
mkdir -p ch/etc ch/d/sub
printf 'chrooted\n' > ch/etc/x; printf 'one\n' > ch/d/a; printf 'two\n' > ch/d/sub/b; ln -s /etc ch/lnk
cat > c.manifest <<'EOF'
loader.entrypoint.uri = "file:libsysdb.so"
sgx.trusted_files = ["file:/lnk/x", "file:/d/"]
EOF
t_run "--chroot" 0 $E gramine-sgx-sign -q -m c.manifest -o c.manifest.sgx -l $P -k $K -d 2025-06-20 --chroot ch --depfile c.d
h=$(openssl dgst -sha256 -r ch/etc/x | cut -d' ' -f1)
t_eq "chroot symlink resolved inside DIR" "$(grep -A1 'file:/lnk/x' c.manifest.sgx | sed -n 's/sha256 = "\(.*\)"/\1/p')" "$h"
t_eq "chroot walk URIs" "$(grep '^uri = "file:/' c.manifest.sgx | tr '\n' ' ')" 'uri = "file:/lnk/x" uri = "file:/d/a" uri = "file:/d/sub/b" '
t_eq "chroot depfile" "$(sed -n 2,4p c.d | tr -d '\\\t ' | tr '\n' ' ')" "ch/etc/x ch/d/a ch/d/sub/b "
t_err "chroot relative path" 1 "c2.manifest.*only absolute paths" sh -c "printf 'loader.entrypoint.uri = \"file:libsysdb.so\"\nsgx.trusted_files = [\"file:rel\"]\n' > c2.manifest &&
	$E gramine-sgx-sign -q -m c2.manifest -o c2.manifest.sgx -l $P -k $K --chroot ch"
ln -s loop2 ch/loop1; ln -s loop1 ch/loop2; ln -s self ch/self; ln -s ../../etc ch/d/up
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file:/loop1"]\n' > l.manifest
t_err "chroot symlink loop" 1 "Too many levels of symbolic links: PosixPath\\('/loop1'\\)" $E gramine-sgx-sign -q -m l.manifest -o l.manifest.sgx -l $P -k $K --chroot ch
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file:/self"]\n' > l.manifest
t_err "chroot self link" 1 "PosixPath\\('/self'\\)" $E gramine-sgx-sign -q -m l.manifest -o l.manifest.sgx -l $P -k $K --chroot ch
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file:/etc/x/y"]\n' > l.manifest
t_err "chroot ENOTDIR" 1 "Not a directory: PosixPath\\('/etc/x'\\)" $E gramine-sgx-sign -q -m l.manifest -o l.manifest.sgx -l $P -k $K --chroot ch
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file:/d/up/x", "file:/../../etc/x"]\n' > l.manifest
t_run "chroot .. never leaves DIR" 0 $E gramine-sgx-sign -q -m l.manifest -o l.manifest.sgx -l $P -k $K -d 2025-06-20 --chroot ch --depfile l.d
t_eq "chroot .. depfile" "$(sed -n 2,3p l.d | tr -d '\\\t ' | tr '\n' ' ')" "ch/etc/x ch/etc/x "
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file://etc/x"]\n' > l.manifest
t_err "chroot // root" 1 "'//etc/x' is not in the subpath of '/'" $E gramine-sgx-sign -q -m l.manifest -o l.manifest.sgx -l $P -k $K --chroot ch
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file:/nothere"]\n' > l.manifest
t_err "chroot missing file" 2 "Missing trusted file: 'ch/nothere'" $E gramine-sgx-sign -q -m l.manifest -o l.manifest.sgx -l $P -k $K --chroot ch
t_err "--chroot not a directory" 2 "Directory 'app.manifest' is a file" $E gramine-sgx-sign -m app.manifest -o c.manifest.sgx -l $P -k $K --chroot app.manifest

# ---- URIs (§2.3): pathlib normalisation, walk text, de-duplication by raw string ----
N="$TMP/norm"; mkdir -p "$N/tree/sub"; cd "$N" || exit 1
: > libsysdb.so; echo a > tree/a; echo b > tree/sub/b; echo c > a; echo d > tree/.dot
cat > n.manifest <<EOF
loader.entrypoint.uri = "file:libsysdb.so"
sgx.max_threads = 0
sgx.trusted_files = ["file:./tree/", "file:tree/a", "file:./a", "file:a", "file:.//a", "file:///$N/tree/", "file:$N/tree//"]
EOF
t_run "URIs" 0 $E gramine-sgx-sign -m n.manifest -o n.manifest.sgx -l "$TMP/common/pal-a.so" -k "$TMP/common/key-a.pem" -d 2025-06-20 --depfile n.d
t_eq "URIs written" "$(grep '^uri = "file:[^l]' n.manifest.sgx | sed 's/^uri = //' | tr '\n' ' ')" \
	"\"file:tree/.dot\" \"file:tree/a\" \"file:tree/sub/b\" \"file:./a\" \"file:a\" \"file:.//a\" \"file:$N/tree/.dot\" \"file:$N/tree/a\" \"file:$N/tree/sub/b\" "
t_eq "depfile paths normalised" "$(sed -n 2,10p n.d | tr -d '\\\t' | tr '\n' ' ')" \
	"tree/.dot  tree/a  tree/sub/b  a  a  a  $N/tree/.dot  $N/tree/a  $N/tree/sub/b  "
t_eq "0 threads: zero-length ssa/tcs/tls lines, no stacks" \
	"$(grep -c -E '^    (000000000ffff000-000000000ffff000 .*\((ssa|tcs|tls)\)|.*stack)' "$TMP/out")" 3
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.trusted_files = ["file:nothere", "file:."]\n' > o.manifest
t_err "checks before hashing" 1 "Directory URI \\('file:.'\\) does not end with" $E gramine-sgx-sign -m o.manifest -o o.manifest.sgx \
	-l "$TMP/common/pal-a.so" -k "$TMP/common/key-a.pem"
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.max_threads = true\nsgx.isvprodid = true\n' > b.manifest
t_run "boolean max_threads" 0 $E gramine-sgx-sign -m b.manifest -o b.manifest.sgx -l "$TMP/common/pal-a.so" -k "$TMP/common/key-a.pem" -d 2025-06-20
grep -q '^    max_threads: True$' "$TMP/out" && grep -q '^max_threads = true$' b.manifest.sgx && t_ok || t_bad "max_threads True"
t_run "boolean isvprodid" 0 $E gramine-sgx-sigstruct-view b.sig
grep -q '^    isv_prod_id: 1$' "$TMP/out" && t_ok || t_bad "isvprodid true = 1" "$(cat "$TMP/out")"
printf 'loader.entrypoint.uri = "file:libsysdb.so"\nsgx.enclave_size = "0"\n' > z.manifest
t_err "size 0: report, then the error" 1 "Enclave size is not large enough" $E gramine-sgx-sign -m z.manifest -o z.manifest.sgx \
	-l "$TMP/common/pal-a.so" -k "$TMP/common/key-a.pem"
t_eq "size 0 printed as Python %#x" "$(sed -n 2p "$TMP/out")" "    size:        0x0"
t_eq "report stops before Memory:" "$(grep -c '^Memory:' "$TMP/out")" 0
cd "$W" || exit 1

# ---- warnings that change no output byte ----
cat > w.manifest <<'EOF'
loader.entrypoint.uri = "file:libsysdb.so"
sgx.enclave_size = "100M"
sgx.max_threads = 5000
sgx.trusted_files = [{uri = "file:libsysdb.so", sha256 = "0000000000000000000000000000000000000000000000000000000000000000"}]
EOF
sed 's/max_threads = 5000/max_threads = 1/' w.manifest > w1.manifest
t_run "warnings" 0 $E gramine-sgx-sign -q -m w1.manifest -o w1.manifest.sgx -l $P -k $K -d 2025-06-20
grep -q "not a power of two" "$TMP/err" && t_ok || t_bad "warn: size not a power of two" "$(cat "$TMP/err")"
grep -q "sha256 given in the manifest" "$TMP/err" && t_ok || t_bad "warn: sha256 differs" "$(cat "$TMP/err")"
grep -q 'sha256 = "0000000000000000000000000000000000000000000000000000000000000000"' w1.manifest.sgx && t_ok || t_bad "given sha256 kept"
t_err "too many threads" 1 "w.manifest.*Enclave size is not large enough" $E gramine-sgx-sign -q -m w.manifest -o w.manifest.sgx -l $P -k $K
grep -q "1 to 4096 threads" "$TMP/err" && t_ok || t_bad "warn: threads" "$(cat "$TMP/err")"

# ---- bad input: one line naming the file and the key, exit status, nothing left ----
bad() { # NAME STATUS PATTERN MANIFEST-TEXT [extra args]
	local name=$1 st=$2 pat=$3 text=$4; shift 4
	printf '%b' "$text" > bad.manifest; rm -f bad.manifest.sgx bad.sig
	t_err "bad: $name" "$st" "$pat" $E gramine-sgx-sign -m bad.manifest -o bad.manifest.sgx -l $P -k $K -d 2025-06-20 "$@"
	# one line (usage errors: click's Usage/Try lines around one Error: line)
	[ "$(grep -Ev '^(.*warning: .*|[Uu]sage: .*|Try .*|)$' "$TMP/err" | wc -l)" -eq 1 ] && t_ok || t_bad "bad: $name: one line" "$(cat "$TMP/err")"
	t_absent "bad: $name: no output" bad.manifest.sgx bad.sig
}
EP='loader.entrypoint.uri = "file:libsysdb.so"\n'
bad "TOML syntax" 1 "bad.manifest.*Invalid value \\(at line 2, column 5\\)" "${EP}a = \n"
bad "missing trusted file" 2 "Missing trusted file: 'nope'" "${EP}sgx.trusted_files = [\"file:nope\"]\n"
bad "directory without /" 1 "Directory URI \\('file:sub'\\) does not end with" "${EP}sgx.trusted_files = [\"file:sub\"]\n"
bad "file with /" 1 "URI 'file:app.manifest/' ends with \"/\" but is not a directory" "${EP}sgx.trusted_files = [\"file:app.manifest/\"]\n"
bad "two sha256" 1 "Two different sha256 values \\(aa and bb\\) for the same URI 'file:x'" \
	"${EP}sgx.trusted_files = [{uri=\"file:x\",sha256=\"aa\"},{uri=\"file:x\",sha256=\"bb\"}]\n"
bad "leftover items" 1 "Leftover trusted file items: \\{'extra': 1\\}" "${EP}sgx.trusted_files = [{uri=\"file:x\",extra=1}]\n"
bad "unknown form" 1 "Unknown trusted file format: \\{'path': 'file:d/f'\\}" "${EP}sgx.trusted_files = [{path=\"file:d/f\"}]\n"
bad "URI type" 1 "Unsupported URI type: http://x" "${EP}sgx.trusted_files = [\"http://x\"]\n"
bad "trusted_files not an array" 1 "Unsupported trusted files syntax" "${EP}sgx.trusted_files = 5\n"
bad "entrypoint missing" 1 "No such file or directory: 'nothere'" 'loader.entrypoint.uri = "file:nothere"\n'
bad "entrypoint directory" 1 "Is a directory: '.'" 'loader.entrypoint.uri = "file:."\n'
bad "entrypoint URI type" 1 "Unsupported URI type: libsysdb.so" 'loader.entrypoint.uri = "libsysdb.so"\n'
bad "enclave too small" 1 "sgx.enclave_size.*Enclave size is not large enough" "${EP}sgx.enclave_size = \"64K\"\n"
bad "size does not parse" 1 "sgx.enclave_size.*invalid literal for int\\(\\) with base 0: '1T'" "${EP}sgx.enclave_size = \"1T\"\n"
bad "integer size" 1 "sgx.enclave_size.*'int' object has no attribute 'endswith'" "${EP}sgx.enclave_size = 5\n"
bad "cpu_features value" 1 "sgx.cpu_features.avx. has a disallowed value" "${EP}sgx.cpu_features.avx = \"yes\"\n"
bad "isvprodid range" 1 "sgx.isvprodid.*70000 does not match required format <H" "${EP}sgx.isvprodid = 70000\n"
bad "string max_threads" 1 "sgx.max_threads.*not all arguments converted" "${EP}sgx.max_threads = \"4\"\n"
bad "negative max_threads" 1 "sgx.max_threads.*negative count" "${EP}sgx.max_threads = -1\n"
bad "sgx not a table" 1 "'int' object has no attribute 'setdefault'" "${EP}sgx = 1\n"
bad "entrypoint not a table" 1 "Unknown loader.entrypoint format" 'loader.entrypoint = 1\n'
bad "libpal not ELF" 1 "libpal 'app.manifest' is not an ELF file" "$EP" -l app.manifest
bad "libpal missing" 2 "Invalid value for '--libpal' / '-l': File 'nope.so' does not exist" "$EP" -l nope.so
bad "key missing" 2 "Invalid value for '--key' / '-k': 'nokey.pem'" "$EP" -k nokey.pem
openssl genrsa -out "$TMP/k2048.pem" 2048 2>/dev/null
bad "key of the wrong kind" 2 "3072" "$EP" -k "$TMP/k2048.pem"
bad "bad date" 2 "expecting \"today\" or YYYY-MM-DD" "$EP" -d 2025-1-1
bad "unknown option" 2 "No such option: --bogus" "$EP" --bogus
bad "extra argument" 2 "unexpected extra argument \\(junk\\)" "$EP" junk
t_err "missing --output" 2 "Missing option '-o' / '--output'" $E gramine-sgx-sign -m app.manifest -l $P -k $K
t_err "--with other plugin" 2 "'--with'" $E gramine-sgx-sign --with azure -m app.manifest -o x.manifest.sgx -l $P -k $K
# order (§1.1): the key is checked before the manifest
t_err "key before manifest" 2 "nokey.pem" $E gramine-sgx-sign -m bad.manifest -o bad.manifest.sgx -l $P -k nokey.pem

# ---- Gramine as an input of ensign's own commands (v03: trusted files) ----
V3="$G/cases/v03-trusted-files/expected"
W3="$TMP/own"; mkdir -p "$W3"; cp -r "$G/cases/v03-trusted-files/input/." "$W3/"; cd "$W3" || exit 1
MR=$(awk -F'\t' '$1=="v03-trusted-files" {print $3}' "$G/CASES.tsv")
P3="$TMP/common/pal-a.so"; K3="$TMP/common/key-a.pem"
cp "$V3/app.manifest.sgx" "$V3/app.sig" .
t_run "measure .manifest.sgx" 0 $E measure app.manifest.sgx --libpal "$P3"
t_eq "measure .manifest.sgx MRENCLAVE" "$(cat "$TMP/out")" "$MR"
t_run "measure .manifest (expanded in memory)" 0 $E measure app.manifest --libpal "$P3"
t_eq "measure .manifest MRENCLAVE" "$(cat "$TMP/out")" "$MR"
t_run "info --json" 0 $E info --json app.manifest.sgx --libpal "$P3"
grep -q "\"format\": \"gramine\".*\"mrenclave\": \"$MR\".*\"sigstruct\"" "$TMP/out" && t_ok || t_bad "info --json" "$(cat "$TMP/out")"
t_run "verify" 0 $E verify app.manifest.sgx --libpal "$P3"
grep -q "^mrenclave: $MR (matches)" "$TMP/out" && t_ok || t_bad "verify OK line" "$(cat "$TMP/out")"
cp files/app.bin "$TMP/app.bin"; echo changed >> files/app.bin
t_run "verify: changed trusted file" 1 $E verify app.manifest.sgx --libpal "$P3" --sig app.sig
grep -q "trusted file 'file:files/app.bin' changed" "$TMP/out" && t_ok || t_bad "trusted file named" "$(cat "$TMP/out")"
cp "$TMP/app.bin" files/app.bin
sed 's/max_threads = 8/max_threads = 9/' "$V3/app.manifest.sgx" > app.manifest.sgx
t_run "verify: changed manifest byte" 1 $E verify app.manifest.sgx --libpal "$P3"
grep -q "'app.manifest.sgx' changed after signing: line 16 differs" "$TMP/out" && t_ok || t_bad "manifest named" "$(cat "$TMP/out")"
cp "$V3/app.manifest.sgx" .
cp "$P3" pal.so; chmod u+w pal.so; printf '\001' | dd of=pal.so bs=1 seek=4099 conv=notrunc 2>/dev/null
t_run "verify: changed libpal byte" 1 $E verify app.manifest.sgx --libpal pal.so
grep -q "libpal 'pal.so' changed after signing" "$TMP/out" && t_ok || t_bad "libpal named" "$(cat "$TMP/out")"
rm -f app.manifest.sgx app.sig
t_run "sign APP.manifest" 0 $E sign app.manifest --libpal "$P3" --key "$K3" --date 2025-06-20
t_cmp "sign APP.manifest: .manifest.sgx" app.manifest.sgx "$V3/app.manifest.sgx"
t_cmp "sign APP.manifest: .sig" app.sig "$V3/app.sig"
t_run "sign APP.manifest.sgx" 0 env SOURCE_DATE_EPOCH=1750377600 $E sign app.manifest.sgx --libpal "$P3" --key "$K3" -o s2.sig
t_cmp "sign APP.manifest.sgx (SOURCE_DATE_EPOCH)" s2.sig "$V3/app.sig"
t_run "sign step 1" 0 $E sign app.manifest.sgx --libpal "$P3" --date 2025-06-20 --gendata "$TMP/g3.bin"
openssl dgst -sha256 -sign "$K3" -out "$TMP/s3.bin" "$TMP/g3.bin"
t_run "sign step 2" 0 $E sign app.manifest.sgx --libpal "$P3" --signature "$TMP/s3.bin" --pubkey "$TMP/pub.pem" \
	--unsigned "$TMP/g3.bin" -o s3.sig
t_cmp "sign two-step = one-step" s3.sig "$V3/app.sig"
t_run "sign --sign-command" 0 $E sign app.manifest --libpal "$P3" --date 2025-06-20 \
	--sign-command "openssl dgst -sha256 -sign $K3" --pubkey "$TMP/pub.pem" -o s4.sig
t_cmp "sign --sign-command = one-step" s4.sig "$V3/app.sig"
if [ -n "${MOD:-}" ]; then
	t_run "sign pkcs11" 0 $E sign app.manifest.sgx --libpal "$P3" --date 2025-06-20 \
		--key "pkcs11:token=ensign-test;object=gramine?pin-value=$PIN" --pkcs11-module "$MOD" -o s5.sig
	t_cmp "sign pkcs11 = one-step" s5.sig "$V3/app.sig"
fi
t_err "sign: bad manifest" 1 "bad.manifest.*Invalid value" sh -c "printf 'a = \n' > bad.manifest; $E sign bad.manifest --libpal $P3 --key $K3"
t_absent "sign: bad manifest leaves nothing" bad.manifest.sgx bad.sig

# ---- sigstruct-view: bad SIGSTRUCTs, and the old binary DATE ----
S="$G/cases/v06-cpu-features/expected/app.sig"
cd "$W" || exit 1
head -c 1000 "$S" > short.sig
t_err "view: short file" 1 "short.sig.*buffer len does not equal 1808" $E gramine-sgx-sigstruct-view short.sig
{ printf 'X'; tail -c +2 "$S"; } > hdr.sig
t_err "view: header" 1 "header value does not mach" $E gramine-sgx-sigstruct-view hdr.sig
# 2025-06-20 as old Gramine wrote it: day 20, month 6, year 2025 = 0x07e9
{ head -c 20 "$S"; printf '\024\006\351\007'; tail -c +25 "$S"; } > old.sig
t_run "view: binary DATE" 0 $E gramine-sgx-sigstruct-view -v old.sig
grep -q '^    date: 2025-06-20$' "$TMP/out" && grep -q 'date_encoding: binary' "$TMP/out" && t_ok || t_bad "old date decoded" "$(cat "$TMP/out")"
grep -q 'old binary encoding' "$TMP/err" && t_ok || t_bad "old date noted on stderr"
t_run "view: binary DATE json" 0 $E gramine-sgx-sigstruct-view --output-format json old.sig
grep -q '"date": "2025-06-20",' "$TMP/out" && grep -q '"date_encoding": "binary' "$TMP/out" && t_ok || t_bad "old date json" "$(cat "$TMP/out")"
t_run "view: binary DATE toml" 0 $E gramine-sgx-sigstruct-view --output-format toml old.sig
grep -q '^date = "2025-06-20"$' "$TMP/out" && t_ok || t_bad "old date toml" "$(cat "$TMP/out")"
t_done
