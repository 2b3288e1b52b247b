#!/usr/bin/env bash
# make demo: the RFC 013 release flow, through terraform apply, against the local emulator.
# Builds the provider and the emulator, starts the emulator on examples/demo/world.json, installs
# the provider into a local filesystem mirror, then narrates the release of hash_2 to prod.
# Needs the Rust toolchain and Python 3; Terraform 1.15 comes from scripts/tools.sh (.venv).
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

TERRAFORM=${TERRAFORM:-$root/scripts/terraform-1.15}
STEP_MS=${DEMO_STEP_MS:-1500}
target=${CARGO_TARGET_DIR:-$root/target}
bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }

require cargo "install Rust with rustup (https://rustup.rs), which puts cargo on PATH"
require python3 "install Python 3.9 or later"
require mkfifo "it is part of GNU coreutils; install coreutils"

step "Building the provider and the emulator (the first build compiles the AWS SDK: several minutes)"
hint "cargo could not build the workspace; the compiler's error is above."
cargo build --workspace --bins
for bin in terraform-provider-tagdeploy tagdeploy-emulator; do
  [ -x "$target/debug/$bin" ] || die "cargo build did not produce $target/debug/$bin (is CARGO_TARGET_DIR or build.target-dir pointing elsewhere?)"
done
hint "scripts/tools.sh could not install Terraform 1.15 into .venv; its error is above."
scripts/tools.sh
hint "cargo metadata failed; its error is above."
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="terraform-provider-tagdeploy"][0])')

work=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-demo.XXXXXX")
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting tagdeploy-emulator on the RFC demo world (one rollout step every ${STEP_MS} ms)"
mkfifo "$work/emulator.out"
"$target/debug/tagdeploy-emulator" --listen 127.0.0.1:0 --world examples/demo/world.json --step-ms "$STEP_MS" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
# The emulator prints `listening on URL` once it serves; EOF instead means it exited.
first_line=""
if ! read -r first_line <"$work/emulator.out" || [ "${first_line#listening on }" = "$first_line" ]; then
  wait "$emulator_pid" 2>/dev/null && status=0 || status=$?
  emulator_pid=""
  die "tagdeploy-emulator did not start (exit $status; it printed: ${first_line:-nothing}). Its log:
$(cat "$work/emulator.log")"
fi
endpoint=${first_line#listening on }
echo "emulator: $endpoint (repository example: hash_1, hash_2; prod on hash_1; service example, 2 tasks)"

case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
mirror="$work/mirror/terraform.local/tagdeploy/tagdeploy/$version/$(uname -s | tr '[:upper:]' '[:lower:]')_$arch"
mkdir -p "$mirror"
cp "$target/debug/terraform-provider-tagdeploy" "$mirror/terraform-provider-tagdeploy_v$version"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["terraform.local/*/*"]
  }
}
RC
cp examples/demo/main.tf "$work/"
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

# `tf FILTER ARGS…`: runs terraform ARGS in the demo directory and prints the lines of its output
# matching the sed script FILTER. A failing command prints its whole output and ends the demo.
tf() {
  local filter=$1 log="$work/terraform.log"
  shift
  if ! (cd "$work" && "$TERRAFORM" "$@" -no-color) >"$log" 2>&1; then
    cat "$log" >&2
    printf '%s\n' "--- the emulator's log:" >&2
    tail -n 20 "$work/emulator.log" >&2
    die "terraform $* failed: its output and the emulator's log are above."
  fi
  sed -n "$filter" "$log"
}
# Only the summary lines of an apply.
applied='/^\(Apply complete\|tagdeploy_prod_tag\|Warning: Check block\)/p'
tf_outputs() { tf p output; }
tf '' init

step "1. terraform apply -var release=hash_1  (prod already runs hash_1: nothing to promote)"
tf "$applied" apply -auto-approve -var release=hash_1 -var endpoint="$endpoint"
tf_outputs

step "2. terraform plan -var release=hash_2  (the promotion, previewed before anything moves)"
tf '/Terraform will perform/,/^Plan:/p' plan -var release=hash_2 -var endpoint="$endpoint"

step "3. terraform apply -var release=hash_2 -var wait_for_rollout=false  (retag and redeploy, do not wait)"
tf "$applied" apply -auto-approve -var release=hash_2 -var wait_for_rollout=false -var endpoint="$endpoint"
sleep "$(python3 -c "print($STEP_MS / 1000)")"
echo "... ${STEP_MS} ms later, mid-rollout (terraform apply -refresh-only re-reads the data source):"
tf '' apply -refresh-only -auto-approve -var release=hash_2 -var wait_for_rollout=false -var endpoint="$endpoint"
tf_outputs

step "4. terraform apply -var release=hash_2  (waits for the rollout already under way; no second deployment)"
tf "$applied" apply -auto-approve -var release=hash_2 -var endpoint="$endpoint"
tf_outputs

hint "the emulator's request log ($endpoint/_emulator/requests) could not be read; the emulator may have exited."
calls=$(python3 - "$endpoint" <<'PY'
import collections, json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))
count = collections.Counter(r["operation"] for r in log)
print(", ".join(f"{op} {n}" for op, n in sorted(count.items())))
PY
)
echo "AWS calls served by the emulator during the demo: $calls"

step "Done: every task runs the digest prod points at. Stopping the emulator."
