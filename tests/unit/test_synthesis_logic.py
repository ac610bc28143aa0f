"""The pure parts around the themes: the programme's log, selection up the levels, placements, plots,
participation figures, search highlighting and mail messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exchange.mail import Mail, configured, message, send, send_all
from exchange.settings import Settings
from exchange.synthesis.items import Item
from exchange.synthesis.log import fold
from exchange.synthesis.placement import PlacementError, read_form, weights
from exchange.synthesis.plots import CORNERS, Dot, point, slider_svg, triangle_svg
from exchange.synthesis.report import evenness
from exchange.synthesis.search import highlight, terms
from exchange.synthesis.selection import ExchangeChoice, chain_of, panel_views, reason_problem

AT = datetime(2026, 12, 1, tzinfo=UTC)
REASON = "It shows women deciding together for the first time. Everyone could see it."


def story(exchange: int, n: int, text: str = "A story") -> Item:
    return Item(f"{exchange}:story-{n}", exchange, f"Exchange {exchange}", "story", "story", 1, "Stories", text, None, None, None)


def levels_log(*choices: tuple[str, list[str]]):  # noqa: ANN201
    events = [
        ("level_added", {"level_id": "l-1", "name": "Region"}, AT),
        ("panel_added", {"panel_id": "p-1", "level_id": "l-1", "name": "East", "sources": ["1", "2"]}, AT),
        ("panel_added", {"panel_id": "p-2", "level_id": "l-1", "name": "West", "sources": ["3"]}, AT),
        ("level_added", {"level_id": "l-2", "name": "Programme"}, AT),
        ("panel_added", {"panel_id": "p-3", "level_id": "l-2", "name": "All", "sources": ["p-1", "p-2"]}, AT),
    ]
    events += [("panel_chose", {"panel_id": pid, "story_keys": keys, "reason": REASON, "dissent": ""}, AT) for pid, keys in choices]
    return fold(events)


EXCHANGE_CHOICES = [
    ExchangeChoice(1, "Exchange 1", ("1:story-1",), "Brave.", ""),
    ExchangeChoice(2, "Exchange 2", ("2:story-2",), "Clear.", "Not all agreed."),
    ExchangeChoice(3, "Exchange 3", ("3:story-1",), "Moving.", ""),
]
STORIES = {s.key: s for s in (story(1, 1), story(2, 2), story(3, 1), story(1, 2))}
TITLES = {1: "Exchange 1", 2: "Exchange 2", 3: "Exchange 3"}


def test_panels_choose_among_what_reached_them_level_by_level() -> None:
    views = panel_views(levels_log(("p-1", ["2:story-2"]), ("p-2", ["3:story-1"])), EXCHANGE_CHOICES, STORIES, TITLES)
    by_id = {v.panel.id: v for v in views}
    assert [c.key for c in by_id["p-1"].candidates] == ["1:story-1", "2:story-2"]
    assert by_id["p-1"].sources == ("Exchange 1", "Exchange 2")
    assert [c.key for c in by_id["p-3"].candidates] == ["2:story-2", "3:story-1"]
    assert by_id["p-3"].choice is None and by_id["p-3"].sources == ("East", "West")


def test_a_story_out_of_the_record_leaves_the_chain() -> None:
    stories = {k: v for k, v in STORIES.items() if k != "2:story-2"}
    views = panel_views(levels_log(("p-1", ["2:story-2"])), EXCHANGE_CHOICES, stories, TITLES)
    by_id = {v.panel.id: v for v in views}
    assert [c.key for c in by_id["p-1"].candidates] == ["1:story-1"] and by_id["p-1"].chosen == ()
    assert by_id["p-3"].candidates == ()


def test_the_chain_of_a_story_tells_each_step_and_why() -> None:
    views = panel_views(levels_log(("p-1", ["2:story-2"]), ("p-2", ["3:story-1"]), ("p-3", ["3:story-1"])), EXCHANGE_CHOICES, STORIES, TITLES)
    steps = chain_of("2:story-2", EXCHANGE_CHOICES, views)
    assert [(s.level, s.panel, s.decided, s.chosen) for s in steps] == [
        ("", "Exchange 2", True, True), ("Region", "East", True, True), ("Programme", "All", True, False),
    ]  # fmt: skip
    assert steps[0].dissent == "Not all agreed." and steps[1].reason == REASON
    assert [(s.panel, s.chosen) for s in chain_of("1:story-1", EXCHANGE_CHOICES, views)] == [("Exchange 1", True), ("East", False)]
    assert chain_of("1:story-2", EXCHANGE_CHOICES, views) == ()


@pytest.mark.parametrize("reason", ["", "Good.", "because it was good and so on and so forth", "." * 30, "x " * 1001 + "."])
def test_a_reason_must_be_in_full_sentences(reason: str) -> None:
    assert reason_problem(reason) is not None


def test_a_reason_in_full_sentences_passes() -> None:
    assert reason_problem(REASON) is None and reason_problem("¿Por qué? Porque las mujeres decidieron juntas por primera vez aquí.") is None


def test_placements_and_scale_fold_latest_first() -> None:
    log = fold([
        ("scale_defined", {"triangle": ["Self", "Family", "Community"], "sliders": [{"label": "Lasting?", "low": "No", "high": "Yes"}]}, AT),
        ("story_placed", {"story_key": "1:story-1", "triangle": [20, 30, 50], "sliders": [10]}, AT),
        ("story_placed", {"story_key": "1:story-1", "triangle": [60, 20, 20], "sliders": [90]}, AT),
    ])  # fmt: skip
    assert log.scale.triangle == ("Self", "Family", "Community") and log.scale.sliders[0].high == "Yes"
    assert log.placements["1:story-1"].triangle == (60, 20, 20) and log.placements["1:story-1"].sliders == (90,)


def test_weights_are_scaled_to_a_hundred() -> None:
    assert weights(("1", "1", "1")) == (34, 33, 33)
    assert weights(("20", "20", "60")) == (20, 20, 60)
    assert weights(("0", "0", "7")) == (0, 0, 100)
    assert sum(weights(("33.3", "12", "9"))) == 100
    for bad in (("0", "0", "0"), ("-1", "5", "5"), ("x", "1", "1"), ("nan", "1", "1"), ("101", "0", "0")):
        with pytest.raises(PlacementError):
            weights(bad)


def test_the_form_reads_the_scale_it_was_made_for() -> None:
    log = fold([("scale_defined", {"triangle": None, "sliders": [{"label": "A", "low": "a", "high": "b"}] * 2}, AT)])
    placed = read_form(log.scale, {"s0": "12", "s1": "99.6", "t0": "ignored"})
    assert placed.triangle is None and placed.sliders == (12, 100)
    with pytest.raises(PlacementError):
        read_form(log.scale, {"s0": "12"})


def test_plots_escape_every_text_and_link_only_when_asked() -> None:
    hostile = '<script>alert("x")</script>'
    dots = [Dot(hostile, 0, "/programmes/1/stories/1/story-1", (100, 0, 0), (0,)), Dot("quiet", 1, None, (0, 50, 50), (100,))]
    svg = str(triangle_svg((hostile, "B", "C&D"), dots, title=hostile))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "C&amp;D" in svg
    assert svg.count("<a href=") == 1 and f'cx="{CORNERS[0][0]}" cy="{CORNERS[0][1]}"' in svg
    strip = str(slider_svg(hostile, "low", "high", 0, dots))
    assert "<script>" not in strip and 'cx="16.0"' in strip and 'cx="284.0"' in strip
    assert point((0, 50, 50)) == (150.0, 238.0)


def test_evenness_of_airtime() -> None:
    assert evenness([60, 60, 60]) == 1.0
    assert evenness([180, 0, 0]) == 0.0
    assert 0 < evenness([100, 50, 10]) < 1
    assert evenness([30]) is None and evenness([0, 0]) is None


def test_search_terms_and_highlighting_keep_text_whole() -> None:
    assert terms('"imam" OR mosque* -- ;') == ["imam", "OR", "mosque"]
    pieces = highlight("The Imam's sermons in the mosque", "imam sermon")
    assert "".join(p for p, _ in pieces) == "The Imam's sermons in the mosque"
    assert [p for p, marked in pieces if marked] == ["Imam", "sermons"]
    assert highlight("text", "") == [("text", False)]


def test_mail_is_off_without_a_host_and_messages_are_plain_text() -> None:
    assert not configured(Settings(smtp_host=""))
    settings = Settings(smtp_host="127.0.0.1", mail_from="Story Exchange <x@example.org>")
    msg = message(settings, Mail(to="a@example.org", subject="News of your story", body="Line one\nLine two"))
    assert msg["From"] == "Story Exchange <x@example.org>" and msg["To"] == "a@example.org"
    assert msg.get_content_type() == "text/plain" and "Line two" in msg.get_content()
    assert msg["Message-ID"].endswith("@example.org>")


async def test_nothing_is_sent_without_a_host_or_an_address() -> None:
    mail = Mail(to="a@example.org", subject="s", body="b")
    assert await send_all(Settings(smtp_host=""), [mail]) == 0
    assert send(Settings(smtp_host="127.0.0.1"), Mail(to="", subject="s", body="b")) is False
