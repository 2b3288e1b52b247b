#!/usr/bin/env bash
# RFC 013's check.sh with the AWS CLI, as the benchmark's baseline:
#   bench/check.sh REPOSITORY ENV_TAG CLUSTER SERVICE...
# Prints the digest the environment tag points at, then one line per running task of each
# service with the digest it runs and whether that matches, asking for each task on its own
# (list-tasks per service, describe-tasks per task), as the original did.
# Exits 0 when every task matches, 1 otherwise.
# The AWS CLI is $AWS (default: `aws` on PATH); endpoint and credentials come from the environment.
set -euo pipefail
aws=${AWS:-aws}
if [ $# -lt 4 ]; then
  echo "usage: $0 REPOSITORY ENV_TAG CLUSTER SERVICE..." >&2
  exit 2
fi
repository=$1 env_tag=$2 cluster=$3
shift 3

env_digest=$("$aws" ecr describe-images --repository-name "$repository" \
  --image-ids imageTag="$env_tag" --query 'imageDetails[0].imageDigest' --output text)
echo "$env_tag ENV_DIGEST: $env_digest"

status=0
for service in "$@"; do
  for task in $("$aws" ecs list-tasks --cluster "$cluster" --service-name "$service" \
    --query 'taskArns[]' --output text); do
    digest=$("$aws" ecs describe-tasks --cluster "$cluster" --tasks "$task" \
      --query 'tasks[0].containers[0].imageDigest' --output text)
    if [ "$digest" = "$env_digest" ]; then
      echo "TASK_DIGEST: $digest (match)"
    else
      echo "TASK_DIGEST: $digest (no_match)"
      status=1
    fi
  done
done
exit "$status"
