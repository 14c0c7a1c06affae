# Registries (issue 15): ensign container inspect|sign with docker:// against
# Debian's docker-registry (distribution 2.8) started here on 127.0.0.1 with
# temporary storage: plain HTTP; TLS with a CA made here and htpasswd basic
# auth (credentials from --creds, --authfile, REGISTRY_AUTH_FILE); skopeo as
# the peer (it pushes the source, pulls the result; umoci unpacks it, ensign
# verify accepts it); failures: wrong password, missing repository and tag,
# a blob whose bytes do not match its digest, 429 then success, a registry
# that dies mid-push (the destination tag is unchanged). Every registry and
# proxy started here is stopped at the end (trap), nothing is left running.
. "$(dirname "$0")/lib.sh"

D=2024-01-31
APP="$BUILD/examples/hello"
for t in docker-registry skopeo umoci openssl htpasswd python3; do
	if ! command -v $t >/dev/null; then
		t_skip "registry" "$t missing (scripts/install-deps.sh installs it)"; t_done; exit 0
	fi
done
PIDS=""
stop_all() { for p in $PIDS; do kill "$p" 2>/dev/null; done; for p in $PIDS; do wait "$p" 2>/dev/null; done; PIDS=""; }
trap 'stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
cd "$TMP" || exit 1
export ENSIGN_RETRY_DELAY_MS=50
unset REGISTRY_AUTH_FILE
export HOME="$TMP/home" XDG_RUNTIME_DIR="$TMP/xdg"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >policy.json
SKOPEO="skopeo --policy $TMP/policy.json"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_registry NAME PORT [extra yaml]: a registry with storage in $TMP/NAME; sets REG_PID
start_registry() {
	mkdir -p "$TMP/$1"
	{ printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/%s/store\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n  secret: ensign-test\n' "$TMP" "$1" "$2"; printf '%s' "${3:-}"; } >"$TMP/$1/config.yml"
	docker-registry serve "$TMP/$1/config.yml" >"$TMP/$1/log" 2>&1 &
	REG_PID=$!
	PIDS="$PIDS $REG_PID"
	# ready when it answers (any HTTP status) on /v2/
	for _ in $(seq 100); do
		python3 - "$2" "${4:-http}" <<'PY' 2>/dev/null && return 0
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
if sys.argv[2] == "https":
    c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
    s = c.wrap_socket(s)
s.sendall(b"GET /v2/ HTTP/1.0\r\n\r\n"); assert s.recv(12).startswith(b"HTTP/")
PY
		sleep 0.1
	done
	t_bad "start registry $1" "$(cat "$TMP/$1/log")"; return 1
}
# start_proxy MODE ARG UPSTREAM_PORT: sets PROXY_PORT
start_proxy() {
	rm -f "$TMP/proxy.port"
	python3 "$TOP/tests/container/regproxy.py" "$TMP/proxy.port" "$3" "$1" "$2" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -s "$TMP/proxy.port" ] && break; sleep 0.1; done
	PROXY_PORT=$(cat "$TMP/proxy.port")
}

# --- a source image (umoci): a signed application in one layer
KEY="$TMP/key.pem"
cp "$TV/core/sgxs-tools_tests_data_sig1.key.pem" "$KEY" && chmod 600 "$KEY"
MRSIGNER=$(openssl rsa -in "$KEY" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' |
	python3 -c 'import sys,hashlib; print(hashlib.sha256(bytes.fromhex(sys.stdin.read().strip())[::-1]).hexdigest())')
S1=$("$ENSIGN" measure "$APP" | awk '$1=="sgx1"{print $2}')
S2=$("$ENSIGN" measure "$APP" | awk '$1=="sgx2"{print $2}')
umoci init --layout img >/dev/null 2>&1 && umoci new --image img:latest >/dev/null 2>&1 &&
	umoci unpack --rootless --image img:latest b >/dev/null 2>&1
if [ ! -d b/rootfs ]; then
	t_skip "registry" "umoci cannot create or unpack images here"; t_done; exit 0
fi
mkdir -p b/rootfs/opt/app
"$ENSIGN" sign --date $D -o b/rootfs/opt/app/hello "$APP" >/dev/null 2>&1
head -c 300000 /dev/urandom >b/rootfs/opt/app/data
t_run "umoci repack" 0 umoci repack --image img:latest b

# ---- plain registry
P1=$(free_port)
start_registry plain "$P1" || { t_done; exit 1; }
PLAIN_PID=$REG_PID
R=127.0.0.1:$P1
t_run "skopeo pushes the source" 0 $SKOPEO copy --dest-tls-verify=false oci:img:latest docker://$R/app/src:v1
t_run "inspect docker://" 0 "$ENSIGN" container inspect --tls-verify=false docker://$R/app/src:v1
t_eq "inspect finds the enclave" "$(grep -c '^/opt/app/hello$' "$TMP/out") $(awk '$1=="sgx1"{print $3}' "$TMP/out")" "1 $S1"
t_eq "inspect: manifest digest as skopeo" "$(awk '$1=="manifest"{print $2}' "$TMP/out")" \
	"$($SKOPEO inspect --tls-verify=false docker://$R/app/src:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"
t_err "TLS by default: plain HTTP only with --tls-verify=false" 1 "127.0.0.1:$P1: no TLS connection .*needs --tls-verify=false" "$ENSIGN" container inspect docker://$R/app/src:v1
t_run "sign registry to registry" 0 "$ENSIGN" container sign --tls-verify=false docker://$R/app/src:v1 docker://$R/app/prod:v2 \
	--key "$KEY" --memory-model all --date $D --isvsvn 3 --isvprodid 7
t_eq "sign: MRSIGNER" "$(awk '$1=="mrsigner"{print $2}' "$TMP/out")" "$MRSIGNER"
# only the new layer, configuration and manifest are uploaded; the source layer is mounted
NEWBYTES=$(python3 - "$R" <<'PY'
import json, sys, urllib.request
r = sys.argv[1]
req = urllib.request.Request("http://%s/v2/app/prod/manifests/v2" % r,
      headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
body = urllib.request.urlopen(req).read(); m = json.loads(body)
print(m["layers"][-1]["size"] + m["config"]["size"] + len(body))
PY
)
t_eq "uploaded only new layer + config + manifest, source layer mounted" "$(grep '^uploaded' "$TMP/out")" \
	"uploaded $NEWBYTES bytes, 1 blobs mounted, 0 already there"
MAN=$(awk '$1=="manifest"{print $2}' "$TMP/out")
t_run "skopeo inspect result" 0 $SKOPEO inspect --tls-verify=false docker://$R/app/prod:v2
t_eq "labels and digest (skopeo)" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["Labels"]
print(d["Digest"], len(d["Layers"]), l["org.ensign.mrenclave.sgx1"], l["org.ensign.mrenclave.sgx2"], l["org.ensign.mrsigner"])' "$TMP/out")" \
	"$MAN 2 $S1 $S2 $MRSIGNER"
t_run "skopeo pulls the result" 0 $SKOPEO copy --src-tls-verify=false docker://$R/app/prod:v2 oci:pulled:v2
t_run "umoci unpack" 0 umoci unpack --rootless --image pulled:v2 u
t_run "ensign verify accepts the re-signed enclave" 0 "$ENSIGN" verify u/rootfs/opt/app/hello
t_eq "both models verify" "$(grep -c ' OK mrenclave ' "$TMP/out")" 2
"$ENSIGN" info u/rootfs/opt/app/hello >info 2>&1
t_eq "new MRSIGNER, isvsvn, isvprodid" "$(awk '$1=="mrsigner:"{print $2} $1=="isvsvn:"{print $2} $1=="isvprodid:"{print $2}' info | sort -u | tr '\n' ' ')" \
	"$(printf '%s\n' 3 7 "$MRSIGNER" | sort -u | tr '\n' ' ')"
t_cmp "other files kept" u/rootfs/opt/app/data b/rootfs/opt/app/data
t_run "sign again: everything there" 0 "$ENSIGN" container sign --tls-verify=false docker://$R/app/src:v1 docker://$R/app/prod:v3 \
	--key "$KEY" --memory-model all --date $D --isvsvn 3 --isvprodid 7
t_eq "same manifest, nothing but it uploaded" "$(awk '$1=="manifest"{print $2}' "$TMP/out") $(grep -c '^uploaded [0-9]* bytes, 0 blobs mounted, 3 already there' "$TMP/out")" "$MAN 1"
t_run "registry to oci:" 0 "$ENSIGN" container sign --tls-verify=false docker://$R/app/src:v1 oci:o1:v1 --key "$KEY" --memory-model all --date $D --isvsvn 3 --isvprodid 7
t_eq "oci: has the same manifest" "$(awk '$1=="manifest"{print $2}' "$TMP/out")" "$MAN"
t_run "oci: to registry" 0 "$ENSIGN" container sign oci:img docker://$R/app/fromoci --tls-verify=false --key "$KEY" --memory-model sgx1 --date $D
t_run "skopeo reads it (default tag latest)" 0 $SKOPEO inspect --tls-verify=false docker://$R/app/fromoci:latest
t_run "docker-archive: to registry" 0 sh -c "$SKOPEO copy oci:img:latest docker-archive:src.tar:app/src:v1 >/dev/null 2>&1 && \
	\"$ENSIGN\" container sign docker-archive:src.tar docker://$R/app/fromtar:v1 --tls-verify=false --key \"$KEY\" --memory-model sgx1 --date $D"
t_run "pull it back" 0 "$ENSIGN" container inspect --tls-verify=false docker://$R/app/fromtar:v1
t_eq "its MRSIGNER" "$(awk '$1=="sgx1"{print $5}' "$TMP/out")" "$MRSIGNER"
t_run "by digest" 0 "$ENSIGN" container inspect --tls-verify=false "docker://$R/app/prod@$MAN"
t_err "wrong digest" 1 "no image" "$ENSIGN" container inspect --tls-verify=false "docker://$R/app/prod@sha256:$(printf '%064d' 0)"
t_err "missing repository" 1 "no image 'app/nope:v1' \\(HTTP 404" "$ENSIGN" container inspect --tls-verify=false docker://$R/app/nope:v1
t_err "missing tag" 1 "no image 'app/src:nope' .*MANIFEST_UNKNOWN" "$ENSIGN" container inspect --tls-verify=false docker://$R/app/src:nope
t_err "DST is SRC" 2 "is the source" "$ENSIGN" container sign --tls-verify=false docker://$R/app/src:v1 docker://$R/app/src:v1 --key "$KEY" --memory-model all
t_err "bad reference" 2 "not sha256" "$ENSIGN" container inspect "docker://$R/app/src@md5:00"
t_err "no registry there" 1 "127.0.0.1:1" "$ENSIGN" container inspect --tls-verify=false --retry-times 0 docker://127.0.0.1:1/app/src:v1

# ---- enclaveos-signer's command line: the same image as ensign container sign
EOS="$BUILD/enclaveos-signer"
t_run "enclaveos-signer" 0 "$EOS" --container $R/app/src:v1 $R/app/eos:v1 --isvsvn 3 --isvprodid 7 --production \
	-key "$KEY" --memory-model=all --tls-verify=false --date $D
EOSMAN=$(awk '$1=="manifest"{print $2}' "$TMP/out")
t_run "ensign container sign, same flags" 0 "$ENSIGN" container sign docker://$R/app/src:v1 docker://$R/app/eos2:v1 --isvsvn 3 \
	--isvprodid 7 --production --key "$KEY" --memory-model all --tls-verify=false --date $D
t_eq "same manifest both ways" "$EOSMAN" "$(awk '$1=="manifest"{print $2}' "$TMP/out")"
t_run "enclaveos-signer: pull" 0 $SKOPEO copy --src-tls-verify=false docker://$R/app/eos:v1 oci:eos:v1
t_run "enclaveos-signer: unpack" 0 umoci unpack --rootless --image eos:v1 ue
"$ENSIGN" info ue/rootfs/opt/app/hello >info 2>&1
t_eq "production (no DEBUG) for both models" "$(grep -c '^ *mode: *production' info) $(grep -c '^ *mrsigner: *'"$MRSIGNER" info) $(grep -c '^ *isvprodid: *7' info)" "2 2 2"
t_run "enclaveos-signer: default model sgx1, --key" 0 "$EOS" --container $R/app/src:v1 $R/app/eos:v3 --key "$KEY" --tls-verify=false --date $D
t_eq "default sgx1 only, no notice" "$(grep -c ' sgx2 ' "$TMP/out") $(grep -c 'sgx1' "$TMP/out") $(grep -c 'no --memory-model' "$TMP/err")" "0 1 0"
t_err "eos: -key without a value" 2 "^enclaveos-signer: -key needs a key file" "$EOS" --container $R/app/src:v1 $R/app/x:v1 -key
t_err "eos: bad --isvsvn" 2 "^enclaveos-signer: --isvsvn: 'x' is not a number" "$EOS" --container $R/app/src:v1 $R/app/x:v1 --isvsvn x
t_err "eos: bad memory model" 2 "^enclaveos-signer: --memory-model: 'sgx3'" "$EOS" --container $R/app/src:v1 $R/app/x:v1 --memory-model=sgx3
t_err "eos: --container with one reference" 2 "^enclaveos-signer: --container needs SRC and DST" "$EOS" --container $R/app/src:v1
t_err "eos: unknown argument named" 2 "^enclaveos-signer: unknown argument '--bogus'" "$EOS" --container $R/app/src:v1 $R/app/x:v1 --bogus
t_err "eos: stray argument named" 2 "^enclaveos-signer: unexpected argument 'extra'" "$EOS" --container $R/app/src:v1 $R/app/x:v1 extra
t_err "ensign container sign: -key is named, not DST" 2 "^ensign: unknown or incomplete option '-key' \\(long options take two dashes: --key" \
	"$ENSIGN" container sign docker://$R/app/src:v1 docker://$R/app/x:v1 -key "$KEY"
t_err "eos: no --container" 2 "no --container SRC DST" "$EOS" -key "$KEY"
t_run "eos: -h" 0 "$EOS" -h
t_eq "eos: -h prints the usage" "$(grep -c '^usage: enclaveos-signer --container SRC DST' "$TMP/out")" 1

# an image index: linux/amd64 unless --platform
t_run "skopeo: a second platform" 0 sh -c "umoci config --image img:latest --tag arm --architecture arm64 >/dev/null 2>&1 && \
	$SKOPEO copy --dest-tls-verify=false oci:img:arm docker://$R/app/arm:v1 >/dev/null"
python3 - "$R" <<'PY'
import json, sys, urllib.request
r = sys.argv[1]
def get(repo, ref):
    q = urllib.request.Request("http://%s/v2/%s/manifests/%s" % (r, repo, ref),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    b = urllib.request.urlopen(q).read(); return b, json.loads(b)
import hashlib
ents = []
for repo, plat in (("app/arm", "arm64"), ("app/src", "amd64")):
    b, m = get(repo, "v1")
    ents.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": len(b),
                 "digest": "sha256:" + hashlib.sha256(b).hexdigest(),
                 "platform": {"os": "linux", "architecture": plat}})
# the arm manifest and its blobs into app/src (mount), then the index
b, m = get("app/arm", "v1")
for d in [m["config"]] + m["layers"]:
    q = urllib.request.Request("http://%s/v2/app/src/blobs/uploads/?mount=%s&from=app/arm" % (r, d["digest"]), method="POST")
    urllib.request.urlopen(q)
q = urllib.request.Request("http://%s/v2/app/src/manifests/%s" % (r, ents[0]["digest"]), data=b, method="PUT",
    headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
urllib.request.urlopen(q)
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": ents}).encode()
q = urllib.request.Request("http://%s/v2/app/src/manifests/multi" % r, data=idx, method="PUT",
    headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
urllib.request.urlopen(q)
PY
t_run "index: linux/amd64" 0 "$ENSIGN" container inspect --tls-verify=false docker://$R/app/src:multi
t_eq "index picks amd64" "$(awk '$1=="manifest"{print $2}' "$TMP/out")" "$($SKOPEO inspect --tls-verify=false docker://$R/app/src:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"
t_run "index: --platform linux/arm64" 0 "$ENSIGN" container inspect --tls-verify=false --platform linux/arm64 docker://$R/app/src:multi
t_eq "index picks arm64" "$(awk '$1=="manifest"{print $2}' "$TMP/out")" "$($SKOPEO inspect --tls-verify=false docker://$R/app/arm:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"
t_err "index: no such platform" 1 "no linux/s390x image" "$ENSIGN" container inspect --tls-verify=false --platform linux/s390x docker://$R/app/src:multi
# --all-platforms: every entry re-signed and pushed by digest, then a new index under the tag
t_run "--all-platforms" 0 "$ENSIGN" container sign --all-platforms --tls-verify=false docker://$R/app/src:multi docker://$R/app/allp:v1 \
	--key "$KEY" --memory-model all --date $D
t_eq "--all-platforms: both platforms signed" "$(grep -c '^platform linux/\(amd64\|arm64\)$' "$TMP/out") $(grep -c '^/opt/app/hello sgx[12] ' "$TMP/out")" "2 4"
IDX=$(awk '$1=="index"{print $2}' "$TMP/out")
t_eq "--all-platforms: the tag names the new index" "$($SKOPEO inspect --raw --tls-verify=false docker://$R/app/allp:v1 | python3 -c 'import sys,hashlib,json
b=sys.stdin.buffer.read(); d=json.loads(b); print("sha256:"+hashlib.sha256(b).hexdigest(), len(d["manifests"]), sorted(m["platform"]["architecture"] for m in d["manifests"]))')" \
	"$IDX 2 ['amd64', 'arm64']"
for plat in linux/amd64 linux/arm64; do
	t_run "--all-platforms: $plat re-signed" 0 "$ENSIGN" container inspect --tls-verify=false --platform $plat docker://$R/app/allp:v1
	t_eq "--all-platforms: $plat MRSIGNER" "$(awk '$1=="sgx1"||$1=="sgx2"{print $5}' "$TMP/out" | sort -u)" "$MRSIGNER"
done
t_err "--all-platforms: not an index" 2 "not an image index or manifest list .*drop --all-platforms" "$ENSIGN" container sign --all-platforms --tls-verify=false \
	docker://$R/app/src:v1 docker://$R/app/allp:v2 --key "$KEY" --memory-model all
t_err "--all-platforms: registries only" 2 "--all-platforms: SRC and DST must be docker://" "$ENSIGN" container sign --all-platforms oci:img oci:x9 --key "$KEY" --memory-model all

# ---- failures through a misbehaving front
start_proxy corrupt "" "$P1"
t_err "blob bytes do not match the digest" 1 "is corrupted: its digest is sha256:" \
	"$ENSIGN" container sign --tls-verify=false docker://127.0.0.1:$PROXY_PORT/app/src:v1 oci:x1 --key "$KEY" --memory-model all
t_absent "corrupt: no DST" x1
stop_all
start_registry plain "$P1" || { t_done; exit 1; }
PLAIN_PID=$REG_PID
start_proxy flaky 2 "$P1"
t_run "429 twice, then success" 0 "$ENSIGN" container inspect --tls-verify=false --retry-times 3 docker://127.0.0.1:$PROXY_PORT/app/src:v1
start_proxy flaky 5 "$P1"
t_err "429 beyond --retry-times" 1 "HTTP 429 after 1 retries" "$ENSIGN" container inspect --tls-verify=false --retry-times 1 docker://127.0.0.1:$PROXY_PORT/app/src:v1
LAYER1=$(python3 -c 'import json,sys,urllib.request
q=urllib.request.Request("http://%s/v2/app/src/manifests/v1" % sys.argv[1], headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
print(json.loads(urllib.request.urlopen(q).read())["layers"][0]["digest"][7:])' "$R")
# progress: on a terminal only (script(1) gives one), never with --quiet
if command -v script >/dev/null; then
	script -qec "\"$ENSIGN\" container inspect --tls-verify=false docker://$R/app/src:v1" /dev/null >tty.out 2>&1
	t_eq "progress on a terminal: one line per blob (config, layer)" "$(tr '\r' '\n' <tty.out | grep -E '^pull (config|layer) sha256:[0-9a-f]{12} +[0-9.]+ / [0-9.]+ MiB$' | sed 's/ .*//' | sort -u | wc -l)" 1
	t_eq "progress names the layer and ends at its size" "$(tr '\r' '\n' <tty.out | grep "^pull layer sha256:${LAYER1%"${LAYER1#????????????}"} " | awk '$4 == $6 && $4 > 0' | wc -l)" 1
	script -qec "\"$ENSIGN\" container inspect --quiet --tls-verify=false docker://$R/app/src:v1" /dev/null >tty.out 2>&1
	t_eq "--quiet: no progress" "$(grep -c 'MiB' tty.out)" 0
	t_run "not a terminal: no progress" 0 "$ENSIGN" container inspect --tls-verify=false docker://$R/app/src:v1
	t_eq "not a terminal: stderr has no progress" "$(grep -c 'MiB' "$TMP/err")" 0
fi
start_proxy reset "" "$P1"
t_run "connection dropped mid-blob: resumed with Range" 0 "$ENSIGN" container inspect --tls-verify=false docker://127.0.0.1:$PROXY_PORT/app/src:v1
t_eq "the proxy did drop it" "$(grep -c '^reset after' "$TMP/proxy.port.resets")" 1
t_eq "and the enclave was found" "$(awk '$1=="sgx1"{print $3}' "$TMP/out")" "$S1"
# the registry dies while the new layer is uploaded: the tag stays where it was
start_proxy kill "$PLAIN_PID" "$P1"
t_err "registry dies mid-push" 1 "127.0.0.1:$PROXY_PORT: PUT /v2/app/prod/blobs/uploads/[0-9a-f-]+: HTTP 502 after 1 retries" "$ENSIGN" container sign --tls-verify=false --retry-times 1 \
	docker://$R/app/src:v1 docker://127.0.0.1:$PROXY_PORT/app/prod:v2 --key "$KEY" --memory-model sgx1 --date $D
start_registry plain "$P1" || { t_done; exit 1; }
t_eq "destination tag unchanged" "$($SKOPEO inspect --tls-verify=false docker://$R/app/prod:v2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')" "$MAN"
stop_all

# ---- bearer tokens: the registry's auth.token with a token endpoint started here
openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 -subj /CN=ensign-token >/dev/null 2>&1
rm -f "$TMP/token.port"
python3 "$TOP/tests/container/token_server.py" "$TMP/token.port" token.key token.crt ensign-issuer 'bob:t0ken-Pw' "$TMP/token.log" &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -s "$TMP/token.port" ] && break; sleep 0.1; done
TP=$(cat "$TMP/token.port")
P3=$(free_port)
start_registry bearer "$P3" "$(printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: ensign-registry\n    issuer: ensign-issuer\n    rootcertbundle: %s/token.crt\n' "$TP" "$TMP")" ||
	{ t_done; exit 1; }
B=127.0.0.1:$P3
t_run "skopeo pushes with a bearer token" 0 $SKOPEO copy --dest-tls-verify=false --dest-creds 'bob:t0ken-Pw' oci:img:latest docker://$B/app/src:v1
: >"$TMP/token.log"
: >"$TMP/token.log.empty-once"
t_run "inspect with a bearer token" 0 "$ENSIGN" container inspect --tls-verify=false --creds 'bob:t0ken-Pw' docker://$B/app/src:v1
t_eq "token refreshed on 401 once, then reused" "$(cat "$TMP/token.log")" "user repository:app/src:pull
user repository:app/src:pull"
: >"$TMP/token.log"
: >"$TMP/token.log.empty-once"
t_run "sign with bearer tokens (push scope, mount from the source)" 0 "$ENSIGN" container sign --tls-verify=false --creds 'bob:t0ken-Pw' \
	docker://$B/app/src:v1 docker://$B/app/prod:v1 --key "$KEY" --memory-model all --date $D
t_eq "one token per connection (+1 refresh)" "$(sort "$TMP/token.log" | uniq -c | sed 's/^ *//')" "1 user repository:app/prod:pull,push repository:app/src:pull
2 user repository:app/src:pull"
t_eq "blob mounted with the token's scopes" "$(grep -c '^uploaded [0-9]* bytes, 1 blobs mounted, 0 already there' "$TMP/out")" 1
t_run "skopeo reads it with a token" 0 $SKOPEO inspect --tls-verify=false --creds 'bob:t0ken-Pw' docker://$B/app/prod:v1
t_eq "labels (bearer)" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Labels"]["org.ensign.mrsigner"])' "$TMP/out")" "$MRSIGNER"
t_err "bearer: wrong password" 1 "authentication failed \\(the token endpoint refused the credentials\\)" "$ENSIGN" container inspect --tls-verify=false --creds 'bob:Wr0ngPw' docker://$B/app/src:v1
t_eq "bearer: password never printed" "$(grep -c 'Wr0ngPw' "$TMP/err")" 0
t_err "bearer: anonymous has no access" 1 "access to 'app/src' denied \\(no credentials: --creds or an auth file\\)" "$ENSIGN" container inspect --tls-verify=false docker://$B/app/src:v1
stop_all

# ---- TLS with a test CA, htpasswd basic auth
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=ensign-test-ca >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile san.ext >/dev/null 2>&1
mkdir -p certs && cp ca.crt certs/ca.crt
htpasswd -Bbn alice 's3cret-Pw' >htpasswd 2>/dev/null
# user:password of 8 and 7 bytes: base64 with one and two '=' of padding
htpasswd -Bbn carol 'pw:x' >>htpasswd 2>/dev/null
htpasswd -Bbn dave pw1 >>htpasswd 2>/dev/null
P2=$(free_port)
start_registry tls "$P2" "$(printf '  tls:\n    certificate: %s/srv.crt\n    key: %s/srv.key\nauth:\n  htpasswd:\n    realm: ensign-test\n    path: %s/htpasswd\n' "$TMP" "$TMP" "$TMP")" https ||
	{ t_done; exit 1; }
T=127.0.0.1:$P2
t_run "skopeo pushes with TLS and basic auth" 0 $SKOPEO copy --dest-cert-dir certs --dest-creds 'alice:s3cret-Pw' oci:img:latest docker://$T/app/src:v1
t_err "untrusted CA" 1 "TLS certificate is not trusted" "$ENSIGN" container inspect docker://$T/app/src:v1
t_err "no credentials" 1 "wants a user name and password" "$ENSIGN" container inspect --cert-dir certs docker://$T/app/src:v1
t_err "wrong password" 1 "authentication failed: wrong user name or password" "$ENSIGN" container inspect --cert-dir certs --creds alice:Wr0ngPw docker://$T/app/src:v1
t_eq "password never printed" "$(grep -c 'Wr0ngPw' "$TMP/err")$(grep -c 's3cret' "$TMP/err")" "00"
t_run "--creds" 0 "$ENSIGN" container inspect --cert-dir certs --creds 'alice:s3cret-Pw' docker://$T/app/src:v1
AUTH=$(printf 'alice:s3cret-Pw' | base64)
printf '{"auths": {"%s": {"auth": "%s"}}}' "$T" "$AUTH" >auth.json
t_run "--authfile" 0 "$ENSIGN" container inspect --cert-dir certs --authfile auth.json docker://$T/app/src:v1
for u in 'carol:pw:x' 'dave:pw1'; do
	printf '{"auths": {"https://%s": {"auth": "%s"}}}' "$T" "$(printf '%s' "$u" | base64)" >pad.json
	t_run "--authfile, base64 with padding (${u%%:*}), https:// key" 0 "$ENSIGN" container inspect --cert-dir certs --authfile pad.json docker://$T/app/src:v1
done
t_run "REGISTRY_AUTH_FILE" 0 env REGISTRY_AUTH_FILE="$TMP/auth.json" "$ENSIGN" container inspect --cert-dir certs docker://$T/app/src:v1
mkdir -p "$XDG_RUNTIME_DIR/containers" && cp auth.json "$XDG_RUNTIME_DIR/containers/auth.json"
t_run "\${XDG_RUNTIME_DIR}/containers/auth.json" 0 "$ENSIGN" container inspect --cert-dir certs docker://$T/app/src:v1
rm "$XDG_RUNTIME_DIR/containers/auth.json"
mkdir -p "$HOME/.docker" && cp auth.json "$HOME/.docker/config.json"
t_run "~/.docker/config.json" 0 "$ENSIGN" container inspect --cert-dir certs docker://$T/app/src:v1
printf '{"auths": {"%s": {"auth": "%s"}}}' "$T" "$(printf 'alice:nope' | base64)" >bad.json
t_err "--creds wins over the files" 1 "wrong user name or password" "$ENSIGN" container inspect --cert-dir certs --authfile bad.json docker://$T/app/src:v1
t_run "--creds wins over the files (2)" 0 "$ENSIGN" container inspect --cert-dir certs --authfile bad.json --creds 'alice:s3cret-Pw' docker://$T/app/src:v1
t_run "sign over TLS with auth" 0 "$ENSIGN" container sign --cert-dir certs docker://$T/app/src:v1 docker://$T/app/prod:v1 --key "$KEY" --memory-model all --date $D
t_run "skopeo inspect over TLS" 0 $SKOPEO inspect --cert-dir certs --creds 'alice:s3cret-Pw' docker://$T/app/prod:v1
t_eq "labels over TLS" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Labels"]["org.ensign.mrsigner"])' "$TMP/out")" "$MRSIGNER"
echo '{"auths": {}}' >empty.json
t_err "--tls-verify=false still wants the password" 1 "wants a user name and password" "$ENSIGN" container inspect --tls-verify=false --authfile empty.json docker://$T/app/src:v1
stop_all
t_eq "nothing left running" "$(for p in $PIDS; do kill -0 $p 2>/dev/null && echo $p; done)" ""

t_done
