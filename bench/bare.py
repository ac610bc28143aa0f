"""What the two bare baselines share: the group's seq and frames padded to the app's frame sizes.

The baselines speak just enough of the app's protocol for the same load generator to drive them:
hello -> {"type": "snapshot", "seq"}; a command -> one events frame to every socket of the group
(staff and practitioner frames padded to the sizes the app's frames had), then an ack with the seq
to the sender. No validation, no database, no state beyond the counter.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from exchange.runtime import tuned_runtime
from exchange.settings import Settings

DEFAULT_FRAME_BYTES = 2500
DEFAULT_STAFF_FRAME_BYTES = 5000


@contextlib.asynccontextmanager
async def collector_policy() -> AsyncIterator[None]:
    """The app's garbage-collector policy, so a baseline's tail is its fan-out, not CPython's
    collector: with the default thresholds B0's full collections walk every socket's objects and
    stalled its loop for up to 480 ms at E=1000. BENCH_BASELINE_GC=default keeps CPython's own."""
    if os.environ.get("BENCH_BASELINE_GC") == "default":
        yield
        return
    fields = Settings.model_fields
    async with tuned_runtime(fields["gc_freeze_seconds"].default, fields["gc_full_seconds"].default):
        yield


def frame_sizes() -> tuple[int, int]:
    """(practitioner, staff) frame sizes, from the environment the benchmark sets."""
    return (
        int(os.environ.get("BENCH_FRAME_BYTES", DEFAULT_FRAME_BYTES)),
        int(os.environ.get("BENCH_STAFF_FRAME_BYTES", DEFAULT_STAFF_FRAME_BYTES)),
    )


def _padding(size: int) -> str:
    skeleton = events_frame(0, "")
    # a short seq now is a longer one later; aim at the size for a 4-digit seq
    return "x" * max(0, size - len(skeleton) - 4)


def events_frame(seq: int, padding: str) -> str:
    return f'{{"type":"events","seq":{seq},"events":[{{"seq":{seq},"type":"bench"}}],"view":{{"pad":"{padding}"}}}}'


def snapshot_frame(seq: int, padding: str = "") -> str:
    """The state a (re)connecting socket gets first: as big as the app's, so deflate state is used alike."""
    return f'{{"type":"snapshot","seq":{seq},"view":{{"pad":"{padding}"}}}}'


def ack_frame(command_id: str, seq: int) -> str:
    return json.dumps({"type": "ack", "id": command_id, "seq": seq})


def parse(text: str) -> dict[str, Any] | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


@dataclass
class Group:
    """One exchange's sockets (any connection type) and its counter."""

    seq: int = 0
    staff: set[Any] = field(default_factory=set)
    others: set[Any] = field(default_factory=set)


class Groups:
    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        practitioner, staff = frame_sizes()
        self.padding = _padding(practitioner)
        self.staff_padding = _padding(staff)

    def join(self, name: str, connection: Any, staff: bool) -> Group:
        group = self.groups.setdefault(name, Group())
        (group.staff if staff else group.others).add(connection)
        return group

    def leave(self, name: str, connection: Any) -> None:
        group = self.groups.get(name)
        if group is not None:
            group.staff.discard(connection)
            group.others.discard(connection)

    def snapshot(self, group: Group, staff: bool) -> str:
        return snapshot_frame(group.seq, self.staff_padding if staff else self.padding)

    def frames(self, group: Group) -> tuple[str, str]:
        """The next seq's (staff, practitioner) frames; advances the counter."""
        group.seq += 1
        return events_frame(group.seq, self.staff_padding), events_frame(group.seq, self.padding)
