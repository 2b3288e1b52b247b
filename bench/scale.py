#!/usr/bin/env python3
"""The scale scenarios of `make bench`: Terraform and the provider under AWS's rate limits.

Every scenario runs against its own tagdeploy-emulator process started with `--aws-rate-limits`
(AWS's published ECS token buckets and ECR per-second quotas, per account and region; see
emulator/README.md) and a real clock (a rollout step every STEP_MS), so rollouts progress while an
apply waits for them.

Each of BENCH_SCALE_RUNS runs (default 3) starts from the world as loaded, the Terraform state the
scenario needs and full buckets (POST /_emulator/rate-limits/refill), then times the scenario's
Terraform commands one after the other. One entry per scenario goes to bench/results.json `scale`:

- `wall_s`: the commands' wall time, median run;
- `floor_s`: the time AWS's buckets alone impose on the calls the median run made (computed here,
  see `floor_seconds`);
- `calls`, `throttled_calls`: AWS calls of the median run, and how many the rate limits refused;
- `failed_applies`: Terraform commands that failed, over all runs;
- `peak_rss_mb`: the provider processes' peak RSS (VmHWM), over all runs.

Python 3 standard library only; run by bench/run.py (BENCH_ONLY=scale runs only these).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness import ACCOUNT, PREAMBLE, REGION, Emulator, Terraform, Workspace, env_int, log

SCALE_RUNS = env_int("BENCH_SCALE_RUNS", 3)
# Only these scenarios (comma-separated names), for a quick look at one; default: all.
ONLY = [n for n in os.environ.get("BENCH_SCALE_SCENARIOS", "").split(",") if n]
# Rollout steps of the emulator's real clock: a forced deployment of a service takes 3 steps.
STEP_MS = 200
CLUSTER = "bench"
FROM_RELEASE = "hash_1"
TO_RELEASE = "hash_2"
ENV_TAG = "prod"
DESIRED_COUNT = 2
PLAN_FILE = "release.tfplan"


def repository_uri(repository: str) -> str:
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repository}"


def world(apps: dict[str, list[str]], desired: int = DESIRED_COUNT) -> dict:
    """One repository per app (hash_1 tagged prod, and hash_2), one task definition per app on
    `<repo>:prod`, and the app's services, `desired` tasks each, all steady on hash_1."""
    return {
        "accountId": ACCOUNT,
        "region": REGION,
        "startTime": 1767225600,
        "seed": 14,
        "repositories": [
            {"name": app, "images": [{"tags": [FROM_RELEASE, ENV_TAG]}, {"tags": [TO_RELEASE]}]} for app in apps
        ],
        "clusters": [{"name": CLUSTER}],
        "taskDefinitions": [
            {"family": app, "containerDefinitions": [{"name": "app", "image": f"{repository_uri(app)}:{ENV_TAG}"}]}
            for app in apps
        ],
        "services": [
            {"cluster": CLUSTER, "serviceName": service, "taskDefinition": app, "desiredCount": desired}
            for app, services in apps.items()
            for service in services
        ],
    }


def service_names(first: int, count: int) -> list[str]:
    return [f"svc-{i:03d}" for i in range(first, first + count)]


def hcl_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


# --- the scenarios --------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A world, a configuration, how to reach the starting state, the measured commands (each a
    list of Terraform arguments, or the saved plan to apply) and the check of the outcome."""

    name: str
    n: int
    description: str
    world: dict
    config: str
    baseline: list[str] | None
    commands: list[list[str] | str]
    verify: Callable[[Emulator, str], str | None]


def release_commands() -> list[list[str] | str]:
    """Plan to a file, then apply it: the two commands of a CI release job."""
    return [["plan", "-input=false", f"-out={PLAN_FILE}", "-var", f"release={TO_RELEASE}"], PLAN_FILE]


def verify_release(apps: dict[str, list[str]], waited: bool) -> Callable[[Emulator, str], str | None]:
    """`prod` on hash_2 in every repository; every service deployed exactly once since the reset
    (no rollback, no second deployment), its PRIMARY deployment on hash_2's digest, and, when the
    apply waited, COMPLETED."""

    def verify(emulator: Emulator, _output: str) -> str | None:
        state = emulator.state()
        digests = {
            r["name"]: {t: i["digest"] for i in r["images"] for t in i["tags"]} for r in state["repositories"]
        }
        owner = {service: app for app, services in apps.items() for service in services}
        for app in apps:
            if digests[app].get(ENV_TAG) != digests[app].get(TO_RELEASE):
                return f"{app}: {ENV_TAG} is not on {TO_RELEASE}"
        for cluster in state["clusters"]:
            for service in cluster["services"]:
                app = owner.get(service["name"])
                if app is None:
                    continue
                everything = service["deployments"] + service["inactiveDeployments"]
                if len(everything) != 2:
                    return f"{service['name']}: {len(everything) - 1} deployments since the reset, not 1"
                primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
                if len(primary) != 1 or primary[0]["images"][0]["digest"] != digests[app][TO_RELEASE]:
                    return f"{service['name']}: the PRIMARY deployment does not run {TO_RELEASE}"
                if waited and primary[0]["rolloutState"] != "COMPLETED":
                    return f"{service['name']}: the apply waited but the rollout is {primary[0]['rolloutState']}"
        return None

    return verify


def prod_tag_100() -> Scenario:
    apps = {"app": service_names(1, 100)}
    config = PREAMBLE + f"""
variable "release" {{
  type = string
}}

resource "tagdeploy_prod_tag" "release" {{
  repository       = "app"
  release_tag      = var.release
  cluster          = "{CLUSTER}"
  services         = {hcl_list(apps["app"])}
  wait_for_rollout = false
}}
"""
    return Scenario(
        name="prod_tag_100_services",
        n=100,
        description="one `tagdeploy_prod_tag` releasing hash_2 to 100 services, `wait_for_rollout = false`",
        world=world(apps),
        config=config,
        baseline=["apply", "-auto-approve", "-input=false", "-var", f"release={FROM_RELEASE}"],
        commands=release_commands(),
        verify=verify_release(apps, waited=False),
    )


def prod_tag_20x5() -> Scenario:
    apps = {f"app-{i:02d}": service_names(5 * (i - 1) + 1, 5) for i in range(1, 21)}
    entries = "\n".join(f'    "{app}" = {hcl_list(services)}' for app, services in apps.items())
    config = PREAMBLE + f"""
variable "release" {{
  type = string
}}

locals {{
  apps = {{
{entries}
  }}
}}

resource "tagdeploy_prod_tag" "app" {{
  for_each    = local.apps
  repository  = each.key
  release_tag = var.release
  cluster     = "{CLUSTER}"
  services    = each.value
}}
"""
    return Scenario(
        name="prod_tag_20x5_services",
        n=100,
        description=(
            "20 `tagdeploy_prod_tag` (20 repositories) of 5 services each in one apply, at Terraform's "
            "default parallelism (10), each waiting for its rollouts"
        ),
        world=world(apps),
        config=config,
        baseline=["apply", "-auto-approve", "-input=false", "-var", f"release={FROM_RELEASE}"],
        commands=release_commands(),
        verify=verify_release(apps, waited=True),
    )


def verify_output(*expected: str) -> Callable[[Emulator, str], str | None]:
    def verify(_emulator: Emulator, output: str) -> str | None:
        missing = [e for e in expected if e not in output]
        return f"the plan does not show {missing}" if missing else None

    return verify


def status_100() -> Scenario:
    apps = {"app": service_names(1, 100)}
    config = PREAMBLE + f"""
data "tagdeploy_task_digests" "service" {{
  for_each = toset({hcl_list(apps["app"])})
  cluster  = "{CLUSTER}"
  service  = each.key
}}

output "all_match" {{
  value = alltrue([for d in data.tagdeploy_task_digests.service : d.all_match])
}}

output "tasks" {{
  value = sum([for d in data.tagdeploy_task_digests.service : length(d.tasks)])
}}
"""
    return Scenario(
        name="status_100_services",
        n=100,
        description="`terraform plan -refresh-only` of 100 `tagdeploy_task_digests` (2 tasks each)",
        world=world(apps),
        config=config,
        baseline=None,
        commands=[["plan", "-refresh-only", "-input=false"]],
        verify=verify_output("all_match = true", f"tasks     = {100 * DESIRED_COUNT}"),
    )


def task_digests_1000() -> Scenario:
    apps = {"app": ["big"]}
    config = PREAMBLE + f"""
data "tagdeploy_task_digests" "big" {{
  cluster = "{CLUSTER}"
  service = "big"
}}

output "all_match" {{
  value = data.tagdeploy_task_digests.big.all_match
}}

output "tasks" {{
  value = length(data.tagdeploy_task_digests.big.tasks)
}}
"""
    return Scenario(
        name="task_digests_1000_tasks",
        n=1000,
        description="`terraform plan -refresh-only` of one `tagdeploy_task_digests` over a service of 1,000 tasks",
        world=world(apps, desired=1000),
        config=config,
        baseline=None,
        commands=[["plan", "-refresh-only", "-input=false"]],
        verify=verify_output("all_match = true", "tasks     = 1000"),
    )


def release_set_20() -> Scenario | None:
    """A release set of 20 repositories (`tagdeploy_release`, issue 12): return its Scenario
    here (20 repositories × 5 services in one release set, released together; the world is
    `world({app: services})` as in `prod_tag_20x5`, the verification `verify_release`) and it is
    measured and rendered like the others. Not written yet: None, and the docs say so."""
    return None


def scenarios() -> list[Scenario]:
    found = [prod_tag_100(), prod_tag_20x5(), status_100(), task_digests_1000()]
    release_set = release_set_20()
    if release_set is not None:
        found.insert(2, release_set)
    return found


# --- the floor ------------------------------------------------------------------------------------


def floor_seconds(phases: list[list[str]], buckets: list[dict], service_of: dict[str, str]) -> float:
    """The time AWS's buckets alone impose on `phases` (each the operations one Terraform command
    called, in order; each command starts when the previous one ends), with every bucket full at
    the start: within a command every call goes as early as its bucket allows (a bucket of burst
    B and refill R serves c calls at once if it holds c tokens, else the rest at R per second),
    and the command ends when its last call could go. Calls of no bucket cost nothing.

    A lower bound of the wall time: no client could make the same calls faster. For example
    100 UpdateService in one command: 50 at once, then 50 at 5 per second, 10 s."""
    spec = {b["name"]: b for b in buckets}
    bucket_of = {(b["service"], op): b["name"] for b in buckets for op in b["operations"]}
    level = {name: float(b["burst"]) for name, b in spec.items()}
    at = {name: 0.0 for name in spec}
    now = 0.0
    for operations in phases:
        counts: dict[str, int] = {}
        for op in operations:
            name = bucket_of.get((service_of.get(op, ""), op))
            if name:
                counts[name] = counts.get(name, 0) + 1
        end = now
        for name, count in counts.items():
            b = spec[name]
            tokens = min(float(b["burst"]), level[name] + (now - at[name]) * b["perSecond"])
            if count <= tokens:
                level[name], at[name] = tokens - count, now
            else:
                done = now + (count - tokens) / b["perSecond"]
                level[name], at[name] = 0.0, done
                end = max(end, done)
        now = end
    return now


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    calls: int
    throttled: int
    floor_s: float
    failed: int
    peak_rss_kb: int
    by_operation: dict[str, int]
    throttled_by_operation: dict[str, int]


def measure(scenario: Scenario, terraform: Terraform, work: Path, emulator_log: Path) -> tuple[dict, dict]:
    """The scenario's `scale` entry and the details the document shows."""
    directory = work / f"scale-{scenario.name}"
    directory.mkdir(parents=True)
    world_file = directory / "world.json"
    world_file.write_text(json.dumps(scenario.world))
    emulator = Emulator(world_file, emulator_log, clock=["--step-ms", str(STEP_MS)], extra=["--aws-rate-limits"])
    try:
        limits = emulator.admin("GET", "rate-limits")
        assert isinstance(limits, dict) and limits["enabled"], limits
        buckets = limits["buckets"]
        ws = Workspace(terraform, directory / "tf", scenario.config, emulator.url)
        if scenario.baseline:
            # The state after the previous release, made with the limits off (not measured).
            emulator.admin("POST", "rate-limits", {"enabled": False})
            ws.run(scenario.baseline, check=True)
            shutil.copy2(ws.dir / "terraform.tfstate", ws.dir / "baseline.tfstate")
            emulator.admin("POST", "rate-limits", {})
        runs = []
        for index in range(SCALE_RUNS):
            runs.append(one_run(scenario, ws, emulator, buckets))
            r = runs[-1]
            log(
                f"{scenario.name} run {index + 1}/{SCALE_RUNS}: {r.wall_s:.2f}s (floor {r.floor_s:.2f}s), "
                f"{r.calls} calls, {r.throttled} throttled, {r.failed} failed"
            )
    finally:
        emulator.stop()
    median = sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]
    return {
        "name": scenario.name,
        "n": scenario.n,
        "wall_s": round(median.wall_s, 2),
        "floor_s": round(median.floor_s, 2),
        "calls": median.calls,
        "throttled_calls": median.throttled,
        "failed_applies": sum(r.failed for r in runs),
        "peak_rss_mb": round(max(r.peak_rss_kb for r in runs) / 1024, 1),
    }, {
        "name": scenario.name,
        "description": scenario.description,
        "runs": len(runs),
        "wall_s_all": [round(r.wall_s, 2) for r in runs],
        "throttled_all": [r.throttled for r in runs],
        "calls_all": [r.calls for r in runs],
        "calls_by_operation": median.by_operation,
        "throttled_by_operation": median.throttled_by_operation,
    }


def one_run(scenario: Scenario, ws: Workspace, emulator: Emulator, buckets: list[dict]) -> Run:
    emulator.reset()
    if scenario.baseline:
        shutil.copy2(ws.dir / "baseline.tfstate", ws.dir / "terraform.tfstate")
    (ws.dir / PLAN_FILE).unlink(missing_ok=True)
    emulator.admin("POST", "rate-limits/refill")
    emulator.clear_requests()
    wall, failed, peak, output = 0.0, 0, 0, ""
    phases: list[list[str]] = []
    records: list[dict] = []
    for command in scenario.commands:
        if isinstance(command, str):
            elapsed, code, text = ws.run(["apply", "-input=false"], watch_rss=True, plan_file=command)
        else:
            elapsed, code, text = ws.run(command, watch_rss=True)
        wall += elapsed
        peak = max(peak, ws.peak_rss_kb)
        output += text
        made = emulator.requests()
        emulator.clear_requests()
        records += made
        phases.append([r["operation"] for r in made if not r["throttled"] and r["status"] is not None])
        if code != 0:
            failed += 1
            log(f"{scenario.name}: terraform {command} failed:\n{text[-3000:]}")
            break
    if failed == 0:
        problem = scenario.verify(emulator, output)
        if problem:
            raise SystemExit(f"bench: {scenario.name}: the commands succeeded but {problem}")
    service_of = {r["operation"]: r["service"] for r in records}
    by_operation: dict[str, int] = {}
    throttled_by_operation: dict[str, int] = {}
    for r in records:
        by_operation[r["operation"]] = by_operation.get(r["operation"], 0) + 1
        if r["throttled"]:
            throttled_by_operation[r["operation"]] = throttled_by_operation.get(r["operation"], 0) + 1
    return Run(
        wall_s=wall,
        calls=len(records),
        throttled=sum(1 for r in records if r["throttled"]),
        floor_s=floor_seconds(phases, buckets, service_of),
        failed=failed,
        peak_rss_kb=peak,
        by_operation=dict(sorted(by_operation.items())),
        throttled_by_operation=dict(sorted(throttled_by_operation.items())),
    )


def run(terraform: Terraform, work: Path) -> tuple[list[dict], dict]:
    """Measures every scale scenario with `terraform`; returns the `scale` entries and the
    details the document shows."""
    entries, details = [], []
    for scenario in scenarios():
        if ONLY and scenario.name not in ONLY:
            continue
        entry, detail = measure(scenario, terraform, work, work / f"emulator-{scenario.name}.log")
        entries.append(entry)
        details.append(detail)
    meta = {
        "terraform": terraform.version,
        "runs": SCALE_RUNS,
        "step_ms": STEP_MS,
        "release_set": "not measured yet: tagdeploy_release exists, its scenario (release_set_20 in bench/scale.py) is not written"
        if release_set_20() is None
        else "measured",
        "scenarios": details,
        "median_wall_s": statistics.median(e["wall_s"] for e in entries) if entries else None,
    }
    return entries, meta
