"""PURE: the frames a batch of events makes for each live audience, and what a (re)connecting
socket is sent first. The hub writes them to sockets; the privacy property tests read them the
same way, so what they check is what sockets get.

Each audience's events come through the privacy policy (`privacy.visible_event`); its view is a
projection of the state (`views.Projection`): practitioners share one, staff (facilitators and
leads) another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from exchange.sessions import protocol
from exchange.sessions.commands import Role
from exchange.sessions.privacy import Audience, visible_event
from exchange.sessions.state import SessionState
from exchange.sessions.views import Projection, personal_view, projections
from exchange.sessions.views import personal_subjects as subjects_of

JSON = dict[str, Any]

_AUDIENCE_OF = {Role.PARTICIPANT: Audience.PARTICIPANT, Role.FACILITATOR: Audience.FACILITATOR, Role.LEAD: Audience.LEAD}
#: Whose projection of the state an audience is shown: staff share the console's view.
_VIEW_OF = {Audience.PARTICIPANT: Role.PARTICIPANT, Audience.FACILITATOR: Role.FACILITATOR, Audience.LEAD: Role.FACILITATOR}


def audience_of(role: Role) -> Audience:
    """The live audience of a socket's actor (the system has no socket)."""
    return _AUDIENCE_OF[role]


def shown_events(dumped: Iterable[JSON], audience: Audience) -> list[JSON]:
    """The envelopes (as JSON) an audience may see, as it may see them, in order."""
    return [shown for data in dumped if (shown := visible_event(data, audience)) is not None]


class Fanout:
    """Per audience, the view as last sent, and the frames that bring it up to date."""

    def __init__(self) -> None:
        self._projections = projections()

    def _projection(self, audience: Audience) -> Projection:
        return self._projections[_VIEW_OF[audience]]

    def frames(self, state: SessionState, dumped: Sequence[JSON], audiences: Iterable[Audience]) -> dict[Audience, str]:
        """One encoded events frame per audience listening: its events and the parts of its view
        that changed. An audience nobody listens to is skipped; whoever comes next brings its
        projection up to date."""
        changes: dict[Role, tuple[dict[str, protocol.Part | None], dict[str, protocol.Part]]] = {}
        frames: dict[Audience, str] = {}
        for audience in audiences:
            view = _VIEW_OF[audience]
            if view not in changes:  # a projection updated twice would report no change the second time
                projection = self._projections[view]
                changes[view] = projection.deltas(projection.update(state))
            whole, items = changes[view]
            frames[audience] = protocol.events(
                seq=state.last_seq, events=shown_events(dumped, audience), changes=whole, items=items
            )
        return frames

    def first_frame(self, state: SessionState, audience: Audience, missed: Sequence[JSON] | None) -> str:
        """What a connecting socket is sent first: a snapshot, or the events it missed and the view."""
        projection = self._projection(audience)
        projection.update(state)  # a no-op when others of this view listen: it is up to date
        if missed is None:
            return protocol.snapshot(seq=state.last_seq, view=projection.parts)
        return protocol.events(seq=state.last_seq, events=shown_events(missed, audience), view=projection.parts)


def personal_subjects(events: Iterable[object]) -> frozenset[str]:
    """The practitioners whose own view these events changed (each gets a personal frame)."""
    return frozenset().union(*(subjects_of(event) for event in events))


def personal_frame(state: SessionState, participant_id: str) -> str:
    return protocol.personal(seq=state.last_seq, data=personal_view(state, participant_id))
