#!/usr/bin/env bash
# Builds the release image for TAG (scripts/oci-image.py) and pushes it to ECR repository
# REPOSITORY with skopeo, logged in with the password from `aws ecr get-authorization-token`,
# exactly as against AWS; prints the pushed manifest digest.
#
#   scripts/push-release.sh REPOSITORY TAG [--broken]
#
# The registry is the authorization's proxyEndpoint: on AWS the repository's registry host, on
# the emulator its own http://127.0.0.1:PORT (point the AWS CLI there with AWS_ENDPOINT_URL_ECR);
# TLS verification is off only for plain-http endpoints. TAGDEPLOY_BUSYBOX names a static busybox
# to put in the image so that real Fargate can run it (the emulator runs nothing).
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# A failing command names itself and the script (scripts/lib.sh).
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
repository=$1 tag=$2 broken=${3:-}

aws=aws
[ -x "$root/.venv/bin/aws" ] && aws="$root/.venv/bin/aws"
skopeo=$("$root/scripts/oci-client.sh")

work=$(mktemp -d "${TMPDIR:-/tmp}/tagdeploy-push.XXXXXX")
trap 'rm -rf "$work"' EXIT

read -r token endpoint < <("$aws" ecr get-authorization-token --output text \
  --query 'authorizationData[0].[authorizationToken,proxyEndpoint]')
host=${endpoint#*://}
host=${host%/}
tls=true
case "$endpoint" in http://*) tls=false ;; esac
# The token is base64 of AWS:<password>: exactly the "auth" member of a registry auth file, which
# keeps the password off the command line.
umask 077
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$host" "$token" >"$work/auth.json"

args=()
[ -n "${TAGDEPLOY_BUSYBOX:-}" ] && args+=(--busybox "$TAGDEPLOY_BUSYBOX")
[ "$broken" = "--broken" ] && args+=(--broken)
digest=$(python3 "$root/scripts/oci-image.py" "$work/image" "$tag" "${args[@]}")
"$skopeo" copy --quiet --authfile "$work/auth.json" --dest-tls-verify="$tls" \
  "oci:$work/image:$tag" "docker://$host/$repository:$tag"
echo "$digest"
