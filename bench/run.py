"""Run the load benchmark: the app and its two bare baselines, same clients, same load, one report.

    python -m bench.run [--exchanges E] [--practitioners P] [--rate R] [--warmup S] [--duration S]
                        [--sweep] [--scale-out] [--compression] [--profile] [--out bench/results]

For each target (the app, B1 = bare FastAPI on uvicorn, B0 = bare `websockets`) it starts the server
in a process of its own, drives it from the load generator (bench.loadgen, another process), stops
it, and measures idle memory per connection on fresh servers, without and with permessage-deflate.
The app runs on a fresh, migrated SQLite file seeded through the service layer. The exit status is
non-zero when the app lost, duplicated or failed to deliver an event (a FAILED run).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import profile
from bench.analysis import histogram
from bench.common import fsync_floor, raise_open_files
from bench.seed import seed_exchanges
from bench.servers import ROOT, Server

TARGETS = ("app", "b1", "b0")
LABELS = {"app": "app", "b1": "B1 FastAPI", "b0": "B0 websockets"}
SWEEP_STEPS = (100, 250, 500, 1000)
NOISY_CORES = 0.5  # other processes' CPU during a sweep point's window that makes it worth measuring again


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", "-E", type=int, default=200, help="exchanges (default 200)")
    parser.add_argument(
        "--practitioners",
        "-P",
        type=int,
        default=10,
        help="practitioners per exchange (default 10)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        help="commands per second per exchange (default 1)",
    )
    parser.add_argument(
        "--practitioner-share",
        type=float,
        default=0.5,
        help="share of the commands sent by practitioners (default 0.5)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds of load before measuring (default 10)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured (default 30)")
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help="which of app,b1,b0 to run (default all)",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="step E up until p99 passes --sweep-limit-ms",
    )
    parser.add_argument(
        "--sweep-steps",
        default=",".join(map(str, SWEEP_STEPS)),
        help="E values for --sweep",
    )
    parser.add_argument(
        "--sweep-limit-ms",
        type=float,
        default=100.0,
        help="p99 that ends a sweep (default 100)",
    )
    parser.add_argument(
        "--compression",
        action="store_true",
        help="clients offer permessage-deflate in load runs",
    )
    parser.add_argument("--scale-out", action="store_true", help="PostgreSQL + Redis, two app instances")
    parser.add_argument("--no-memory", action="store_true", help="skip the idle-memory measurements")
    parser.add_argument("--no-storm", action="store_true", help="skip the reconnect storm")
    parser.add_argument(
        "--storm-jitter",
        type=float,
        default=3.0,
        help="reconnect delay spread in seconds (default 3)",
    )
    parser.add_argument(
        "--resume-samples",
        type=int,
        default=100,
        help="reconnect-and-resume samples (default 100)",
    )
    parser.add_argument(
        "--resume-behind",
        type=int,
        default=300,
        help="events behind for those (default 300)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the app during its measured window",
    )
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument(
        "--server-log",
        "--gc-log",
        action="store_true",
        help="log the app's garbage-collector pauses and its event log's commits (bench/serverlog.py)",
    )
    parser.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep the temp dir (server logs, specs)",
    )
    parser.add_argument(
        "--baseline-gc",
        choices=("app", "default"),
        default="app",
        help="the baselines' garbage collector: the app's policy (default) or CPython's own",
    )
    parser.add_argument("--queue-frames", type=int, help="EXCHANGE_WS_QUEUE_FRAMES for the app")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more app settings",
    )
    parser.add_argument("--db-dir", type=Path, help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--connect-concurrency", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7, help="random seed of the load generator")
    parser.add_argument(
        "--label",
        default="",
        help="a note for the report (what else ran on the machine)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results folder")
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="write the JSON only (no Markdown, no plot)",
    )
    return parser.parse_args(argv)


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.secret = secrets.token_urlsafe(48)
        self.runs = 0
        self.frame_sizes: dict[str, int] = {}
        self.database = "postgresql" if args.scale_out else "sqlite"
        self.instances = 2 if args.scale_out else 1
        self.redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0") if args.scale_out else None

    def log(self, message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    # --- databases ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def database_url(self, folder: Path) -> Iterator[str]:
        from tests.support.databases import fresh_database, migrate

        if self.database == "sqlite":
            db_dir = self.args.db_dir or folder
            db_dir.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{db_dir / f'bench-{self.runs}.db'}"
            migrate(url)
            yield url
            return
        with fresh_database("postgresql", folder) as url:
            migrate(url)
            yield url

    # --- servers ------------------------------------------------------------------------------

    def servers(self, target: str, folder: Path, database_url: str | None) -> list[Server]:
        if target != "app":
            env = {
                "BENCH_FRAME_BYTES": str(self.frame_sizes.get("p", 2500)),
                "BENCH_STAFF_FRAME_BYTES": str(self.frame_sizes.get("f", 5000)),
                "BENCH_BASELINE_GC": self.args.baseline_gc,
            }
            return [Server(target, log_path=folder / f"{target}.log", env=env)]
        env = {
            "EXCHANGE_DATABASE_URL": database_url or "",
            "EXCHANGE_SECRET_KEY": self.secret,
        }
        if self.args.queue_frames:
            env["EXCHANGE_WS_QUEUE_FRAMES"] = str(self.args.queue_frames)
        if self.redis_url:
            env["EXCHANGE_REDIS_URL"] = self.redis_url
            env["EXCHANGE_REDIS_PREFIX"] = f"bench-{secrets.token_hex(4)}"
        for item in self.args.server_env:
            key, _, value = item.partition("=")
            env[key] = value
        logged = self.args.server_log
        return [
            Server("app", log_path=folder / f"app-{i}.log", env=env, server_log=logged) for i in range(self.instances)
        ]

    def spec(
        self,
        target: str,
        servers: list[Server],
        exchanges: list[dict[str, Any]],
        **extra: Any,
    ) -> dict[str, Any]:
        groups = []
        for entry in exchanges:
            ex_id = entry["id"]
            groups.append(
                {
                    "facilitator": {
                        "url": servers[0].ws_url(ex_id, "f"),
                        "cookie": entry["facilitator"],
                    },
                    "practitioners": [
                        {
                            "url": servers[(i + 1) % len(servers)].ws_url(ex_id, "p"),
                            "cookie": cookie,
                        }
                        for i, cookie in enumerate(entry["practitioners"])
                    ],
                }
            )
        a = self.args
        spec = {
            "target": target,
            "mode": "load",
            "exchanges": groups,
            "server_pids": [s.pid for s in servers],
            "rate": a.rate,
            "practitioner_share": a.practitioner_share,
            "warmup": a.warmup,
            "duration": a.duration,
            "compression": "deflate" if a.compression else None,
            "connect_concurrency": a.connect_concurrency,
            "resume_samples": a.resume_samples,
            "resume_behind": a.resume_behind,
            "resume_exchanges": min(10, len(groups)),
            "storm": not a.no_storm,
            "storm_jitter": a.storm_jitter,
            "seed": a.seed,
            "time_limit": 600 + a.warmup + a.duration + 0.05 * len(groups) * (a.practitioners + 1),
        }
        spec.update(extra)
        return spec

    # --- the load generator -------------------------------------------------------------------

    def loadgen(self, spec: dict[str, Any], folder: Path, *, profile_pid: int | None = None) -> dict[str, Any]:
        self.runs += 1
        spec_path, out_path = (
            folder / f"spec-{self.runs}.json",
            folder / f"out-{self.runs}.json",
        )
        spec_path.write_text(json.dumps(spec))
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", str(spec_path), str(out_path)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        profiled: dict[str, Any] = {}

        def relay() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                sys.stderr.write(line)
                if profile_pid is not None and "MEASURE-START" in line:
                    worker = threading.Thread(target=self._profile, args=(profile_pid, profiled), daemon=True)
                    profiled["thread"] = worker
                    worker.start()

        reader = threading.Thread(target=relay, daemon=True)
        reader.start()
        try:
            code = process.wait(timeout=spec["time_limit"] + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = -9
        reader.join(timeout=5)
        if code != 0 or not out_path.exists():
            return {
                "error": f"load generator exited with {code}",
                "lost_or_duplicated": None,
            }
        result = json.loads(out_path.read_text())
        if "thread" in profiled:
            profiled.pop("thread").join(timeout=2 * self.args.profile_seconds + 120)
        if profiled:
            result["profile"] = profiled
        return result

    def _profile(self, pid: int, into: dict[str, Any]) -> None:
        seconds = max(5, min(self.args.profile_seconds, int(self.args.duration / 2) - 1))
        out = self.args.out
        raw_path, svg_path = out / "profile.txt", out / "profile.svg"
        recording = profile.record(pid, raw_path, seconds=seconds, fmt="raw")
        if recording is None:
            into["error"] = "py-spy is not installed (pip install py-spy)"
            return
        _, err = recording.communicate(timeout=seconds + 60)
        if raw_path.exists():
            into.update(profile.summarise(raw_path), collapsed=_shown(raw_path), seconds=seconds)
        else:
            into["error"] = err.decode(errors="replace")[-500:]
        svg = profile.record(pid, svg_path, seconds=seconds, fmt="flamegraph")
        if svg is not None:
            svg.communicate(timeout=seconds + 60)
            if svg_path.exists():
                into["flamegraph"] = _shown(svg_path)

    # --- one point: a target at E exchanges ---------------------------------------------------

    def point(
        self,
        target: str,
        exchanges: int,
        *,
        memory: bool,
        storm: bool,
        profile_run: bool,
    ) -> dict[str, Any]:
        a = self.args
        folder = self.workdir / f"{target}-{exchanges}-{self.runs}"
        folder.mkdir(parents=True)
        self.log(f"{LABELS[target]}: {exchanges} exchanges x {a.practitioners} practitioners")
        record: dict[str, Any] = {
            "target": target,
            "exchanges": exchanges,
            "practitioners": a.practitioners,
        }
        record["loadavg_before"] = os.getloadavg()
        with self._prepared(target, exchanges, folder) as (database_url, seeded):
            servers = self.servers(target, folder, database_url)
            for server in servers:
                server.start()
            try:
                spec = self.spec(
                    target,
                    servers,
                    seeded,
                    storm=storm and target == "app",
                    profile_marker=profile_run,
                )
                record["load"] = self.loadgen(spec, folder, profile_pid=servers[0].pid if profile_run else None)
            finally:
                for server in servers:
                    server.stop()
            if target == "app" and a.server_log:
                record["load"]["server_gc"] = servers[0].gc_pauses()
                if window := record["load"].get("window_ns"):
                    record["load"]["server_commits"] = servers[0].commits(tuple(window))
            if memory:
                record["memory"] = {}
                for compression in (None, "deflate"):
                    servers = self.servers(target, folder, database_url)
                    for server in servers:
                        server.start()
                    try:
                        time.sleep(1.0)
                        spec = self.spec(
                            target,
                            servers,
                            seeded,
                            mode="idle",
                            compression=compression,
                            idle_settle=3.0,
                        )
                        record["memory"][compression or "none"] = self.loadgen(spec, folder)
                    finally:
                        for server in servers:
                            server.stop()
        record["loadavg_after"] = os.getloadavg()
        load = record["load"]
        if target == "app" and load.get("frame_bytes"):
            self.frame_sizes = {k: v for k, v in load["frame_bytes"].items() if v}
        record["failed"] = bool(load.get("error")) or bool(load.get("lost_or_duplicated"))
        return record

    @contextlib.contextmanager
    def _prepared(self, target: str, exchanges: int, folder: Path) -> Iterator[tuple[str | None, list[dict[str, Any]]]]:
        if target != "app":
            fake = [
                {
                    "id": i + 1,
                    "facilitator": "",
                    "practitioners": [""] * self.args.practitioners,
                }
                for i in range(exchanges)
            ]
            yield None, fake
            return
        with self.database_url(folder) as url:
            started = time.monotonic()
            seeded = seed_exchanges(
                url,
                secret=self.secret,
                exchanges=exchanges,
                practitioners=self.args.practitioners,
            )
            self.log(f"seeded {exchanges} exchanges in {time.monotonic() - started:.1f}s")
            yield url, [entry.as_json() for entry in seeded]


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _sweep(bench: Bench, targets: list[str]) -> dict[str, Any]:
    a = bench.args
    steps = [int(s) for s in a.sweep_steps.split(",") if s.strip()]
    sweep: dict[str, Any] = {
        "limit_ms": a.sweep_limit_ms,
        "steps": steps,
        "targets": {},
    }
    for target in targets:
        points = []
        capacity = None
        for exchanges in steps:
            record = bench.point(target, exchanges, memory=False, storm=False, profile_run=False)
            noisy = []
            while (record["load"].get("other_processes_cores") or 0) > NOISY_CORES and len(noisy) < 2:
                bench.log(f"other processes used {record['load']['other_processes_cores']} cores: measuring again")
                noisy.append({k: v for k, v in record["load"].items() if k != "raw"})
                time.sleep(20)
                record = bench.point(target, exchanges, memory=False, storm=False, profile_run=False)
            record["noisy_attempts"] = noisy
            points.append(record)
            p99 = record["load"].get("command_to_last_delivery_ms", {}).get("all", {}).get("p99")
            bench.log(f"{LABELS[target]} at E={exchanges}: p99 {p99} ms")
            if record["failed"] or p99 is None or p99 > a.sweep_limit_ms:
                break
            capacity = exchanges
        sweep["targets"][target] = {"points": points, "capacity_exchanges": capacity}
    return sweep


def _meta(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    from importlib.metadata import version

    def git(*command: str) -> str:
        try:
            return subprocess.run(
                ["git", *command], check=False, cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except OSError:
            return ""

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
            "",
        )
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv),
        "label": args.label,
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu,
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "versions": {name: version(name) for name in ("websockets", "uvicorn", "fastapi", "starlette", "sqlalchemy")},
        "git": {
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "exchange")),
        },
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in {"out", "server_env"}
        }
        | {"server_env": args.server_env},
    }


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    if unknown := set(targets) - set(TARGETS):
        print(f"unknown target(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.scale_out and importlib.util.find_spec("exchange.sessions.redis_broker") is None:
        print(
            "--scale-out needs the Redis broker (issue 6: exchange/sessions/redis_broker.py).",
            file=sys.stderr,
        )
        return 2
    sockets = args.exchanges * (args.practitioners + 1)
    if args.sweep:
        sockets = max(int(s) for s in args.sweep_steps.split(",")) * (args.practitioners + 1)
    limit = raise_open_files(2 * sockets + 1024)
    if limit < sockets + 256:
        print(
            f"open-file limit {limit} is too low for {sockets} sockets (ulimit -n)",
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"meta": _meta(args, argv)}
    results["meta"]["open_files_limit"] = limit
    workdir = Path(tempfile.mkdtemp(prefix="exchange-bench-"))
    try:
        bench = Bench(args, workdir)
        floor_dir = args.db_dir or workdir
        floor_dir.mkdir(parents=True, exist_ok=True)
        results["fsync_floor_ms"] = fsync_floor(floor_dir)
        bench.log(f"fsync floor on {floor_dir}: median {results['fsync_floor_ms']['median']} ms")
        if args.sweep:
            results["sweep"] = _sweep(bench, targets)
            points = [p for t in results["sweep"]["targets"].values() for p in t["points"]]
        else:
            points = []
            for target in targets:
                points.append(
                    bench.point(
                        target,
                        args.exchanges,
                        memory=not args.no_memory,
                        storm=not args.no_storm,
                        profile_run=args.profile and target == "app",
                    )
                )
            results["points"] = points
    finally:
        if args.keep_workdir:
            print(f"[bench] kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    app_points = [p for p in points if p["target"] == "app"]
    failed = any(p["failed"] for p in app_points)
    results["verdict"] = "FAILED" if failed else "passed"
    results["meta"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = args.out / f"{stamp}.json"
    for point in points:  # raw samples go to the plot; the JSON keeps a histogram
        raw = point.get("load", {}).pop("raw", None)
        if raw:
            point["_raw"] = raw
            point["load"]["command_to_last_delivery_histogram"] = histogram(raw["c2ld_ms"])
    if not args.no_report:
        from bench.report import write_report

        write_report(results, args.out, json_name=json_path.name)
    for point in points:
        point.pop("_raw", None)
    json_path.write_text(json.dumps(results, indent=1, default=str))
    print(f"[bench] {results['verdict']}: {json_path}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
