"""The benchmark's reading of the server's commit log: only spans inside the measured window count."""

from __future__ import annotations

from bench.servers import CommitLine, commit_summary

SECOND = 1_000_000_000


def test_only_spans_wholly_inside_the_window_count() -> None:
    lines = [
        CommitLine(1 * SECOND, 9, [5000] * 9),  # warm-up: before the window
        CommitLine(2 * SECOND, 4, [900, 900]),  # spans 1 s -> 2 s: starts before the window
        CommitLine(3 * SECOND, 3, [100, 200]),
        CommitLine(5 * SECOND, 5, [300, 400, 10_000]),  # a quiet stretch: one line for two seconds
        CommitLine(6 * SECOND, 9, [7000] * 9),  # ends after the window
    ]
    summary = commit_summary(lines, (2 * SECOND, int(5.5 * SECOND)))
    assert summary["seconds"] == 3.0
    assert summary["transactions"] == 5
    assert summary["transactions_per_second"] == round(5 / 3, 1)
    assert summary["appends_per_transaction"] == 1.6
    assert summary["transaction_ms"]["median"] == 0.3
    assert summary["transaction_ms"]["max"] == 10.0
    assert summary["share_of_time"] == round(0.011 / 3, 4)


def test_a_window_without_a_whole_span_says_so() -> None:
    lines = [CommitLine(1 * SECOND, 1, [100]), CommitLine(3 * SECOND, 1, [100])]
    assert commit_summary(lines, (2 * SECOND, 4 * SECOND)) == {"transactions": 0}
    assert commit_summary([], (0, SECOND)) == {"transactions": 0}
