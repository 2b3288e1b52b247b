#!/usr/bin/env python3
"""The release-set scenario (issue 12): five repositories of two services each, in two
clusters, promoted as one `tagdeploy_release` (all or nothing), against the same five images
promoted by five independent `tagdeploy_prod_tag` resources in one apply. Each apply waits for
every rollout; a thread steps the emulator's manual clock meanwhile.

Reports, per scenario, the apply's wall time (median of BENCH_RUNS, default 3) and the AWS calls
it made, by operation, against the minimum: each manifest fetched once (BatchGetImage) and put
once (PutImage) per repository, and one UpdateService per service.

Reuses bench/run.py's emulator, Terraform and mirror helpers. BENCH_PROFILE=debug measures the
debug builds (target/debug) instead of the release builds. Writes bench/release_set.json.
Python 3 standard library only.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402

PROFILE = os.environ.get("BENCH_PROFILE", "release")
if PROFILE != "release":
    bench.PROVIDER_BIN = bench.ROOT / "target" / PROFILE / "terraform-provider-tagdeploy"
    bench.EMULATOR_BIN = bench.ROOT / "target" / PROFILE / "tagdeploy-emulator"

RUNS = bench.env_int("BENCH_RUNS", 3)
# (repository, cluster): five repositories, three in `main` and two in `batch`.
IMAGES = [("r1", "main"), ("r2", "main"), ("r3", "main"), ("r4", "batch"), ("r5", "batch")]
SERVICES_PER_IMAGE = 2


def services_of(repository: str) -> list[str]:
    return [f"{repository}-{i}" for i in range(1, SERVICES_PER_IMAGE + 1)]


def world() -> dict:
    uri = f"{bench.ACCOUNT}.dkr.ecr.{bench.REGION}.amazonaws.com"
    return {
        "accountId": bench.ACCOUNT,
        "region": bench.REGION,
        "startTime": 1767225600,
        "seed": 7,
        "repositories": [
            {
                "name": repository,
                "images": [
                    {"tags": [bench.FROM_RELEASE, bench.ENV_TAG], "generate": {"seed": f"{repository}:1"}},
                    {"tags": [bench.TO_RELEASE], "generate": {"seed": f"{repository}:2"}},
                ],
            }
            for repository, _ in IMAGES
        ],
        "clusters": [{"name": "main"}, {"name": "batch"}],
        "taskDefinitions": [
            {
                "family": repository,
                "containerDefinitions": [{"name": "app", "image": f"{uri}/{repository}:{bench.ENV_TAG}"}],
            }
            for repository, _ in IMAGES
        ],
        "services": [
            {
                "cluster": cluster,
                "serviceName": service,
                "taskDefinition": repository,
                "desiredCount": bench.DESIRED_COUNT,
                "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
            }
            for repository, cluster in IMAGES
            for service in services_of(repository)
        ],
    }


def quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def set_config() -> str:
    images = "".join(
        f"""    {repository} = {{
      repository  = "{repository}"
      release_tag = var.release
      cluster     = "{cluster}"
      services    = [{quoted(services_of(repository))}]
    }}
"""
        for repository, cluster in IMAGES
    )
    return bench.PREAMBLE + f"""
variable "release" {{
  type = string
}}

resource "tagdeploy_release" "set" {{
  tag = "{bench.ENV_TAG}"
  images = {{
{images}  }}
}}
"""


def separate_config() -> str:
    resources = "".join(
        f"""
resource "tagdeploy_prod_tag" "{repository}" {{
  repository  = "{repository}"
  release_tag = var.release
  tag         = "{bench.ENV_TAG}"
  cluster     = "{cluster}"
  services    = [{quoted(services_of(repository))}]
}}
"""
        for repository, cluster in IMAGES
    )
    return bench.PREAMBLE + '\nvariable "release" {\n  type = string\n}\n' + resources


def minimum() -> dict[str, int]:
    return {
        "BatchGetImage": len(IMAGES),
        "PutImage": len(IMAGES),
        "UpdateService": len(IMAGES) * SERVICES_PER_IMAGE,
    }


class Clock(threading.Thread):
    """Steps the emulator's manual clock (one emulated second) every 20 ms until stopped."""

    def __init__(self, emulator: bench.Emulator):
        super().__init__(daemon=True)
        self.emulator = emulator
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.emulator.admin("POST", "clock/advance", {"steps": 1})

    def stop(self) -> None:
        self.done.set()
        self.join()


def verify(emulator: bench.Emulator) -> None:
    state = emulator.admin("GET", "state")
    for repository in state["repositories"]:
        tags = {t: i["digest"] for i in repository["images"] for t in i.get("tags", [])}
        if tags[bench.ENV_TAG] != tags[bench.TO_RELEASE]:
            raise SystemExit(f"bench: {repository['name']}'s tag did not move")


def measure(emulator: bench.Emulator, name: str, config: str, tf: bench.Terraform, work: Path) -> dict:
    emulator.admin("POST", "world", world())
    ws = bench.Workspace(tf, work / f"{name}-tf{tf.label}", config, emulator.url)
    ws.run(["apply", "-auto-approve", "-input=false", "-var", f"release={bench.FROM_RELEASE}"], check=True)
    shutil.copy2(ws.dir / "terraform.tfstate", ws.dir / "baseline.tfstate")
    times, calls = [], []
    for i in range(RUNS):
        emulator.reset()
        shutil.copy2(ws.dir / "baseline.tfstate", ws.dir / "terraform.tfstate")
        emulator.clear_requests()
        clock = Clock(emulator)
        try:
            elapsed, code, out = ws.run(["apply", "-auto-approve", "-input=false", "-var", f"release={bench.TO_RELEASE}"])
        finally:
            clock.stop()
        if code != 0:
            raise SystemExit(f"bench: {name} failed:\n{out}")
        # The clock's own admin calls are not AWS calls.
        records = [r for r in emulator.requests() if r.get("operation")]
        calls.append(bench.count_calls(records))
        verify(emulator)
        times.append(elapsed)
        bench.log(f"{name} run {i + 1}/{RUNS}: {elapsed:.2f}s, {calls[-1][0]} AWS calls")
    total, by_operation = calls[len(calls) // 2]
    return {
        "name": name,
        "terraform": tf.version,
        "runs": RUNS,
        "median_s": round(statistics.median(times), 2),
        "times_s": [round(t, 2) for t in times],
        "aws_calls": total,
        "aws_calls_by_operation": by_operation,
        "aws_calls_each_run": [c[0] for c in calls],
        "mutating_calls": sum(by_operation.get(op, 0) for op in minimum()),
        "mutating_calls_minimum": sum(minimum().values()),
        "minimum_by_operation": minimum(),
    }


def main() -> int:
    for binary in (bench.PROVIDER_BIN, bench.EMULATOR_BIN):
        if not binary.exists():
            raise SystemExit(f"bench: {binary} is missing: build it (cargo build --profile {PROFILE})")
    terraforms = bench.find_terraforms()
    tf = terraforms[0]
    with tempfile.TemporaryDirectory(prefix="bench-release-set-") as scratch:
        work = Path(scratch)
        bench._CLI_CONFIG = bench.install_mirror(work)
        world_file = work / "world.json"
        world_file.write_text(json.dumps(world()))
        emulator = bench.Emulator(world_file, work / "emulator.log")
        try:
            results = [
                measure(emulator, "one tagdeploy_release (5 images x 2 services)", set_config(), tf, work),
                measure(emulator, "five tagdeploy_prod_tag (the same)", separate_config(), tf, work),
            ]
        finally:
            emulator.stop()
    out = {"profile": PROFILE, "machine": bench.machine(), "scenarios": results}
    (bench.BENCH / "release_set.json").write_text(json.dumps(out, indent=2) + "\n")
    for r in results:
        print(
            f"{r['name']}: median {r['median_s']} s over {r['runs']} runs (Terraform {r['terraform']}); "
            f"{r['aws_calls']} AWS calls, {r['mutating_calls']} mutating (minimum {r['mutating_calls_minimum']}): "
            f"{r['aws_calls_by_operation']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
