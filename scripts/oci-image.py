#!/usr/bin/env python3
"""Writes a small, valid, reproducible OCI image (an OCI image layout directory) for a release.

    scripts/oci-image.py OUT_DIR TAG [--busybox PATH] [--broken]

The image has one gzipped layer holding /release (the tag's text, so every release has its own
digest) and, with --busybox, a static busybox at /bin/busybox that serves HTTP on port 80: an
image real Fargate can run. --broken makes an image whose command does not exist, so its tasks
fail to start (the circuit-breaker case). The same arguments always give the same digest:
timestamps, ownership and gzip headers are fixed.

skopeo copies it with `skopeo copy oci:OUT_DIR:TAG docker://REGISTRY/REPOSITORY:TAG`. Prints the
manifest digest.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
EPOCH = "2026-01-01T00:00:00Z"


def add_file(tar, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = 0
    tar.addfile(info)


def layer(tag, busybox):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_file(tar, "release", f"{tag}\n".encode(), 0o644)
        if busybox:
            add_dir(tar, "bin")
            with open(busybox, "rb") as f:
                add_file(tar, "bin/busybox", f.read(), 0o755)
            add_dir(tar, "www")
            add_file(tar, "www/index.html", f"{tag}\n".encode(), 0o644)
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    # mtime=0 and no file name: the same content always compresses to the same bytes.
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, filename="") as z:
        z.write(tar_bytes)
    return tar_bytes, gz.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(out, data):
    digest = sha(data)
    path = os.path.join(out, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def canonical(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("tag")
    p.add_argument("--busybox", help="a static busybox binary to include (a runnable image)")
    p.add_argument("--broken", action="store_true", help="a command that does not exist")
    args = p.parse_args()
    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)

    tar_bytes, gz_bytes = layer(args.tag, args.busybox)
    if args.broken:
        cmd = ["/release-is-broken"]
    elif args.busybox:
        cmd = ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
    else:
        cmd = ["/bin/sh", "-c", "cat /release"]
    labels = {"release": args.tag}
    if args.broken:
        # tagdeploy-emulator runs no container: this label makes its tasks fail to start, as
        # the missing command makes them fail on AWS.
        labels["org.tagdeploy.emulator.fails-to-start"] = "true"
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": EPOCH,
        "config": {"Cmd": cmd, "Labels": labels},
        "rootfs": {"type": "layers", "diff_ids": [sha(tar_bytes)]},
        "history": [{"created": EPOCH, "created_by": f"scripts/oci-image.py {args.tag}"}],
    }
    config_desc = dict(mediaType=CONFIG, **write_blob(args.out, canonical(config)))
    layer_desc = dict(mediaType=LAYER, **write_blob(args.out, gz_bytes))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": config_desc,
        "layers": [layer_desc],
    }
    manifest_desc = dict(mediaType=MANIFEST, **write_blob(args.out, canonical(manifest)))

    # One layout may hold several tags: keep the other entries of index.json.
    index_path = os.path.join(args.out, "index.json")
    manifests = []
    if os.path.exists(index_path):
        with open(index_path) as f:
            manifests = [
                m
                for m in json.load(f).get("manifests", [])
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != args.tag
            ]
    manifest_desc["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    manifests.append(manifest_desc)
    with open(index_path, "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": manifests}, f, indent=2)
    with open(os.path.join(args.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(manifest_desc["digest"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
