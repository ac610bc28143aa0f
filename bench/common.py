"""Small helpers shared by the benchmark's processes: process stats from /proc, percentiles, fsync."""

from __future__ import annotations

import os
import resource
import socket
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 20.0, alive=None) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"the process meant to listen on {port} exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


def raise_open_files(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards `wanted` (up to the hard limit); children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a whole process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as handle:
        data = handle.read()
    fields = data[data.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/statm."""
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_SIZE


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(q / 100.0 * len(sorted_values) + 0.499999)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def summary_ms(values_ns: Sequence[int]) -> dict[str, float | int]:
    """count, median, p95, p99, max and mean of nanosecond samples, in milliseconds."""
    values = sorted(v / 1e6 for v in values_ns)
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "median": round(statistics.median(values), 3),
        "p95": round(percentile(values, 95), 3),
        "p99": round(percentile(values, 99), 3),
        "max": round(values[-1], 3),
        "mean": round(statistics.fmean(values), 3),
    }


def fsync_floor(directory: Path, *, count: int = 300, size: int = 256) -> dict[str, float | int | str]:
    """How long one small write + fsync takes on the disk holding `directory` (what a commit must pay)."""
    path = directory / "fsync-probe.bin"
    samples: list[int] = []
    payload = os.urandom(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(count):
            start = time.perf_counter_ns()
            os.write(fd, payload)
            os.fsync(fd)
            samples.append(time.perf_counter_ns() - start)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    result: dict[str, float | int | str] = {
        "directory": str(directory),
        "write_bytes": size,
    }
    result.update(summary_ms(samples))
    return result


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent running tasks (user, nice, system, steal) since boot, from /proc/stat.

    Interrupt and softirq time is left out: the kernel charges it to no process, and on loopback it
    is mostly the benchmark's own network traffic (see machine_softirq_seconds).
    """
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = _proc_stat()[:8]
    return (user + nice + system + steal) / CLOCK_TICKS


def machine_softirq_seconds() -> float:
    """CPU seconds spent in hard and soft interrupts since boot (loopback networking lands here)."""
    fields = _proc_stat()
    return (fields[5] + fields[6]) / CLOCK_TICKS


def _proc_stat() -> list[int]:
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    return values + [0] * (8 - len(values))
