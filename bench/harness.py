#!/usr/bin/env python3
"""What every `make bench` measurement shares: paths, the emulator process and its admin API,
the Terraform binaries and their environment, the provider mirror, Terraform working directories
and the provider's peak RSS. Python 3 standard library only."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
AWS_CLI = ROOT / ".venv" / "bin" / "aws"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PROVIDER_BIN = ROOT / "target" / "release" / "terraform-provider-tagdeploy"
EMULATOR_BIN = ROOT / "target" / "release" / "tagdeploy-emulator"
MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

ACCOUNT = "123456789012"
REGION = "us-east-1"
SOURCE = "terraform.local/tagdeploy/tagdeploy"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- the emulator ---------------------------------------------------------------------------------


class Emulator:
    """tagdeploy-emulator (release build), driven through its admin API. `clock` is the clock
    argument (`--manual-clock` by default); `extra` more arguments (`--aws-rate-limits`)."""

    def __init__(self, world_file: Path, log_file: Path, clock: list[str] | None = None, extra: list[str] | None = None):
        self.log_file = log_file.open("w")
        self.process = subprocess.Popen(
            [str(EMULATOR_BIN), "--listen", "127.0.0.1:0", "--world", str(world_file)]
            + (clock if clock is not None else ["--manual-clock"])
            + (extra or []),
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        if not first.startswith("listening on "):
            self.stop()
            raise SystemExit(f"bench: the emulator did not start: {first!r} (see {log_file})")
        self.url = first.removeprefix("listening on ")

    def admin(self, method: str, path: str, body: object | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def load_world(self, world: dict) -> None:
        self.admin("POST", "world", world)

    def reset(self) -> None:
        self.admin("POST", "reset")

    def clear_requests(self) -> None:
        self.admin("DELETE", "requests")

    def requests(self) -> list[dict]:
        result = self.admin("GET", "requests")
        assert isinstance(result, list)
        return result

    def state(self) -> dict:
        state = self.admin("GET", "state")
        assert isinstance(state, dict)
        return state

    def tag_digests(self, repository_name: str) -> dict[str, str]:
        """tag -> digest in `repository_name`, from the state dump."""
        found = {}
        for repository in self.state().get("repositories", []):
            if repository.get("name") == repository_name:
                for image in repository.get("images", []):
                    for tag in image.get("tags", []):
                        found[tag] = image["digest"]
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# --- Terraform ------------------------------------------------------------------------------------


class Terraform:
    def __init__(self, label: str, argv: list[str]):
        self.label = label
        self.argv = argv
        out = subprocess.run(argv + ["version", "-json"], capture_output=True, text=True, env=tf_env(None))
        self.version = json.loads(out.stdout)["terraform_version"] if out.returncode == 0 else "unknown"


def find_terraforms() -> list[Terraform]:
    subprocess.run([str(ROOT / "scripts" / "tools.sh")], check=True)
    # The 1.15 shim run straight from the venv's Python: the scripts/terraform-1.15 wrapper would
    # add a bash and a tools.sh check to every command, which is not Terraform's cost.
    found = [Terraform("1.15", [str(VENV_PYTHON), str(ROOT / "scripts" / "terraform_shim.py")])]
    system = shutil.which("terraform")
    if system:
        candidate = Terraform("1.11", [system])
        if candidate.version.startswith("1.11."):
            found.append(candidate)
        else:
            log(f"`terraform` on PATH is {candidate.version}, not 1.11.x: measuring 1.15 only")
    else:
        log("no `terraform` on PATH: measuring Terraform 1.15 only")
    return found


_CLI_CONFIG: Path | None = None


def use_cli_config(path: Path) -> None:
    """Makes every Terraform command use the CLI configuration at `path` (the provider mirror)."""
    global _CLI_CONFIG
    _CLI_CONFIG = path


def tf_env(endpoint: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
    env.update(
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        TF_CLI_CONFIG_FILE=str(_CLI_CONFIG) if _CLI_CONFIG else "/dev/null",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def provider_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    match = re.search(r'^\[workspace\.package\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    match = match or re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if not match:
        raise SystemExit("bench: cannot read the provider version from Cargo.toml")
    return match.group(1)


def install_mirror(work: Path) -> Path:
    """A filesystem mirror holding the release provider, and a CLI config that uses it."""
    machine = platform.machine()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    version = provider_version()
    target = work / "mirror" / SOURCE / version / f"{platform.system().lower()}_{arch}"
    target.mkdir(parents=True)
    shutil.copy2(PROVIDER_BIN, target / f"terraform-provider-tagdeploy_v{version}")
    config = work / "terraform.rc"
    config.write_text(
        'provider_installation {\n  filesystem_mirror {\n'
        f'    path    = "{work / "mirror"}"\n    include = ["terraform.local/*/*"]\n  }}\n}}\n'
    )
    return config


PREAMBLE = f"""terraform {{
  required_providers {{
    tagdeploy = {{
      source = "{SOURCE}"
    }}
  }}
}}

variable "endpoint" {{
  type = string
}}

provider "tagdeploy" {{
  region = "{REGION}"
  endpoints {{
    ecr = var.endpoint
    ecs = var.endpoint
  }}
}}
"""


class Workspace:
    """A Terraform working directory with `main.tf`, initialised; commands get
    `-var endpoint=<emulator>` unless they apply a saved plan."""

    def __init__(self, terraform: Terraform, directory: Path, config: str, endpoint: str):
        self.tf = terraform
        self.dir = directory
        self.endpoint = endpoint
        directory.mkdir(parents=True)
        (directory / "main.tf").write_text(config)
        self.run(["init", "-input=false"], check=True)

    def run(
        self, args: list[str], check: bool = False, watch_rss: bool = False, plan_file: str | None = None
    ) -> tuple[float, int, str]:
        """Runs one Terraform command; returns (wall seconds, exit code, output). `plan_file`:
        apply that saved plan (it goes last, and takes no variables)."""
        argv = self.tf.argv + args + ["-no-color"]
        if plan_file is not None:
            argv.append(plan_file)
        elif args[0] != "init":
            argv += ["-var", f"endpoint={self.endpoint}"]
        output = self.dir / ".last-output"
        with output.open("w") as out:
            start = time.perf_counter()
            process = subprocess.Popen(argv, cwd=self.dir, stdout=out, stderr=subprocess.STDOUT, env=tf_env(None))
            poller = RssPoller(process.pid) if watch_rss else None
            code = process.wait()
            elapsed = time.perf_counter() - start
        if poller:
            poller.finish()
            self.peak_rss_kb = poller.peak_kb
        text = output.read_text()
        if check and code != 0:
            raise SystemExit(f"bench: terraform {' '.join(args)} failed in {self.dir}:\n{text}")
        return elapsed, code, text


class RssPoller(threading.Thread):
    """Polls VmHWM of the provider processes Terraform (pid `parent`) spawns."""

    def __init__(self, parent: int):
        super().__init__(daemon=True)
        self.parent = parent
        self.peak_kb = 0
        self.seen: set[int] = set()
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.is_set():
            self.scan()
            time.sleep(0.005)

    def scan(self) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid != self.parent:
                    continue
                if "terraform-provider-tagdeploy" not in os.readlink(f"/proc/{pid}/exe"):
                    continue
                status = Path(f"/proc/{pid}/status").read_text()
            except (OSError, ValueError, IndexError):
                continue
            self.seen.add(pid)
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                self.peak_kb = max(self.peak_kb, int(match.group(1)))

    def finish(self) -> None:
        self.done.set()
        self.join()


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        memory = "unknown memory"
    return f"{model}, {os.cpu_count()} cores (shared with other work), {memory}, {platform.system()} {platform.release()}"
