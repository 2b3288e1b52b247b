"""make bench, strategies scenario: the AWS calls one wait costs, per ECS deployment strategy.

For each case (ROLLING, BLUE_GREEN, LINEAR, CANARY, and BLUE_GREEN with a PAUSE hook that the
resource approves) and each N, `terraform apply` of a `tagdeploy_prod_tag` with
`wait_for_rollout = true` promotes hash_2 to N services of that strategy and follows their
service deployments until every one is SUCCESSFUL. The emulator's request log gives the calls:
the wait's (DescribeServiceDeployments, DescribeServiceRevisions, ContinueServiceDeployment,
StopServiceDeployment) apart from the rest of the apply's.

The emulator runs on its own real clock here (one rollout step a second, emulated time ten times
faster, so a one-minute bake time lasts six seconds): the wait's calls depend on how long the
deployment takes, and its polls are paced by wall time (250 ms doubling up to 5 s). The counts
are therefore those of these short deployments; a longer one adds about 12 polls a minute.

Called by bench/run.py (its module is passed in as `bench`: emulator, workspace, call counting).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import time
from pathlib import Path

STEP_MS = 1000
TIME_SCALE = 10
BAKE_MINUTES = 1
DESIRED_COUNT = 2
# DescribeServiceDeployments and DescribeServiceRevisions take 20 ARNs a call.
BATCH = 20
WAIT_OPERATIONS = (
    "DescribeServiceDeployments",
    "DescribeServiceRevisions",
    "ContinueServiceDeployment",
    "StopServiceDeployment",
)
LOAD_BALANCER = {
    "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
    "containerName": "app",
    "containerPort": 80,
    "advancedConfiguration": {
        "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2",
        "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3",
        "roleArn": "arn:aws:iam::123456789012:role/ecs-blue-green",
    },
}

# (case, strategy, deploymentConfiguration beyond the strategy, pause_hook_action)
CASES = [
    ("rolling", "ROLLING", {}, None),
    ("blue-green", "BLUE_GREEN", {"bakeTimeInMinutes": BAKE_MINUTES}, None),
    (
        "linear",
        "LINEAR",
        {
            "bakeTimeInMinutes": BAKE_MINUTES,
            "linearConfiguration": {"stepPercent": 50, "stepBakeTimeInMinutes": BAKE_MINUTES},
        },
        None,
    ),
    (
        "canary",
        "CANARY",
        {
            "bakeTimeInMinutes": BAKE_MINUTES,
            "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": BAKE_MINUTES},
        },
        None,
    ),
    (
        "blue-green-pause",
        "BLUE_GREEN",
        {
            "bakeTimeInMinutes": BAKE_MINUTES,
            "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}],
        },
        "CONTINUE",
    ),
]


def env_list(name: str, default: str) -> list[int]:
    return [int(s) for s in os.environ.get(name, default).split(",") if s.strip()]


def services(case: str, n: int) -> list[str]:
    return [f"{case}-{i:03d}" for i in range(1, n + 1)]


def world(bench, sizes: list[int]) -> dict:
    """For each case, max(sizes) services of its strategy (desired count 2) on `<repo>:prod`."""
    entries = []
    for case, strategy, extra, _ in CASES:
        for name in services(case, max(sizes)):
            service = {
                "cluster": bench.CLUSTER,
                "serviceName": name,
                "taskDefinition": bench.REPOSITORY,
                "desiredCount": DESIRED_COUNT,
                "deploymentConfiguration": {
                    "strategy": strategy,
                    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                    **extra,
                },
            }
            if strategy != "ROLLING":
                service["loadBalancers"] = [LOAD_BALANCER]
            entries.append(service)
    base = bench.world(0)
    base["services"] = entries
    return base


def config(bench, case: str, n: int, pause: str | None) -> str:
    names = ", ".join(f'"{s}"' for s in services(case, n))
    extra = f'  pause_hook_action = "{pause}"\n' if pause else ""
    return bench.PREAMBLE + f"""
variable "release" {{
  type = string
}}

resource "tagdeploy_prod_tag" "release" {{
  repository  = "{bench.REPOSITORY}"
  release_tag = var.release
  tag         = "{bench.ENV_TAG}"
  cluster     = "{bench.CLUSTER}"
  services    = [{names}]
{extra}
  timeouts {{
    update = "10m"
  }}
}}
"""


def check_state(path: Path, n: int, case: str) -> None:
    """Every service's rollout ended SUCCESSFUL, as the wait saw it."""
    state = json.loads(path.read_text())
    for resource in state.get("resources", []):
        if resource.get("type") == "tagdeploy_prod_tag":
            rollouts = resource["instances"][0]["attributes"].get("rollouts") or {}
            statuses = {name: r.get("status") for name, r in rollouts.items()}
            if len(statuses) != n or set(statuses.values()) != {"SUCCESSFUL"}:
                raise SystemExit(f"bench: strategies {case} N={n}: rollouts {statuses}")
            return
    raise SystemExit(f"bench: strategies {case} N={n}: no tagdeploy_prod_tag in {path}")


def measure_case(bench, emulator, terraform, work: Path, case: str, n: int, pause: str | None, runs: int) -> dict:
    ws = bench.Workspace(terraform, work / f"strategies-{case}-{n}", config(bench, case, n, pause), emulator.url)
    # The resource already holds hash_1 (the world runs it: nothing is deployed).
    emulator.reset()
    ws.run(["apply", "-auto-approve", "-input=false", "-var", f"release={bench.FROM_RELEASE}"], check=True)
    shutil.copy2(ws.dir / "terraform.tfstate", ws.dir / "baseline.tfstate")
    per_run = []
    for i in range(runs):
        emulator.reset()
        shutil.copy2(ws.dir / "baseline.tfstate", ws.dir / "terraform.tfstate")
        emulator.clear_requests()
        elapsed, code, out = ws.run(["apply", "-auto-approve", "-input=false", "-var", f"release={bench.TO_RELEASE}"])
        if code != 0:
            raise SystemExit(f"bench: strategies {case} N={n} failed:\n{out}")
        total, by_op = bench.count_calls(emulator.requests())
        bench.verify_promoted(emulator)
        check_state(ws.dir / "terraform.tfstate", n, case)
        wait = {op: c for op, c in by_op.items() if op in WAIT_OPERATIONS}
        per_run.append({"elapsed_s": round(elapsed, 2), "aws_calls": total, "by_operation": by_op, "wait": wait})
        bench.log(f"strategies {case} N={n} run {i + 1}/{runs}: {elapsed:.1f}s, wait calls {wait}")
    polls = [r["wait"].get("DescribeServiceDeployments", 0) for r in per_run]
    wait_totals = [sum(r["wait"].values()) for r in per_run]
    middle = sorted(range(runs), key=lambda i: wait_totals[i])[runs // 2]
    return {
        "case": case,
        "strategy": next(s for c, s, _, _ in CASES if c == case),
        "pause_hook_action": pause,
        "n": n,
        "runs": runs,
        # The run with the median number of wait calls, in full.
        "wait_calls": wait_totals[middle],
        "wait_calls_by_operation": per_run[middle]["wait"],
        "wait_calls_min": min(wait_totals),
        "wait_calls_max": max(wait_totals),
        "describe_service_deployments_per_poll": math.ceil(n / BATCH),
        "polls": [p // math.ceil(n / BATCH) for p in polls],
        "apply_aws_calls": per_run[middle]["aws_calls"],
        "apply_aws_calls_by_operation": per_run[middle]["by_operation"],
        "apply_median_s": round(statistics.median(r["elapsed_s"] for r in per_run), 2),
        "apply_times_s": [r["elapsed_s"] for r in per_run],
    }


def measure_strategies(bench, work: Path, terraform) -> dict:
    """Every case at every size; returns the `strategies` member of bench/results.json."""
    started = time.time()
    sizes = env_list("BENCH_STRATEGY_SIZES", "1,25")
    runs = int(os.environ.get("BENCH_STRATEGY_RUNS", "").strip() or 2)
    world_file = work / "strategies-world.json"
    world_file.write_text(json.dumps(world(bench, sizes)))
    emulator = bench.Emulator(
        world_file,
        work / "strategies-emulator.log",
        ["--step-ms", str(STEP_MS), "--time-scale", str(TIME_SCALE)],
    )
    try:
        bench.log(f"strategies: emulator at {emulator.url} (real clock, {STEP_MS} ms steps, time x{TIME_SCALE})")
        cases = [
            measure_case(bench, emulator, terraform, work, case, n, pause, runs)
            for case, _, _, pause in CASES
            for n in sizes
        ]
    finally:
        emulator.stop()
    return {
        "cases": cases,
        "terraform": terraform.version,
        "emulator": (
            f"release build, real clock: one rollout step every {STEP_MS} ms, emulated time {TIME_SCALE}x "
            f"(a {BAKE_MINUTES}-minute bake time lasts {BAKE_MINUTES * 60 // TIME_SCALE} s)"
        ),
        "desired_count": DESIRED_COUNT,
        "bake_minutes": BAKE_MINUTES,
        "machine": bench.machine(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "duration_s": round(time.time() - started, 1),
    }
