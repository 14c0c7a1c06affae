#!/usr/bin/env python3
"""Edit an OCI image layout in place for tests/cli/container.sh, keeping
every digest right: append a layer made from a tar file, or change the media
type of the last layer (to build an image ensign must refuse).

  oci_edit.py addlayer DIR TAG LAYER.tar   append LAYER.tar (uncompressed)
  oci_edit.py mediatype DIR TAG TYPE       set the last layer's mediaType
"""
import hashlib, json, os, sys


def put(d, data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(d, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h


def get(d, digest):
    with open(os.path.join(d, "blobs", "sha256", digest[7:]), "rb") as f:
        return f.read()


def main():
    cmd, d, tag = sys.argv[1:4]
    with open(os.path.join(d, "index.json")) as f:
        index = json.load(f)
    desc = [m for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
    man = json.loads(get(d, desc["digest"]))
    if cmd == "addlayer":
        with open(sys.argv[4], "rb") as f:
            layer = f.read()
        ld = put(d, layer)
        cfg = json.loads(get(d, man["config"]["digest"]))
        cfg["rootfs"]["diff_ids"].append(ld)
        cfg.setdefault("history", []).append({"created_by": "oci_edit.py addlayer"})
        cb = json.dumps(cfg).encode()
        man["config"]["digest"], man["config"]["size"] = put(d, cb), len(cb)
        man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                              "digest": ld, "size": len(layer)})
    elif cmd == "mediatype":
        man["layers"][-1]["mediaType"] = sys.argv[4]
    else:
        sys.exit("unknown command " + cmd)
    mb = json.dumps(man).encode()
    desc["digest"], desc["size"] = put(d, mb), len(mb)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main()
