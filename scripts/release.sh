#!/usr/bin/env bash
# make release: builds terraform-provider-tagdeploy for every platform Terraform users run and
# packages it the way the Terraform Registry and provider mirrors expect, into dist/ (or --out):
#
#   terraform-provider-tagdeploy_VERSION_OS_ARCH.zip      one per platform, holding
#                                                         terraform-provider-tagdeploy_vVERSION
#                                                         (.exe on Windows), mode 0755
#   terraform-provider-tagdeploy_VERSION_SHA256SUMS       sha256 of every zip and of the manifest
#   terraform-provider-tagdeploy_VERSION_SHA256SUMS.sig   detached binary OpenPGP signature of it
#                                                         (when a key is given, see Signing)
#   terraform-provider-tagdeploy_VERSION_manifest.json    {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#   signing-key.asc                                       the ASCII-armored public key (when signed)
#   mirror/terraform.local/tagdeploy/tagdeploy/           every zip as a packed filesystem mirror,
#                                                         plus index.json and VERSION.json (h1: and
#                                                         zh: hashes for every platform), which make
#                                                         the same directory a network mirror when
#                                                         served over HTTPS
#
# Platforms: darwin_amd64 darwin_arm64 linux_amd64 linux_arm64 windows_amd64, built with
# scripts/cross-build.sh --release (reproducible; the toolchain comes from scripts/toolchain.sh).
#
# Usage:
#   scripts/release.sh [--platform OS_ARCH]...   build (all platforms by default) and package
#   scripts/release.sh --package OS_ARCH=PATH... package binaries that are already built
#   scripts/release.sh --binary PATH [--platform OS_ARCH]
#                                               the same for one binary (default: this host)
#   scripts/release.sh --check-reproducible      build linux_amd64 in this checkout and in a copy
#                                               of it at another path, and compare the bytes
#   --out DIR     where to write (default dist/); earlier artifacts of this provider are replaced
#   --fast        fastest zip compression (for tests; the archives are larger)
#
# Signing: GPG_KEY_ID=KEYID signs with that key from your keyring; GPG_KEY_FILE=PATH imports a
# secret key file into a temporary keyring first (GPG_KEY_ID then optional); GPG_PASSPHRASE, if
# the key has one. TAGDEPLOY_GPG_KEY is accepted for GPG_KEY_ID. Terraform checks this signature
# when it installs from a registry (public or private); mirrors check the hashes instead.
#
# Zips are made with `zip` when it is installed, else with Python's zipfile
# (TAGDEPLOY_RELEASE_ZIP=python forces the latter). Entry timestamps are SOURCE_DATE_EPOCH (default:
# the time of the last commit) in UTC, so the same binaries give the same zips with the same tool.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# A failing command names itself and the script (scripts/lib.sh).
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
cd "$root"

name=terraform-provider-tagdeploy
source_dir=terraform.local/tagdeploy/tagdeploy
all_platforms="darwin_amd64 darwin_arm64 linux_amd64 linux_arm64 windows_amd64"
out=dist
binary=""
platforms=()
packages=()
level=9
check=false

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --platform) platforms+=("$2"); shift 2 ;;
    --package) packages+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --fast) level=1; shift ;;
    --check-reproducible) check=true; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "release.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

if $check; then
  # The same commit's files (and any uncommitted changes to them) at a second path, built with
  # its own target directory: equal bytes mean neither the path nor the build's state leaks in.
  copy=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-repro.XXXXXX")
  trap 'rm -rf "$copy"' EXIT
  git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$copy"
  mkdir -p "$copy/.tools" && ln -s "$root/.tools/venv" "$copy/.tools/venv"
  started=$(date +%s)
  first=$(scripts/cross-build.sh --release linux_amd64 | cut -d' ' -f2)
  echo "release: linux_amd64 in $root built ($(( $(date +%s) - started )) s)" >&2
  started=$(date +%s)
  second=$(cd "$copy" && scripts/cross-build.sh --release linux_amd64 | cut -d' ' -f2)
  echo "release: linux_amd64 in $copy built ($(( $(date +%s) - started )) s)" >&2
  a=$(sha256 "$first"); b=$(sha256 "$copy/$second")
  echo "$a  $root/$first"
  echo "$b  $copy/$second"
  if [ "$a" = "$b" ]; then echo "reproducible: the two linux_amd64 builds are byte-identical"; exit 0; fi
  echo "NOT reproducible: the two linux_amd64 builds differ" >&2
  exit 1
fi

version=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="terraform-provider-tagdeploy"][0])')

is_platform() { case " $all_platforms " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# (platform=binary) pairs to package.
pairs=()
if [ -n "$binary" ]; then
  [ ${#platforms[@]} -le 1 ] || { echo "release.sh: --binary takes one --platform" >&2; exit 2; }
  p=${platforms[0]:-}
  if [ -z "$p" ]; then
    case "$(rustc -vV | sed -n 's/^host: //p')" in
      x86_64-unknown-linux-gnu) p=linux_amd64 ;;
      aarch64-unknown-linux-gnu) p=linux_arm64 ;;
      x86_64-apple-darwin) p=darwin_amd64 ;;
      aarch64-apple-darwin) p=darwin_arm64 ;;
      *) echo "release.sh: no Terraform platform for this host; pass --platform" >&2; exit 2 ;;
    esac
  fi
  pairs+=("$p=$binary")
elif [ ${#packages[@]} -gt 0 ]; then
  pairs=("${packages[@]}")
else
  [ ${#platforms[@]} -gt 0 ] || read -r -a platforms <<<"$all_platforms"
  started=$(date +%s)
  while read -r p path; do
    pairs+=("$p=$root/$path")
  done < <(scripts/cross-build.sh --release "${platforms[@]}")
  echo "release: built ${#pairs[@]} platform(s) in $(( $(date +%s) - started )) s"
fi
[ ${#pairs[@]} -gt 0 ] || { echo "release.sh: nothing to package" >&2; exit 1; }
for pair in "${pairs[@]}"; do
  p=${pair%%=*}; bin=${pair#*=}
  is_platform "$p" || { echo "release.sh: $p is not one of: $all_platforms" >&2; exit 2; }
  [ -f "$bin" ] || { echo "release.sh: $bin (for $p) does not exist" >&2; exit 2; }
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/${name}_"* "$out/signing-key.asc"
rm -rf "$out/mirror"
stage=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-release.XXXXXX")
cleanup() {
  # A key file is used through a keyring of our own, whose agent must not outlive us.
  if [ -d "$stage/gnupg" ]; then GNUPGHOME="$stage/gnupg" gpgconf --kill all 2>/dev/null || true; fi
  rm -rf "$stage"
}
trap cleanup EXIT

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 946684800)}

# A zip whose only entry is $1 named $2, executable, stamped $epoch in UTC (zip stores local
# time, so the time zone is pinned too).
make_zip() {
  local src=$1 entry=$2 zipfile=$3
  mkdir -p "$stage/entry"
  cp "$src" "$stage/entry/$entry"
  chmod 0755 "$stage/entry/$entry"
  TZ=UTC touch -d "@$epoch" "$stage/entry/$entry"
  if [ "${TAGDEPLOY_RELEASE_ZIP:-}" != python ] && command -v zip >/dev/null 2>&1; then
    (cd "$stage/entry" && TZ=UTC zip -q -X "-$level" "$zipfile" "$entry")
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

# Terraform's h1: hash of a package: base64 of the sha256 of the "<sha256>  <name>\n" lines of
# its files, sorted by name (here one file).
h1_of() { # file, entry name
  printf '%s  %s\n' "$(sha256 "$1")" "$2" | python3 -c 'import base64,hashlib,sys; print("h1:" + base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())'
}

mirror="$out/mirror/$source_dir"
mkdir -p "$mirror"
archives=""
mapfile -t sorted < <(printf '%s\n' "${pairs[@]}" | LC_ALL=C sort)
for pair in "${sorted[@]}"; do
  p=${pair%%=*}; bin=${pair#*=}
  entry=${name}_v${version}; case "$p" in windows_*) entry=$entry.exe ;; esac
  zipname=${name}_${version}_${p}.zip
  make_zip "$bin" "$entry" "$out/$zipname"
  ln -f "$out/$zipname" "$mirror/$zipname" 2>/dev/null || cp "$out/$zipname" "$mirror/$zipname"
  archives="$archives${archives:+,}\"$p\":{\"url\":\"$zipname\",\"hashes\":[\"$(h1_of "$bin" "$entry")\",\"zh:$(sha256 "$out/$zipname")\"]}"
  echo "packaged $zipname ($(wc -c <"$bin") bytes unpacked, $(wc -c <"$out/$zipname") zipped)"
done

printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$out/${name}_${version}_manifest.json"
sums="$out/${name}_${version}_SHA256SUMS"
(
  cd "$out"
  for f in "${name}_${version}_"*.zip "${name}_${version}_manifest.json"; do
    printf '%s  %s\n' "$(sha256 "$f")" "$f"
  done | LC_ALL=C sort -k2 >"$sums"
)

# --- Signing ---------------------------------------------------------------------------------
key=${GPG_KEY_ID:-${TAGDEPLOY_GPG_KEY:-}}
if [ -n "${GPG_KEY_FILE:-}" ]; then
  export GNUPGHOME="$stage/gnupg"
  mkdir -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --import "$GPG_KEY_FILE"
  [ -n "$key" ] || key=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
fi
if [ -n "$key" ]; then
  pass=()
  if [ -n "${GPG_PASSPHRASE:-}" ]; then
    printf '%s' "$GPG_PASSPHRASE" >"$stage/passphrase"
    pass=(--pinentry-mode loopback --passphrase-file "$stage/passphrase")
  fi
  # Binary (not --armor): Terraform reads the .sig as a binary detached signature.
  gpg --batch --yes --quiet "${pass[@]}" --local-user "$key" --detach-sign --output "$sums.sig" "$sums"
  gpg --batch --yes --armor --export "$key" >"$out/signing-key.asc"
  gpg --batch --quiet --verify "$sums.sig" "$sums" 2>/dev/null \
    || { echo "release.sh: the new signature does not verify" >&2; exit 1; }
  echo "signed SHA256SUMS with key $key (public key: signing-key.asc)"
fi

# The network mirror protocol: the versions, then each version's archives with their hashes.
printf '{"versions":{"%s":{}}}\n' "$version" >"$mirror/index.json"
printf '{"archives":{%s}}\n' "$archives" >"$mirror/$version.json"

echo "dist: $out"
(cd "$out" && ls -1 "${name}_${version}_"* && if [ -f signing-key.asc ]; then echo signing-key.asc; fi)
