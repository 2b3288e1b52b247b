#!/usr/bin/env python3
"""make bench: the shell recipe of RFC 013 against `terraform` with this provider, side by side.

One run of this script, against one tagdeploy-emulator process (release build, manual clock):

- promotion of one repository's release to N services without waiting for the rollouts
  (bench/deploy.sh with the AWS CLI, against `terraform apply` of a tagdeploy_prod_tag that
  already holds the previous release);
- status check of N services (bench/check.sh against `terraform plan -refresh-only` of N
  tagdeploy_task_digests data sources);
- the AWS calls each run made, from the emulator's request log, against the minimum the APIs allow;
- the provider process alone: exec to handshake line, and peak RSS during the N = 50 runs;
- the wait (strategies): the AWS calls one `terraform apply` with `wait_for_rollout = true` makes
  while it follows the service deployments of N services of each ECS deployment strategy, on a
  second emulator whose clock runs by itself (bench/strategies.py).

Then the scale scenarios under AWS's rate limits (bench/scale.py): 100 services in one resource,
20 resources × 5 services in one apply, the status check of 100 services and a data source over
1,000 tasks, each with its wall time against the floor the rate limits impose.

Writes bench/results.json, then docs/benchmarks.md and its SVG plots (bench/render.py).
Python 3 standard library only. Knobs (environment): BENCH_SCENARIOS (default
"promotion,status,strategies,scale": a subset runs only those and keeps the other results already
in bench/results.json; BENCH_ONLY=scale is BENCH_SCENARIOS=scale), BENCH_RUNS (default 5),
BENCH_SLOW_SHELL_RUNS (default 3: runs of the shell status check at N = 50, which takes about a
minute each), BENCH_SIZES (default "1,10,50"), BENCH_HANDSHAKES (default 25),
BENCH_STRATEGY_RUNS (default 2), BENCH_STRATEGY_SIZES (default "1,25"), BENCH_SCALE_RUNS
(default 3), BENCH_SCALE_SCENARIOS (comma-separated names: only those scale scenarios, for a
quick look), BENCH_SKIP_BUILD=1.
"""

from __future__ import annotations

import collections
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import scale
from harness import (
    ACCOUNT,
    AWS_CLI,
    BENCH,
    MAGIC_COOKIE,
    PREAMBLE,
    PROVIDER_BIN,
    REGION,
    ROOT,
    Emulator,
    Terraform,
    Workspace,
    env_int,
    find_terraforms,
    install_mirror,
    log,
    machine,
    tf_env,
    use_cli_config,
)

REPOSITORY = "app"
REPOSITORY_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"
CLUSTER = "bench"
ENV_TAG = "prod"
FROM_RELEASE = "hash_1"
TO_RELEASE = "hash_2"
DESIRED_COUNT = 2

# The batch sizes the APIs allow.
BATCH_GET_IMAGE_BATCH = 100
DESCRIBE_TASKS_BATCH = 100


RUNS = env_int("BENCH_RUNS", 5)
SLOW_SHELL_RUNS = env_int("BENCH_SLOW_SHELL_RUNS", 3)
HANDSHAKES = env_int("BENCH_HANDSHAKES", 25)
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1,10,50").split(",") if s.strip()]
ALL_SCENARIOS = ("promotion", "status", "strategies", "scale")
# BENCH_ONLY=scale (the older knob) is BENCH_SCENARIOS=scale.
_DEFAULT_SCENARIOS = "scale" if os.environ.get("BENCH_ONLY") == "scale" else ",".join(ALL_SCENARIOS)
SCENARIOS = [s.strip() for s in os.environ.get("BENCH_SCENARIOS", _DEFAULT_SCENARIOS).split(",") if s.strip()]


def services(n: int) -> list[str]:
    return [f"svc-{i:03d}" for i in range(1, n + 1)]


def world(n: int) -> dict:
    """N services of desired count 2, all running <repo uri>:prod; prod on hash_1."""
    return {
        "accountId": ACCOUNT,
        "region": REGION,
        "startTime": 1767225600,
        "seed": 7,
        "repositories": [
            {
                "name": REPOSITORY,
                "images": [
                    {"tags": [FROM_RELEASE, ENV_TAG]},
                    {"tags": [TO_RELEASE]},
                ],
            }
        ],
        "clusters": [{"name": CLUSTER}],
        "taskDefinitions": [
            {
                "family": REPOSITORY,
                "containerDefinitions": [{"name": "app", "image": f"{REPOSITORY_URI}:{ENV_TAG}"}],
            }
        ],
        "services": [
            {
                "cluster": CLUSTER,
                "serviceName": name,
                "taskDefinition": REPOSITORY,
                "desiredCount": DESIRED_COUNT,
            }
            for name in services(n)
        ],
    }


# --- minimums -------------------------------------------------------------------------------------


def promotion_minimum(n: int) -> dict[str, int]:
    """Fetch the manifest once, store it under the tag once, one UpdateService per service."""
    return {"BatchGetImage": math.ceil(1 / BATCH_GET_IMAGE_BATCH), "PutImage": 1, "UpdateService": n}


def status_minimum(n: int) -> dict[str, int]:
    """The tag's digest once (one repository), ListTasks per service (it filters on one service),
    DescribeTasks 100 tasks a call across all services."""
    return {
        "DescribeImages": 1,
        "ListTasks": n,
        "DescribeTasks": math.ceil(n * DESIRED_COUNT / DESCRIBE_TASKS_BATCH),
    }


def count_calls(records: list[dict]) -> tuple[int, dict[str, int]]:
    bad = [r for r in records if r.get("status") != 200]
    if bad:
        raise SystemExit(f"bench: AWS calls failed during a measured run: {bad[:3]}")
    by_op = collections.Counter(r["operation"] for r in records)
    return len(records), dict(sorted(by_op.items()))


def promotion_config(n: int) -> str:
    names = ", ".join(f'"{s}"' for s in services(n))
    return PREAMBLE + f"""
variable "release" {{
  type = string
}}

resource "tagdeploy_prod_tag" "release" {{
  repository       = "{REPOSITORY}"
  release_tag      = var.release
  tag              = "{ENV_TAG}"
  cluster          = "{CLUSTER}"
  services         = [{names}]
  wait_for_rollout = false
}}
"""


def status_config(n: int) -> str:
    names = ", ".join(f'"{s}"' for s in services(n))
    return PREAMBLE + f"""
data "tagdeploy_task_digests" "service" {{
  for_each = toset([{names}])
  cluster  = "{CLUSTER}"
  service  = each.key
  tag      = "{ENV_TAG}"
}}

output "all_match" {{
  value = alltrue([for d in data.tagdeploy_task_digests.service : d.all_match])
}}
"""


# --- the shell recipes ----------------------------------------------------------------------------


def shell(script: str, args: list[str], endpoint: str) -> tuple[float, int, str]:
    env = tf_env(endpoint)
    env["AWS"] = str(AWS_CLI)
    start = time.perf_counter()
    done = subprocess.run([str(BENCH / script)] + args, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    return elapsed, done.returncode, done.stdout + done.stderr


# --- one scenario ---------------------------------------------------------------------------------


def summarise(times: list[float]) -> dict:
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": len(times),
        "times_s": [round(t, 3) for t in times],
    }


def measure(emulator: Emulator, name: str, n: int, terraforms: list[Terraform], work: Path) -> dict:
    """Runs the shell recipe and each Terraform, interleaved run by run so that load from other
    work on the machine falls on all of them alike."""
    emulator.load_world(world(n))
    names = services(n)
    shell_runs = SLOW_SHELL_RUNS if n >= 50 else RUNS
    workspaces = {}
    for tf in terraforms:
        config = promotion_config(n) if name == "promotion" else status_config(n)
        ws = Workspace(tf, work / f"{name}-{n}-tf{tf.label}", config, emulator.url)
        if name == "promotion":
            # The resource already exists and holds hash_1, as after the previous release.
            emulator.reset()
            ws.run(["apply", "-auto-approve", "-input=false", "-var", f"release={FROM_RELEASE}"], check=True)
            shutil.copy2(ws.dir / "terraform.tfstate", ws.dir / "baseline.tfstate")
        workspaces[tf.label] = ws

    shell_times: list[float] = []
    shell_calls: list[tuple[int, dict]] = []
    tf_times: dict[str, list[float]] = {tf.label: [] for tf in terraforms}
    tf_calls: dict[str, list[tuple[int, dict]]] = {tf.label: [] for tf in terraforms}

    for i in range(RUNS):
        if i < shell_runs:
            emulator.reset()
            emulator.clear_requests()
            if name == "promotion":
                elapsed, code, out = shell("deploy.sh", [REPOSITORY, TO_RELEASE, ENV_TAG, CLUSTER] + names, emulator.url)
            else:
                elapsed, code, out = shell("check.sh", [REPOSITORY, ENV_TAG, CLUSTER] + names, emulator.url)
            if code != 0:
                raise SystemExit(f"bench: the shell {name} failed (exit {code}):\n{out}")
            if name == "status" and out.count("(match)") != n * DESIRED_COUNT:
                raise SystemExit(f"bench: check.sh reported the wrong tasks:\n{out}")
            shell_calls.append(count_calls(emulator.requests()))
            if name == "promotion":
                verify_promoted(emulator)
            shell_times.append(elapsed)
        for tf in terraforms:
            ws = workspaces[tf.label]
            emulator.reset()
            if name == "promotion":
                shutil.copy2(ws.dir / "baseline.tfstate", ws.dir / "terraform.tfstate")
            emulator.clear_requests()
            if name == "promotion":
                args = ["apply", "-auto-approve", "-input=false", "-var", f"release={TO_RELEASE}"]
            else:
                args = ["plan", "-refresh-only", "-input=false"]
            elapsed, code, out = ws.run(args)
            if code != 0:
                raise SystemExit(f"bench: terraform {tf.version} {name} N={n} failed:\n{out}")
            tf_calls[tf.label].append(count_calls(emulator.requests()))
            if name == "promotion":
                verify_promoted(emulator)
                verify_state(ws.dir / "terraform.tfstate", emulator)
            tf_times[tf.label].append(elapsed)
        log(
            f"{name} N={n} run {i + 1}/{RUNS}: "
            + (f"shell {shell_times[-1]:.2f}s " if i < shell_runs else "")
            + " ".join(f"tf{label} {times[-1]:.2f}s" for label, times in tf_times.items())
        )

    for label, calls in list(tf_calls.items()) + [("shell", shell_calls)]:
        if len({json.dumps(c) for c in calls}) != 1:
            log(f"note: {name} N={n} {label}: AWS calls differ between runs: {calls}")

    minimum_by_op = promotion_minimum(n) if name == "promotion" else status_minimum(n)
    main = terraforms[0].label
    shell_summary = summarise(shell_times)
    entry = {
        "name": name,
        "n": n,
        "shell_median_s": shell_summary["median_s"],
        "terraform_median_s": summarise(tf_times[main])["median_s"],
        "speedup": round(shell_summary["median_s"] / summarise(tf_times[main])["median_s"], 2),
        "aws_calls": tf_calls[main][0][0],
        "aws_calls_minimum": sum(minimum_by_op.values()),
        "aws_calls_by_operation": tf_calls[main][0][1],
        "aws_calls_minimum_by_operation": minimum_by_op,
        "shell": {**shell_summary, "aws_calls": shell_calls[0][0], "aws_calls_by_operation": shell_calls[0][1]},
        "terraform_versions": {},
    }
    for tf in terraforms:
        summary = summarise(tf_times[tf.label])
        entry["terraform_versions"][tf.version] = {
            **summary,
            "speedup": round(shell_summary["median_s"] / summary["median_s"], 2),
            "aws_calls": tf_calls[tf.label][0][0],
            "aws_calls_by_operation": tf_calls[tf.label][0][1],
        }
    # The N = 50 runs once more, untimed, to watch the provider's memory.
    if n == max(SIZES):
        ws = workspaces[main]
        emulator.reset()
        if name == "promotion":
            shutil.copy2(ws.dir / "baseline.tfstate", ws.dir / "terraform.tfstate")
            ws.run(["apply", "-auto-approve", "-input=false", "-var", f"release={TO_RELEASE}"], check=True, watch_rss=True)
        else:
            ws.run(["plan", "-refresh-only", "-input=false"], check=True, watch_rss=True)
        entry["provider_peak_rss_mb"] = round(ws.peak_rss_kb / 1024, 1)
    return entry


def verify_promoted(emulator: Emulator) -> None:
    digests = emulator.tag_digests(REPOSITORY)
    if digests.get(ENV_TAG) is None or digests.get(ENV_TAG) != digests.get(TO_RELEASE):
        raise SystemExit(f"bench: after the promotion {ENV_TAG} is not on {TO_RELEASE}: {digests}")


def verify_state(path: Path, emulator: Emulator) -> None:
    """The applied state records the promoted digest and its image URI (built from the repository
    URI the plan handed over in private state), and keeps no private data."""
    digest = emulator.tag_digests(REPOSITORY).get(TO_RELEASE)
    state = json.loads(path.read_text())
    for resource in state.get("resources", []):
        if resource.get("type") == "tagdeploy_prod_tag":
            instance = resource["instances"][0]
            attributes = instance["attributes"]
            want = f"{REPOSITORY_URI}@{digest}"
            if attributes.get("image_digest") != digest or attributes.get("image_uri") != want:
                raise SystemExit(f"bench: state after the promotion: {attributes.get('image_digest')} {attributes.get('image_uri')}, want {want}")
            if instance.get("private"):
                raise SystemExit(f"bench: state keeps private data: {instance['private']}")
            return
    raise SystemExit(f"bench: no tagdeploy_prod_tag in {path}")


# --- the provider process alone -------------------------------------------------------------------


def client_certificate(work: Path) -> str:
    """A self-signed P-521 CA certificate, as Terraform passes in PLUGIN_CLIENT_CERT. The provider
    only pins it, so no key is needed afterwards; without openssl a stored one is used."""
    if shutil.which("openssl"):
        key, cert = work / "client.key", work / "client.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
             "-addext", "basicConstraints=critical,CA:TRUE", "-sha512"],
            check=True, capture_output=True,
        )
        return cert.read_text()
    return (BENCH / "client-cert.pem").read_text()


def handshake(work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(
        TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="6",
        PLUGIN_CLIENT_CERT=client_certificate(work),
    )
    times, idle_rss = [], []
    for _ in range(HANDSHAKES):
        start = time.perf_counter()
        process = subprocess.Popen([str(PROVIDER_BIN)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        elapsed = time.perf_counter() - start
        if not line.startswith("1|6|"):
            process.kill()
            raise SystemExit(f"bench: unexpected handshake line {line!r}")
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                idle_rss.append(int(match.group(1)) / 1024)
        except OSError:
            pass
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        times.append(elapsed * 1000)
    return {
        "handshake_ms_median": round(statistics.median(times), 2),
        "handshake_ms_min": round(min(times), 2),
        "handshake_ms_max": round(max(times), 2),
        "handshake_runs": len(times),
        "idle_rss_mb_after_handshake": round(statistics.median(idle_rss), 1) if idle_rss else None,
    }


def fixed_overhead(terraforms: list[Terraform]) -> dict:
    """What a Terraform command costs before any provider work: `terraform version`."""
    result = {}
    for tf in terraforms:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(tf.argv + ["version"], capture_output=True, env=tf_env(None), check=True)
            times.append(time.perf_counter() - start)
        result[tf.version] = round(statistics.median(times), 3)
    return result


def side_by_side_results(names: list[str], previous: dict, terraforms: list[Terraform], work: Path, started: float) -> dict:
    """The shell recipes against Terraform (`names`: promotion, status), and the provider process
    alone; the scenarios not in `names` are kept from `previous`."""
    aws_version = subprocess.run([str(AWS_CLI), "--version"], capture_output=True, text=True).stdout.strip()
    world_file = work / "world.json"
    world_file.write_text(json.dumps(world(1)))
    emulator = Emulator(world_file, work / "emulator.log")
    try:
        log(f"emulator at {emulator.url}")
        scenarios = [s for s in previous.get("scenarios", []) if s["name"] not in names]
        for name in names:
            for n in SIZES:
                scenarios.append(measure(emulator, name, n, terraforms, work))
    finally:
        emulator.stop()
    provider = handshake(work)
    peaks = [s["provider_peak_rss_mb"] for s in scenarios if "provider_peak_rss_mb" in s]
    provider["peak_rss_mb"] = max(peaks) if peaks else None
    provider["peak_rss_during"] = (
        f"N = {max(SIZES)} promotion apply and refresh-only plan, Terraform {terraforms[0].version}"
    )
    return {
        "scenarios": scenarios,
        "provider": provider,
        "machine": machine(),
        "terraform": terraforms[0].version,
        "terraform_versions": [tf.version for tf in terraforms],
        "terraform_fixed_overhead_s": fixed_overhead(terraforms),
        "aws_cli": aws_version,
        "emulator": "release build, manual clock (no rollout steps during the measurements)",
        "runs": RUNS,
        "slow_shell_runs": SLOW_SHELL_RUNS,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "duration_s": round(time.time() - started, 1),
    }


def main() -> int:
    unknown = [s for s in SCENARIOS if s not in ALL_SCENARIOS]
    if unknown or not SCENARIOS:
        raise SystemExit(f"bench: BENCH_SCENARIOS names {unknown or 'nothing'}; known: {', '.join(ALL_SCENARIOS)}")
    side_by_side = [s for s in SCENARIOS if s in ("promotion", "status")]
    started = time.time()
    if os.environ.get("BENCH_SKIP_BUILD") != "1":
        log("building the provider and the emulator (release)")
        subprocess.run(["cargo", "build", "--release", "--workspace", "--bins", "--quiet"], cwd=ROOT, check=True)
    terraforms = find_terraforms()
    log("terraform: " + ", ".join(tf.version for tf in terraforms))

    # A subset of the scenarios keeps the other results of the last full run.
    previous = json.loads((BENCH / "results.json").read_text()) if (BENCH / "results.json").exists() else {}
    results = dict(previous)
    work = Path(tempfile.mkdtemp(prefix="tagdeploy-bench."))
    try:
        use_cli_config(install_mirror(work))
        if "strategies" in SCENARIOS:
            # bench/strategies.py, beside this script; it uses this module's emulator, workspace
            # and call counting.
            sys.path.insert(0, str(BENCH))
            from strategies import measure_strategies

            results["strategies"] = measure_strategies(sys.modules[__name__], work, terraforms[0])
        if side_by_side:
            results.update(side_by_side_results(side_by_side, previous, terraforms, work, started))
        if "scale" in SCENARIOS:
            # A measurement made once, before the provider paced its calls, stays in `scale_before`.
            results["scale"], results["scale_details"] = scale.run(terraforms[0], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote bench/results.json ({', '.join(SCENARIOS)}) in {time.time() - started:.0f}s")
    subprocess.run([sys.executable, str(BENCH / "render.py")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
