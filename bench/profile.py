"""Sampling the server under load with py-spy, and summarising where its CPU time goes.

py-spy attaches to the server's pid (root, or ptrace allowed) during the measured window: one
recording as collapsed stacks for the summary below, one as a flame graph SVG to look at. Sampling
pauses the process briefly for each sample, so figures from a profiled run are marked as such.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

PYSPY_RATE = 100


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def record(pid: int, out: Path, *, seconds: int, fmt: str) -> subprocess.Popen[bytes] | None:
    """Start a py-spy recording (returns at once); None when py-spy is not installed."""
    binary = py_spy()
    if binary is None:
        return None
    command = [
        binary,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        str(PYSPY_RATE),
    ]
    command += ["--threads", "--format", fmt, "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def summarise(collapsed: Path, *, top: int = 25) -> dict[str, object]:
    """Self and inclusive sample shares per function on the event loop's thread, from py-spy's raw output.

    The server's work is on its main thread (the event loop); the database readers and uvloop's
    helpers mostly wait, and py-spy still samples some of those waits, so shares are of the main
    thread's samples, and the other threads' are listed apart. Frames present in every sample (the
    interpreter and uvicorn starting the loop) are left out of the inclusive list.
    """
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = "all"
        while frames and frames[0].startswith(("thread ", "process ")):
            thread = frames.pop(0)
        threads[thread] += count
        if thread != "all" and "MainThread" not in thread:
            continue
        frames = [_name(f) for f in frames]
        total += count
        if frames:
            own[frames[-1]] += count
        for name in dict.fromkeys(frames):  # once per sample, outermost first (ties keep that order)
            inclusive[name] += count
    share = lambda n: round(100.0 * n / total, 1) if total else 0.0
    everywhere = {name for name, n in inclusive.items() if n == total}
    all_threads = sum(threads.values())
    return {
        "samples": total,
        "self_top": [(name, share(n)) for name, n in own.most_common(top)],
        "inclusive_top": [(name, share(n)) for name, n in inclusive.most_common() if name not in everywhere][: top * 2],
        "threads": [(name, round(100.0 * n / all_threads, 1)) for name, n in threads.most_common(8)],
    }
