"""The ground rules: command, event and state (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from exchange.sessions.activities.fields import PersonId


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AcceptAgreements(_Message):
    """A practitioner accepts the plan's agreements (once; again is a no-op)."""

    type: Literal["accept_agreements"] = "accept_agreements"


class AgreementsAccepted(_Message):
    type: Literal["agreements_accepted"] = "agreements_accepted"
    participant_id: PersonId
    at: AwareDatetime


COMMANDS = (AcceptAgreements,)
EVENTS = (AgreementsAccepted,)


@dataclass(frozen=True, slots=True)
class Acceptance:
    participant_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgreementsState:
    accepted: tuple[Acceptance, ...] = ()
