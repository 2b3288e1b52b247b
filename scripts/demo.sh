#!/usr/bin/env bash
# make demo: the RFC 013 flow against the local emulator, from an empty account.
#
# With hashicorp/aws 5.100 on this machine (a filesystem mirror: TAGDEPLOY_AWS_PROVIDER_MIRROR,
# default /opt/tf-plugins; it is never downloaded) and skopeo (installed by scripts/oci-client.sh
# where it can be): `terraform apply` of infra/ creates the stack, skopeo pushes two builds as
# hash_1 and hash_2, hash_1 is released, the plan previews hash_2, its apply is shown mid-rollout,
# and the check ends complete. Without them it says why in one line and runs the world-file demo
# (examples/demo/: the stack and the images conjured by examples/demo/world.json).
# Needs the Rust toolchain and Python 3; Terraform 1.15 comes from scripts/tools.sh (.venv).
# A failing step says which command failed and what to do (scripts/lib.sh).
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

TERRAFORM=${TERRAFORM:-$root/scripts/terraform-1.15}
STEP_MS=${DEMO_STEP_MS:-1500}
AWS_VERSION=5.100.0
bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }

require cargo "install Rust with rustup (https://rustup.rs), which puts cargo on PATH"
require python3 "install Python 3.9 or later"
require mkfifo "it is part of GNU coreutils; install coreutils"

# The whole workspace: the provider and the emulator (`cargo build --bins` alone builds only
# the provider, the root package).
step "Building the provider and the emulator (the first build compiles the AWS SDK: several minutes)"
hint "cargo could not build the workspace; the compiler's error is above."
cargo build --workspace --bins
bin=${CARGO_TARGET_DIR:-$root/target}/debug
for built in terraform-provider-tagdeploy tagdeploy-emulator; do
  [ -x "$bin/$built" ] || die "cargo build did not produce $bin/$built (does build.target-dir in a cargo config point elsewhere? set CARGO_TARGET_DIR to it)"
done
hint "scripts/tools.sh could not install Terraform 1.15 into .venv; its error is above."
scripts/tools.sh
hint "cargo metadata failed; its error is above."
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="terraform-provider-tagdeploy"][0])')
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
platform="$(uname -s | tr '[:upper:]' '[:lower:]')_$arch"

work=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-demo.XXXXXX")
emulator_pid="" ticker_pid=""
cleanup() {
  # A killed ticker exits 143: not the demo's outcome.
  if [ -n "$ticker_pid" ]; then kill "$ticker_pid" 2>/dev/null; wait "$ticker_pid" 2>/dev/null || true; fi
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# hashicorp/aws from a filesystem mirror, and an OCI client: the whole flow; else the world file.
aws_mirror=${TAGDEPLOY_AWS_PROVIDER_MIRROR:-/opt/tf-plugins}
stack_flow=yes
if [ ! -d "$aws_mirror/registry.terraform.io/hashicorp/aws/$AWS_VERSION/$platform" ]; then
  echo "hashicorp/aws $AWS_VERSION not found in $aws_mirror (set TAGDEPLOY_AWS_PROVIDER_MIRROR to a filesystem mirror holding it): running the world-file demo instead"
  stack_flow=no
elif ! skopeo=$(scripts/oci-client.sh 2>"$work/skopeo.err"); then
  echo "$(cat "$work/skopeo.err"): running the world-file demo instead"
  stack_flow=no
fi

mkdir -p "$work/mirror/terraform.local/tagdeploy/tagdeploy/$version/$platform" "$work/tf"
cp "$bin/terraform-provider-tagdeploy" "$work/mirror/terraform.local/tagdeploy/tagdeploy/$version/$platform/terraform-provider-tagdeploy_v$version"
{
  echo 'provider_installation {'
  printf '  filesystem_mirror {\n    path    = "%s"\n    include = ["terraform.local/*/*"]\n  }\n' "$work/mirror"
  [ "$stack_flow" = yes ] && printf '  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n' "$aws_mirror"
  echo '}'
} >"$work/terraform.rc"
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN
hint ""

# `tf ARGS…`: terraform ARGS in the demo directory, its output kept in $last for `show`. A
# failing command prints its whole output and the emulator's log, and ends the demo.
last="$work/terraform.log"
tf() {
  if ! (cd "$work/tf" && "$TERRAFORM" "$1" -no-color "${@:2}") >"$last" 2>&1; then
    cat "$last" >&2
    printf '%s\n' "--- the emulator's log (last lines):" >&2
    tail -n 20 "$work/emulator.log" >&2 2>/dev/null || true
    die "terraform $1 failed: its output and the emulator's log are above."
  fi
}
# The lines of the last terraform output matching the extended regular expression $1.
show() { grep -E "$1" "$last" || true; }
tf_outputs() { tf output "$@"; cat "$last"; }

start_emulator() { # WORLD [emulator flags…]: starts it, sets $endpoint
  mkfifo "$work/emulator.out"
  "$bin/tagdeploy-emulator" --listen 127.0.0.1:0 --world "$@" >"$work/emulator.out" 2>"$work/emulator.log" &
  emulator_pid=$!
  # It prints `listening on URL` once it serves; end of file instead means it exited.
  local first_line="" status
  if ! read -r first_line <"$work/emulator.out" || [ "${first_line#listening on }" = "$first_line" ]; then
    wait "$emulator_pid" 2>/dev/null && status=0 || status=$?
    emulator_pid=""
    die "tagdeploy-emulator did not start (exit $status; it printed: ${first_line:-nothing}). Its log:
$(cat "$work/emulator.log")"
  fi
  endpoint=${first_line#listening on }
}

calls_served() {
  python3 - "$endpoint" <<'PY'
import collections, json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))
count = collections.Counter(f'{r["service"]}:{r["operation"]}' for r in log)
print(", ".join(f"{op} {n}" for op, n in sorted(count.items())))
PY
}

world_demo() {
  step "Starting tagdeploy-emulator on the RFC demo world (one rollout step every ${STEP_MS} ms)"
  start_emulator examples/demo/world.json --step-ms "$STEP_MS"
  echo "emulator: $endpoint (repository example: hash_1, hash_2; prod on hash_1; service example, 2 tasks)"
  cp examples/demo/main.tf "$work/tf/"
  tf init

  step "1. terraform apply -var release=hash_1  (prod already runs hash_1: nothing to promote)"
  tf apply -auto-approve -var release=hash_1 -var endpoint="$endpoint"
  show '^(Apply complete|tagdeploy_prod_tag)'
  tf_outputs

  step "2. terraform plan -var release=hash_2  (the promotion, previewed before anything moves)"
  tf plan -var release=hash_2 -var endpoint="$endpoint"
  sed -n '/Terraform will perform/,/^Plan:/p' "$last"

  step "3. terraform apply -var release=hash_2 -var wait_for_rollout=false  (retag and redeploy, do not wait)"
  tf apply -auto-approve -var release=hash_2 -var wait_for_rollout=false -var endpoint="$endpoint"
  show '^(Apply complete|tagdeploy_prod_tag|Warning: Check block)'
  sleep "$(python3 -c "print($STEP_MS / 1000)")"
  echo "... ${STEP_MS} ms later, mid-rollout (terraform apply -refresh-only re-reads the data source):"
  tf apply -refresh-only -auto-approve -var release=hash_2 -var wait_for_rollout=false -var endpoint="$endpoint"
  tf_outputs

  step "4. terraform apply -var release=hash_2  (waits for the rollout already under way; no second deployment)"
  tf apply -auto-approve -var release=hash_2 -var endpoint="$endpoint"
  show '^(Apply complete|tagdeploy_prod_tag)'
  tf_outputs
  echo "AWS calls served by the emulator during the demo: $(calls_served)"
}

# The emulator's clock, stepped by this script: running during applies that wait, stopped while
# the demo looks at a rollout half-way.
clock_run() {
  ( while :; do
      python3 -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_emulator/clock/advance", data=b"{}", method="POST"))' "$endpoint" >/dev/null 2>&1 || exit 0
      sleep 0.2
    done ) &
  ticker_pid=$!
}
clock_stop() { kill "$ticker_pid" 2>/dev/null; wait "$ticker_pid" 2>/dev/null || true; ticker_pid=""; }
clock_steps() {
  python3 -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_emulator/clock/advance", data=("{\"steps\": %s}" % sys.argv[2]).encode(), method="POST"))' "$endpoint" "$1" >/dev/null
}

stack_demo() {
  step "Starting tagdeploy-emulator with an empty account"
  echo '{}' >"$work/empty.json"
  start_emulator "$work/empty.json" --manual-clock
  echo "emulator: $endpoint (ECR, ECS and CloudWatch Logs APIs, and the ECR registry under /v2/)"
  cp infra/*.tf "$work/tf/"
  cat >"$work/tf/emulator.auto.tfvars" <<VARS
region             = "us-east-1"
name               = "example"
endpoint           = "$endpoint"
manage_iam         = false # the emulator has no IAM: see infra/README.md
execution_role_arn = "arn:aws:iam::123456789012:role/example-task-execution"
subnet_ids         = ["subnet-0123456789abcdef0"]
security_group_ids = ["sg-0123456789abcdef0"]
force_delete       = true
VARS
  export PATH="$root/.venv/bin:$PATH" AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL_ECR="$endpoint"
  tf init
  clock_run

  step "1. terraform apply  (infra/ with hashicorp/aws $AWS_VERSION: repository, cluster, log group, task definition on :prod, service with no task)"
  tf apply -auto-approve
  show '(Creation complete|^Apply complete)'

  step "2. Two builds pushed by skopeo, tagged with their release hash (scripts/push-release.sh)"
  hint "scripts/push-release.sh could not push the image; its error is above."
  for tag in hash_1 hash_2; do
    echo "$tag: $(scripts/push-release.sh example "$tag")"
  done
  hint ""

  step "3. terraform apply -var release=hash_1  (prod created on hash_1, the service scaled up onto it)"
  tf apply -auto-approve -var release=hash_1
  show '^(tagdeploy_prod_tag|aws_ecs_service).*complete|^Apply complete'
  echo "check.sh, as an output:"
  tf_outputs prod

  step "4. terraform plan -var release=hash_2  (the promotion, previewed before anything moves)"
  tf plan -var release=hash_2
  show '^\s+[~+-] (image_digest|previous_digest|release_tag|description)|^Plan:'

  step "5. terraform apply -var release=hash_2 -var wait_for_rollout=false  (retag and redeploy, do not wait)"
  clock_stop
  tf apply -auto-approve -var release=hash_2 -var wait_for_rollout=false
  show '^(tagdeploy_prod_tag.*complete|Apply complete)'
  clock_steps 1
  echo "... one rollout step later, mid-rollout (terraform apply -refresh-only re-reads the data source):"
  tf apply -refresh-only -auto-approve -var release=hash_2 -var wait_for_rollout=false
  tf_outputs prod

  step "6. terraform apply -var release=hash_2  (waits for the rollout already under way; no second deployment)"
  clock_run
  tf apply -auto-approve -var release=hash_2
  show '^(tagdeploy_prod_tag.*complete|Apply complete)'
  tf_outputs prod
  echo "AWS calls served by the emulator during the demo: $(calls_served)"
}

if [ "$stack_flow" = yes ]; then stack_demo; else world_demo; fi
step "Done: every task runs the digest prod points at. Stopping the emulator."
