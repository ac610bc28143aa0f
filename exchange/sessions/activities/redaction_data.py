"""A lead's redactions: a contribution left out of every export from now on (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from exchange.sessions.activities.fields import ItemId, PersonId, text

MAX_REASON = 500
MAX_REDACTIONS = 2000

RedactionReason = text(MAX_REASON)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedactContribution(_Message):
    """A programme lead redacts a story, reflection, recall, card or action, giving a reason."""

    type: Literal["redact_contribution"] = "redact_contribution"
    item_id: ItemId
    reason: RedactionReason


class ContributionRedacted(_Message):
    type: Literal["contribution_redacted"] = "contribution_redacted"
    item_id: ItemId
    reason: RedactionReason
    by: PersonId
    at: AwareDatetime


COMMANDS = (RedactContribution,)
EVENTS = (ContributionRedacted,)


@dataclass(frozen=True, slots=True)
class Redaction:
    item_id: str
    reason: str
    by: str


@dataclass(frozen=True, slots=True)
class RedactionState:
    redactions: tuple[Redaction, ...] = ()

    def redacted(self, item_id: str) -> bool:
        return any(r.item_id == item_id for r in self.redactions)
