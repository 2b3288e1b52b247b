#!/usr/bin/env bash
# make release: package terraform-provider-tagdeploy the way the Terraform Registry and provider
# mirrors expect it, into dist/ (or --out DIR):
#
#   terraform-provider-tagdeploy_VERSION_OS_ARCH.zip     holds terraform-provider-tagdeploy_vVERSION
#   terraform-provider-tagdeploy_VERSION_SHA256SUMS      sha256 of every zip and of the manifest
#   terraform-provider-tagdeploy_VERSION_manifest.json   {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#   mirror/terraform.local/tagdeploy/tagdeploy/          the zips as a packed filesystem mirror, plus
#                                                        index.json and VERSION.json, which make the
#                                                        same directory a network mirror when served
#                                                        over HTTPS
#
# Usage:
#   scripts/release.sh                    release builds for every installed Rust target that maps
#                                         to a Terraform platform (see `rustup target list --installed`)
#   scripts/release.sh --binary PATH [--platform OS_ARCH]
#                                         package a binary that is already built (the tests package
#                                         the debug build: a release build of the AWS SDK is slow)
#   --out DIR     where to write (default dist/); earlier artifacts of this provider there are replaced
#   --fast        fastest zip compression (for tests; the archives are larger)
#
# Zips are made with `zip` when it is installed, else with Python's zipfile
# (TAGDEPLOY_RELEASE_ZIP=python forces the latter); both give the entry mode 0755.
#
# With TAGDEPLOY_GPG_KEY=KEYID set, SHA256SUMS is also signed (…_SHA256SUMS.sig), which the public
# registry requires; the key and its publication are the publisher's.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

name=terraform-provider-tagdeploy
source_dir=terraform.local/tagdeploy/tagdeploy
out=dist
binary=""
platform=""
level=9

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --platform) platform=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --fast) level=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "release.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

require cargo "install Rust with rustup (https://rustup.rs), which puts cargo on PATH"
require python3 "install Python 3.9 or later"
hint "cargo metadata failed; its error is above."
version=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="terraform-provider-tagdeploy"][0])')

# Terraform's OS_ARCH for a Rust target triple (empty: not a platform Terraform runs on).
terraform_platform() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux_amd64 ;;
    aarch64-unknown-linux-gnu) echo linux_arm64 ;;
    x86_64-apple-darwin) echo darwin_amd64 ;;
    aarch64-apple-darwin) echo darwin_arm64 ;;
    x86_64-pc-windows-msvc) echo windows_amd64 ;;
    *) echo "" ;;
  esac
}

host_triple=$(rustc -vV | sed -n 's/^host: //p')

# (binary, platform) pairs to package.
pairs=()
if [ -n "$binary" ]; then
  [ -x "$binary" ] || { echo "release.sh: $binary is not an executable" >&2; exit 2; }
  [ -n "$platform" ] || platform=$(terraform_platform "$host_triple")
  [ -n "$platform" ] || { echo "release.sh: no Terraform platform for host $host_triple; pass --platform" >&2; exit 2; }
  pairs+=("$binary $platform")
else
  if command -v rustup >/dev/null 2>&1; then
    targets=$(rustup target list --installed)
  else
    targets=$host_triple
  fi
  for target in $targets; do
    p=$(terraform_platform "$target")
    if [ -z "$p" ]; then
      echo "skipping Rust target $target: no Terraform platform for it"
      continue
    fi
    exe=$name; case "$p" in windows_*) exe=$name.exe ;; esac
    if [ "$target" = "$host_triple" ]; then
      echo "building $name $version for $p (cargo build --release)"
      hint "the release build failed; the compiler's error is above."
      cargo build --release --quiet --bin "$name"
      pairs+=("${CARGO_TARGET_DIR:-target}/release/$exe $p")
    elif cargo build --release --quiet --bin "$name" --target "$target"; then
      pairs+=("${CARGO_TARGET_DIR:-target}/$target/release/$exe $p")
    else
      echo "SKIPPED $p: cargo build --target $target failed (is its linker installed?)" >&2
    fi
  done
fi
[ ${#pairs[@]} -gt 0 ] || { echo "release.sh: nothing to package" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/${name}_"*
rm -rf "$out/mirror"
stage=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-release.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# A zip whose only entry is $1 named $2, executable, with a fixed timestamp (reproducible).
make_zip() {
  local src=$1 entry=$2 zipfile=$3
  mkdir -p "$stage/entry"
  cp "$src" "$stage/entry/$entry"
  chmod 0755 "$stage/entry/$entry"
  touch -d "@${SOURCE_DATE_EPOCH:-946684800}" "$stage/entry/$entry" 2>/dev/null \
    || touch -t 200001010000 "$stage/entry/$entry"
  if [ "${TAGDEPLOY_RELEASE_ZIP:-}" != python ] && command -v zip >/dev/null 2>&1; then
    (cd "$stage/entry" && zip -q -X "-$level" "$zipfile" "$entry")
  else
    python3 - "$stage/entry/$entry" "$entry" "$zipfile" "$level" <<'PY'
import os, sys, time, zipfile
src, entry, dest, level = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
info = zipfile.ZipInfo(entry, date_time=time.gmtime(int(os.stat(src).st_mtime))[:6])
info.external_attr = 0o100755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(dest, "w") as z, open(src, "rb") as f:
    z.writestr(info, f.read(), compresslevel=level)
PY
  fi
  rm -rf "$stage/entry"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

mirror="$out/mirror/$source_dir"
mkdir -p "$mirror"
archives=""
for pair in "${pairs[@]}"; do
  bin=${pair% *}; p=${pair#* }
  entry=${name}_v${version}; case "$p" in windows_*) entry=$entry.exe ;; esac
  zipname=${name}_${version}_${p}.zip
  make_zip "$bin" "$entry" "$out/$zipname"
  ln -f "$out/$zipname" "$mirror/$zipname" 2>/dev/null || cp "$out/$zipname" "$mirror/$zipname"
  archives="$archives${archives:+,}\"$p\":{\"url\":\"$zipname\",\"hashes\":[\"zh:$(sha256 "$out/$zipname")\"]}"
  echo "packaged $zipname"
done

printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$out/${name}_${version}_manifest.json"
(
  cd "$out"
  for f in "${name}_${version}_"*.zip "${name}_${version}_manifest.json"; do
    printf '%s  %s\n' "$(sha256 "$f")" "$f"
  done | sort -k2 >"${name}_${version}_SHA256SUMS"
)
if [ -n "${TAGDEPLOY_GPG_KEY:-}" ]; then
  gpg --batch --yes --local-user "$TAGDEPLOY_GPG_KEY" --detach-sign \
    --output "$out/${name}_${version}_SHA256SUMS.sig" "$out/${name}_${version}_SHA256SUMS"
fi

# The network mirror protocol: the versions, then each version's archives with their hashes.
printf '{"versions":{"%s":{}}}\n' "$version" >"$mirror/index.json"
printf '{"archives":{%s}}\n' "$archives" >"$mirror/$version.json"

echo "dist: $out"
(cd "$out" && ls -1 "${name}_${version}_"*)
