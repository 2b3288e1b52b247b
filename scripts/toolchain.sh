#!/usr/bin/env bash
# Installs what building the provider for every Terraform platform needs, project-locally:
#
#   rustup targets     the standard library for x86_64/aarch64-apple-darwin,
#                      aarch64-unknown-linux-gnu and x86_64-pc-windows-gnu (into the active
#                      toolchain: rustup keeps them there, not in the project)
#   .tools/venv        PyPI ziglang (C compiler and linker for every target) and cargo-zigbuild,
#                      pinned in scripts/requirements-release.txt
#   .tools/macos-sdk   text stubs (.tbd) of the two macOS frameworks the provider links, so no
#                      Apple SDK is needed (see macos_stubs below)
#
# --emulators  also installs, from Debian with apt-get (root only: there is no PyPI or crates
#              package for them), qemu-user-static with the arm64 C runtime (runs linux_arm64
#              binaries) and wine64 (runs windows_amd64 binaries), and prepares the Wine prefix
#              target/wine-prefix. Without apt-get or root it says so and carries on: the tests
#              that need them then report SKIPPED with that reason.
#
# Prints nothing when everything is in place, unless VERBOSE=1. Safe to run concurrently.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# A failing command names itself and the script (scripts/lib.sh).
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
tools="$root/.tools"
venv="$tools/venv"
req="$root/scripts/requirements-release.txt"
emulators=false
for arg in "$@"; do
  case "$arg" in
    --emulators) emulators=true ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "toolchain.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
say() { if [ "${VERBOSE:-}" = 1 ]; then echo "toolchain: $*" >&2; fi; }
note() { echo "toolchain: $*" >&2; }

mkdir -p "$root/target" "$tools"
exec 8>"$root/target/.toolchain.lock"
flock 8

# --- Rust standard libraries for the cross targets -------------------------------------------
cross_targets="x86_64-apple-darwin aarch64-apple-darwin aarch64-unknown-linux-gnu x86_64-pc-windows-gnu"
command -v rustup >/dev/null 2>&1 || { echo "toolchain.sh: rustup is needed to add the cross targets" >&2; exit 1; }
installed=$(rustup target list --installed)
missing=""
for t in $cross_targets; do
  grep -qx "$t" <<<"$installed" || missing="$missing $t"
done
if [ -n "$missing" ]; then
  note "adding Rust targets:$missing"
  # shellcheck disable=SC2086
  rustup target add $missing >/dev/null
fi

# --- Zig and cargo-zigbuild ------------------------------------------------------------------
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  note "installing ziglang and cargo-zigbuild into .tools/venv"
  [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
fi

# --- macOS framework stubs -------------------------------------------------------------------
# Linking for macOS needs to know which dylib exports each symbol; Apple's SDK says so in .tbd
# text files. The provider calls 21 functions of two system frameworks (CoreFoundation and
# Security, through rustls-native-certs, which reads the keychain's trusted roots); everything
# else comes from libSystem, whose stub ships with Zig. These stubs list exactly those symbols
# with the frameworks' real install names, so the binary loads the system's own frameworks.
# After a dependency update, a link error "undefined symbol: _Sec..." or "_CF..." names a symbol
# to add to the matching list.
core_foundation_symbols="_CFArrayCreate _CFArrayGetCount _CFArrayGetValueAtIndex _CFDataGetBytePtr
  _CFDataGetLength _CFDictionaryGetValueIfPresent _CFEqual _CFNumberGetValue _CFRelease _CFRetain
  _CFStringCreateWithBytesNoCopy _CFStringGetBytes _CFStringGetCStringPtr _CFStringGetLength
  _kCFAllocatorDefault _kCFAllocatorNull _kCFTypeArrayCallBacks"
security_symbols="_SecCertificateCopyData _SecCopyErrorMessageString _SecTrustSettingsCopyCertificates
  _SecTrustSettingsCopyTrustSettings"
macos_stub() { # framework, symbols
  local fw=$1 dir="$tools/macos-sdk/System/Library/Frameworks/$1.framework" list
  list=$(echo $2 | sed 's/ /, /g')
  mkdir -p "$dir"
  cat >"$dir/$fw.tbd.new" <<TBD
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/System/Library/Frameworks/$fw.framework/Versions/A/$fw'
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ $list ]
...
TBD
  mv "$dir/$fw.tbd.new" "$dir/$fw.tbd"
}
macos_stub CoreFoundation "$core_foundation_symbols"
macos_stub Security "$security_symbols"
mkdir -p "$tools/macos-sdk/usr/lib" # cargo-zigbuild adds it to the library path
say "Rust targets, Zig $("$venv/bin/python" -m ziglang version) and the macOS stubs are in place"

# --- Emulators (Debian packages) -------------------------------------------------------------
$emulators || exit 0
debs=""
[ -x /usr/bin/qemu-aarch64-static ] || debs="$debs qemu-user-static"
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || debs="$debs libc6-arm64-cross"
[ -e /usr/aarch64-linux-gnu/lib/libgcc_s.so.1 ] || debs="$debs libgcc-s1-arm64-cross"
[ -x /usr/lib/wine/wine64 ] || debs="$debs wine64"
if [ -n "$debs" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    note "SKIPPED installing$debs: no apt-get here (the emulator tests will say SKIPPED)"
  elif [ "$(id -u)" != 0 ]; then
    note "SKIPPED installing$debs: apt-get needs root (sudo apt-get install$debs; the emulator tests will say SKIPPED)"
  else
    note "installing Debian packages with apt-get:$debs"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $debs >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $debs >/dev/null \
        || note "apt-get install$debs failed (the emulator tests will say SKIPPED)"
    fi
  fi
fi

# The Wine prefix: created once (about 10 s), plus the ProcessPrng stand-in Wine 8 lacks (see
# tests/it/release/wine/bcryptprimitives.c).
if [ -x /usr/lib/wine/wine64 ]; then
  prefix="$root/target/wine-prefix"
  shim_src="$root/tests/it/release/wine/bcryptprimitives.c"
  shim="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
  export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  if [ ! -d "$prefix/drive_c/windows/system32" ]; then
    note "creating the Wine prefix target/wine-prefix"
    /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
    /usr/lib/wine/wineserver -w 2>/dev/null || true
  fi
  if [ -d "$prefix/drive_c/windows/system32" ] && { [ ! -f "$shim" ] || [ "$shim_src" -nt "$shim" ]; }; then
    "$venv/bin/python" -m ziglang cc -target x86_64-windows-gnu -shared -O2 -s \
      -o "$shim" "$shim_src" -lbcrypt
  fi
fi
