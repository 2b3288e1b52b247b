#!/usr/bin/env bash
# make demo: the RFC 013 release flow, through terraform apply, against the local emulator.
# Builds the provider and the emulator, starts the emulator on examples/demo/world.json, installs
# the provider into a local filesystem mirror, then narrates the release of hash_2 to prod.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

TERRAFORM=${TERRAFORM:-$root/scripts/terraform-1.15}
STEP_MS=${DEMO_STEP_MS:-1500}
bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
quietly() { # run a command, show its output only if it fails
  local log; log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log"; rm -f "$log"; return 1; fi
  rm -f "$log"
}

step "Building the provider and the emulator"
quietly cargo build --quiet --bins
quietly scripts/tools.sh
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="terraform-provider-tagdeploy"][0])')

work=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-demo.XXXXXX")
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting tagdeploy-emulator on the RFC demo world (one rollout step every ${STEP_MS} ms)"
mkfifo "$work/emulator.out"
target/debug/tagdeploy-emulator --listen 127.0.0.1:0 --world examples/demo/world.json --step-ms "$STEP_MS" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
read -r first_line <"$work/emulator.out"
endpoint=${first_line#listening on }
echo "emulator: $endpoint (repository example: hash_1, hash_2; prod on hash_1; service example, 2 tasks)"

case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
mirror="$work/mirror/terraform.local/tagdeploy/tagdeploy/$version/$(uname -s | tr '[:upper:]' '[:lower:]')_$arch"
mkdir -p "$mirror"
cp target/debug/terraform-provider-tagdeploy "$mirror/terraform-provider-tagdeploy_v$version"
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
tf() { (cd "$work" && "$TERRAFORM" "$@" -no-color); }
tf_outputs() { (cd "$work" && "$TERRAFORM" output -no-color); }
quietly tf init

step "1. terraform apply -var release=hash_1  (prod already runs hash_1: nothing to promote)"
tf apply -auto-approve -var release=hash_1 -var endpoint="$endpoint" | grep -E '^(Apply complete|tagdeploy_prod_tag)' || true
tf_outputs

step "2. terraform plan -var release=hash_2  (the promotion, previewed before anything moves)"
tf plan -var release=hash_2 -var endpoint="$endpoint" | sed -n '/Terraform will perform/,/^Plan:/p'

step "3. terraform apply -var release=hash_2 -var wait_for_rollout=false  (retag and redeploy, do not wait)"
tf apply -auto-approve -var release=hash_2 -var wait_for_rollout=false -var endpoint="$endpoint" \
  | grep -E '^(Apply complete|tagdeploy_prod_tag|Warning: Check block)' || true
sleep "$(python3 -c "print($STEP_MS / 1000)")"
echo "... ${STEP_MS} ms later, mid-rollout (terraform apply -refresh-only re-reads the data source):"
tf apply -refresh-only -auto-approve -var release=hash_2 -var wait_for_rollout=false -var endpoint="$endpoint" >/dev/null || true
tf_outputs

step "4. terraform apply -var release=hash_2  (waits for the rollout already under way; no second deployment)"
tf apply -auto-approve -var release=hash_2 -var endpoint="$endpoint" | grep -E '^(Apply complete|tagdeploy_prod_tag)' || true
tf_outputs

calls=$(python3 - "$endpoint" <<'PY'
import collections, json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))
count = collections.Counter(r["operation"] for r in log)
print(", ".join(f"{op} {n}" for op, n in sorted(count.items())))
PY
)
echo "AWS calls served by the emulator during the demo: $calls"

step "Done: every task runs the digest prod points at. Stopping the emulator."
