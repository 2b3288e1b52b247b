#!/usr/bin/env bash
# cargo-nextest, the test runner of `make test`: `scripts/nextest.sh ARGS…` is `cargo nextest ARGS…`
# (e.g. `scripts/nextest.sh run -E 'test(/bad_input/)'`).
#
# The suite needs nextest rather than `cargo test`: every test runs in a process of its own
# (tests start Terraform and provider processes, send signals and hold emulator calls), and
# a test that hangs is ended (`slow-timeout` in .config/nextest.toml) instead of stalling the run.
#
# Which cargo-nextest: .tools/bin/cargo-nextest when it is there; else one on PATH at least as
# new as NEXTEST_VERSION; else NEXTEST_VERSION is built from crates.io into .tools (once).
# `--install-only` stops there. It is a debug build without debug info: a test runner spends
# its time waiting for tests, and the release build (LTO) takes about 2.5 times as much CPU
# (measured on 2 cores: 10 CPU-minutes against 4 with debug info, less without).
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

NEXTEST_VERSION=0.9.143
tools="$root/.tools"
local_nextest="$tools/bin/cargo-nextest"

# The version a cargo-nextest binary reports (`cargo-nextest 0.9.143 (…)` → 0.9.143).
version_of() { "$1" nextest --version 2>/dev/null | sed -n '1s/^cargo-nextest \([0-9.]*\).*/\1/p'; }

# True when version $1 is at least version $2.
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

pick() {
  if [ -x "$local_nextest" ] && [ "$(version_of "$local_nextest")" = "$NEXTEST_VERSION" ]; then
    echo "$local_nextest"
    return
  fi
  local found
  found=$(command -v cargo-nextest || true)
  if [ -n "$found" ] && at_least "$(version_of "$found")" "$NEXTEST_VERSION"; then
    echo "$found"
  fi
}

nextest=$(pick)
if [ -z "$nextest" ]; then
  require cargo "install Rust with rustup (https://rustup.rs), which puts cargo on PATH"
  mkdir -p "$root/target"
  exec 8>"$root/target/.nextest.lock"
  flock 8
  nextest=$(pick)
  if [ -z "$nextest" ]; then
    echo "tools: building cargo-nextest $NEXTEST_VERSION from crates.io into .tools (once; a few minutes)" >&2
    build=$(mktemp -d "${TMPDIR:-/tmp}/nextest-build.XXXXXX")
    trap 'rm -rf "$build"' EXIT
    hint "cargo could not build cargo-nextest $NEXTEST_VERSION (crates.io unreachable? see the error above). Run scripts/nextest.sh --install-only to retry, or put cargo-nextest $NEXTEST_VERSION or later on PATH."
    CARGO_PROFILE_DEV_DEBUG=0 cargo install --quiet --locked --debug --target-dir "$build" \
      --root "$tools" cargo-nextest --version "$NEXTEST_VERSION"
    rm -rf "$build"
    nextest=$local_nextest
  fi
fi

if [ "${1:-}" = "--install-only" ]; then
  exit 0
fi
hint ""
exec "$nextest" nextest "$@"
