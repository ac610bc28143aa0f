"""The record: a practitioner keeps their own contributions out of it (data only).

Off the record means shown live but kept out of every export; any standing contribution of one's own
may be marked, during the exchange and after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from exchange.sessions.activities.fields import ItemId, PersonId


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SetOffRecord(_Message):
    """Mark one's own story, reflection, recall, card, action or point off the record, or back on."""

    type: Literal["set_off_record"] = "set_off_record"
    item_id: ItemId
    off_record: bool = True


class OffRecordSet(_Message):
    """A contribution is off the record (or back on); `anonymous`: its author is shown to nobody."""

    type: Literal["off_record_set"] = "off_record_set"
    item_id: ItemId
    author_id: PersonId
    off_record: bool
    anonymous: bool = False


COMMANDS = (SetOffRecord,)
EVENTS = (OffRecordSet,)


@dataclass(frozen=True, slots=True)
class RecordState:
    off_record: frozenset[str] = frozenset()  # item ids
