"""Reshaping card groups: rename, merge, remove (PURE). Any facilitator of the exchange may (it is
not steering: one co-facilitator often groups while the lead runs the room)."""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.sessions.activities.base import FACILITATOR_ONLY, Applier, Decision, Rejected, Rule
from exchange.sessions.activities.card_groups_data import (
    ClusterRemoved,
    ClusterRenamed,
    ClustersMerged,
    MergeClusters,
    RemoveCluster,
    RenameCluster,
)
from exchange.sessions.activities.cards import CARDS_KINDS
from exchange.sessions.activities.base import check_kind
from exchange.sessions.activities.cards_data import Cluster
from exchange.sessions.commands import Actor
from exchange.sessions.state import SessionState, evolve


def _group(state: SessionState, cluster_id: str) -> Cluster | Rejected:
    refusal = check_kind(state, CARDS_KINDS, _("Cards can only be used in a cards phase."))
    if refusal is not None:
        return refusal
    for cluster in state.cards.clusters:
        if cluster.id == cluster_id and cluster.phase_index == state.phase_index and not cluster.removed:
            return cluster
    return Rejected("unknown_cluster", _("There is no such cluster in this phase."))


def _cards_in(state: SessionState, cluster_id: str) -> tuple[str, ...]:
    return tuple(card.id for card in state.cards.cards if card.cluster_id == cluster_id)


def rename_cluster(state: SessionState, command: RenameCluster, actor: Actor, now: datetime) -> Decision:
    group = _group(state, command.cluster_id)
    if isinstance(group, Rejected):
        return group
    if group.name == command.name:
        return []
    taken = any(
        c.phase_index == group.phase_index and not c.removed and c.id != group.id and c.name.casefold() == command.name.casefold()
        for c in state.cards.clusters
    )
    if taken:
        return Rejected("duplicate_cluster", _("There is already a cluster with that name."))
    return [ClusterRenamed(cluster_id=group.id, name=command.name)]


def merge_clusters(state: SessionState, command: MergeClusters, actor: Actor, now: datetime) -> Decision:
    group = _group(state, command.cluster_id)
    if isinstance(group, Rejected):
        return group
    into = _group(state, command.into_id)
    if isinstance(into, Rejected):
        return into
    if group.id == into.id:
        return Rejected("same_cluster", _("Choose another cluster to merge into."))
    return [ClustersMerged(cluster_id=group.id, into_id=into.id, card_ids=_cards_in(state, group.id))]


def remove_cluster(state: SessionState, command: RemoveCluster, actor: Actor, now: datetime) -> Decision:
    group = _group(state, command.cluster_id)
    if isinstance(group, Rejected):
        return group
    return [ClusterRemoved(cluster_id=group.id, card_ids=_cards_in(state, group.id))]


def _clusters(state: SessionState, cluster_id: str, **changes: object) -> tuple[Cluster, ...]:
    return tuple(evolve(c, **changes) if c.id == cluster_id else c for c in state.cards.clusters)


def _regrouped(state: SessionState, card_ids: tuple[str, ...], cluster_id: str | None) -> SessionState:
    moving = set(card_ids)
    cards = tuple(evolve(card, cluster_id=cluster_id) if card.id in moving else card for card in state.cards.cards)
    return evolve(state, cards=evolve(state.cards, cards=cards))


def _renamed(state: SessionState, event: ClusterRenamed) -> SessionState:
    return evolve(state, cards=evolve(state.cards, clusters=_clusters(state, event.cluster_id, name=event.name)))


def _merged(state: SessionState, event: ClustersMerged) -> SessionState:
    state = _regrouped(state, event.card_ids, event.into_id)
    return evolve(state, cards=evolve(state.cards, clusters=_clusters(state, event.cluster_id, removed=True)))


def _removed(state: SessionState, event: ClusterRemoved) -> SessionState:
    state = _regrouped(state, event.card_ids, None)
    return evolve(state, cards=evolve(state.cards, clusters=_clusters(state, event.cluster_id, removed=True)))


RULES: dict[str, Rule] = {
    "rename_cluster": Rule(FACILITATOR_ONLY, rename_cluster),
    "merge_clusters": Rule(FACILITATOR_ONLY, merge_clusters),
    "remove_cluster": Rule(FACILITATOR_ONLY, remove_cluster),
}

APPLIERS: dict[type, Applier] = {
    ClusterRenamed: _renamed,
    ClustersMerged: _merged,
    ClusterRemoved: _removed,
}
