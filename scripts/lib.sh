# Sourced by the scripts in this directory (bash, `set -Eeuo pipefail`): a failure never ends a
# script silently. Any command that fails prints which script, which command and its exit code,
# then the hint set for the step under way (`hint "…"`): what to do about it.

script_name=${0##*/}
step_hint=""

# What to do if the steps that follow fail.
hint() { step_hint=$*; }

# Prints a message naming the script and exits 1.
die() {
  printf '%s: %s\n' "$script_name" "$*" >&2
  exit 1
}

# `require PROGRAM WHAT-TO-DO`: dies unless PROGRAM is on PATH.
require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH: $2"
}

on_error() {
  local code=$1 line=$2 command=$3
  printf '\n%s: failed (exit %s) at line %s: %s\n' "$script_name" "$code" "$line" "$command" >&2
  if [ -n "$step_hint" ]; then
    printf '%s: %s\n' "$script_name" "$step_hint" >&2
  fi
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
