"""The short Markdown report (bench/results/latest.md) and its latency plot (latest.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LABELS = {"app": "app", "b1": "B1 FastAPI", "b0": "B0 websockets"}
TARGET_P50_MS, TARGET_P99_MS, TARGET_KIB, TARGET_KIB_DEFLATE, TARGET_RESUME_MS = (
    10.0,
    50.0,
    40.0,
    64.0,
    500.0,
)


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _load_row(point: dict[str, Any]) -> str:
    load = point.get("load", {})
    if load.get("error"):
        return f"| {LABELS[point['target']]} | {point['exchanges']} | {load['error']} |" + " |" * 12
    c2ld = _get(load, "command_to_last_delivery_ms", "all") or {}
    ack = _get(load, "ack_ms", "all") or {}
    cells = [
        LABELS[point["target"]],
        point["exchanges"],
        load.get("sockets"),
        _fmt(load.get("commands_per_second")),
        _fmt(load.get("deliveries_per_second"), 0),
        _fmt(c2ld.get("median"), 2),
        _fmt(c2ld.get("p95"), 2),
        _fmt(c2ld.get("p99"), 2),
        _fmt(c2ld.get("max"), 1),
        _fmt(ack.get("median"), 2),
        _fmt(load.get("server_cpu_cores"), 2),
        _fmt(load.get("server_cpu_us_per_delivery"), 0),
        _fmt(load.get("loadgen_cpu_cores"), 2),
        _fmt(load.get("other_processes_cores"), 2),
        _events_cell(point),
    ]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _events_cell(point: dict[str, Any]) -> str:
    if point.get("failed"):
        return "**FAILED**"
    drops = _get(point, "load", "counters", "server_drops")
    return f"ok ({drops} sockets dropped by the server, resumed)" if drops else "ok"


LOAD_HEADER = (
    "| target | E | sockets | cmd/s | deliveries/s | median | p95 | p99 | max | ack median | server cores "
    "| server CPU µs/delivery | loadgen cores | other load (cores) | events |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _memory_rows(points: list[dict[str, Any]]) -> list[str]:
    rows = []
    for point in points:
        memory = point.get("memory")
        if not memory:
            continue
        none, deflate = memory.get("none", {}), memory.get("deflate", {})
        rows.append(
            f"| {LABELS[point['target']]} | {none.get('sockets', '–')} | {_fmt(none.get('rss_per_connection_kib'))} "
            f"| {_fmt(deflate.get('rss_per_connection_kib'))} ({deflate.get('deflate_negotiated', 0)} negotiated) |"
        )
    return rows


def _status(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def _targets(results: dict[str, Any], points: list[dict[str, Any]]) -> list[str]:
    by = {p["target"]: p for p in points}
    app, b0 = by.get("app", {}), by.get("b0", {})
    c2ld = _get(app, "load", "command_to_last_delivery_ms", "all") or {}
    b0_p99 = _get(b0, "load", "command_to_last_delivery_ms", "all", "p99")
    floor = _get(results, "fsync_floor_ms", "median")
    ack = _get(app, "load", "ack_ms", "f", "median")
    b0_ack = _get(b0, "load", "ack_ms", "f", "median")
    commit = _get(app, "load", "server_commits", "transaction_ms", "median")
    kib = _get(app, "memory", "none", "rss_per_connection_kib")
    kib_deflate = _get(app, "memory", "deflate", "rss_per_connection_kib")
    resume = _get(app, "load", "resume", "p99")
    storm = _get(app, "load", "storm", "all_caught_up_s")
    p50, p99 = c2ld.get("median"), c2ld.get("p99")
    rows = [
        "| target | measured | status |",
        "|---|---|---|",
        f"| p50 command-to-last-delivery < {TARGET_P50_MS:g} ms | {_fmt(p50, 2)} ms at E={app.get('exchanges')} "
        f"| {_status(None if p50 is None else p50 < TARGET_P50_MS)} |",
        f"| p99 < {TARGET_P99_MS:g} ms | {_fmt(p99, 2)} ms | {_status(None if p99 is None else p99 < TARGET_P99_MS)} |",
        f"| nothing lost or duplicated | {_get(app, 'load', 'lost_or_duplicated')} problems "
        f"| {_status(None if not app else not app.get('failed'))} |",
        f"| p99 within 10 ms of B0 (same load) | app {_fmt(p99, 2)} vs B0 {_fmt(b0_p99, 2)} ms "
        f"| {_status(None if p99 is None or b0_p99 is None else p99 - b0_p99 <= 10)} |",
        f"| ack median ≤ 3× fsync median, from the client | {_fmt(ack, 2)} ms (B0, writing nothing: "
        f"{_fmt(b0_ack, 2)} ms) vs 3 × {_fmt(floor, 2)} ms "
        f"| {_status(None if ack is None or floor is None else ack <= 3 * floor)} |",
        f"| the commit alone ≤ 3× fsync median (`--server-log`: median transaction) | {_fmt(commit, 3)} ms vs "
        f"3 × {_fmt(floor, 3)} ms | {_status(None if commit is None or floor is None else commit <= 3 * floor)} |",
        f"| ≤ {TARGET_KIB:g} KiB per idle connection | {_fmt(kib)} KiB "
        f"| {_status(None if kib is None else kib <= TARGET_KIB)} |",
        f"| ≤ {TARGET_KIB_DEFLATE:g} KiB with deflate | {_fmt(kib_deflate)} KiB "
        f"| {_status(None if kib_deflate is None else kib_deflate <= TARGET_KIB_DEFLATE)} |",
        f"| resume 300 behind p99 < {TARGET_RESUME_MS:g} ms | {_fmt(resume, 1)} ms "
        f"| {_status(None if resume is None else resume < TARGET_RESUME_MS)} |",
        f"| all clients caught up after a reconnect storm < 60 s | {_fmt(storm, 2)} s for "
        f"{_fmt(_get(app, 'load', 'storm', 'clients'))} clients | {_status(None if storm is None else storm < 60)} |",
    ]
    return rows


def _sweep_section(sweep: dict[str, Any]) -> list[str]:
    lines = [
        f"## Sweep: E stepped up until p99 > {sweep['limit_ms']:g} ms",
        "",
        *LOAD_HEADER.split("\n"),
    ]
    capacities = {}
    for target, data in sweep["targets"].items():
        capacities[target] = data.get("capacity_exchanges")
        lines.extend(_load_row(point) for point in data["points"])
    text = "Capacity (largest E with p99 ≤ the limit and nothing lost): "
    text += ", ".join(f"{LABELS[t]} **{_fmt(c)}**" for t, c in capacities.items())
    app, b1, b0 = capacities.get("app"), capacities.get("b1"), capacities.get("b0")
    if app and b1:
        text += f"; app/B1 = {app / b1:.2f} (target ≥ 0.5)"
    if app and b0:
        text += f"; app/B0 = {app / b0:.2f} (target ≥ 0.25)"
    text += ". A capacity equal to the last step only says the sweep ended there."
    lines += ["", text, ""]
    return lines


def _profile_section(points: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for point in points:
        prof = _get(point, "load", "profile")
        if not prof:
            continue
        if prof.get("error"):
            return ["## Profile", "", f"py-spy failed: {prof['error']}", ""]
        lines += [
            "## Profile of the app under load (py-spy)",
            "",
            f"{prof.get('samples')} samples of the event loop's thread over {prof.get('seconds')} s of the measured "
            f"window; shares are of those samples (this run's latencies are perturbed by the sampling). "
            f"Samples per thread: {', '.join(f'{name} {pct}%' for name, pct in prof.get('threads', []))}. "
            f"Flame graph: `{prof.get('flamegraph', '–')}`, collapsed stacks: `{prof.get('collapsed', '–')}`.",
            "",
            "| on CPU itself (self) | % | | including callees | % |",
            "|---|---|---|---|---|",
        ]
        own, incl = prof.get("self_top", [])[:15], prof.get("inclusive_top", [])[:15]
        for i in range(max(len(own), len(incl))):
            a = own[i] if i < len(own) else ("", "")
            b = incl[i] if i < len(incl) else ("", "")
            lines.append(f"| `{a[0]}` | {a[1]} | | `{b[0]}` | {b[1]} |")
        lines.append("")
    return lines


def plot(results: dict[str, Any], points: list[dict[str, Any]], path: Path) -> bool:
    """Latency distribution per target (or p50/p99 against E for a sweep) as a PNG; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sweep = results.get("sweep")
    if sweep:
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
        for target, data in sweep["targets"].items():
            xs = [p["exchanges"] for p in data["points"]]
            p50 = [_get(p, "load", "command_to_last_delivery_ms", "all", "median") for p in data["points"]]
            p99 = [_get(p, "load", "command_to_last_delivery_ms", "all", "p99") for p in data["points"]]
            (line,) = ax.plot(xs, p99, marker="o", label=f"{LABELS[target]} p99")
            ax.plot(
                xs,
                p50,
                marker=".",
                linestyle="--",
                color=line.get_color(),
                label=f"{LABELS[target]} median",
            )
        ax.axhline(sweep["limit_ms"], color="grey", linewidth=0.8, linestyle=":")
        ax.set_xlabel("exchanges (E)")
        ax.set_ylabel("command to last delivery (ms)")
        ax.set_yscale("log")
        ax.set_title("Command to last delivery")
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(fontsize=8)
    else:
        if not any(_get(point, "_raw", "c2ld_ms") for point in points):
            # A report written again from its JSON: the samples are not kept there, so keep the plot.
            return path.exists()
        fig, (ax, over_time) = plt.subplots(1, 2, figsize=(12, 4.5), dpi=110, gridspec_kw={"width_ratios": [1, 1.2]})
        for point in points:
            values = sorted(_get(point, "_raw", "c2ld_ms") or [])
            if not values:
                continue
            n = len(values)
            ax.plot(
                values,
                [(i + 1) / n * 100 for i in range(n)],
                label=f"{LABELS[point['target']]} (E={point['exchanges']})",
            )
            over_time.scatter(
                _get(point, "_raw", "sent_at_s"),
                _get(point, "_raw", "c2ld_ms"),
                s=2,
                alpha=0.5,
                label=LABELS[point["target"]],
            )
        ax.set_xscale("log")
        ax.set_xlabel("command to last delivery (ms, log)")
        ax.set_ylabel("percent of commands")
        for q in (50, 99):
            ax.axhline(q, color="grey", linewidth=0.6, linestyle=":")
        ax.set_title("Distribution")
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(fontsize=8)
        over_time.set_yscale("log")
        over_time.set_xlabel("seconds into the measured window (when sent)")
        over_time.set_ylabel("command to last delivery (ms, log)")
        over_time.set_title("Over time: stalls show as columns")
        over_time.grid(True, which="both", linewidth=0.3)
        over_time.legend(fontsize=8, markerscale=4)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


BASELINE_GC = {"app": "the app's collector policy", "default": "CPython's default collector"}


def write_report(results: dict[str, Any], out: Path, *, json_name: str) -> Path:
    meta = results["meta"]
    settings = meta["settings"]
    sweep = results.get("sweep")
    points = results.get("points") or [p for t in (sweep or {}).get("targets", {}).values() for p in t["points"]]
    floor = results.get("fsync_floor_ms", {})
    has_plot = plot(results, points, out / "latest.png")
    lines = [
        "# Load benchmark: latest results",
        "",
        f"**{results['verdict']}** · {meta['started_at']} · commit `{meta['git']['commit']}`"
        f"{' (uncommitted changes in exchange/)' if meta['git']['dirty'] else ''} · "
        f"{meta['machine']['cpus']} CPUs ({meta['machine']['cpu']}) · Python {meta['machine']['python']} · "
        f"websockets {meta['versions']['websockets']}, uvicorn {meta['versions']['uvicorn']}",
        "",
        f"Command: `{meta['command']}` · full data: `{json_name}`",
    ]
    if meta.get("label"):
        lines += ["", f"Note: {meta['label']}"]
    lines += [
        "",
        f"Scenario: E exchanges of {settings['practitioners']} practitioners and one facilitator each; "
        f"{settings['rate']:g} command/s per exchange ({settings['practitioner_share']:.0%} from practitioners), "
        f"open-loop; {settings['warmup']:g} s warm-up, {settings['duration']:g} s measured; client compression: "
        f"{'deflate' if settings['compression'] else 'none'}; "
        f"{'PostgreSQL + Redis, 2 instances' if settings['scale_out'] else 'SQLite (WAL, synchronous=FULL)'}; "
        # runs before the option existed gave the baselines CPython's own collector
        f"baselines with {BASELINE_GC[settings.get('baseline_gc', 'default')]}. "
        "Facilitators run turns (next/finish/extend, turn time) and the open floor (give/end floor, queue order, "
        "phase time) and move round story sharing, cultural levers (cards) and a discussion; practitioners write "
        "their stories down, reflect others' stories back, add cards (some anonymous), raise and lower hands and "
        "pass or finish their turn.",
        "",
        "Latencies in ms, on the load generator's clock: *command to last delivery* = a command sent until the "
        "last socket of its exchange has the events frame with the ack's seq; *ack* = sent until acked (durable). "
        "*Other load* is CPU used on the machine by processes other than the server and the load generator "
        "during the window: when it is high the figures are noisy.",
        "",
    ]
    if not sweep:
        lines += ["## Load", "", *LOAD_HEADER.split("\n"), *(_load_row(p) for p in points), ""]
    else:
        lines += _sweep_section(sweep)
    if has_plot:
        lines += ["![command to last delivery](latest.png)", ""]
    app = next((p for p in points if p["target"] == "app"), None)
    ack = _get(app, "load", "ack_ms")
    if ack:
        lines += [
            "## Persist and ack",
            "",
            f"fsync floor on the database's disk (write 256 B + fsync, {floor.get('count')}×): median "
            f"{_fmt(floor.get('median'), 3)} ms, p99 {_fmt(floor.get('p99'), 3)} ms. App ack: median "
            f"{_fmt(_get(ack, 'all', 'median'), 2)} ms (facilitator commands {_fmt(_get(ack, 'f', 'median'), 2)} ms), "
            f"p99 {_fmt(_get(ack, 'all', 'p99'), 2)} ms.",
            "",
        ]
        b0 = next((p for p in points if p["target"] == "b0" and p["exchanges"] == app["exchanges"]), None)
        if b0_ack := _get(b0, "load", "ack_ms", "all", "median"):
            lines += [f"B0, which writes nothing, acks the same load in {_fmt(b0_ack, 2)} ms (median).", ""]
        if (commits := _get(app, "load", "server_commits")) and commits.get("transactions"):
            lines += [
                f"Group commit (`--server-log`): {_fmt(commits['transactions_per_second'], 0)} transactions/s, "
                f"{_fmt(commits['appends_per_transaction'], 2)} appends (one exchange's batch of commands each) "
                f"per transaction, each taking {_fmt(_get(commits, 'transaction_ms', 'median'), 3)} ms (median; "
                f"mean {_fmt(_get(commits, 'transaction_ms', 'mean'), 3)}, p99 "
                f"{_fmt(_get(commits, 'transaction_ms', 'p99'), 3)}); the app's "
                f"first instance spent {_fmt(commits['share_of_time'] * 100, 1)}% of the window inside them "
                f"({'on its writer thread' if settings['scale_out'] else 'on its event loop'}).",
                "",
            ]
    memory_rows = _memory_rows(points)
    if memory_rows:
        lines += [
            "## Memory per idle connection",
            "",
            "Server RSS with every socket connected and idle, minus RSS before, divided by the sockets "
            "(the app's hubs are already open, so this is the sockets alone).",
            "",
            "| target | sockets | KiB, no compression | KiB, permessage-deflate |",
            "|---|---|---|---|",
            *memory_rows,
            "",
        ]
    resume = _get(app, "load", "resume")
    if resume and resume.get("count"):
        storm = _get(app, "load", "storm") or {}
        lines += [
            "## Resume",
            "",
            f"A practitioner {resume.get('behind')} events behind reconnects and resumes ({resume['count']} samples, "
            f"under load, frame ≈ {resume.get('frame_bytes_mean')} B): median {_fmt(resume.get('median'), 1)} ms, "
            f"p99 {_fmt(resume.get('p99'), 1)} ms, max {_fmt(resume.get('max'), 1)} ms.",
        ]
        if storm:
            lines.append(
                f"Reconnect storm: {storm.get('clients')} clients dropped at once and came back within "
                f"{storm.get('jitter_s')} s of jitter, resuming by seq: all caught up {storm.get('all_caught_up_s')} s "
                f"after the first redial; per client p99 {_fmt(_get(storm, 'per_client_ms', 'p99'), 1)} ms."
            )
        lines.append("")
    if app and not sweep:
        lines += ["## Targets (issue 7)", ""]
        if settings["scale_out"]:
            lines += ["The targets are set for one app process on SQLite; for two instances on PostgreSQL + Redis "
                      "they are shown for reference only.", ""]  # fmt: skip
        lines += [*_targets(results, points), ""]
    lines += _profile_section(points)
    problems = [p for p in points if _get(p, "load", "lost_or_duplicated")]
    for point in problems:
        lines += [f"## Delivery problems: {LABELS[point['target']]}", ""]
        lines += [
            f"- {text}" for text in (_get(point, "load", "anomalies") or []) + (_get(point, "load", "problems") or [])
        ]
        lines.append("")
    path = out / "latest.md"
    path.write_text("\n".join(lines))
    return path
