#!/bin/sh
# Intel SGX SDK 2.4 ... 2.22 enclaves (docs: intel-sdk-versions.md): sign,
# gendata, catsig, dump and -resign byte-identical to that SDK's own sgx_sign
# (vectors made with real sgx_sign builds, signed on 2026-12-03); version
# detection and its refusals; verify/info name the SDK and metadata versions.
. "$(dirname "$0")/lib.sh"
V="$TV/intel-sdk-versions"
W="$TMP/w"
mkdir -p "$W"
cp -r "$V/." "$W/"
chmod -R u+w "$W"
chmod 600 "$W/versions_test_key.pem"
cd "$W" || exit 1
SGX="$ENSIGN sgx_sign"
export SOURCE_DATE_EPOCH=1796256000	# 2026-12-03
# outside_css GOT WANT: bytes that differ outside the SIGSTRUCTs of WANT's metadata blocks
outside_css() { offs=$("$ENSIGN" info "$2" | sed -n 's/^metadata block [0-9]*: .* at file offset \(0x[0-9a-f]*\),.*/\1/p' |
	while read -r o; do printf '%d ' "$o"; done)
	cmp -l "$1" "$2" | awk -v offs="$offs" 'BEGIN{n=split(offs,a," ")} {p=$1-1; in_css=0
		for (i=1;i<=n;i++) if (p>=a[i]+64 && p<a[i]+64+1808) in_css=1; if (!in_css) c++} END{print c+0}'; }
poke() { printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
off_of() { grep -obUaP "$2" "$1" | head -n1 | cut -d: -f1; }

# 1. every vector: sign (+dump, css), gendata, catsig, dump, resign, verify, info
for x in 2.4 2.7 2.9.1 2.14 2.17 2.19 2.22; do
	cd "$W/$x" || exit 1
	e=synth_enclave_$x.so o=synth_enclave_$x.c1_threads
	rm -f got.*
	t_run "$x sign" 0 $SGX sign -key ../versions_test_key.pem -enclave $e -config ../c1_threads.xml \
		-out got.signed.so -dumpfile got.dump.txt -cssfile got.css.bin
	grep -q "INFO: SDK $x " "$TMP/err" && t_ok || t_bad "$x sign names SDK $x" "$(head -c 200 "$TMP/err")"
	t_cmp "$x signed.so" got.signed.so $o.signed.so
	t_cmp "$x dumpfile" got.dump.txt $o.dump.txt
	t_cmp "$x cssfile" got.css.bin $o.css.bin
	t_run "$x gendata" 0 $SGX gendata -enclave $e -config ../c1_threads.xml -out got.gendata.bin
	t_cmp "$x gendata.bin" got.gendata.bin $o.gendata.bin
	openssl dgst -sha256 -sign ../versions_test_key.pem -out got.sig $o.gendata.bin
	t_run "$x catsig" 0 env -u SOURCE_DATE_EPOCH $SGX catsig -enclave $e -config ../c1_threads.xml \
		-key ../versions_test_key.pub.pem -sig got.sig -unsigned $o.gendata.bin -out got.catsig.so
	t_cmp "$x catsig output" got.catsig.so $o.signed.so
	t_run "$x dump" 0 $SGX dump -enclave $o.signed.so -dumpfile got.d.txt -cssfile got.d.css
	t_cmp "$x dump text" got.d.txt $o.dump.txt
	t_cmp "$x dump css" got.d.css $o.css.bin
	t_run "$x resign -config" 0 $SGX sign -resign -key ../versions_test_key.pem -enclave $o.signed.so \
		-config ../c1_threads.xml -out got.r1.so
	t_cmp "$x resign -config rebuilds" got.r1.so $o.signed.so
	t_run "$x resign (own metadata)" 0 $SGX sign -resign -key ../versions_test_key.pem -enclave $o.signed.so \
		-out got.r2.so
	t_cmp "$x resign keeps the metadata" got.r2.so $o.signed.so
	t_run "$x verify" 0 "$ENSIGN" verify $o.signed.so
	grep -q "^SDK $x (family" "$TMP/out" && t_ok || t_bad "$x verify names the SDK" "$(grep SDK "$TMP/out")"
	t_run "$x info" 0 "$ENSIGN" info $o.signed.so
	grep -q "^SDK: $x (family" "$TMP/out" && t_ok || t_bad "$x info names the SDK"
	t_run "$x info --json" 0 "$ENSIGN" info --json $o.signed.so
	grep -q "\"sdk_version\": \"$x\"" "$TMP/out" && t_ok || t_bad "$x info --json sdk_version"
	case $x in 2.19|2.22) want="1.4" ;; *) want="2.4, 2.1, 1.4" ;; esac
	"$ENSIGN" info $o.signed.so | grep -q "versions $want\$" && t_ok || t_bad "$x info metadata versions $want"
done
cd "$W" || exit 1

# 2. verify still names the cause of a change in an old-format file
cp 2.4/synth_enclave_2.4.c1_threads.signed.so t1.so
m=$(( $(off_of t1.so 'sgx_metadata') + 13 ))
poke t1.so $((m + 0x760 + 72 + 1488 + 8 + 128 + 4)) 7	# layout entry 0 page_count
t_err "verify 2.4: layout changed" 1 "MRENCLAVE mismatch" "$ENSIGN" verify t1.so
cp 2.4/synth_enclave_2.4.c1_threads.signed.so t2.so
poke t2.so $((m + 0x12c0 + 20)) 1	# tcs_policy of the 2.1 copy
t_err "verify 2.4: compatible block changed" 1 "block 1.*(differs|tcs_policy)" "$ENSIGN" verify t2.so
cp 2.4/synth_enclave_2.4.c1_threads.signed.so t4.so
poke t4.so $((m + 20)) 1	# tcs_policy of block 0 (the 1488-byte g_global_data says 0)
t_err "verify 2.4: tcs_policy changed" 1 "block 0 .*tcs_policy 1 differs from g_global_data's 0" "$ENSIGN" verify t4.so
cp 2.4/synth_enclave_2.4.c1_threads.signed.so t3.so
poke t3.so $((m + 0x5000 - 16)) 0x5a	# beyond the chain: not read by the loader
t_run "verify: bytes after the chain are not an error" 0 "$ENSIGN" verify t3.so
t_run "info reports bytes after the chain" 0 "$ENSIGN" info t3.so
grep -q "1 non-zero byte(s) after the metadata chain" "$TMP/out" && t_ok || t_bad "info: bytes after the chain"

# 3. detection: contradictory or missing evidence, --sdk-version
gd() { off_of "$1" '\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03'; }
cp 2.4/synth_enclave_2.4.so nostr.so
s=$(off_of nostr.so 'SGX_TSTDC_VERSION_'); poke nostr.so "$s" 0x58	# XGX_TSTDC...
t_err "1488 bytes, no version string: cannot tell" 1 "cannot tell .*1488 bytes.*no SGX_TSTDC_VERSION_.*--sdk-version" \
	$SGX sign -key versions_test_key.pem -enclave nostr.so -config c1_threads.xml -out x.so
t_absent "cannot tell: nothing written" x.so
t_run "--sdk-version 2.4" 0 $SGX sign -key versions_test_key.pem -enclave nostr.so -config c1_threads.xml \
	-out x.so --sdk-version 2.4
t_eq "--sdk-version 2.4: only the version string and the SIGSTRUCTs differ" \
	"$(outside_css x.so 2.4/synth_enclave_2.4.c1_threads.signed.so)" 1
t_err "--sdk-version not a release" 2 "not an SDK release" $SGX sign -key versions_test_key.pem -enclave nostr.so \
	-out y.so --sdk-version 2.99
cp 2.7/synth_enclave_2.7.so f.so
s=$(off_of f.so 'SGX_TSTDC_VERSION_'); poke f.so "$s" 0x58
rm -f x.so
t_run "1632 bytes, no string: family F decides" 0 $SGX sign -key versions_test_key.pem -enclave f.so \
	-config c1_threads.xml -out x.so
t_eq "family F output" "$(outside_css x.so 2.7/synth_enclave_2.7.c1_threads.signed.so)" 1
cp 2.9.1/synth_enclave_2.9.1.so c.so
o=$(off_of c.so '\x65\x00\x09\x00\x02\x00\x00\x00')	# VERSION_UINT 2.9.101
poke c.so $((o + 2)) 14; poke c.so "$o" 100	# -> 2.14.100, but 1656 bytes
t_err "VERSION_UINT contradicts the size" 1 "cannot tell .*1656 bytes.*VERSION_UINT 2.14" $SGX sign \
	-key versions_test_key.pem -enclave c.so -config c1_threads.xml -out x2.so
t_run "--sdk-version settles a contradiction" 0 $SGX sign -key versions_test_key.pem -enclave c.so \
	-config c1_threads.xml -out x2.so --sdk-version 2.9.1
t_eq "--sdk-version 2.9.1 output (g_global_data is patched over: same MRENCLAVE)" \
	"$(cmp -l x2.so 2.9.1/synth_enclave_2.9.1.c1_threads.signed.so | wc -l | tr -d ' ')" 2
t_err "--sdk-version with the wrong size" 1 "1656 bytes.*SDK 2.22.*1760" $SGX sign -key versions_test_key.pem \
	-enclave c.so -out x3.so --sdk-version 2.22
cp 2.17/synth_enclave_2.17.so s.so
s=$(off_of s.so 'SGX_TSTDC_VERSION_2.17'); poke s.so $((s + 21)) 0x35	# string says 2.15
t_run "string contradicts VERSION_UINT: g_global_data decides" 0 $SGX sign -key versions_test_key.pem \
	-enclave s.so -config c1_threads.xml -out x4.so
grep -q "warning: .*version string says 2.15.*2.17" "$TMP/err" && t_ok || t_bad "string contradiction warns" "$(head -c 300 "$TMP/err")"

t_err "32-bit enclave: refused naming its SDK" 1 "32-bit enclave \(SDK 2\.4, SGX_TSTDC_VERSION_2\.4\.100\.48163\): signing is not supported" \
	$SGX sign -key versions_test_key.pem -enclave ens_elf32/synth_enclave_2.4_elf32.so -out x7.so --sdk-version 2.4
t_absent "32-bit refusal writes nothing" x7.so

# 4. configuration keys the SDK did not know
k() { printf '<EnclaveConfiguration>%s</EnclaveConfiguration>\n' "$1" > k.xml; }
k '<PKRU>1</PKRU>'
t_err "PKRU unknown to 2.14" 1 "<PKRU> .*unknown to the sgx_sign of SDK 2.14.*came with SDK 2.16" \
	$SGX sign -key versions_test_key.pem -enclave 2.14/synth_enclave_2.14.so -config k.xml -out x5.so
k '<ReservedMemMaxSize>0x10000</ReservedMemMaxSize>'
t_err "ReservedMem* unknown to 2.7" 1 "<ReservedMemMaxSize> .*SDK 2.7.*spells the key <RsrvMaxSize>" \
	$SGX sign -key versions_test_key.pem -enclave 2.7/synth_enclave_2.7.so -config k.xml -out x5.so
k '<RsrvMaxSize>0x10000</RsrvMaxSize>'
t_err "Rsrv* unknown to 2.9.1" 1 "<RsrvMaxSize> .*SDK 2.9.1.*<ReservedMemMaxSize>" \
	$SGX sign -key versions_test_key.pem -enclave 2.9.1/synth_enclave_2.9.1.so -config k.xml -out x5.so
k '<EnableKSS>1</EnableKSS>'
t_run "EnableKSS known to 2.4" 0 $SGX sign -key versions_test_key.pem -enclave 2.4/synth_enclave_2.4.so -config k.xml -out x6.so
k '<EnableAEXNotify>1</EnableAEXNotify>'
t_err "EnableAEXNotify unknown to 2.19" 1 "unknown to the sgx_sign of SDK 2.19.*2.20" \
	$SGX sign -key versions_test_key.pem -enclave 2.19/synth_enclave_2.19.so -config k.xml -out x5.so
k '<StackMaxSize>0x4000000000</StackMaxSize>'
t_err "stack size above 2.4's maximum" 1 "StackMaxSize 0x4000000000 out of range .*for SDK 2.4" \
	$SGX sign -key versions_test_key.pem -enclave 2.4/synth_enclave_2.4.so -config k.xml -out x5.so
t_absent "refused configurations write nothing" x5.so

# 5. features of the families signed and re-measured (no vector: structure + verify)
k '<RsrvMinSize>0x1000</RsrvMinSize><RsrvInitSize>0x3000</RsrvInitSize><RsrvMaxSize>0x8000</RsrvMaxSize>'
t_run "2.7 reserved memory" 0 $SGX sign -key versions_test_key.pem -enclave 2.7/synth_enclave_2.7.so -config k.xml -out r.so
t_run "2.7 reserved memory: verify" 0 "$ENSIGN" verify r.so
"$ENSIGN" info r.so > i.txt
sed -n '/block 0/,/block 1/p' i.txt | grep -E "^    [A-Z]" | tail -n 1 | grep -q "RSRV_MAX .*pages=3965 " && t_ok ||
	t_bad "2.7: padding merged into RSRV_MAX (no trailing GUARD)"
k '<ELRangeStartAddress>0x0</ELRangeStartAddress><EnclaveImageAddress>0x100000</EnclaveImageAddress><ELRangeSize>0x10000000</ELRangeSize>'
t_run "2.14 ELRANGE" 0 $SGX sign -key versions_test_key.pem -enclave 2.14/synth_enclave_2.14.so -config k.xml -out el.so
t_run "2.14 ELRANGE: verify" 0 "$ENSIGN" verify el.so
grep -q "metadata versions 12.4, 11.4$" "$TMP/out" && t_ok || t_bad "2.14 ELRANGE: blocks 12.4 and 11.4 (no 2.1 copy)"
"$ENSIGN" info el.so | grep -q "TCS .*coff=0x780" && t_ok || t_bad "2.14 ELRANGE: TCS template at 0x780"

# 6. families without vectors (ens_*.xml are ensign's, not Intel's): sign as the
# release on an enclave of its g_global_data size, re-measure every block
cp "$TV/intel-sdk/mini_enclave.so" mini.so
while read -r enc ver cfg want; do
	f=$enc/synth_enclave_$enc.so
	[ "$enc" = mini ] && f=mini.so
	rm -f w.so
	t_run "SDK $ver ($cfg) sign" 0 $SGX sign -key versions_test_key.pem -enclave "$f" -config "$cfg" -out w.so \
		--sdk-version "$ver"
	t_run "SDK $ver ($cfg) verify" 0 "$ENSIGN" verify w.so
	grep -q "^metadata versions $want\$" "$TMP/out" && t_ok || t_bad "SDK $ver ($cfg) writes $want" "$(grep versions "$TMP/out")"
done <<'LIST'
2.4 2.0 c1_threads.xml 2.1, 1.4
2.4 2.1 c1_threads.xml 2.2, 2.1, 1.4
2.4 2.1.3 c1_threads.xml 2.3, 2.1, 1.4
2.4 2.3 c1_threads.xml 2.3, 2.1, 1.4
2.4 2.5 c1_threads.xml 2.4, 2.1, 1.4
2.9.1 2.10 c1_threads.xml 2.4, 2.1, 1.4
2.14 2.16 c1_threads.xml 2.4, 2.1, 1.4
2.17 2.17 ens_elrange.xml 12.4, 11.4
2.17 2.18 ens_edmm.xml 3.0, 1.4
2.17 2.18 ens_user_region.xml 3.0
2.19 2.19 ens_edmm.xml 3.0, 1.4
2.19 2.19 ens_user_region.xml 3.0
2.19 2.19 ens_elrange.xml 13.0, 11.4
2.22 2.20 ens_user_region.xml 3.0
2.22 2.22 ens_elrange.xml 13.1, 11.4
2.22 2.23 ens_edmm.xml 3.1, 1.4
2.22 2.24 ens_edmm.xml 3.2, 1.5
mini 2.25 ens_user_region.xml 3.2
LIST
# 2.0 - 2.1.1 dump format: first block, then only a 1.x block, as "metadata2->", no MRSIGNER
$SGX sign -key versions_test_key.pem -enclave 2.4/synth_enclave_2.4.so -config c1_threads.xml -out o20.so \
	--sdk-version 2.0 -dumpfile o20.txt 2>/dev/null
t_eq "2.0 dump: header" "$(head -n 2 o20.txt | tr '\n' '|')" "The metadata information:|=========================|"
t_eq "2.0 dump: the 1.4 block as metadata2" "$(grep -c '^metadata2->version: 0x100000004$' o20.txt)" 1
t_eq "2.0 dump: no MRSIGNER" "$(grep -c mrsigner o20.txt)" 0
t_run "2.1 dump of a 2.2/2.1/1.4 chain" 0 $SGX dump -enclave 2.4/synth_enclave_2.4.c1_threads.signed.so -dumpfile o21.txt \
	--sdk-version 2.1
t_eq "2.1 dump: the 2.1 copy is not printed" "$(grep -c '^metadata2->' o21.txt)" 0
t_done
