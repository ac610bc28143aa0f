"""Reshaping card groups (clusters): rename, merge into another, remove (data only).

A removed group stays in the state, marked, so group ids are never reused; its cards go back to
"not grouped". Merging moves every card of one group into another and removes the first.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from exchange.sessions.activities.cards_data import MAX_CARDS, ClusterName
from exchange.sessions.activities.fields import ItemId


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RenameCluster(_Message):
    type: Literal["rename_cluster"] = "rename_cluster"
    cluster_id: ItemId
    name: ClusterName


class MergeClusters(_Message):
    """Move every card of `cluster_id` into `into_id`, then remove `cluster_id`."""

    type: Literal["merge_clusters"] = "merge_clusters"
    cluster_id: ItemId
    into_id: ItemId


class RemoveCluster(_Message):
    """Remove a group; its cards are not grouped any more (nothing is lost)."""

    type: Literal["remove_cluster"] = "remove_cluster"
    cluster_id: ItemId


class ClusterRenamed(_Message):
    type: Literal["cluster_renamed"] = "cluster_renamed"
    cluster_id: ItemId
    name: ClusterName


class ClustersMerged(_Message):
    type: Literal["clusters_merged"] = "clusters_merged"
    cluster_id: ItemId
    into_id: ItemId
    card_ids: tuple[ItemId, ...] = Field(max_length=MAX_CARDS)


class ClusterRemoved(_Message):
    type: Literal["cluster_removed"] = "cluster_removed"
    cluster_id: ItemId
    card_ids: tuple[ItemId, ...] = Field(max_length=MAX_CARDS)


COMMANDS = (RenameCluster, MergeClusters, RemoveCluster)
EVENTS = (ClusterRenamed, ClustersMerged, ClusterRemoved)
