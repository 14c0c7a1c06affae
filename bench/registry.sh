#!/bin/sh
# make bench, registry row (issue 15): re-signing an image whose base layer is
# 1 GiB (the enclave in a small top layer) registry to registry, against
# skopeo copy of the same image between the same registries, in one run:
# same registry (blobs mounted) and two registries (blobs copied). Wall time
# of whole processes; bytes uploaded by ensign against the new layer +
# configuration + manifest. Usage: sh bench/registry.sh BUILD [MiB]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MIB=${2:-1024}
E="$BUILD/ensign"
for t in docker-registry skopeo python3; do
	command -v $t >/dev/null || { echo "registry bench: $t missing, skipped"; exit 0; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/ensign-regbench.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; for p in $PIDS; do wait $p 2>/dev/null; done; rm -rf "$W"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
reg() {	# NAME PORT
	printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/%s\nhttp:\n  addr: 127.0.0.1:%s\n  secret: bench\n' "$W" "$1" "$2" >"$W/$1.yml"
	docker-registry serve "$W/$1.yml" >"$W/$1.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $2))" 2>/dev/null && return; sleep 0.1; done
	echo "registry $1 did not start"; cat "$W/$1.log"; exit 1
}
PA=$(port); reg a "$PA"; PB=$(port); reg b "$PB"
A=127.0.0.1:$PA B=127.0.0.1:$PB
# the image: an OCI layout with a plain-tar layer holding MIB MiB of random
# bytes, and a top layer holding the signed application (streamed, no copy in memory)
mkdir -p "$W/top/opt/app"
"$E" sign --date 2024-01-31 -o "$W/top/opt/app/hello" "$BUILD/examples/hello" >/dev/null 2>&1
python3 - "$W" "$MIB" <<'PY'
import hashlib, io, json, os, sys, tarfile
w, mib = sys.argv[1], int(sys.argv[2])
lay = os.path.join(w, "img"); os.makedirs(os.path.join(lay, "blobs", "sha256"))
def put_file(path):
    h = hashlib.sha256(); n = 0
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b); n += len(b)
    d = h.hexdigest(); os.rename(path, os.path.join(lay, "blobs", "sha256", d)); return "sha256:" + d, n
def put(data):
    p = os.path.join(lay, "tmp"); open(p, "wb").write(data); return put_file(p)
class Rand(io.RawIOBase):
    def __init__(s, n): s.n = n
    def readable(s): return True
    def readinto(s, b):
        k = min(len(b), s.n); b[:k] = os.urandom(k); s.n -= k; return k
big = os.path.join(w, "big.tar")
with tarfile.open(big, "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("data/blob"); ti.size = mib << 20
    t.addfile(ti, io.BufferedReader(Rand(ti.size), 1 << 20))
small = os.path.join(w, "small.tar")
with tarfile.open(small, "w", format=tarfile.PAX_FORMAT) as t:
    t.add(os.path.join(w, "top", "opt"), "opt")
layers = [put_file(big), put_file(small)]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [d for d, _ in layers]},
                  "history": [{"created_by": "bench"}, {"created_by": "bench"}]}).encode()
cd, cn = put(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n}
                             for d, n in layers]}).encode()
md, mn = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]},
          open(os.path.join(lay, "index.json"), "w"))
open(os.path.join(lay, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$W/policy.json"
S="skopeo --policy $W/policy.json"
$S copy -q --dest-tls-verify=false "oci:$W/img:v1" "docker://$A/bench/src:v1"
K="$W/key.pem"; cp tests/vectors/core/sgxs-tools_tests_data_sig1.key.pem "$K"; chmod 600 "$K"
now() { python3 -c 'import time; print(time.monotonic())'; }
wall() { t0=$(now); "$@" >"$W/last.out" 2>"$W/last.err" || { cat "$W/last.err"; exit 1; }; t1=$(now); echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}'; }
row() {	# LABEL DST-REGISTRY TAG
	te=$(wall "$E" container sign --quiet --tls-verify=false "docker://$A/bench/src:v1" "docker://$2/bench/ens$3:v1" \
		--key "$K" --memory-model all --date 2024-01-31)
	up=$(sed -n 's/^uploaded \([0-9]*\) bytes.*/\1/p' "$W/last.out")
	how=$(sed -n 's/^uploaded [0-9]* bytes, //p' "$W/last.out")
	new=$(python3 - "$2" "$3" <<'PY'
import json, sys, urllib.request
q = urllib.request.Request("http://%s/v2/bench/ens%s/manifests/v1" % (sys.argv[1], sys.argv[2]),
    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
b = urllib.request.urlopen(q).read(); m = json.loads(b)
print(m["layers"][-1]["size"] + m["config"]["size"] + len(b))
PY
)
	ts=$(wall $S copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$A/bench/src:v1" "docker://$2/bench/sko$3:v1")
	awk -v l="$1" -v e="$te" -v s="$ts" -v u="$up" -v n="$new" -v h="$how" 'BEGIN {
		printf "| %s | ensign container sign %.2f s | skopeo copy %.2f s | ratio %.2f (target <= 1.2) | uploaded %d bytes (%s), new layer+config+manifest %d bytes |\n",
			l, e, s, e / s, u, h, n }'
}
echo "== registry: re-sign an image with a $MIB MiB base layer, registry to registry, against skopeo copy (wall time)"
row "same registry ($MIB MiB layer)" "$A" 1
row "two registries ($MIB MiB layer)" "$B" 2
