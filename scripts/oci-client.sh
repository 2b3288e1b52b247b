#!/usr/bin/env bash
# Prints the path of skopeo, the OCI client the project pushes release images with, installing
# it first when it is missing and this machine can (root with Debian's apt-get: the `skopeo`
# package). Otherwise says in one line on stderr why not and exits 1.
set -euo pipefail
if command -v skopeo >/dev/null 2>&1; then
  command -v skopeo
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tools: installing skopeo (Debian package) to push release images" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be empty or stale on a fresh machine.
  if ! apt-get install -y -q --no-install-recommends skopeo >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q --no-install-recommends skopeo >/dev/null 2>&1 || true
  fi
fi
if command -v skopeo >/dev/null 2>&1; then
  command -v skopeo
  exit 0
fi
echo "skopeo not found and not installable here (needs root and apt-get); install it with your package manager" >&2
exit 1
