"""Card groups: made by moving cards (drag, keyboard or select all send move_card), renamed, merged and
removed; nothing is ever lost (a removed group's cards are not grouped any more), ids never reused,
and the record groups cards as the facilitator left them."""

from __future__ import annotations

import typing
from collections.abc import Callable

import pytest

from exchange.sessions import commands as c
from exchange.sessions.activities import cards_data as cd
from exchange.sessions.activities.card_groups_data import MergeClusters, RemoveCluster, RenameCluster
from exchange.sessions.views import facilitator_view, participant_view
from exchange.transcripts import build
from exchange.transcripts.model import ExchangeMeta, RosterEntry
from tests.unit.test_activity_support import LEVERS, STORIES, at_phase, lever
from tests.unit.test_session_support import AMA, BEA, CHE, FACILITATOR, LEAD, T0, Session, types

Setup = Callable[[], Session]
Expect = list[str] | str


def grouped() -> Session:
    """Three cards; cluster-1 "Faith" holds card-1 and card-2, cluster-2 "Family" holds card-3."""
    session = at_phase(LEVERS)
    session.do(AMA, lever("The imam"))
    session.do(BEA, lever("The pastor"))
    session.do(CHE, lever("The grandmother"))
    session.do(FACILITATOR, cd.CreateCluster(name="Faith"))
    session.do(FACILITATOR, cd.CreateCluster(name="Family"))
    for card, cluster in (("card-1", "cluster-1"), ("card-2", "cluster-1"), ("card-3", "cluster-2")):
        session.do(FACILITATOR, cd.MoveCard(card_id=card, cluster_id=cluster))
    return session


def elsewhere() -> Session:
    session = grouped()
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    return session


CASES: list[tuple[str, Setup, c.Actor, typing.Any, Expect]] = [
    ("rename", grouped, FACILITATOR, RenameCluster(cluster_id="cluster-1", name="Faith leaders"), ["cluster_renamed"]),
    ("rename to the same", grouped, FACILITATOR, RenameCluster(cluster_id="cluster-1", name="Faith"), []),
    ("rename to another's name", grouped, FACILITATOR, RenameCluster(cluster_id="cluster-1", name="family"), "duplicate_cluster"),
    ("rename an unknown group", grouped, FACILITATOR, RenameCluster(cluster_id="cluster-9", name="x"), "unknown_cluster"),
    ("merge", grouped, FACILITATOR, MergeClusters(cluster_id="cluster-2", into_id="cluster-1"), ["clusters_merged"]),
    ("merge into itself", grouped, FACILITATOR, MergeClusters(cluster_id="cluster-1", into_id="cluster-1"), "same_cluster"),
    ("merge into an unknown group", grouped, FACILITATOR, MergeClusters(cluster_id="cluster-1", into_id="cluster-9"), "unknown_cluster"),
    ("remove", grouped, FACILITATOR, RemoveCluster(cluster_id="cluster-1"), ["cluster_removed"]),
    ("not outside a cards phase", elsewhere, FACILITATOR, RemoveCluster(cluster_id="cluster-1"), "wrong_phase"),
    ("not by a practitioner", grouped, AMA, RemoveCluster(cluster_id="cluster-1"), "forbidden"),
    ("not by a lead", grouped, LEAD, RenameCluster(cluster_id="cluster-1", name="x"), "forbidden"),
]


@pytest.mark.parametrize(("setup", "actor", "command", "expect"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_command(setup: Setup, actor: c.Actor, command: typing.Any, expect: Expect) -> None:
    session = setup()
    if isinstance(expect, str):
        refusal = session.refuse(actor, command)
        assert refusal.code == expect
        assert refusal.message and refusal.message[0].isupper()
    else:
        assert types(session.do(actor, command)) == expect
        assert session.rebuilt() == session.state


def _groups(session: Session) -> dict[str, list[str]]:
    view = participant_view(session.state)
    names = {c["id"]: c["name"] for c in view["clusters"]}
    out: dict[str, list[str]] = {}
    for card in view["cards"]:
        out.setdefault(names.get(card["cluster_id"], "-"), []).append(card["id"])
    return out


def test_merge_remove_and_rename_lose_no_card_and_reuse_no_id() -> None:
    session = grouped()
    session.do(FACILITATOR, RenameCluster(cluster_id="cluster-1", name="Faith leaders"))
    session.do(FACILITATOR, MergeClusters(cluster_id="cluster-2", into_id="cluster-1"))
    assert _groups(session) == {"Faith leaders": ["card-1", "card-2", "card-3"]}
    assert [c["id"] for c in facilitator_view(session.state)["clusters"]] == ["cluster-1"]
    assert session.refuse(FACILITATOR, cd.MoveCard(card_id="card-1", cluster_id="cluster-2")).code == "unknown_cluster"
    session.do(FACILITATOR, cd.CreateCluster(name="Family"))  # the name is free again; the id is new
    assert [c["id"] for c in facilitator_view(session.state)["clusters"]] == ["cluster-1", "cluster-3"]
    session.do(FACILITATOR, RemoveCluster(cluster_id="cluster-1"))
    assert _groups(session) == {"-": ["card-1", "card-2", "card-3"]}
    roster = {p.id: RosterEntry(name=p.name, consent="name") for p in (AMA, BEA, CHE)}
    meta = ExchangeMeta(id=1, title="x", timezone="UTC", starts_at=T0, draft=True)
    [phase] = [p for p in build.build(session.log, exchange=meta, roster=roster).phases if p.index == LEVERS]
    assert [(g.name, len(g.cards)) for g in phase.card_groups] == [(None, 3)]
