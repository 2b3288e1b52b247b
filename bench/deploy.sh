#!/usr/bin/env bash
# The release step of RFC 013's deploy.sh, with the AWS CLI, as the benchmark's baseline:
#   bench/deploy.sh REPOSITORY RELEASE_TAG ENV_TAG CLUSTER SERVICE...
# Fetches the release's manifest (batch-get-image), stores it again under the environment tag
# (put-image), then forces a new deployment of every service, one after the other
# (update-service --force-new-deployment). It does not wait for the rollouts, and like the
# original it passes no media types and aborts if the tag is already in place.
# The AWS CLI is $AWS (default: `aws` on PATH); endpoint and credentials come from the environment.
set -euo pipefail
aws=${AWS:-aws}
if [ $# -lt 5 ]; then
  echo "usage: $0 REPOSITORY RELEASE_TAG ENV_TAG CLUSTER SERVICE..." >&2
  exit 2
fi
repository=$1 release=$2 env_tag=$3 cluster=$4
shift 4

manifest=$("$aws" ecr batch-get-image --repository-name "$repository" \
  --image-ids imageTag="$release" --query 'images[0].imageManifest' --output text)
"$aws" ecr put-image --repository-name "$repository" --image-tag "$env_tag" \
  --image-manifest "$manifest" >/dev/null
echo "$repository:$env_tag -> $release"

for service in "$@"; do
  "$aws" ecs update-service --cluster "$cluster" --service "$service" \
    --force-new-deployment >/dev/null
  echo "redeploying $service"
done
