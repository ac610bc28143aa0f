"""Selection (most significant change): facilitated voting rounds among stories, then the choice.

The facilitator opens a round among the standing stories (all of them, or those of one domain);
practitioners vote, one vote per story and at most the phase's `votes_per_person` (1 by default);
totals are hidden from practitioners until the facilitator closes the round, and from everyone while
fewer than MIN_GROUP people have voted in it. After discussion on
the call another round may follow. The facilitator then records the choice (one story, or two for
a split group), the reason (required) and any dissent; everyone sees them, so the reasons can be fed
back to the tellers. Recording again for the same domain replaces the earlier choice.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import ActivityKind
from exchange.sessions.activities import stories
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    JSON,
    MIN_GROUP,
    Applier,
    Decision,
    Rejected,
    Rule,
    check_kind,
    too_many,
)
from exchange.sessions.activities.fields import item_id
from exchange.sessions.activities.selection_data import (
    MAX_CHOICES,
    MAX_ROUNDS,
    CastSelectionVote,
    Choice,
    CloseSelectionRound,
    OpenSelectionRound,
    RecordSelection,
    RetractSelectionVote,
    SelectionRecorded,
    SelectionRound,
    SelectionRoundClosed,
    SelectionRoundOpened,
    SelectionVote,
    SelectionVoteCast,
    SelectionVoteRetracted,
)
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, evolve

SELECTION_KINDS = frozenset({ActivityKind.SELECTION})
DEFAULT_VOTES = 1


def _check_selection_phase(state: SessionState) -> Rejected | None:
    return check_kind(state, SELECTION_KINDS, _("Stories are selected in a selection phase."))


def allowance(state: SessionState) -> int:
    """How many votes each practitioner has in a round of the running phase."""
    phase = state.phase
    return (phase.votes_per_person if phase is not None else 0) or DEFAULT_VOTES


def open_round(state: SessionState) -> SelectionRound | None:
    """The round open in the running phase, if any."""
    return next(
        (r for r in state.selection.rounds if r.open and r.phase_index == state.phase_index), None
    )


def votes_of(state: SessionState, round_number: int, voter_id: str) -> tuple[str, ...]:
    """The stories someone voted for in a round."""
    return tuple(v.story_id for v in state.selection.votes if v.round == round_number and v.voter_id == voter_id)


def _standing_ids(state: SessionState) -> list[str]:
    return [story.id for story in stories.live_stories(state)]


# -- decide ------------------------------------------------------------------------------------


def open_selection_round(
    state: SessionState, command: OpenSelectionRound, actor: Actor, now: datetime
) -> Decision:
    """Open a voting round among the given stories (or every standing one)."""
    if (refusal := _check_selection_phase(state)) is not None:
        return refusal
    assert state.phase_index is not None
    if open_round(state) is not None:
        return Rejected("round_open", _("A voting round is already open; close it first."))
    standing = _standing_ids(state)
    if command.story_ids:
        unknown = [ref for ref in command.story_ids if ref not in standing]
        if unknown:
            return Rejected(
                "unknown_story",
                _("These stories can't be chosen (unknown or withdrawn): {ids}.").format(ids=", ".join(unknown)),
            )
        story_ids = tuple(dict.fromkeys(command.story_ids))
    else:
        story_ids = tuple(standing)
    if not story_ids:
        return Rejected("no_stories", _("There are no stories to choose from yet."))
    if (refusal := too_many(len(state.selection.rounds), MAX_ROUNDS)) is not None:
        return refusal
    opened = SelectionRoundOpened(
        phase_index=state.phase_index,
        round=len(state.selection.rounds) + 1,
        domain=command.domain,
        story_ids=story_ids,
        at=now,
    )
    return [opened]


def _voting_round(state: SessionState) -> SelectionRound | Rejected:
    if (refusal := _check_selection_phase(state)) is not None:
        return refusal
    current = open_round(state)
    if current is None:
        return Rejected("voting_closed", _("Voting is closed."))
    return current


def cast_selection_vote(
    state: SessionState, command: CastSelectionVote, actor: Actor, now: datetime
) -> Decision:
    """Vote for a story of the open round, within one's allowance."""
    current = _voting_round(state)
    if isinstance(current, Rejected):
        return current
    story = stories.find(state, command.story_id)
    if command.story_id not in current.story_ids or story is None or story.withdrawn:
        return Rejected("unknown_story", _("That story isn't part of this round."))
    mine = votes_of(state, current.number, actor.id)
    if command.story_id in mine:
        return Rejected("already_voted", _("You have already voted for that story."))
    limit = allowance(state)
    if len(mine) >= limit:
        return Rejected("no_votes_left", _("You have used all {count} of your votes.").format(count=limit))
    return [SelectionVoteCast(round=current.number, story_id=command.story_id, voter_id=actor.id)]


def retract_selection_vote(
    state: SessionState, command: RetractSelectionVote, actor: Actor, now: datetime
) -> Decision:
    """Take one's vote back, while the round is open."""
    current = _voting_round(state)
    if isinstance(current, Rejected):
        return current
    if command.story_id not in votes_of(state, current.number, actor.id):
        return Rejected("no_vote", _("You have no vote on that story."))
    return [SelectionVoteRetracted(round=current.number, story_id=command.story_id, voter_id=actor.id)]


def close_selection_round(
    state: SessionState, command: CloseSelectionRound, actor: Actor, now: datetime
) -> Decision:
    """Close the open round: its totals are shown to everyone."""
    current = _voting_round(state)
    if isinstance(current, Rejected):
        return current
    return [SelectionRoundClosed(round=current.number, at=now)]


def record_selection(state: SessionState, command: RecordSelection, actor: Actor, now: datetime) -> Decision:
    """Record the chosen story (or two), why, and any dissent."""
    if (refusal := _check_selection_phase(state)) is not None:
        return refusal
    assert state.phase_index is not None
    if open_round(state) is not None:
        return Rejected("round_open", _("Close the voting round before recording the choice."))
    if len(set(command.story_ids)) != len(command.story_ids):
        return Rejected("duplicate_story", _("Choose two different stories, or just one."))
    standing = _standing_ids(state)
    unknown = [ref for ref in command.story_ids if ref not in standing]
    if unknown:
        return Rejected(
            "unknown_story",
            _("These stories can't be chosen (unknown or withdrawn): {ids}.").format(ids=", ".join(unknown)),
        )
    if (refusal := too_many(len(state.selection.choices), MAX_CHOICES)) is not None:
        return refusal
    recorded = SelectionRecorded(
        choice_id=item_id("choice", len(state.selection.choices) + 1),
        phase_index=state.phase_index,
        domain=command.domain,
        story_ids=command.story_ids,
        reason=command.reason,
        dissent=command.dissent,
        at=now,
    )
    return [recorded]


# -- apply -------------------------------------------------------------------------------------


def _with(state: SessionState, **changes: object) -> SessionState:
    return evolve(state, selection=evolve(state.selection, **changes))


def _opened(state: SessionState, event: SelectionRoundOpened) -> SessionState:
    opened = SelectionRound(
        number=event.round, phase_index=event.phase_index, domain=event.domain, story_ids=event.story_ids
    )
    return _with(state, rounds=(*state.selection.rounds, opened))


def _cast(state: SessionState, event: SelectionVoteCast) -> SessionState:
    vote = SelectionVote(round=event.round, story_id=event.story_id, voter_id=event.voter_id)
    return _with(state, votes=(*state.selection.votes, vote))


def _retracted(state: SessionState, event: SelectionVoteRetracted) -> SessionState:
    vote = SelectionVote(round=event.round, story_id=event.story_id, voter_id=event.voter_id)
    return _with(state, votes=tuple(v for v in state.selection.votes if v != vote))


def _closed(state: SessionState, event: SelectionRoundClosed) -> SessionState:
    rounds = tuple(
        evolve(r, open=False) if r.number == event.round else r for r in state.selection.rounds
    )
    return _with(state, rounds=rounds)


def _recorded(state: SessionState, event: SelectionRecorded) -> SessionState:
    choice = Choice(
        id=event.choice_id,
        phase_index=event.phase_index,
        domain=event.domain,
        story_ids=event.story_ids,
        reason=event.reason,
        dissent=event.dissent,
    )
    return _with(state, choices=(*state.selection.choices, choice))


RULES: dict[str, Rule] = {
    "open_selection_round": Rule(FACILITATOR_ONLY, open_selection_round),
    "cast_selection_vote": Rule(frozenset({Role.PARTICIPANT}), cast_selection_vote),
    "retract_selection_vote": Rule(frozenset({Role.PARTICIPANT}), retract_selection_vote),
    "close_selection_round": Rule(FACILITATOR_ONLY, close_selection_round),
    "record_selection": Rule(FACILITATOR_ONLY, record_selection),
}

APPLIERS: dict[type, Applier] = {
    SelectionRoundOpened: _opened,
    SelectionVoteCast: _cast,
    SelectionVoteRetracted: _retracted,
    SelectionRoundClosed: _closed,
    SelectionRecorded: _recorded,
}


# -- views -------------------------------------------------------------------------------------


def _story(state: SessionState, story_id: str) -> JSON | None:
    story = stories.find(state, story_id)
    if story is None or story.withdrawn:
        return None
    return {
        "id": story.id,
        "title": story.title,
        "teller": {"id": story.teller_id, "name": state.name_of(story.teller_id)},
    }


def _stories(state: SessionState, story_ids: tuple[str, ...]) -> list[JSON]:
    return [shown for shown in (_story(state, ref) for ref in story_ids) if shown is not None]


def _round(state: SessionState, current: SelectionRound, *, staff: bool) -> JSON:
    votes = [v for v in state.selection.votes if v.round == current.number]
    voters = len({v.voter_id for v in votes})
    totals: dict[str, int] | None = None
    if (staff or not current.open) and voters >= MIN_GROUP:
        totals = {ref: 0 for ref in current.story_ids}
        for vote in votes:
            totals[vote.story_id] = totals.get(vote.story_id, 0) + 1
    return {
        "number": current.number,
        "phase_index": current.phase_index,
        "domain": current.domain,
        "open": current.open,
        "stories": _stories(state, current.story_ids),
        "totals": totals,
        "voters": voters,
        "min_group": MIN_GROUP,
    }


def _project(state: SessionState, *, staff: bool) -> JSON:
    return {
        "selection": {
            "rounds": [_round(state, r, staff=staff) for r in state.selection.rounds],
            "choices": [
                {
                    "id": choice.id,
                    "phase_index": choice.phase_index,
                    "domain": choice.domain,
                    "stories": _stories(state, choice.story_ids),
                    "reason": choice.reason,
                    "dissent": choice.dissent,
                }
                for choice in state.selection.choices
            ],
        }
    }


def facilitator(state: SessionState) -> JSON:
    """Every round with its live totals, and every recorded choice with its reason and dissent."""
    return _project(state, staff=True)


def participant(state: SessionState) -> JSON:
    """Every round (totals only once closed), and every recorded choice with its reason and dissent."""
    return _project(state, staff=False)


def personal(state: SessionState, participant_id: str) -> JSON:
    """One's own votes, per round (the page works out what is left in the open round)."""
    mine: dict[str, list[str]] = {}
    for vote in state.selection.votes:
        if vote.voter_id == participant_id:
            mine.setdefault(str(vote.round), []).append(vote.story_id)
    return {"my_selection_votes": mine}


def subjects(event: object) -> frozenset[str]:
    """Whose personal view an event of this module changes."""
    if isinstance(event, SelectionVoteCast | SelectionVoteRetracted):
        return frozenset({event.voter_id})
    return frozenset()
