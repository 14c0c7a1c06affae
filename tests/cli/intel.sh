#!/bin/sh
# Intel SGX SDK enclaves: sgx_sign sign/gendata/catsig/dump byte-identical to
# sgx_sign 2.26, -resign, verify/info, every config cross-check and ELF rejection.
. "$(dirname "$0")/lib.sh"
V="$TV/intel-sdk"
W="$TMP/w"
mkdir -p "$W"
cp "$V"/*.so "$V"/*.xml "$V"/*.pem "$V"/*.bin "$W/"
cp -r "$V/sgx-beginner-sample" "$W/bs"
chmod -R u+w "$W"
cd "$W" || exit 1
SGX="$ENSIGN sgx_sign"
export SOURCE_DATE_EPOCH=1795392000

# flip FILE OFFSET: xor one byte with 0x01
flip() { b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '); printf "$(printf '\\%03o' $((b ^ 1)))" |
	dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# poke FILE OFFSET BYTE(decimal)
poke() { printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
off_of() { grep -obUaP "$2" "$1" | head -n1 | cut -d: -f1; }

# 1. sign: 2 enclaves x 6 configurations, output file, -cssfile and -dumpfile
for e in mini_enclave mini_enclave_tls; do
	for c in default c1_multi_tcs c2_edmm c3_sgx2only_kss c4_static c5_elrange; do
		cfg=""; [ "$c" = default ] || cfg="-config $c.xml"
		rm -f o.so o.css o.txt
		t_run "sign $e.$c" 0 $SGX sign -key enclave_private_test_key.pem -enclave $e.so $cfg -out o.so \
			-cssfile o.css -dumpfile o.txt
		t_cmp "sign $e.$c .so" o.so "$e.$c.signed.so"
		t_cmp "sign $e.$c -cssfile" o.css "$e.$c.css.bin"
		t_cmp "sign $e.$c -dumpfile" o.txt "$V/$e.$c.dump.txt"
		t_run "verify $e.$c" 0 "$ENSIGN" verify "$e.$c.signed.so"
		$SGX dump -enclave "$e.$c.signed.so" -dumpfile d.txt -cssfile d.css 2>/dev/null
		t_cmp "dump $e.$c" d.txt "$V/$e.$c.dump.txt"
		t_cmp "dump -cssfile $e.$c" d.css "$e.$c.css.bin"
	done
done
# the personality under its own name
ln -s "$ENSIGN" sgx_sign
rm -f o.so
t_run "argv[0] sgx_sign" 0 ./sgx_sign sign -key enclave_private_test_key.pem -enclave mini_enclave.so -out o.so
t_cmp "argv[0] sgx_sign output" o.so mini_enclave.default.signed.so
# --date wins over SOURCE_DATE_EPOCH
rm -f o.so
t_run "sign --date" 0 $SGX sign -key enclave_private_test_key.pem -enclave mini_enclave.so -out o.so -date 2026-11-23
SOURCE_DATE_EPOCH=0 $SGX sign -key enclave_private_test_key.pem -enclave mini_enclave.so -out o2.so -date 2026-11-23 2>/dev/null
t_cmp "sign --date output" o2.so mini_enclave.default.signed.so

# 2. two-step signing
rm -f g.bin c.so
t_run "gendata" 0 $SGX gendata -enclave mini_enclave.so -config c1_multi_tcs.xml -out g.bin
t_cmp "gendata output" g.bin mini_enclave.c1_multi_tcs.gendata.bin
t_run "catsig" 0 env -u SOURCE_DATE_EPOCH $SGX catsig -enclave mini_enclave.so -config c1_multi_tcs.xml \
	-key enclave_public_test_key.pem -sig mini_enclave.c1_multi_tcs.sig.bin \
	-unsigned mini_enclave.c1_multi_tcs.gendata.bin -out c.so
t_cmp "catsig output" c.so mini_enclave.c1_multi_tcs.catsig.signed.so
t_cmp "catsig = sign" c.so mini_enclave.c1_multi_tcs.signed.so
rm -f c.so
t_err "catsig with another config" 1 "doesn't match" $SGX catsig -enclave mini_enclave.so -config c4_static.xml \
	-key enclave_public_test_key.pem -sig mini_enclave.c1_multi_tcs.sig.bin \
	-unsigned mini_enclave.c1_multi_tcs.gendata.bin -out c.so
t_absent "catsig failure leaves nothing" c.so
cp mini_enclave.c1_multi_tcs.sig.bin bad.sig; flip bad.sig 100
t_err "catsig bad signature" 1 "signature" $SGX catsig -enclave mini_enclave.so -config c1_multi_tcs.xml \
	-key enclave_public_test_key.pem -sig bad.sig -unsigned mini_enclave.c1_multi_tcs.gendata.bin -out c.so
t_absent "catsig bad signature leaves nothing" c.so

# 3. the 2019 third-party enclave (metadata 2.4/2.1/1.4)
t_run "verify 2019 enclave" 0 "$ENSIGN" verify bs/enclave.signed.so
t_run "dump 2019" 0 $SGX dump -enclave bs/enclave.signed.so -dumpfile d.txt -cssfile d.css
t_cmp "dump 2019 text" d.txt bs/enclave.signed.dump.txt
t_cmp "dump 2019 css" d.css bs/enclave.signed.css.bin
rm -f r.so
t_run "resign 2019 with its key and date" 0 $SGX sign -resign -key bs/Enclave_private.pem -enclave bs/enclave.signed.so \
	-out r.so -date 2019-03-19
t_cmp "resign 2019 reproduces the file" r.so bs/enclave.signed.so
t_run "sign unsigned 2019 (SDK 2.4)" 0 $SGX sign -key bs/Enclave_private.pem -enclave bs/enclave.so \
	-config bs/Enclave.config.xml -out r2.so -date 2019-03-19 -dumpfile r2.txt -cssfile r2.css
t_cmp "sign unsigned 2019 = its sgx_sign 2.4 output" r2.so bs/enclave.signed.so
t_cmp "sign unsigned 2019: dump" r2.txt bs/enclave.signed.dump.txt
t_cmp "sign unsigned 2019: css" r2.css bs/enclave.signed.css.bin
grep -q "SDK 2.4 (family D)" "$TMP/err" && t_ok || t_bad "sign names the detected SDK 2.4"
rm -f r2.so
t_run "resign 2019 with -config rebuilds as sgx_sign 2.4" 0 $SGX sign -resign -key bs/Enclave_private.pem \
	-enclave bs/enclave.signed.so -config bs/Enclave.config.xml -out r2.so -date 2019-03-19
t_cmp "resign 2019 with -config output" r2.so bs/enclave.signed.so
# re-sign with another key: MRENCLAVE kept, only SIGSTRUCT changes
rm -f r3.so
t_run "resign with another key" 0 $SGX sign -resign -key enclave_private_test_key.pem -enclave bs/enclave.signed.so -out r3.so
t_run "verify resigned" 0 "$ENSIGN" verify r3.so
t_eq "resign keeps MRENCLAVE" "$("$ENSIGN" measure r3.so 2>/dev/null)" "6ba4ebb243bf6993c7ec2b9737d18f4dd4cbea968b37b351ece0c2aaa4b232f4"
t_eq "resign changes only SIGSTRUCTs" "$(cmp -l r3.so bs/enclave.signed.so | awk '{o=$1-1; if (!((o>=193689&&o<195497)||(o>=198457&&o<200265)||(o>=203225&&o<205033))) n++} END{print n+0}')" 0
rm -f rc.so
t_run "resign with -config rebuilds like sgx_sign" 0 $SGX sign -resign -key enclave_private_test_key.pem \
	-enclave mini_enclave.default.signed.so -config c1_multi_tcs.xml -out rc.so
t_cmp "resign with -config output" rc.so mini_enclave.c1_multi_tcs.signed.so
t_err "signed input needs -resign" 1 "already signed.*-resign" $SGX sign -key enclave_private_test_key.pem \
	-enclave mini_enclave.default.signed.so -out x.so

# 4. verify fails naming the cause
cp mini_enclave.default.signed.so t1.so; flip t1.so 4096
t_err "verify: measured page changed" 1 "MRENCLAVE mismatch" "$ENSIGN" verify t1.so
cp mini_enclave.default.signed.so t2.so; flip t2.so $((14633 + 0x1088 - 11 * 32 + 32 + 4))
t_err "verify: layout table changed" 1 "MRENCLAVE mismatch" "$ENSIGN" verify t2.so
cp mini_enclave.default.signed.so t3.so; flip t3.so $((14697 + 516 + 7))
t_err "verify: signature changed" 1 "SIGSTRUCT: .*signature" "$ENSIGN" verify t3.so
cp mini_enclave.default.signed.so t4.so; flip t4.so $((14633 + 20))
t_err "verify: metadata tcs_policy changed" 1 "tcs_policy" "$ENSIGN" verify t4.so
cp mini_enclave.c2_edmm.signed.so t5.so; flip t5.so $((19825 + 36))
t_err "verify: compatible block changed" 1 "block 1" "$ENSIGN" verify t5.so
t_err "verify: unsigned enclave" 1 "not signed" "$ENSIGN" verify mini_enclave.so
t_run "info" 0 "$ENSIGN" info mini_enclave.c2_edmm.signed.so
grep -q "THREAD_GROUP_DYN" "$TMP/out" && t_ok || t_bad "info shows the layout"
t_run "info --json" 0 "$ENSIGN" info --json mini_enclave.c2_edmm.signed.so
grep -q '"mrenclave": "3a79c78b54909f40b15df0c85d98382ac2701b37594fac75bf1a770ac544bdb6"' "$TMP/out" && t_ok ||
	t_bad "info --json mrenclave"
t_eq "measure" "$("$ENSIGN" measure mini_enclave.c5_elrange.signed.so 2>/dev/null)" \
	35aa2e510003480ef409d213cf5f9868a587f13e0a65ab9b74c30a7e40961a5c

# 5. Enclave.config.xml: syntax, ranges and every cross-check
cfg() { printf '<EnclaveConfiguration>%s</EnclaveConfiguration>\n' "$1" > x.xml; }
bad_cfg() { cfg "$2"; rm -f x.so
	t_err "config: $1" 1 "$3" $SGX sign -key enclave_private_test_key.pem -enclave mini_enclave.so -config x.xml -out x.so
	t_absent "config: $1 leaves nothing" x.so; }
bad_cfg "heap order" "<HeapMinSize>0x2000</HeapMinSize><HeapMaxSize>0x1000</HeapMaxSize>" "HeapMinSize .* <= HeapInitSize"
bad_cfg "heap init above max" "<HeapInitSize>0x3000</HeapInitSize><HeapMaxSize>0x2000</HeapMaxSize>" "HeapInitSize"
bad_cfg "reserved order" "<ReservedMemMinSize>0x2000</ReservedMemMinSize><ReservedMemMaxSize>0x1000</ReservedMemMaxSize>" "ReservedMemMinSize"
bad_cfg "stack order" "<StackMinSize>0x4000</StackMinSize><StackMaxSize>0x2000</StackMaxSize>" "StackMinSize .* must not exceed"
bad_cfg "page alignment" "<HeapMaxSize>0x1001</HeapMaxSize>" "HeapMaxSize 0x1001 is not a multiple of 4096"
bad_cfg "HW without LaunchKey" "<HW>1</HW>" "HW .* exactly when LaunchKey"
bad_cfg "LaunchKey without HW" "<LaunchKey>1</LaunchKey>" "HW .* exactly when LaunchKey"
bad_cfg "TCSMaxNum below TCSNum" "<TCSNum>4</TCSNum><TCSMaxNum>2</TCSMaxNum>" "TCSMaxNum \\(2\\) must be at least TCSNum"
bad_cfg "TCSMinPool above TCSNum" "<TCSNum>2</TCSNum><TCSMinPool>3</TCSMinPool>" "TCSMinPool \\(3\\) must not exceed TCSNum"
bad_cfg "TCSMinPool above TCSMaxNum" "<TCSNum>2</TCSNum><TCSMaxNum>3</TCSMaxNum><TCSMinPool>4</TCSMinPool>" "must not exceed TCSMaxNum"
bad_cfg "KSS ids need EnableKSS" "<ISVFAMILYID_H>1</ISVFAMILYID_H>" "ISVFAMILYID_H requires EnableKSS"
bad_cfg "EXTPRODID needs EnableKSS" "<ISVEXTPRODID_L>1</ISVEXTPRODID_L>" "ISVEXTPRODID_L requires EnableKSS"
bad_cfg "ELRANGE needs size" "<EnclaveImageAddress>0x100000</EnclaveImageAddress>" "require ELRangeSize"
bad_cfg "ELRANGE power of two" "<ELRangeSize>0x3000</ELRangeSize><EnclaveImageAddress>0x1000</EnclaveImageAddress>" "not a power of two"
bad_cfg "ELRANGE alignment" "<ELRangeSize>0x10000000</ELRangeSize><EnclaveImageAddress>0x1000</EnclaveImageAddress><ELRangeStartAddress>0x1000</ELRangeStartAddress>" "not aligned to ELRangeSize"
bad_cfg "ELRANGE page-aligned" "<ELRangeSize>0x10000000</ELRangeSize><EnclaveImageAddress>0x1001</EnclaveImageAddress>" "page-aligned"
bad_cfg "ELRANGE start above image" "<ELRangeSize>0x10000000</ELRangeSize><EnclaveImageAddress>0x1000</EnclaveImageAddress><ELRangeStartAddress>0x10000000</ELRangeStartAddress>" "above EnclaveImageAddress"
bad_cfg "ELRANGE image outside" "<ELRangeSize>0x10000</ELRangeSize><EnclaveImageAddress>0x1000</EnclaveImageAddress>" "does not fit"
bad_cfg "both FIPS" "<EnableIPPFIPS>1</EnableIPPFIPS><EnableOSSLFIPS>1</EnableOSSLFIPS>" "exclusive"
bad_cfg "UserRegionSize needs MiscSelect" "<UserRegionSize>0x1000</UserRegionSize>" "UserRegionSize requires MiscSelect\\[0\\] and MiscMask\\[0\\]"
bad_cfg "unknown element" "<Foo>1</Foo>" "unknown element <Foo>"
bad_cfg "repeated element" "<ProdID>1</ProdID><ProdID>2</ProdID>" "given twice"
bad_cfg "negative value" "<ProdID>-1</ProdID>" "not a non-negative number"
bad_cfg "empty value" "<ProdID></ProdID>" "not a non-negative number"
bad_cfg "out of range" "<ProdID>0x10000</ProdID>" "ProdID 0x10000 out of range"
bad_cfg "TCSNum zero" "<TCSNum>0</TCSNum>" "TCSNum 0x0 out of range"
bad_cfg "attribute" "<ProdID a=\"1\">1</ProdID>" "attributes"
printf '<Other/>' > x.xml
t_err "config: root element" 1 "root element" $SGX sign -key enclave_private_test_key.pem -enclave mini_enclave.so -config x.xml -out x.so
printf '<EnclaveConfiguration>' > x.xml
t_err "config: malformed XML" 1 "not well-formed" $SGX sign -key enclave_private_test_key.pem -enclave mini_enclave.so -config x.xml -out x.so
# hex, decimal and leading-zero octal all mean the same number
for v in 0x12 18 022; do
	cfg "<ProdID>$v</ProdID><StackMaxSize>0x2000</StackMaxSize><HeapMaxSize>0x2000</HeapMaxSize>"
	$SGX sign -key enclave_private_test_key.pem -enclave mini_enclave.so -config x.xml -out "p$v.so" -cssfile "p$v.css" 2>/dev/null
done
t_eq "ProdID octal 022 = 18" "$(od -An -tu2 -j1024 -N2 p022.css | tr -d ' ')" 18
t_cmp "ProdID 0x12 = 18 = 022" p0x12.css p18.css

# 6. ELF rejections, one message each
elf_bad() { rm -f x.so; t_err "elf: $1" 1 "$2" $SGX sign -key enclave_private_test_key.pem -enclave "$3" -out x.so
	t_absent "elf: $1 leaves nothing" x.so; }
elf_bad "not an ELF" "is a text file, not an Intel SGX SDK enclave" c1_multi_tcs.xml
cp mini_enclave.so e1.so; poke e1.so 16 2
elf_bad "not ET_DYN" "is not ET_DYN" e1.so
cp mini_enclave.so e2.so; poke e2.so 18 40
elf_bad "wrong machine" "machine 40 is not x86-64" e2.so
cp mini_enclave.so e3.so; poke e3.so "$(off_of e3.so '\.note\.sgxmeta')" 120
elf_bad "no .note.sgxmeta" "no .note.sgxmeta" e3.so
cp mini_enclave.so e4.so; poke e4.so "$(off_of e4.so 'g_global_data')" 120
elf_bad "no g_global_data" "no 'g_global_data'" e4.so
cp mini_enclave.so e5.so; poke e5.so $((64 + 2 * 56 + 4)) 0
elf_bad "flagless segment" "segment 2 has no R/W/X flag" e5.so
cp mini_enclave.so e6.so; poke e6.so $((64 + 3 * 56 + 48 + 1)) 1
elf_bad "segment alignment" "alignment 0x100 is not a multiple of 4096" e6.so
cp mini_enclave.so e7.so; poke e7.so "$(off_of e7.so 'sgx_metadata')" 120
elf_bad "note name" "does not hold an 'sgx_metadata' note" e7.so
# a different SDK version with the same global-data size: warn and sign
cp mini_enclave.so e8.so; poke e8.so "$(off_of e8.so '\x64\x00\x1a\x00\x02\x00\x00\x00')" 99
rm -f x.so
t_err "other SDK version, same layout: warning" 0 "warning: .*SDK 2.26.99" $SGX sign -key enclave_private_test_key.pem -enclave e8.so -out x.so
t_run "other SDK version: verify" 0 "$ENSIGN" verify x.so

# 7. command-line rules
t_err "usage: missing -key" 2 "needs option '-key'" $SGX sign -enclave mini_enclave.so -out x.so
t_err "usage: -sig invalid with sign" 2 "not valid with 'sign'" $SGX sign -enclave mini_enclave.so -out x.so -key enclave_private_test_key.pem -sig a
t_err "usage: repeated option" 2 "given twice" $SGX sign -enclave mini_enclave.so -enclave mini_enclave.so -out x.so -key k
t_err "usage: value starting with -" 2 "needs a value" $SGX sign -enclave -x -out x.so -key k
t_err "usage: same path twice" 2 "name the same file" $SGX sign -enclave mini_enclave.so -out mini_enclave.so -key enclave_private_test_key.pem
t_err "usage: -config invalid with dump" 2 "not valid with 'dump'" $SGX dump -enclave mini_enclave.so -dumpfile d -config c1_multi_tcs.xml
t_err "usage: unknown command" 2 "unknown command" $SGX frob
t_run "-help" 0 $SGX -help
t_run "-version" 0 $SGX -version
t_err "catsig: private key refused" 1 "." $SGX catsig -enclave mini_enclave.so -config c1_multi_tcs.xml \
	-key enclave_private_test_key.pem -sig mini_enclave.c1_multi_tcs.sig.bin -unsigned mini_enclave.c1_multi_tcs.gendata.bin -out c.so
t_done
