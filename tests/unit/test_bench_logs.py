"""The benchmark's reading of the server's commit log: only spans inside the measured window count."""

from __future__ import annotations

from bench.servers import commit_summary

SECOND = 1_000_000_000


def test_only_spans_wholly_inside_the_window_count() -> None:
    lines = [
        (1 * SECOND, 900, 900, 200.0),  # warm-up: before the window
        (2 * SECOND, 500, 1000, 100.0),  # spans 1 s -> 2 s: starts before the window
        (3 * SECOND, 400, 1000, 80.0),
        (5 * SECOND, 200, 1000, 40.0),  # a quiet stretch: one line for two seconds
        (6 * SECOND, 999, 999, 999.0),  # ends after the window
    ]
    summary = commit_summary(lines, (2 * SECOND, int(5.5 * SECOND)))
    assert summary == {
        "seconds": 3.0,
        "transactions": 600,
        "transactions_per_second": 200.0,
        "appends_per_transaction": 3.33,
        "transaction_mean_ms": 0.2,
        "share_of_time": 0.04,
    }


def test_a_window_without_a_whole_span_says_so() -> None:
    assert commit_summary([(1 * SECOND, 5, 5, 1.0), (3 * SECOND, 5, 5, 1.0)], (2 * SECOND, 4 * SECOND)) == {
        "transactions": 0
    }
    assert commit_summary([], (0, SECOND)) == {"transactions": 0}
