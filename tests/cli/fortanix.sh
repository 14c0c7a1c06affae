#!/bin/sh
# Fortanix EDP flow: elf2sgxs, append, info on SGXS, run --check-only.
# Byte-identical against the real tools' outputs (tests/vectors/fortanix),
# one test per rejected ELF condition (tests/fortanix/asm/enclave.S knobs).
. "$(dirname "$0")/lib.sh"
FV="$TV/fortanix"
ASM="$TOP/tests/fortanix/asm/enclave.S"
W="$TMP/w"; mkdir -p "$W"; cp "$FV"/* "$W"/; chmod u+w "$W"/*; cd "$W" || exit 1

# ---- elf2sgxs: byte-identical ----
t_run "elf2sgxs sized" 0 "$ENSIGN" elf2sgxs t.elf --heap-size 0x20000 --stack-size 0x20000 --threads 2 --debug -o o1.sgxs
t_cmp "elf2sgxs sized bytes" o1.sgxs sized.sgxs
t_run "elf2sgxs nodebug" 0 "$ENSIGN" elf2sgxs t.elf --heap-size 0x20000 --stack-size 0x20000 --threads 2 -o o2.sgxs
t_cmp "elf2sgxs nodebug bytes" o2.sgxs nodebug.sgxs
t_run "elf2sgxs unsized" 0 "$ENSIGN" elf2sgxs t.elf --heap-size 0x20000 --stack-size 0x20000 --threads 2 --debug --unsized -o o3.sgxs
t_cmp "elf2sgxs unsized bytes" o3.sgxs unsized.sgxs
t_run "elf2sgxs seed" 0 "$ENSIGN" elf2sgxs t.elf -H 0x20000 -S 0x20000 -t 10 -d -o o4.sgxs
t_cmp "elf2sgxs seed bytes" o4.sgxs seed.sgxs
# the personality name and the default output name (t.elf -> t.sgxs)
ln -sf "$ENSIGN" ftxsgx-elf2sgxs
t_run "ftxsgx-elf2sgxs personality" 0 ./ftxsgx-elf2sgxs t.elf -H 131072 -S +0x20000 --threads 2 --debug
t_cmp "default output t.sgxs" t.sgxs sized.sgxs
t_run "elf2sgxs --library" 0 "$ENSIGN" elf2sgxs t.elf -H 0x20000 -S 0x20000 -t 2 --library -o lib.sgxs
if cmp -s lib.sgxs nodebug.sgxs; then t_bad "--library changes thread 1's TLS"; else t_ok; fi

# ---- elf2sgxs: option checks (up front, nothing written) ----
t_err "odd heap" 2 "heap-size.*multiple of the page size" "$ENSIGN" elf2sgxs t.elf -H 0x20001 -S 0x1000 -o bad.sgxs
t_err "odd stack" 2 "stack-size.*multiple of the page size" "$ENSIGN" elf2sgxs t.elf -H 0x1000 -S 100 -o bad.sgxs
t_err "threads 0" 2 "threads must be at least 1" "$ENSIGN" elf2sgxs t.elf -H 0x1000 -S 0x1000 -t 0 -o bad.sgxs
t_err "ssaframesize 0" 2 "ssaframesize must be at least 1" "$ENSIGN" elf2sgxs t.elf -H 0x1000 -S 0x1000 --ssaframesize 0 -o bad.sgxs
t_err "upper-case 0X" 2 "invalid number" "$ENSIGN" elf2sgxs t.elf -H 0X1000 -S 0x1000 -o bad.sgxs
t_err "suffix" 2 "invalid number" "$ENSIGN" elf2sgxs t.elf -H 4k -S 0x1000 -o bad.sgxs
t_err "heap required" 2 "heap-size is required" "$ENSIGN" elf2sgxs t.elf -S 0x1000 -o bad.sgxs
t_absent "no output after option errors" bad.sgxs

# ---- elf2sgxs: every ELF rejection, from assembly ----
reject() { # reject NAME PATTERN: elf2sgxs refuses NAME.elf with that message, writes nothing
	t_err "reject $1" 1 "$2" "$ENSIGN" elf2sgxs "$1.elf" -H 0x1000 -S 0x1000 -o "$1.sgxs"
	t_absent "reject $1: no output" "$1.sgxs"
}
LD="ld -pie --no-dynamic-linker -z text -z norelro --eh-frame-hdr --hash-style=both -e sgx_entry --export-dynamic"
if command -v as >/dev/null && command -v ld >/dev/null; then
	build() { # build NAME KNOB [ld options...]: NAME.elf from enclave.S with --defsym KNOB=1
		n=$1 k=$2; shift 2
		as --defsym "$k=1" "$ASM" -o "$n.o" && "$@" "$n.o" -o "$n.elf"
	}
	as "$ASM" -o base.o && $LD base.o -o base.elf
	t_cmp "enclave.S without knobs is t.elf" base.elf t.elf
	build no_note NO_NOTE $LD;                       reject no_note "section '.note.x86_64-fortanix-unknown-sgx'.*not found"
	build note_name BAD_NOTE_NAME $LD;               reject note_name "name is not 'toolchain-version'"
	build note_version BAD_NOTE_VERSION $LD;         reject note_version "unsupported toolchain version 2"
	build no_heap_size NO_HEAP_SIZE $LD;             reject no_heap_size "required dynamic symbol 'HEAP_SIZE' not found"
	build debug_size WRONG_DEBUG_SIZE $LD;           reject debug_size "symbol 'DEBUG' has size 8, expected 1"
	build misaligned MISALIGNED_ENCLAVE_SIZE $LD;    reject misaligned "'ENCLAVE_SIZE' at 0x[0-9a-f]+ is not 8-byte aligned"
	build in_bss PATCH_IN_BSS $LD;                   reject in_bss "'HEAP_BASE' .* reaches past the file data"
	build undef UNDEFINED_SYMBOL $LD --unresolved-symbols=ignore-all; reject undef "undefined dynamic symbol 'missing_function'"
	build init INIT_ARRAY $LD;                       reject init "dynamic section has DT_INIT_ARRAY"
	build rel_ro RELOC_IN_RODATA ld -pie --no-dynamic-linker -z notext -z norelro --eh-frame-hdr --hash-style=both -e sgx_entry --export-dynamic
	reject rel_ro "relocation 0 at 0x[0-9a-f]+ is not inside a writable segment"
	build abs_reloc ABSOLUTE_RELOC ld -shared -z text -z norelro --eh-frame-hdr --hash-style=both
	reject abs_reloc "relocation 1 .* is of type 1 .*only R_X86_64_RELATIVE"
	$LD --no-eh-frame-hdr base.o -o no_ehhdr.elf;    reject no_ehhdr "section '.eh_frame_hdr' not found"
	$LD -z noseparate-code base.o -o exec_first.elf; reject exec_first "first page must not be executable"
	# .text_no_sgx: cut when it ends its segment, NOP-filled otherwise
	build cut TEXT_NO_SGX $LD
	t_run "text_no_sgx cut" 0 "$ENSIGN" elf2sgxs cut.elf -H 0x1000 -S 0x1000 -o cut.sgxs
	"$ENSIGN" info --pages cut.sgxs >"$TMP/pages" 2>&1
	t_eq "text_no_sgx cut: page 0x2000 not loaded" "$(grep -c '^0x000000002000 ' "$TMP/pages")" 0
	t_eq "text_no_sgx cut: page 0x1000 loaded" "$(grep -c '^0x000000001000  REG  r-x' "$TMP/pages")" 1
	t_eq "text_no_sgx cut: stripped bytes are zero" "$(tr -dc '\314' <cut.sgxs | wc -c)" 0
	build mid TEXT_NO_SGX_MID $LD
	t_run "text_no_sgx nop" 0 "$ENSIGN" elf2sgxs mid.elf -H 0x1000 -S 0x1000 -o mid.sgxs
	t_eq "text_no_sgx nop: no 0xcc left" "$(tr -dc '\314' <mid.sgxs | wc -c)" 0
	t_eq "text_no_sgx nop: 16 NOPs before the next code" \
		"$(od -An -tx1 -v mid.sgxs | tr -d '\n' | grep -c '0f 01 d7 \(90 \)\{16\}c3')" 1
	printf '.text\n.global sgx_entry\nsgx_entry: ret\n' >e32.S
	if as --32 e32.S -o e32.o 2>/dev/null && ld -m elf_i386 -pie --no-dynamic-linker -e sgx_entry e32.o -o elf32.elf 2>/dev/null; then
		reject elf32 "only 64-bit ELF is supported"
	else t_skip "elf32" "no 32-bit binutils"; fi
else
	t_skip "asm-built ELF rejections" "as/ld not installed"
fi

# Byte patches of t.elf for what the linker will not produce.
patch() { # patch IN OUT OFFSET HEXBYTES (OUT may be IN)
	[ "$1" = "$2" ] || cp "$1" "$2"
	bytes=$4 esc=""
	while [ -n "$bytes" ]; do
		rest=${bytes#??}; esc="$esc\\$(printf %03o "0x${bytes%"$rest"}")"; bytes=$rest
	done
	printf "$esc" | dd of="$2" bs=1 seek="$3" conv=notrunc 2>/dev/null
}
patch t.elf no_dynamic.elf 288 00000000          # program header 4: PT_DYNAMIC -> PT_NULL
reject no_dynamic "no PT_DYNAMIC program header"
patch t.elf relacount.elf $((0x2160 + 8)) 02     # DT_RELACOUNT 1 -> 2
reject relacount "1 relocations found but DT_RELACOUNT is 2"
patch t.elf overlap.elf $((64 + 2*56 + 16)) 0018 # segment 2 vaddr 0x2000 -> 0x1800 (shares a page)
reject overlap "must be in ascending order and never share a page"
patch t.elf class32.elf 4 01                    # EI_CLASS = ELFCLASS32
reject class32 "only 64-bit ELF|not an ELF"
head -c 3000 t.elf >truncated.elf;              reject truncated "."
head -c 100 t.elf >tiny.elf;                    reject tiny "."
printf 'not an elf at all' >garbage.elf;        reject garbage "is a text file, not a Fortanix EDP enclave"
: >empty.elf;                                   reject empty "."

# ---- append ----
cp unsized.sgxs a1.sgxs
t_run "append finalize" 0 "$ENSIGN" append -i a1.sgxs
t_cmp "append finalize bytes" a1.sgxs sized.sgxs
cp unsized.sgxs a2.sgxs
t_run "append cfg" 0 "$ENSIGN" append -i a2.sgxs -rm cfg.txt
t_cmp "append cfg bytes" a2.sgxs withcfg.sgxs
t_err "append cfg warns about the partial page" 0 "page 0x8a000 is partially measured" "$ENSIGN" append unsized.sgxs -rm cfg.txt -o a3.sgxs
"$ENSIGN" append manual_unsized.sgxs -rwm blob1.bin -rw blob2.bin -rx blob3.bin --compat-permission-bug >pb.sgxs 2>"$TMP/err"
t_cmp "append --compat-permission-bug (stdout)" pb.sgxs manual_appended_permbug.sgxs
ln -sf "$ENSIGN" sgxs-append
t_run "sgxs-append personality -o" 0 ./sgxs-append manual_unsized.sgxs -rwm blob1.bin -rw blob2.bin -rx blob3.bin --compat-permission-bug -o pb2.sgxs
t_cmp "sgxs-append personality bytes" pb2.sgxs manual_appended_permbug.sgxs
t_err "append fixed permissions warn" 0 "page 0x3000 keeps the permissions of its data" \
	"$ENSIGN" append manual_unsized.sgxs -rwm blob1.bin -rw blob2.bin -rx blob3.bin -o fixed.sgxs
"$ENSIGN" info --pages fixed.sgxs >"$TMP/pages" 2>&1
t_eq "fixed: page 0x3000 is rw" "$(grep -c '^0x000000003000  REG  rw-  0x203' "$TMP/pages")" 1
t_eq "fixed: page 0x4000 is rx" "$(grep -c '^0x000000004000  REG  r-x  0x205' "$TMP/pages")" 1
t_eq "fixed MRENCLAVE differs from upstream's" \
	"$("$ENSIGN" measure fixed.sgxs | head -n1 | grep -c 6d30045adba61db40299b34677039b2b401b3e73e289b8d613b6045d088fca15)" 0
t_eq "permbug MRENCLAVE" "$("$ENSIGN" measure pb.sgxs | head -n1)" 6d30045adba61db40299b34677039b2b401b3e73e289b8d613b6045d088fca15
t_err "append to a sized file" 1 "can only append to unsized" "$ENSIGN" append sized.sgxs -o x.sgxs
t_err "append bad mode" 2 "invalid argument '-rq'" "$ENSIGN" append unsized.sgxs -rq cfg.txt -o x.sgxs
t_err "append -align hex" 2 "decimal power of two" "$ENSIGN" append unsized.sgxs -align 0x1000 -rm cfg.txt -o x.sgxs
t_err "append -align 3" 2 "decimal power of two" "$ENSIGN" append unsized.sgxs -align 3 -rm cfg.txt -o x.sgxs
t_err "append missing file" 1 "cannot open 'nope.bin'" "$ENSIGN" append unsized.sgxs -rm nope.bin -o x.sgxs
t_absent "append: no output after errors" x.sgxs
cp unsized.sgxs keep.sgxs
t_err "append -i keeps the input on error" 1 "nope.bin" "$ENSIGN" append -i keep.sgxs -rm cfg.txt -rm nope.bin
t_cmp "append -i input untouched" keep.sgxs unsized.sgxs
# -i keeps the file's mode; a file its mode makes read-only is refused, except to
# root, who gets a warning and the mode kept (Fortanix's sgxs-append writes it as root)
cp unsized.sgxs m600.sgxs; chmod 0600 m600.sgxs
t_run "append -i mode 0600" 0 "$ENSIGN" append -i m600.sgxs
t_cmp "append -i mode 0600 bytes" m600.sgxs sized.sgxs
t_eq "append -i keeps mode 0600" "$(stat -c %a m600.sgxs)" 600
cp unsized.sgxs m751.sgxs; chmod 0751 m751.sgxs
t_run "append -i mode 0751" 0 ./sgxs-append -i m751.sgxs
t_eq "append -i keeps mode 0751" "$(stat -c %a m751.sgxs)" 751
mkdir rodir; cp unsized.sgxs rodir/ro.sgxs; chmod 0444 rodir/ro.sgxs; chmod 0555 rodir
if [ "$(id -u)" -eq 0 ]; then
	t_err "append -i as root: a 0444 file in a read-only directory, with a warning" 0 "'rodir/ro.sgxs' is read-only \(mode 0444\); replacing it as root" \
		"$ENSIGN" append -i rodir/ro.sgxs
	t_cmp "append -i as root: read-only file appended" rodir/ro.sgxs sized.sgxs
	t_eq "append -i as root: read-only file keeps 0444" "$(stat -c %a rodir/ro.sgxs)" 444
	t_absent "append -i as root: no temporary left" rodir/ro.sgxs.x
	if command -v setpriv >/dev/null; then
		d=$(mktemp -d /tmp/ensign-ro.XXXXXX); chmod 0755 "$d"; cp unsized.sgxs "$d/ro.sgxs"; chmod 0444 "$d/ro.sgxs"
		chown -R 65534:65534 "$d"; cp "$ENSIGN" "$d/ensign"; chmod 0755 "$d/ensign"
		t_err "append -i as another user refuses its own 0444 file" 1 "is read-only \(mode 0444\): append -i does not replace it" \
			setpriv --reuid=65534 --regid=65534 --clear-groups "$d/ensign" append -i "$d/ro.sgxs"
		t_cmp "append -i: refused file untouched" "$d/ro.sgxs" unsized.sgxs
		rm -rf "$d"
	fi
else
	t_err "append -i refuses a 0444 file in a read-only directory" 1 "'rodir/ro.sgxs' is read-only \(mode 0444\)" \
		"$ENSIGN" append -i rodir/ro.sgxs
	t_cmp "append -i: read-only file untouched" rodir/ro.sgxs unsized.sgxs
fi
chmod 0755 rodir
t_err "append -i on a directory" 1 "not a regular file" "$ENSIGN" append -i rodir
t_run "append -align then file" 0 "$ENSIGN" append unsized.sgxs -rwm cfg.txt -align 65536 -rm cfg.txt -o al.sgxs
"$ENSIGN" info --pages al.sgxs >"$TMP/pages" 2>&1
t_eq "-align 65536 places the second file at 0x90000" "$(grep -c '^0x000000090000  REG  r--' "$TMP/pages")" 1

# ---- info ----
"$ENSIGN" info sized.sgxs >"$TMP/info" 2>&1
t_eq "info mrenclave" "$(grep -c 'mrenclave: *471554745bad5497053506c7acdb1137e5e2e1004cd97eb50497a7253b3d6bf4' "$TMP/info")" 1
t_eq "info pages" "$(grep -c 'pages: *106 (2 TCS)' "$TMP/info")" 1
t_eq "info size" "$(grep -c 'size: *0x100000' "$TMP/info")" 1
"$ENSIGN" info --json manual_appended_permbug.sgxs >"$TMP/j" 2>&1
t_eq "info --json partial pages" "$(grep -c '"partially_measured": 1' "$TMP/j")" 1
t_eq "info --json mrenclave (UNMEASRD skipped)" "$(grep -c '6d30045adba61db40299b34677039b2b401b3e73e289b8d613b6045d088fca15' "$TMP/j")" 1
if command -v python3 >/dev/null; then
	"$ENSIGN" info --json --pages sized.sgxs | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["pages_list"])==106' \
		&& t_ok || t_bad "info --json --pages is valid JSON with 106 pages"
fi
"$ENSIGN" info unsized.sgxs >"$TMP/info" 2>&1
t_eq "info on unsized" "$(grep -c 'size slot at 0x2020' "$TMP/info")" 1

# ---- MRENCLAVE in record order (sgxs-format.md §1.2 rule 6, §1.3) ----
# Chunks of a page in any order and UNMEASRD interleaved; each expected value
# is openssl's SHA-256 of the file with the UNMEASRD records removed.
KO=sgxs-tools_tests_data_sig1.key.pem
mr_of() { python3 "$TOP/tests/helpers/sgxs_measured.py" "$1" | openssl dgst -sha256 -r | cut -c1-64; }
ehash() { od -An -tx1 -j960 -N32 "$1" | tr -d ' \n'; }
python3 "$TOP/tests/helpers/sgxs_reorder.py" sized.sgxs shuf.sgxs 1
python3 "$TOP/tests/helpers/sgxs_reorder.py" sized.sgxs unm.sgxs 2 3
python3 "$TOP/tests/helpers/sgxs_reorder.py" seed.sgxs shuf2.sgxs 3 5
asc=$(openssl dgst -sha256 -r sized.sgxs | cut -c1-64)
if cmp -s shuf.sgxs sized.sgxs || [ "$(mr_of shuf.sgxs)" = "$asc" ]; then t_bad "reordered file differs from sized.sgxs"; else t_ok; fi
t_eq "record order: no UNMEASRD, hash of the file" "$(mr_of shuf.sgxs)" "$(openssl dgst -sha256 -r shuf.sgxs | cut -c1-64)"
t_eq "record order: UNMEASRD present" "$(grep -ao UNMEASRD unm.sgxs | wc -l)" 42
for f in shuf unm shuf2; do
	want=$(mr_of $f.sgxs)
	t_eq "measure $f (file order)" "$("$ENSIGN" measure $f.sgxs 2>/dev/null | head -n1)" "$want"
	"$ENSIGN" sign --key $KO --date 20240101 $f.sgxs -o $f.sign.sig >/dev/null 2>&1
	t_eq "sign $f: ENCLAVEHASH in file order" "$(ehash $f.sign.sig)" "$want"
	"$ENSIGN" sgxs-sign --key $KO --date 20240101 $f.sgxs $f.ftx.sig >/dev/null 2>&1
	t_eq "sgxs-sign $f: ENCLAVEHASH in file order" "$(ehash $f.ftx.sig)" "$want"
	t_run "verify $f against its file" 0 "$ENSIGN" verify --sig $f.ftx.sig $f.sgxs
	t_run "verify $f --mrenclave" 0 "$ENSIGN" verify --sig $f.ftx.sig --mrenclave "$want"
done
t_run "verify: the ascending-order signature does not match the reordered file" 1 \
	"$ENSIGN" verify --sig sized.sig shuf.sgxs
grep -q "the SIGSTRUCT says $asc, the enclave measures $(mr_of shuf.sgxs)" "$TMP/out" && t_ok || t_bad "verify names both values" 
# run --check-only: the Linux driver measures a page's chunks in ascending
# order, i.e. the enclave of sized.sgxs; both values and the SIGSTRUCT's named.
t_err "run: sgxs-sign of a reordered file fails EINIT on the driver" 1 \
	"out of chunk order: MRENCLAVE in file order $(mr_of shuf.sgxs), as loaded by the Linux driver \(ascending chunks\) $asc; the SIGSTRUCT holds the file-order value" \
	env ENSIGN_XCR0=0x7 "$ENSIGN" run --check-only --sig shuf.ftx.sig shuf.sgxs
grep -q "ENCLAVEHASH.*InvalidMeasurement" "$TMP/err" && t_ok || t_bad "run: reordered file reports InvalidMeasurement"
t_err "run: a signature of the driver's value passes, with a warning" 0 \
	"out of chunk order: MRENCLAVE in file order $(mr_of shuf.sgxs), as loaded by the Linux driver \(ascending chunks\) $asc; the SIGSTRUCT holds the driver's value" \
	env ENSIGN_XCR0=0x7 "$ENSIGN" run --check-only --sig sized.sig shuf.sgxs
t_eq "run: both values printed" "$(grep -c "^mrenclave: *$(mr_of shuf.sgxs)\|^as loaded: *$asc" "$TMP/out")" 2
t_run "run: in-memory signature is of the driver's value" 0 env ENSIGN_XCR0=0x7 "$ENSIGN" run --check-only -s dummy shuf.sgxs

# ---- run --check-only ----
export ENSIGN_XCR0=0x7	# a fixed CPU for the XFRM checks (x87, SSE, AVX)
t_run "run valid sized" 0 "$ENSIGN" run --check-only sized.sgxs
t_run "run valid seed" 0 "$ENSIGN" run --check-only seed.sgxs
t_run "run valid sgx_detect (production)" 0 "$ENSIGN" run --check-only sgx_detect_test_enclave.sgxs
t_run "run valid report" 0 "$ENSIGN" run --check-only --sig report_defaults.sig report-test_enclave_report.sgxs
t_err "run dummy signature" 0 "signed in memory with the built-in debug key" "$ENSIGN" run --check-only nodebug.sgxs
t_err "run dummy refuses production" 1 "built-in debug key is never used for production" "$ENSIGN" run --check-only --production nodebug.sgxs
t_err "run wrong MRENCLAVE" 1 "ENCLAVEHASH.*InvalidMeasurement" "$ENSIGN" run --check-only --sig sized.sig nodebug.sgxs
patch sized.sig badsig.sig $((516 + 40)) 55
t_err "run corrupted signature" 1 "SIGSTRUCT signature" "$ENSIGN" run --check-only --sig badsig.sig sized.sgxs
patch sized.sig badq1.sig $((1040 + 7)) 00
t_err "run bad Q1" 1 "SIGSTRUCT Q1" "$ENSIGN" run --check-only --sig badq1.sig sized.sgxs
patch sized.sig badq2.sig $((1424 + 3)) 00
t_err "run bad Q2" 1 "SIGSTRUCT Q2" "$ENSIGN" run --check-only --sig badq2.sig sized.sgxs
K=sgxs-tools_tests_data_sig1.key.pem
"$ENSIGN" sgxs-sign --key $K sized.sgxs prod.sig -a 0x4/0 --date 20240101 >/dev/null 2>&1
t_run "run production-only signature" 0 "$ENSIGN" run --check-only --sig prod.sig sized.sgxs
t_err "run DEBUG outside the mask" 1 "ATTRIBUTES bit 1 \(DEBUG\).*SECS would have it set but the SIGSTRUCT requires it clear" \
	"$ENSIGN" run --check-only --debug --sig prod.sig sized.sgxs
"$ENSIGN" sgxs-sign --key $K sized.sgxs pt.sig -x 0x103/0 --date 20240101 >/dev/null 2>&1
t_err "run XFRM the CPU lacks (bit 8)" 1 "XFRM bit 8 .* is not enabled on this CPU" "$ENSIGN" run --check-only --sig pt.sig sized.sgxs
t_err "run XFRM AVX on a CPU without it" 1 "XFRM bit 2 \(AVX.* is not enabled on this CPU" env ENSIGN_XCR0=0x3 "$ENSIGN" run --check-only sized.sgxs
"$ENSIGN" sgxs-sign --key $K sized.sgxs big.sig -d -x 0x60003/0 --date 20240101 >/dev/null 2>&1
t_err "run XFRM too big for the SSA frame" 1 "needs an SSA frame of 11192 bytes .* but SSAFRAMESIZE is 1" env ENSIGN_XCR0=0x60003 "$ENSIGN" run --check-only --sig big.sig sized.sgxs
patch sized.sgxs badtcs.sgxs $((30208 + 24)) 01   # TCS 0x55000: CSSA = 1
t_err "run TCS CSSA" 1 "TCS at 0x55000: CSSA is 1" "$ENSIGN" run --check-only -s dummy badtcs.sgxs
patch sized.sgxs badossa.sgxs $((30208 + 16)) 10   # OSSA 0x56000 -> 0x56010
t_err "run TCS OSSA alignment" 1 "OSSA 0x56010 is not page-aligned" "$ENSIGN" run --check-only -s dummy badossa.sgxs
patch sized.sgxs badentry.sgxs $((30208 + 33)) 20  # OENTRY 0x1000 -> 0x2000 (read-only page)
t_err "run OENTRY not executable" 1 "OENTRY 0x2000 is not in an executable REG page" "$ENSIGN" run --check-only -s dummy badentry.sgxs
patch sized.sgxs badssa.sgxs $((30208 + 17)) 50    # OSSA 0x56000 -> 0x55000: the TCS itself
t_err "run SSA not writable REG" 1 "SSA page 0x55000 is not a readable and writable REG page" "$ENSIGN" run --check-only -s dummy badssa.sgxs
t_err "run refuses unsized" 1 "UNSIZED" "$ENSIGN" run --check-only unsized.sgxs
t_err "run refuses partial pages" 1 "partially measured" "$ENSIGN" run --check-only -s dummy withcfg.sgxs
if [ ! -e /dev/sgx_enclave ] && [ ! -e /dev/sgx/enclave ]; then
	t_err "run without SGX exits 3" 3 "SGX is not available on this host" "$ENSIGN" run sized.sgxs
else
	t_skip "run without SGX" "this host has an SGX device"
fi
ln -sf "$ENSIGN" ftxsgx-runner
t_run "ftxsgx-runner personality" 0 ./ftxsgx-runner --check-only sized.sgxs
t_done
