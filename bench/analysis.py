"""PURE: turn what the load generator recorded into latencies, rates and a verdict on lost events.

Everything is on one clock (time.perf_counter_ns in the generator). For each command that produced
events, the ack says the seq its events end at; command-to-last-delivery is the time from sending it
until the last socket of that exchange received an events frame whose seq reached the ack's seq.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.common import summary_ms


@dataclass(slots=True)
class Cmd:
    """One command sent: by whom, when, and what came back."""

    exchange: int
    role: str
    kind: str
    t_send: int = 0
    high_at_send: int = 0  # the sender's seq when it sent: an ack at or below it changed nothing
    t_reply: int = 0
    reply_seq: int | None = None
    status: str | None = None  # "ack" | "rejected" | "dropped" (its socket was) | None (no reply: lost)
    code: str | None = None


@dataclass(slots=True)
class Track:
    """One socket's record: the seq and arrival time of every events frame, in order."""

    exchange: int
    role: str
    seqs: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


@dataclass
class Window:
    start: int
    end: int

    def __contains__(self, t: int) -> bool:
        return self.start <= t <= self.end

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / 1e9


def _first_at_or_after(track: Track, seq: int) -> int | None:
    index = bisect_left(track.seqs, seq)
    return track.times[index] if index < len(track.seqs) else None


def analyse(tracks: list[Track], commands: list[Cmd], window: Window, anomalies: list[str]) -> dict[str, Any]:
    """Latencies of the commands sent in the window, deliveries in it, and every delivery problem."""
    by_exchange: dict[int, list[Track]] = {}
    for track in tracks:
        by_exchange.setdefault(track.exchange, []).append(track)
    c2ld: dict[str, list[int]] = {"all": [], "f": [], "p": []}
    ack: dict[str, list[int]] = {"all": [], "f": [], "p": []}
    spread: list[int] = []
    sent_at: list[int] = []
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    problems = list(anomalies)
    for cmd in commands:
        measured = cmd.t_send in window
        if cmd.status is None:
            counts["no_reply"] += 1
            problems.append(f"exchange {cmd.exchange}: {cmd.kind} from {cmd.role} got no ack")
            continue
        if cmd.status == "dropped":
            counts["dropped_with_socket"] += 1
            continue
        if cmd.status == "rejected":
            if measured:
                rejected[f"{cmd.kind}:{cmd.code}"] += 1
            continue
        assert cmd.reply_seq is not None
        if cmd.reply_seq <= cmd.high_at_send:
            counts["acked_no_change"] += measured
            continue
        first = last = None
        for track in by_exchange.get(cmd.exchange, ()):
            arrived = _first_at_or_after(track, cmd.reply_seq)
            if arrived is None:
                counts["undelivered"] += 1
                problems.append(f"exchange {cmd.exchange}: seq {cmd.reply_seq} never reached a {track.role} socket")
                continue
            first = arrived if first is None else min(first, arrived)
            last = arrived if last is None else max(last, arrived)
        if not measured or last is None or first is None:
            continue
        counts["measured"] += 1
        for key in ("all", cmd.role):
            c2ld[key].append(last - cmd.t_send)
            ack[key].append(cmd.t_reply - cmd.t_send)
        spread.append(last - first)
        sent_at.append(cmd.t_send - window.start)
    deliveries = 0
    frame_bytes: dict[str, list[int]] = {"f": [], "p": []}
    for track in tracks:
        lo, hi = (
            bisect_left(track.times, window.start),
            bisect_left(track.times, window.end + 1),
        )
        deliveries += hi - lo
        frame_bytes[track.role].extend(track.sizes[lo:hi])
    sent_in_window = sum(1 for cmd in commands if cmd.t_send in window)
    kinds = Counter(f"{cmd.role}:{cmd.kind}" for cmd in commands if cmd.t_send in window)
    return {
        "window_seconds": round(window.seconds, 3),
        "commands_sent": sent_in_window,
        "commands_per_second": round(sent_in_window / window.seconds, 1) if window.seconds else 0,
        "commands": dict(counts),
        "rejected": dict(rejected.most_common()),
        "kinds": dict(kinds.most_common()),
        "command_to_last_delivery_ms": {key: summary_ms(values) for key, values in c2ld.items()},
        "ack_ms": {key: summary_ms(values) for key, values in ack.items()},
        "fanout_spread_ms": summary_ms(spread),
        "deliveries": deliveries,
        "deliveries_per_second": round(deliveries / window.seconds, 1) if window.seconds else 0,
        "frame_bytes": {
            role: (round(sum(sizes) / len(sizes)) if sizes else None) for role, sizes in frame_bytes.items()
        },
        "problems": problems[:50],
        "problem_count": len(problems),
        "raw": {
            "c2ld_ms": [round(v / 1e6, 3) for v in c2ld["all"]],
            "ack_ms": [round(v / 1e6, 3) for v in ack["all"]],
            "sent_at_s": [round(v / 1e9, 3) for v in sent_at],
        },
    }


def histogram(
    values_ms: list[float],
    *,
    lo: float = 0.1,
    hi: float = 10_000.0,
    per_decade: int = 10,
) -> dict[str, list]:
    """Counts in log-spaced buckets (upper edges in ms): small enough to keep in the results JSON."""
    edges = [round(lo * 10 ** (i / per_decade), 4) for i in range(int(math.log10(hi / lo) * per_decade) + 1)]
    counts = [0] * (len(edges) + 1)
    for value in values_ms:
        counts[bisect_left(edges, value)] += 1
    return {"upper_edges_ms": edges, "counts": counts}
