#!/usr/bin/env python3
"""The scale part of docs/benchmarks.md and its plot docs/benchmarks-scale.svg, from the `scale`
entries of bench/results.json (bench/scale.py). Used by bench/render.py."""

from __future__ import annotations

TARGET_RATIO = 1.2
# Throttled calls a small share: at most 2 % of a scenario's calls. The provider's buckets live
# in its process, and Terraform plans and applies in separate provider processes: a new process
# starts with full buckets while AWS's may still be drained by the previous command's calls, so
# the first calls of an apply can meet a throttle (each is retried once, a fraction of a second
# later, and the bucket follows AWS's from then on).
TARGET_THROTTLED_SHARE = 0.02

TITLES = {
    "prod_tag_100_services": "1 prod_tag × 100 services",
    "prod_tag_20x5_services": "20 prod_tag × 5 services",
    "release_set_20_repositories": "release set, 20 repositories",
    "status_100_services": "status check, 100 services",
    "task_digests_1000_tasks": "data source, 1,000 tasks",
}


def ratio(entry: dict) -> float | None:
    return entry["wall_s"] / entry["floor_s"] if entry["floor_s"] > 0 else None


def share(entry: dict) -> float:
    return entry["throttled_calls"] / entry["calls"] if entry["calls"] else 0.0


def svg(results: dict) -> str:
    entries = results.get("scale", [])
    row_h, top, left, right, bottom = 46, 52, 210, 90, 46
    width = 860
    height = top + row_h * len(entries) + bottom
    plot_w = width - left - right
    t_max = max([e["wall_s"] for e in entries] + [e["floor_s"] for e in entries] + [1.0])
    step = 5 if t_max <= 40 else 10
    t_top = step * (int(t_max / step) + 1)

    def px(t: float) -> float:
        return left + plot_w * t / t_top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">'
        "Wall time under AWS's rate limits, against the floor they impose</text>",
    ]
    tick = 0
    while tick <= t_top:
        x = px(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + row_h * len(entries)}" stroke="#e9ecef"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + row_h * len(entries) + 16}" text-anchor="middle" fill="#495057">{tick}</text>')
        tick += step
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle">seconds (median run; floor: the buckets alone)</text>'
    )
    for i, e in enumerate(entries):
        y = top + row_h * i
        parts.append(
            f'<text x="{left - 8}" y="{y + 20}" text-anchor="end">{TITLES.get(e["name"], e["name"])}</text>'
        )
        parts.append(f'<text x="{left - 8}" y="{y + 34}" text-anchor="end" fill="#868e96">n = {e["n"]}</text>')
        wall_colour = "#1c7ed6" if e["failed_applies"] == 0 else "#e03131"
        parts.append(
            f'<rect x="{left}" y="{y + 8}" width="{max(px(e["wall_s"]) - left, 1):.1f}" height="14" fill="{wall_colour}">'
            f'<title>wall {e["wall_s"]} s</title></rect>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 24}" width="{max(px(e["floor_s"]) - left, 1):.1f}" height="10" fill="#adb5bd">'
            f'<title>floor {e["floor_s"]} s</title></rect>'
        )
        r = ratio(e)
        label = f'{e["wall_s"]:.1f} s' + (f"  ({r:.2f}× floor)" if r is not None else "  (floor 0)")
        parts.append(f'<text x="{px(e["wall_s"]) + 6:.1f}" y="{y + 20}" fill="{wall_colour}">{label}</text>')
    legend_y = 40
    parts.append(f'<rect x="{width - 250}" y="{legend_y - 9}" width="12" height="10" fill="#1c7ed6"/>')
    parts.append(f'<text x="{width - 234}" y="{legend_y}">wall</text>')
    parts.append(f'<rect x="{width - 190}" y="{legend_y - 9}" width="12" height="10" fill="#adb5bd"/>')
    parts.append(f'<text x="{width - 174}" y="{legend_y}">floor</text>')
    parts.append(f'<rect x="{width - 130}" y="{legend_y - 9}" width="12" height="10" fill="#e03131"/>')
    parts.append(f'<text x="{width - 114}" y="{legend_y}">failed applies</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def table(results: dict) -> list[str]:
    head = [
        "scenario",
        "n",
        "wall (median)",
        "floor",
        "wall / floor",
        "AWS calls",
        "throttled",
        "failed applies",
        "peak RSS",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in results.get("scale", []):
        r = ratio(e)
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{e['name']}`",
                    str(e["n"]),
                    f"{e['wall_s']:.2f} s",
                    f"{e['floor_s']:.2f} s",
                    f"**{r:.2f}**" if r is not None else "– (floor 0)",
                    str(e["calls"]),
                    f"{e['throttled_calls']} ({share(e) * 100:.1f} %)",
                    f"**{e['failed_applies']}**",
                    f"{e['peak_rss_mb']:.1f} MB",
                ]
            )
            + " |"
        )
    return lines


def details(results: dict) -> list[str]:
    meta = results.get("scale_details", {})
    lines = []
    for d in meta.get("scenarios", []):
        ops = ", ".join(f"{op} {n}" for op, n in d["calls_by_operation"].items())
        lines.append(
            f"- `{d['name']}`: {d['description']}. Runs: "
            + ", ".join(f"{w:.2f} s" for w in d["wall_s_all"])
            + "; throttled calls per run: "
            + ", ".join(str(t) for t in d["throttled_all"])
            + f". Calls of the median run: {ops}"
            + (
                "; throttled: " + ", ".join(f"{op} {n}" for op, n in d["throttled_by_operation"].items())
                if d.get("throttled_by_operation")
                else ""
            )
            + "."
        )
    return lines


def before(results: dict) -> list[str]:
    """The same scenarios measured once before the provider paced its calls (kept in
    results.json as `scale_before`)."""
    old = results.get("scale_before")
    if not old:
        return []
    lines = [
        "Before the provider paced its calls (the SDK's standard retries only: 5 attempts for ECR,",
        f"8 for ECS), measured once with the same bench: {old.get('note', '')}.",
        "",
        "| scenario | wall | floor | AWS calls | throttled | failed applies |",
        "|---|---|---|---|---|---|",
    ]
    for e in old["entries"]:
        lines.append(
            f"| `{e['name']}` | {e['wall_s']:.2f} s | {e['floor_s']:.2f} s | {e['calls']} | "
            f"{e['throttled_calls']} ({share(e) * 100:.1f} %) | **{e['failed_applies']}** |"
        )
    lines += [
        "",
        "The release of 100 services failed: `UpdateService` calls ran out of retries, so the provider",
        "rolled the release back and redeployed every service again (322 `UpdateService` calls for 100",
        "services), as issue 14 describes.",
        "",
    ]
    return lines


def section(results: dict) -> list[str]:
    if not results.get("scale"):
        return []
    meta = results.get("scale_details", {})
    return [
        "## At scale, under AWS's rate limits",
        "",
        "AWS throttles every account per region: ECS with token buckets per category of actions",
        "(`UpdateService`, `CreateService` and `DeleteService` share 50 at once, then 5 per second;",
        "`DescribeServices` 100 / 20; `ListTasks` and `DescribeTasks` 100 / 20; the service-deployment",
        "reads the wait makes, `DescribeServiceDeployments` and `DescribeServiceRevisions`, 50 / 20 each),",
        "ECR with a rate per",
        "second per action (`PutImage` 10; `DescribeImages` has no published figure, the emulator takes",
        "10). Each scenario below runs against its own `tagdeploy-emulator --aws-rate-limits` (those",
        "figures; see [the emulator's README](../emulator/README.md#rate-limits)) on a real clock (a rollout",
        f"step every {meta.get('step_ms', '?')} ms), with Terraform {meta.get('terraform', '?')}, "
        f"{meta.get('runs', '?')} run{'' if meta.get('runs') == 1 else 's'} each.",
        "Every run starts from the world as loaded, the state of the previous release and full buckets.",
        "A release is `terraform plan -out` then `terraform apply` of that plan, as a CI job does; after it",
        "the run checks that `prod` moved in every repository and that every service was deployed exactly",
        "once and runs the new digest (no rollback, no second deployment).",
        "",
        "- **wall**: the Terraform commands' wall time (median run).",
        "- **floor**: the time AWS's buckets alone impose on the calls that run made, computed by",
        "  `bench/scale.py` from the request log and the emulator's bucket table: within each Terraform",
        "  command every call goes as early as its bucket allows (a full bucket of burst B serves B calls at",
        "  once, the rest go at its refill rate), and a command starts when the previous one ends. 100",
        "  `UpdateService` in one command: 50 at once, then 50 at 5 per second, 10 s. No client can make",
        "  the same calls faster; a scenario whose calls fit in the buckets has a floor of 0.",
        "- **throttled**: calls the emulator answered `ThrottlingException` (their share of all calls).",
        "- **failed applies**: Terraform commands that failed, over all runs.",
        "",
        "![Wall time under AWS's rate limits against the floor](benchmarks-scale.svg)",
        "",
        *table(results),
        "",
        *details(results),
        "",
        *before(results),
        "A release set of 20 repositories (`tagdeploy_release`) under these limits: "
        + meta.get("release_set", "pending")
        + ".",
        "",
    ]


def targets(results: dict) -> list[str]:
    entries = results.get("scale", [])
    if not entries:
        return []
    failed = [e for e in entries if e["failed_applies"]]
    ratios = [(e, ratio(e)) for e in entries if ratio(e) is not None]
    over = [(e, r) for e, r in ratios if r > TARGET_RATIO]
    shares = [(e, share(e)) for e in entries]
    # Every run counts, not only the median one.
    runs = {d["name"]: d for d in results.get("scale_details", {}).get("scenarios", [])}

    def worst(e: dict) -> tuple[int, int]:
        d = runs.get(e["name"], {})
        pairs = list(zip(d.get("throttled_all", []), d.get("calls_all", [])))
        return max(pairs, key=lambda p: p[0] / p[1] if p[1] else 0.0) if pairs else (e["throttled_calls"], e["calls"])

    heavy = [e for e in entries if worst(e)[1] and worst(e)[0] / worst(e)[1] > TARGET_THROTTLED_SHARE]
    out = [
        f"- **No failed apply under the rate limits: {'met' if not failed else 'missed'}.** "
        + (
            "0 failed Terraform commands in every scenario."
            if not failed
            else "Failed: " + ", ".join(f"`{e['name']}` {e['failed_applies']}" for e in failed) + "."
        ),
        f"- **Wall time within {TARGET_RATIO}× the floor: {'met' if not over else 'missed'}.** "
        + "; ".join(f"`{e['name']}` {r:.2f}×" for e, r in ratios)
        + (" (the scenarios with a floor of 0 are not counted)." if len(ratios) < len(entries) else "."),
        f"- **Throttled calls at most {TARGET_THROTTLED_SHARE * 100:.0f} % of the calls: "
        f"{'met' if not heavy else 'missed'}.** "
        + "; ".join(
            f"`{e['name']}` {e['throttled_calls']} of {e['calls']} (worst run {worst(e)[0]} of {worst(e)[1]})"
            for e, _ in shares
        )
        + ". The provider's buckets live in its process and Terraform plans and applies in separate"
        " provider processes: a new process starts with full buckets while AWS's may still be drained"
        " by the previous command, so the first calls of an apply can meet a throttle (retried once,"
        " a fraction of a second later). Keeping the buckets' levels between processes would remove"
        " those; it is not done.",
    ]
    return out
