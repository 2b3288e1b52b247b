#!/usr/bin/env bash
# Builds terraform-provider-tagdeploy for Terraform platforms with cargo-zigbuild (Zig links and
# compiles aws-lc's C for every target; scripts/toolchain.sh installs it). Prints one line
# "OS_ARCH PATH" per binary on stdout; progress and timings go to stderr.
#
# Usage: scripts/cross-build.sh [--release] [OS_ARCH...]
#   OS_ARCH     darwin_amd64 darwin_arm64 linux_amd64 linux_arm64 windows_amd64 (default: all)
#   --release   the release build `make release` packages, reproducible (see below); without it,
#               a debug build without debug info, which the platform tests run (make test)
#
# Reproducible release builds: paths are remapped (--remap-path-prefix for Rust,
# -ffile-prefix-map for aws-lc's C) so the checkout and the cargo home do not end up in the
# binary; symbols are stripped by the linker (-C strip=symbols); Linux binaries link against
# glibc 2.17 (Zig's versioned stubs), so they run on every distribution Terraform supports;
# macOS binaries declare macOS 11 as their minimum (as Terraform does). No build timestamp or
# host path enters. `scripts/release.sh --check-reproducible`
# builds linux_amd64 twice, in two checkouts, and compares the bytes.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# A failing command names itself and the script (scripts/lib.sh).
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
cd "$root"

name=terraform-provider-tagdeploy
profile=dev
platforms=()
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "cross-build.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) platforms+=("$arg") ;;
  esac
done
[ ${#platforms[@]} -gt 0 ] || platforms=(darwin_amd64 darwin_arm64 linux_amd64 linux_arm64 windows_amd64)

# Rust target triple, and the Zig target cargo-zigbuild is given (a glibc floor for Linux).
triple_of() {
  case "$1" in
    darwin_amd64) echo x86_64-apple-darwin ;;
    darwin_arm64) echo aarch64-apple-darwin ;;
    linux_amd64) echo x86_64-unknown-linux-gnu ;;
    linux_arm64) echo aarch64-unknown-linux-gnu ;;
    windows_amd64) echo x86_64-pc-windows-gnu ;;
    *) echo "cross-build.sh: $1 is not a platform this provider ships for" >&2; return 1 ;;
  esac
}
zig_target_of() {
  case "$1" in
    *-linux-gnu) echo "$1.2.17" ;;
    *) echo "$1" ;;
  esac
}

"$root/scripts/toolchain.sh"
export PATH="$root/.tools/venv/bin:$PATH"
cargo_home=${CARGO_HOME:-$HOME/.cargo}
frameworks="$root/.tools/macos-sdk/System/Library/Frameworks"

for p in "${platforms[@]}"; do
  triple=$(triple_of "$p")
  flags=()
  case "$triple" in
    *-apple-darwin)
      flags+=("-Clink-arg=-F$frameworks")
      # The oldest macOS the binary runs on (LC_BUILD_VERSION minos), the one Terraform itself
      # needs; without it Zig would stamp its own default (15.0).
      export MACOSX_DEPLOYMENT_TARGET=11.0
      ;;
  esac
  if [ "$profile" = release ]; then
    flags+=("--remap-path-prefix=$root=/build" "--remap-path-prefix=$cargo_home=/cargo" "-Cstrip=symbols")
    # aws-lc's C sources: the same remapping for __FILE__ and friends.
    cflags_var="CFLAGS_${triple//-/_}"
    export "$cflags_var=-ffile-prefix-map=$root=/build -ffile-prefix-map=$cargo_home=/cargo"
    cargo_profile=(--release)
    dir=release
  else
    # No debug info: the tests only start the binaries, and it keeps the Windows one at a
    # fraction of its 370 MB.
    export CARGO_PROFILE_DEV_DEBUG=0
    cargo_profile=()
    dir=debug
  fi
  # Unit separator: one flag per field, whatever the paths hold.
  encoded=$(IFS=$'\x1f'; echo "${flags[*]}")
  exe=$name; case "$p" in windows_*) exe=$name.exe ;; esac
  echo "cross-build: $p ($triple, $profile)" >&2
  # Wall time depends on what else the machine runs; CPU time (user + sys of cargo and every
  # compiler and linker it starts) is what the build costs.
  timing=$(mktemp)
  CARGO_ENCODED_RUSTFLAGS="$encoded" /usr/bin/env time -f "%e %U %S" -o "$timing" \
    cargo zigbuild --quiet "${cargo_profile[@]}" \
    --target "$(zig_target_of "$triple")" -p "$name" --bin "$name" >&2
  read -r wall user sys <"$timing"; rm -f "$timing"
  echo "cross-build: $p built in ${wall%.*} s wall, $(python3 -c "print(round($user + $sys))") s CPU; $(wc -c <"target/$triple/$dir/$exe") bytes" >&2
  echo "$p target/$triple/$dir/$exe"
done
