"""A few seconds of the load benchmark: the harness runs end to end and no event is lost.

No timing is asserted here: performance is what bench/ reports, never what a test checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.profile import summarise

ROOT = Path(__file__).resolve().parents[2]


def test_a_small_benchmark_run_delivers_every_event(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = [
        sys.executable, "-m", "bench.run",
        "--exchanges", "2", "--practitioners", "3",
        "--warmup", "1", "--duration", "3", "--rate", "4",
        "--resume-samples", "4", "--resume-behind", "30",
        "--storm-jitter", "0.5", "--server-log",
        "--out", str(out),
    ]  # fmt: skip
    finished = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-4000:]

    [results_file] = out.glob("*.json")
    results = json.loads(results_file.read_text())
    assert results["verdict"] == "passed"
    points = {point["target"]: point for point in results["points"]}
    assert set(points) == {"app", "b1", "b0"}
    for point in points.values():
        load = point["load"]
        assert "error" not in load, load
        assert load["lost_or_duplicated"] == 0, load["anomalies"] + load["problems"]
        assert load["commands"].get("measured", 0) > 0
        assert load["commands"].get("no_reply", 0) == 0
        assert load["deliveries"] > 0
        assert point["memory"]["none"]["sockets"] == 8
        assert point["memory"]["deflate"]["deflate_negotiated"] == 8
    app = points["app"]["load"]
    assert app["server_gc"]["rounds"] > 0
    assert app["server_commits"]["transactions"] > 0, app["server_commits"]
    assert app["resume"]["count"] == 4
    assert app["storm"]["converged"] and app["storm"]["clients"] == 8
    assert results["fsync_floor_ms"]["count"] > 0
    assert (out / "latest.md").read_text().startswith("# Load benchmark")


def test_the_round_trip_runs_against_the_app_and_then_b0(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "bench.roundtrip",
        "--commands", "20", "--warmup", "5", "--practitioners", "2", "--out", str(tmp_path),
    ]  # fmt: skip
    finished = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-4000:]
    results = json.loads((tmp_path / "roundtrip.json").read_text())
    for measured in (results, results["b0"]):
        assert measured["problems"] == [] and measured["rejected"] == 0
        assert measured["ack_ms"]["count"] == measured["command_to_last_practitioner_ms"]["count"] == 20
    assert results["frame_bytes"]["p"] > 0 and results["frame_bytes"]["f"] > 0


def test_the_commit_benchmark_times_durable_appends(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench.commit", "--appends", "30", "--out", str(tmp_path)]
    finished = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-4000:]
    results = json.loads((tmp_path / "commit.json").read_text())
    assert results["append_ms"]["count"] == 30
    assert results["fsync_floor_ms"]["count"] > 0


def test_the_profile_summary_is_of_the_event_loops_thread(tmp_path: Path) -> None:
    """py-spy samples waiting threads too: shares are of the main thread, minus the frames every sample has."""
    collapsed = tmp_path / "profile.txt"
    main = "thread (1): MainThread;main (exchange/cli.py:10);Runner.run (asyncio/runners.py:118)"
    collapsed.write_text(
        f"{main};Hub._deliver (exchange/sessions/hub.py:300);send (uvicorn/x.py:5) 3\n"
        f"{main};_round (exchange/runtime.py:41) 1\n"
        "thread (2): event-reader_0;_worker (concurrent/futures/thread.py:81) 4\n"
    )
    summary = summarise(collapsed)
    assert summary["samples"] == 4
    assert summary["self_top"] == [("send (uvicorn/x.py)", 75.0), ("_round (exchange/runtime.py)", 25.0)]
    assert dict(summary["inclusive_top"]) == {
        "Hub._deliver (exchange/sessions/hub.py)": 75.0,
        "send (uvicorn/x.py)": 75.0,
        "_round (exchange/runtime.py)": 25.0,
    }
    assert dict(summary["threads"]) == {"thread (1): MainThread": 50.0, "thread (2): event-reader_0": 50.0}
