# Container images (issue 4): ensign container inspect|sign on images made
# with umoci and checked with skopeo and umoci: re-signed files, MRENCLAVE
# kept, new MRSIGNER, labels, memory models, whiteouts, the label list,
# docker-archive both ways, reproducible output, and every error leaving no DST.
. "$(dirname "$0")/lib.sh"

D=2024-01-31
EDIT="python3 $TOP/tests/container/oci_edit.py"
APP="$BUILD/examples/hello"
if ! command -v umoci >/dev/null || ! command -v skopeo >/dev/null || ! command -v python3 >/dev/null; then
	t_skip "container" "umoci, skopeo or python3 missing (scripts/install-deps.sh installs them)"; t_done; exit 0
fi
if [ ! -x "$APP" ]; then
	t_bad setup "$APP missing (run make build)"; t_done; exit 1
fi
cat >"$TMP/policy.json" <<'EOF'
{"default": [{"type": "insecureAcceptAnything"}]}
EOF
SKOPEO="skopeo --policy $TMP/policy.json"
cd "$TMP" || exit 1

# A fixed key with exponent 3; its MRSIGNER from openssl (modulus little-endian).
KEY="$TMP/key.pem"
cp "$TV/core/sgxs-tools_tests_data_sig1.key.pem" "$KEY" && chmod 600 "$KEY"
MRSIGNER=$(openssl rsa -in "$KEY" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' |
	python3 -c 'import sys,hashlib; print(hashlib.sha256(bytes.fromhex(sys.stdin.read().strip())[::-1]).hexdigest())')

# MRENCLAVEs of the application in its default configuration
S1=$("$ENSIGN" measure "$APP" | awk '$1=="sgx1"{print $2}')
S2=$("$ENSIGN" measure "$APP" | awk '$1=="sgx2"{print $2}')

# --- a source image: layer 1 has hello (signed, debug key), old (signed) and
# plain (unsigned); layer 2 deletes old (a whiteout); the label lists plain.
umoci init --layout img >/dev/null 2>&1 && umoci new --image img:latest >/dev/null 2>&1 &&
	umoci unpack --rootless --image img:latest b >/dev/null 2>&1
if [ ! -d b/rootfs ]; then
	t_skip "container" "umoci cannot create or unpack images here"; t_done; exit 0
fi
mkdir -p b/rootfs/opt/app b/rootfs/usr/bin
cp "$APP" b/rootfs/opt/app/plain
"$ENSIGN" sign --date $D -o b/rootfs/opt/app/hello "$APP" >/dev/null 2>&1
"$ENSIGN" sign --date $D --memory-model sgx1 -o b/rootfs/opt/app/old "$APP" >/dev/null 2>&1
echo "not an enclave" >b/rootfs/usr/bin/tool
t_run "umoci repack layer 1" 0 umoci repack --image img:latest b
t_run "umoci unpack layer 1" 0 umoci unpack --rootless --image img:latest b2
rm b2/rootfs/opt/app/old
t_run "umoci repack layer 2 (whiteout)" 0 umoci repack --image img:latest b2
t_run "label org.ensign.enclaves" 0 umoci config --image img:latest --config.label "org.ensign.enclaves=/opt/app/plain"
t_eq "source has 2 layers" "$($SKOPEO inspect oci:img:latest | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))')" 2

# --- inspect
t_run "inspect" 0 "$ENSIGN" container inspect oci:img
t_eq "inspect finds hello and plain, not the deleted old" "$(grep '^/' "$TMP/out" | tr '\n' ' ')" "/opt/app/hello /opt/app/plain "
t_eq "inspect hello sgx1" "$(awk '$1=="sgx1"{print $3; exit}' "$TMP/out")" "$S1"
t_eq "inspect plain not signed" "$(grep -c '  not signed' "$TMP/out")" 1
t_run "inspect --json" 0 "$ENSIGN" container inspect --json oci:img:latest
t_eq "inspect --json" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["enclaves"]; print(len(e), e[0]["sgx2"]["mrenclave"], e[1]["signed"], e[1]["listed"])' "$TMP/out")" "2 $S2 False True"

# --- sign, both models
t_run "sign all" 0 "$ENSIGN" container sign oci:img oci:oall:v1 --key "$KEY" --memory-model all --date $D --isvsvn 7
t_eq "sign prints MRENCLAVEs" "$(grep -c "^/opt/app/hello sgx[12] \($S1\|$S2\)$" "$TMP/out")" 2
t_eq "sign prints MRSIGNER" "$(awk '$1=="mrsigner"{print $2}' "$TMP/out")" "$MRSIGNER"
t_eq "no default notice with --memory-model" "$(grep -c 'no --memory-model' "$TMP/err")" 0
t_run "skopeo inspect output" 0 $SKOPEO inspect oci:oall:v1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["Labels"]
print(len(d["Layers"]), l.get("org.ensign.mrenclave.sgx1"), l.get("org.ensign.mrenclave.sgx2"), l.get("org.ensign.mrsigner"), l.get("org.ensign.enclaves"))' \
	"$TMP/out" >"$TMP/labels"
t_eq "layers and labels" "$(cat "$TMP/labels")" "3 $S1,$S1 $S2,$S2 $MRSIGNER /opt/app/plain"
t_run "umoci unpack output" 0 umoci unpack --rootless --image oall:v1 u1
for f in hello plain; do
	t_run "verify re-signed $f" 0 "$ENSIGN" verify "u1/rootfs/opt/app/$f"
	t_eq "$f: both models verify" "$(grep -c ' OK mrenclave ' "$TMP/out")" 2
	"$ENSIGN" info "u1/rootfs/opt/app/$f" >"$TMP/info" 2>&1
	t_eq "$f: new MRSIGNER" "$(awk '$1=="mrsigner:"{print $2}' "$TMP/info" | sort -u)" "$MRSIGNER"
	t_eq "$f: isvsvn" "$(awk '$1=="isvsvn:"{print $2}' "$TMP/info" | sort -u)" 7
	t_eq "$f: MRENCLAVE kept" "$(awk '$1=="mrenclave:"{print $2}' "$TMP/info" | tr '\n' ' ')" "$S1 $S2 "
done
t_eq "deleted file stays deleted" "$(test -e u1/rootfs/opt/app/old && echo present)" ""
t_eq "other files kept" "$(cat u1/rootfs/usr/bin/tool)" "not an enclave"
t_eq "mode kept" "$(stat -c %a u1/rootfs/opt/app/hello)" "$(stat -c %a b/rootfs/opt/app/hello)"
t_eq "program still runs" "$(u1/rootfs/opt/app/hello)" "hello from an ensign-signed application"
t_run "inspect output image" 0 "$ENSIGN" container inspect oci:oall:v1
t_eq "inspect output MRSIGNER" "$(awk '$1=="sgx1"||$1=="sgx2"{print $5}' "$TMP/out" | sort -u)" "$MRSIGNER"
t_eq "history entry" "$(python3 -c 'import json,sys,glob
for p in glob.glob("oall/blobs/sha256/*"):
    try: d=json.load(open(p))
    except Exception: continue
    if "history" in d: print(d["history"][-1]["created_by"], d["history"][-1]["created"])')" \
	"ensign container sign --memory-model all 2024-01-31T00:00:00Z"

# reproducible: same input, same bytes
t_run "sign again" 0 "$ENSIGN" container sign oci:img oci:oall2:v1 --key "$KEY" --memory-model all --date $D --isvsvn 7
t_cmp "same index.json" oall2/index.json oall/index.json

# --- one memory model
# --dest-tag (skopeo's spelling) tags a DST that names no tag; same image as DST:TAG
t_run "sign --dest-tag" 0 "$ENSIGN" container sign oci:img oci:odt --dest-tag v9 --key "$KEY" --memory-model all --date $D --isvsvn 7
t_eq "--dest-tag: the tag written" "$(grep -c '^tag v9$' "$TMP/out")" 1
t_eq "--dest-tag: same manifest as DST:TAG" "$(grep '^manifest ' "$TMP/out")" "$("$ENSIGN" container sign oci:img oci:odt2:v9 --key "$KEY" --memory-model all --date $D --isvsvn 7 2>/dev/null | grep '^manifest ')"
t_run "--dest-tag: umoci unpacks it under that tag" 0 umoci unpack --rootless --image odt:v9 udt
t_err "--dest-tag with a DST that names a tag" 2 "DST 'oci:odt:v1' already names the tag 'v1'" \
	"$ENSIGN" container sign oci:img oci:odt:v1 --dest-tag v9 --key "$KEY" --date $D
t_err "--dest-tag that is not a registry tag" 2 "is not a tag|has a character" \
	"$ENSIGN" container sign oci:img docker://127.0.0.1:1/app/x --dest-tag 'v$1' --key "$KEY" --date $D
t_run "sign sgx2" 0 "$ENSIGN" container sign oci:img oci:o2 --key "$KEY" --memory-model sgx2 --date $D
t_run "unpack sgx2" 0 umoci unpack --rootless --image o2:latest u2
t_run "verify sgx2" 0 "$ENSIGN" verify u2/rootfs/opt/app/hello
t_eq "only sgx2 left" "$(awk '{print $1}' "$TMP/out" | tr '\n' ' ')" "sgx2 "
t_eq "sgx2 labels" "$($SKOPEO inspect oci:o2 | python3 -c 'import json,sys; l=json.load(sys.stdin)["Labels"]; print("org.ensign.mrenclave.sgx1" in l, l["org.ensign.mrenclave.sgx2"])')" "False $S2,$S2"
t_run "sgx2 then sgx1 re-sign" 0 "$ENSIGN" container sign oci:o2 oci:o21 --key "$KEY" --memory-model sgx1 --date $D
t_eq "label of the dropped model removed" "$($SKOPEO inspect oci:o21 | python3 -c 'import json,sys; l=json.load(sys.stdin)["Labels"]; print("org.ensign.mrenclave.sgx2" in l, l["org.ensign.mrenclave.sgx1"])')" "False $S1,$S1"
t_run "default model" 0 "$ENSIGN" container sign oci:img oci:o1 --key "$KEY" --date $D
t_eq "default is sgx1 with a notice" "$(grep -c 'no --memory-model given: signing for sgx1' "$TMP/err") $(grep -c ' sgx2 ' "$TMP/out")" "1 0"
t_run "uncompressed layer" 0 "$ENSIGN" container sign oci:img oci:onone --key "$KEY" --memory-model all --date $D --isvsvn 7 --compression none
t_run "unpack uncompressed" 0 umoci unpack --rootless --image onone:latest un
t_cmp "same files either way" un/rootfs/opt/app/hello u1/rootfs/opt/app/hello
t_err "production with the debug key" 1 "debug key" "$ENSIGN" container sign oci:img oci:p --production --memory-model all
t_absent "production: no DST" p

# --- docker-archive, out and in, with skopeo
t_run "sign to docker-archive" 0 "$ENSIGN" container sign oci:img docker-archive:d.tar:example/app:v1 --key "$KEY" --memory-model all --date $D
t_run "skopeo reads it" 0 $SKOPEO copy docker-archive:d.tar oci:fromd:v1
t_run "inspect the copy" 0 "$ENSIGN" container inspect oci:fromd:v1
t_eq "copy MRSIGNER" "$(awk '$1=="sgx1"||$1=="sgx2"{print $5}' "$TMP/out" | sort -u)" "$MRSIGNER"
t_eq "RepoTags" "$(tar xOf d.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"])')" "['example/app:v1']"
t_run "skopeo writes docker-archive" 0 $SKOPEO copy oci:img:latest docker-archive:src.tar:example/src:v1
t_run "inspect docker-archive" 0 "$ENSIGN" container inspect docker-archive:src.tar
t_eq "docker-archive enclaves" "$(grep -c '^/opt/app/' "$TMP/out")" 2
t_run "sign docker-archive to oci" 0 "$ENSIGN" container sign docker-archive:src.tar:example/src:v1 oci:fromsrc --key "$KEY" --memory-model all --date $D --isvsvn 7
t_run "unpack it" 0 umoci unpack --rootless --image fromsrc:latest u3
t_cmp "same re-signed file" u3/rootfs/opt/app/hello u1/rootfs/opt/app/hello
# docker save 25 and later: blobs/sha256/<hex> members (config digest checked by name)
python3 - <<'PY'
import io, json, tarfile
src = tarfile.open("src.tar")
man = json.load(src.extractfile("manifest.json"))
out = tarfile.open("new.tar", "w")
def add(name, data):
    ti = tarfile.TarInfo(name); ti.size = len(data); out.addfile(ti, io.BytesIO(data))
names = {}
for m in [man[0]["Config"]] + man[0]["Layers"]:
    data = src.extractfile(m).read()
    names[m] = "blobs/sha256/" + m.split(".")[0]
    add(names[m], data)
man[0]["Config"] = names[man[0]["Config"]]
man[0]["Layers"] = [names[l] for l in man[0]["Layers"]]
add("manifest.json", json.dumps(man).encode())
out.close()
# the same with one byte of the configuration changed
cfg = src.extractfile([m for m in src.getnames() if m.endswith(".json") and m != "manifest.json"][0]).read()
out = tarfile.open("newbad.tar", "w")
for n in [man[0]["Config"]] + man[0]["Layers"]:
    d = cfg.replace(b'"amd64"', b'"AMD64"') if n == man[0]["Config"] else \
        tarfile.open("new.tar").extractfile(n).read()
    add(n, d)
add("manifest.json", json.dumps(man).encode())
out.close()
PY
t_run "inspect docker save 25 layout" 0 "$ENSIGN" container inspect docker-archive:new.tar
t_eq "docker save 25 enclaves" "$(grep -c '^/opt/app/' "$TMP/out")" 2
t_err "docker save 25 corrupted config" 1 "blobs/sha256/[0-9a-f]+' is corrupted" "$ENSIGN" container inspect docker-archive:newbad.tar
t_run "sign docker-archive to docker-archive" 0 "$ENSIGN" container sign docker-archive:src.tar docker-archive:dd.tar --key "$KEY" --memory-model sgx2 --date $D
t_run "skopeo round trip" 0 $SKOPEO copy docker-archive:dd.tar oci:rt:v1
t_run "umoci unpack round trip" 0 umoci unpack --rootless --image rt:v1 u4
t_run "verify round trip" 0 "$ENSIGN" verify u4/rootfs/opt/app/hello

# --- whiteouts made by hand: an opaque directory hides what lower layers had
# there, not what its own layer adds; a plain whiteout hides a directory
mkdir -p wl/opt/app && : >wl/opt/app/.wh..wh..opq && : >wl/.wh.usr && cp b/rootfs/opt/app/hello wl/opt/app/again
(cd wl && tar --numeric-owner --owner=0 --group=0 -cf ../wl.tar opt .wh.usr)
cp -r img imgw
t_run "add opaque layer" 0 $EDIT addlayer imgw latest wl.tar
t_err "label path under an opaque dir" 1 "'/opt/app/plain', listed in the label org.ensign.enclaves, is not a regular file" \
	"$ENSIGN" container inspect oci:imgw
t_run "relabel" 0 umoci config --image imgw:latest --config.label "org.ensign.enclaves=/opt/app/again"
t_run "inspect after whiteouts" 0 "$ENSIGN" container inspect oci:imgw
t_eq "only the new layer's file is left" "$(grep '^/' "$TMP/out" | tr '\n' ' ')" "/opt/app/again "
t_run "sign after whiteouts" 0 "$ENSIGN" container sign oci:imgw oci:ow --key "$KEY" --memory-model all --date $D
t_run "unpack after whiteouts" 0 umoci unpack --rootless --image ow:latest uw
t_eq "whited-out files absent" "$(ls uw/rootfs/opt/app | tr '\n' ' ')$(test -e uw/rootfs/usr && echo usr)" "again "
t_run "verify after whiteouts" 0 "$ENSIGN" verify uw/rootfs/opt/app/again
cp -r img imgl
t_run "label a non-enclave" 0 umoci config --image imgl:latest --config.label "org.ensign.enclaves=/opt/app/hello, /usr/bin/tool"
t_err "listed file that is no enclave" 1 "/usr/bin/tool" "$ENSIGN" container sign oci:imgl oci:x0 --key "$KEY" --memory-model all
t_absent "listed non-enclave: no DST" x0

# --- packages (issue 3) next to applications: one sgx1 SIGSTRUCT, config.json rules
mkdir -p pd/bin && cp "$APP" pd/bin/hello
printf '{"version":"0.1","Debug":true,"ApplicationPath":"/bin/hello","SecurityVersion":2,"MemorySize":"256k"}' >pc.json
t_run "make a package" 0 "$ENSIGN" package pd --config pc.json -o pk --date 20240131
PM=$(awk '$1=="mrenclave"{print $2}' "$TMP/out")
cp -r img imgp
t_run "unpack for the package" 0 umoci unpack --rootless --image imgp:latest bp
cp pk bp/rootfs/opt/app/pk
t_run "repack with the package" 0 umoci repack --image imgp:latest bp
t_run "inspect with a package" 0 "$ENSIGN" container inspect oci:imgp
t_eq "package listed" "$(grep -c '^/opt/app/pk (package)$' "$TMP/out") $(grep -A1 '^/opt/app/pk' "$TMP/out" | awk '$1=="sgx1"{print $3}')" "1 $PM"
t_run "sign with a package" 0 "$ENSIGN" container sign oci:imgp oci:op --key "$KEY" --memory-model all --date $D
t_eq "package signed for sgx1 only" "$(grep -c '^/opt/app/pk ' "$TMP/out") $(awk '$1=="/opt/app/pk"{print $2, $3}' "$TMP/out")" "1 sgx1 $PM"
t_run "unpack signed package" 0 umoci unpack --rootless --image op:latest up
t_run "verify package" 0 "$ENSIGN" verify up/rootfs/opt/app/pk
t_eq "package MRSIGNER" "$(awk '$1=="mrsigner:"{print $2}' "$TMP/out")" "$MRSIGNER"
t_eq "package labels" "$($SKOPEO inspect oci:op | python3 -c 'import json,sys; l=json.load(sys.stdin)["Labels"]; print(l["org.ensign.mrenclave.sgx1"], l["org.ensign.mrenclave.sgx2"])')" \
	"$S1,$PM,$S1 $S2,$S2"
t_err "package: sgx2 only" 1 "only the sgx1 layout" "$ENSIGN" container sign oci:imgp oci:xp --key "$KEY" --memory-model sgx2
t_err "package: --production with Debug" 2 "sets Debug: it cannot be signed with --production" "$ENSIGN" container sign oci:imgp oci:xp --key "$KEY" --memory-model all --production
t_err "package: other --isvsvn" 2 "sets SecurityVersion 2, not --isvsvn 7" "$ENSIGN" container sign oci:imgp oci:xp --key "$KEY" --memory-model all --isvsvn 7
t_absent "package errors: no DST" xp

# --- errors: clear message, exit 1, no DST
cp -r img bad1
LAYER=$(python3 -c 'import json,sys
i=json.load(open("bad1/index.json")); m=json.load(open("bad1/blobs/sha256/"+i["manifests"][0]["digest"][7:]))
print(m["layers"][0]["digest"][7:])')
printf 'X' | dd of="bad1/blobs/sha256/$LAYER" bs=1 seek=100 conv=notrunc 2>/dev/null
t_err "corrupted blob" 1 "is corrupted: its digest is sha256:" "$ENSIGN" container sign oci:bad1 oci:x1 --key "$KEY" --memory-model all
t_absent "corrupted: no DST" x1
cp -r img bad2
MAN=$(python3 -c 'import json; print(json.load(open("bad2/index.json"))["manifests"][0]["digest"][7:])')
rm "bad2/blobs/sha256/$MAN"
t_err "missing manifest" 1 "manifest sha256:$MAN is missing" "$ENSIGN" container sign oci:bad2 oci:x2 --key "$KEY" --memory-model all
t_absent "missing manifest: no DST" x2
umoci init --layout empty >/dev/null 2>&1 && umoci new --image empty:latest >/dev/null 2>&1
t_err "no enclave" 1 "no enclave in the image" "$ENSIGN" container sign oci:empty oci:x3 --key "$KEY" --memory-model all
t_absent "no enclave: no DST" x3
cp -r img bad4
t_run "set zstd media type" 0 $EDIT mediatype bad4 latest application/vnd.oci.image.layer.v1.tar+zstd
t_err "unsupported media type" 1 "unsupported media type 'application/vnd.oci.image.layer.v1.tar\+zstd'" "$ENSIGN" container sign oci:bad4 oci:x4 --key "$KEY" --memory-model all
t_absent "media type: no DST" x4
cp -r img bad5
t_run "set unknown layer media type" 0 $EDIT mediatype bad5 latest application/vnd.example.unknown
t_err "inspect: unsupported media type" 1 "unsupported media type 'application/vnd.example.unknown'" "$ENSIGN" container inspect oci:bad5
t_err "unknown tag" 1 "no manifest tagged 'nope'" "$ENSIGN" container inspect oci:img:nope
t_err "not a layout" 1 "not an OCI image layout" "$ENSIGN" container inspect oci:b
t_err "DST exists" 2 "already exists" "$ENSIGN" container sign oci:img oci:oall --key "$KEY" --memory-model all
t_err "DST is SRC" 2 "is the source" "$ENSIGN" container sign oci:img oci:img:other --key "$KEY" --memory-model all
t_err "corrupted docker archive" 1 "is corrupted" sh -c "cp d.tar bad.tar && python3 -c '
import sys,tarfile
t=tarfile.open(\"bad.tar\"); m=[x for x in t.getmembers() if x.name.endswith(\".tar\")][0]; off=m.offset_data+700
f=open(\"bad.tar\",\"r+b\"); f.seek(off); b=f.read(1); f.seek(off); f.write(bytes([b[0]^1]))' && \"$ENSIGN\" container sign docker-archive:bad.tar docker-archive:x5.tar --key \"$KEY\" --memory-model all"
t_absent "docker archive: no DST" x5.tar
t_err "bad reference" 2 "not an image reference" "$ENSIGN" container sign img oci:x6
t_err "bad model" 2 "is not sgx1, sgx2 or all" "$ENSIGN" container sign oci:img oci:x6 --memory-model sgx3
t_err "two-step refused" 2 "two-step signing is not available" "$ENSIGN" container sign oci:img oci:x6 --gendata g.bin --memory-model sgx1
t_err "no subcommand" 2 "no subcommand" "$ENSIGN" container
t_absent "usage errors: no DST" x6

t_done
