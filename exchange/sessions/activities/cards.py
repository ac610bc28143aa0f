"""Cards phases: add, edit and withdraw cards (anonymously where allowed), clusters, dot-voting.

Anonymity is the phase's (`card_anonymity`): named, by the author's choice, or always anonymous.
Dot-voting: each practitioner has the phase's `votes_per_person` dots and may stack several on one
card (a strong preference counts for more); a withdrawn card gives its dots back. Totals are
hidden from practitioners until the facilitator reveals them; the facilitator sees them all along;
nobody sees them before at least MIN_GROUP people have voted in the phase.
"""

from __future__ import annotations

from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import ActivityKind, CardAnonymity, Phase
from exchange.sessions.activities.base import (
    FACILITATOR_ONLY,
    JSON,
    MIN_GROUP,
    PEOPLE,
    Applier,
    Decision,
    Rejected,
    Rule,
    check_kind,
    too_many,
)
from exchange.sessions.activities.cards_data import (
    MAX_CLUSTERS,
    AddCard,
    Card,
    CardAdded,
    CardEdited,
    CardMoved,
    CardWithdrawn,
    CastVote,
    CloseVoting,
    Cluster,
    ClusterCreated,
    CreateCluster,
    EditCard,
    MoveCard,
    OpenVoting,
    RetractVote,
    RevealVotes,
    Vote,
    VoteCast,
    VotesRevealed,
    VoteRetracted,
    VotingClosed,
    VotingOpened,
    WithdrawCard,
)
from exchange.sessions.activities import quotas
from exchange.sessions.activities.fields import item_id
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, evolve

CARDS_KINDS = frozenset({ActivityKind.CARDS})


def _check_cards_phase(state: SessionState) -> Rejected | None:
    return check_kind(state, CARDS_KINDS, _("Cards can only be used in a cards phase."))


def find(state: SessionState, card_id: str) -> Card | None:
    """A card by id, withdrawn or not."""
    return next((card for card in state.cards.cards if card.id == card_id), None)


def live_cards(state: SessionState) -> tuple[Card, ...]:
    """Every card not withdrawn, in the order they were added."""
    return tuple(card for card in state.cards.cards if not card.withdrawn)


def votes_of(state: SessionState, phase_index: int, voter_id: str) -> int:
    """How many dots someone has placed in a phase."""
    return sum(1 for v in state.cards.votes if v.phase_index == phase_index and v.voter_id == voter_id)


def anonymous_choice(phase: Phase, wanted: bool | None) -> bool | Rejected:
    """Whether a new card is anonymous: the phase's mode decides, the author chooses only where it
    lets them (and, not saying, gets the private default)."""
    mode = phase.card_anonymity
    if mode is CardAnonymity.ALWAYS:
        return True
    if mode is CardAnonymity.NAMED:
        if wanted:
            return Rejected("no_anonymous", _("Cards in this phase carry their author's name."))
        return False
    return True if wanted is None else wanted


def _checked_fields(phase: Phase, fields: dict[str, str]) -> tuple[tuple[str, str], ...] | Rejected:
    expected = [field.key for field in phase.card_fields]
    if set(fields) != set(expected):
        labels = ", ".join(field.label for field in phase.card_fields)
        return Rejected("bad_fields", _("A card here has exactly these fields: {labels}.").format(labels=labels))
    for field in phase.card_fields:
        if len(fields[field.key]) > field.max_length:
            return Rejected(
                "too_long",
                _("The field “{label}” can be at most {limit} characters.").format(label=field.label, limit=field.max_length),
            )
    if not any(fields.values()):
        return Rejected("empty", _("Write something on the card first."))
    return tuple((key, fields[key]) for key in expected)


def _own_card(state: SessionState, card_id: str, actor: Actor) -> Card | Rejected:
    """The actor's own card of the running phase, still standing."""
    card = find(state, card_id)
    if card is None or card.phase_index != state.phase_index:
        return Rejected("unknown_card", _("There is no such card in this phase."))
    if card.author_id != actor.id:
        return Rejected("not_your_card", _("You can only change your own cards."))
    if card.withdrawn:
        return Rejected("withdrawn", _("That card has been withdrawn."))
    return card


def _phase_card(state: SessionState, card_id: str) -> Card | Rejected:
    """A standing card of the running phase that everyone can see (not hidden by the facilitator)."""
    card = find(state, card_id)
    if card is None or card.phase_index != state.phase_index or card.withdrawn or card.id in state.moderation.refs:
        return Rejected("unknown_card", _("There is no such card in this phase."))
    return card


def _check_voting(state: SessionState) -> Rejected | None:
    assert state.phase is not None and state.phase_index is not None
    if state.phase.votes_per_person == 0:
        return Rejected("no_voting", _("This phase has no voting."))
    if state.phase_index not in state.cards.voting_open:
        return Rejected("voting_closed", _("Voting is closed."))
    return None


# -- decide ------------------------------------------------------------------------------------


def add_card(state: SessionState, command: AddCard, actor: Actor, now: datetime) -> Decision:
    """Add a card with the phase's fields."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    assert state.phase is not None and state.phase_index is not None
    anonymous = anonymous_choice(state.phase, command.anonymous)
    if isinstance(anonymous, Rejected):
        return anonymous
    fields = _checked_fields(state.phase, command.fields)
    if isinstance(fields, Rejected):
        return fields
    if (refusal := quotas.check(state, quotas.Quota.CARDS, actor.id)) is not None:
        return refusal
    card_id = item_id("card", len(state.cards.cards) + 1)
    added = CardAdded(
        card_id=card_id,
        phase_index=state.phase_index,
        author_id=actor.id,
        anonymous=anonymous,
        fields=dict(fields),
        at=now,
    )
    return [added]


def edit_card(state: SessionState, command: EditCard, actor: Actor, now: datetime) -> Decision:
    """Replace one's own card's fields."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    assert state.phase is not None
    card = _own_card(state, command.card_id, actor)
    if isinstance(card, Rejected):
        return card
    fields = _checked_fields(state.phase, command.fields)
    if isinstance(fields, Rejected):
        return fields
    if fields == card.fields:
        return []
    edited = CardEdited(
        card_id=card.id, author_id=card.author_id, anonymous=card.anonymous, fields=dict(fields), at=now
    )
    return [edited]


def withdraw_card(state: SessionState, command: WithdrawCard, actor: Actor, now: datetime) -> Decision:
    """Withdraw one's own card; its dots go back to whoever placed them."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    card = _own_card(state, command.card_id, actor)
    if isinstance(card, Rejected):
        return card
    voters = sorted({vote.voter_id for vote in state.cards.votes if vote.card_id == card.id})
    return [
        CardWithdrawn(
            card_id=card.id,
            author_id=card.author_id,
            anonymous=card.anonymous,
            released_voters=tuple(voters),
        )
    ]


def create_cluster(state: SessionState, command: CreateCluster, actor: Actor, now: datetime) -> Decision:
    """Open a named cluster in this phase."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    assert state.phase_index is not None
    clusters = state.cards.clusters
    if any(c.phase_index == state.phase_index and not c.removed and c.name.casefold() == command.name.casefold() for c in clusters):
        return Rejected("duplicate_cluster", _("There is already a cluster with that name."))
    if (refusal := too_many(len(clusters), MAX_CLUSTERS)) is not None:
        return refusal
    cluster_id = item_id("cluster", len(clusters) + 1)
    return [ClusterCreated(cluster_id=cluster_id, phase_index=state.phase_index, name=command.name)]


def move_card(state: SessionState, command: MoveCard, actor: Actor, now: datetime) -> Decision:
    """Put a card of this phase into one of its clusters, or out of any."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    card = _phase_card(state, command.card_id)
    if isinstance(card, Rejected):
        return card
    if command.cluster_id is not None and not any(
        c.id == command.cluster_id and c.phase_index == state.phase_index and not c.removed for c in state.cards.clusters
    ):
        return Rejected("unknown_cluster", _("There is no such cluster in this phase."))
    if card.cluster_id == command.cluster_id:
        return []
    return [CardMoved(card_id=card.id, cluster_id=command.cluster_id)]


def open_voting(state: SessionState, command: OpenVoting, actor: Actor, now: datetime) -> Decision:
    """Let practitioners place their dots."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    assert state.phase is not None and state.phase_index is not None
    if state.phase.votes_per_person == 0:
        return Rejected("no_voting", _("This phase has no voting."))
    if state.phase_index in state.cards.voting_open:
        return Rejected("voting_open", _("Voting is already open."))
    return [VotingOpened(phase_index=state.phase_index)]


def close_voting(state: SessionState, command: CloseVoting, actor: Actor, now: datetime) -> Decision:
    """Stop the voting; the dots stay where they are."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    assert state.phase_index is not None
    if state.phase_index not in state.cards.voting_open:
        return Rejected("voting_closed", _("Voting is closed."))
    return [VotingClosed(phase_index=state.phase_index)]


def reveal_votes(state: SessionState, command: RevealVotes, actor: Actor, now: datetime) -> Decision:
    """Show everyone the totals (from now on, live)."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    assert state.phase is not None and state.phase_index is not None
    if state.phase.votes_per_person == 0:
        return Rejected("no_voting", _("This phase has no voting."))
    if state.phase_index in state.cards.revealed:
        return Rejected("already_revealed", _("The results are already shown."))
    return [VotesRevealed(phase_index=state.phase_index)]


def cast_vote(state: SessionState, command: CastVote, actor: Actor, now: datetime) -> Decision:
    """Place one dot, within one's allowance, while voting is open."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    if (refusal := _check_voting(state)) is not None:
        return refusal
    assert state.phase is not None and state.phase_index is not None
    card = _phase_card(state, command.card_id)
    if isinstance(card, Rejected):
        return card
    allowance = state.phase.votes_per_person
    if votes_of(state, state.phase_index, actor.id) >= allowance:
        return Rejected(
            "no_votes_left", _("You have used all {count} of your votes.").format(count=allowance)
        )
    return [VoteCast(phase_index=state.phase_index, card_id=card.id, voter_id=actor.id)]


def retract_vote(state: SessionState, command: RetractVote, actor: Actor, now: datetime) -> Decision:
    """Take one dot back, while voting is open."""
    if (refusal := _check_cards_phase(state)) is not None:
        return refusal
    if (refusal := _check_voting(state)) is not None:
        return refusal
    assert state.phase_index is not None
    mine = Vote(phase_index=state.phase_index, card_id=command.card_id, voter_id=actor.id)
    if mine not in state.cards.votes:
        return Rejected("no_vote", _("You have no vote on that card."))
    return [VoteRetracted(phase_index=state.phase_index, card_id=command.card_id, voter_id=actor.id)]


# -- apply -------------------------------------------------------------------------------------


def _with(state: SessionState, **changes: object) -> SessionState:
    return evolve(state, cards=evolve(state.cards, **changes))


def _changed_card(state: SessionState, card_id: str, **changes: object) -> SessionState:
    cards = tuple(
        evolve(card, **changes) if card.id == card_id else card for card in state.cards.cards
    )
    return _with(state, cards=cards)


def _added(state: SessionState, event: CardAdded) -> SessionState:
    card = Card(
        id=event.card_id,
        phase_index=event.phase_index,
        author_id=event.author_id,
        anonymous=event.anonymous,
        fields=tuple(event.fields.items()),
    )
    return _with(state, cards=(*state.cards.cards, card))


def _edited(state: SessionState, event: CardEdited) -> SessionState:
    return _changed_card(state, event.card_id, fields=tuple(event.fields.items()))


def _withdrawn(state: SessionState, event: CardWithdrawn) -> SessionState:
    state = _changed_card(state, event.card_id, withdrawn=True, cluster_id=None)
    return _with(state, votes=tuple(v for v in state.cards.votes if v.card_id != event.card_id))


def _cluster_created(state: SessionState, event: ClusterCreated) -> SessionState:
    cluster = Cluster(id=event.cluster_id, phase_index=event.phase_index, name=event.name)
    return _with(state, clusters=(*state.cards.clusters, cluster))


def _moved(state: SessionState, event: CardMoved) -> SessionState:
    return _changed_card(state, event.card_id, cluster_id=event.cluster_id)


def _opened(state: SessionState, event: VotingOpened) -> SessionState:
    return _with(state, voting_open=(*state.cards.voting_open, event.phase_index))


def _closed(state: SessionState, event: VotingClosed) -> SessionState:
    return _with(state, voting_open=tuple(i for i in state.cards.voting_open if i != event.phase_index))


def _revealed(state: SessionState, event: VotesRevealed) -> SessionState:
    return _with(state, revealed=(*state.cards.revealed, event.phase_index))


def _cast(state: SessionState, event: VoteCast) -> SessionState:
    vote = Vote(phase_index=event.phase_index, card_id=event.card_id, voter_id=event.voter_id)
    return _with(state, votes=(*state.cards.votes, vote))


def _retracted(state: SessionState, event: VoteRetracted) -> SessionState:
    vote = Vote(phase_index=event.phase_index, card_id=event.card_id, voter_id=event.voter_id)
    votes = list(state.cards.votes)
    del votes[len(votes) - 1 - votes[::-1].index(vote)]  # the latest such dot
    return _with(state, votes=tuple(votes))


RULES: dict[str, Rule] = {
    "add_card": Rule(PEOPLE, add_card),
    "edit_card": Rule(PEOPLE, edit_card),
    "withdraw_card": Rule(PEOPLE, withdraw_card),
    "create_cluster": Rule(FACILITATOR_ONLY, create_cluster),
    "move_card": Rule(FACILITATOR_ONLY, move_card),
    "open_voting": Rule(FACILITATOR_ONLY, open_voting),
    "close_voting": Rule(FACILITATOR_ONLY, close_voting),
    "reveal_votes": Rule(FACILITATOR_ONLY, reveal_votes),
    "cast_vote": Rule(frozenset({Role.PARTICIPANT}), cast_vote),
    "retract_vote": Rule(frozenset({Role.PARTICIPANT}), retract_vote),
}

APPLIERS: dict[type, Applier] = {
    CardAdded: _added,
    CardEdited: _edited,
    CardWithdrawn: _withdrawn,
    ClusterCreated: _cluster_created,
    CardMoved: _moved,
    VotingOpened: _opened,
    VotingClosed: _closed,
    VotesRevealed: _revealed,
    VoteCast: _cast,
    VoteRetracted: _retracted,
}


# -- views -------------------------------------------------------------------------------------


def _card_json(state: SessionState, card: Card, totals: dict[str, int] | None) -> JSON:
    author = None if card.anonymous else {"id": card.author_id, "name": state.name_of(card.author_id)}
    shown: JSON = {
        "id": card.id,
        "phase_index": card.phase_index,
        "anonymous": card.anonymous,
        "author": author,
        "fields": dict(card.fields),
        "cluster_id": card.cluster_id,
        "off_record": card.id in state.record.off_record,
    }
    if totals is not None:
        shown["votes"] = totals.get(card.id, 0)
    return shown


def _totals(state: SessionState) -> dict[str, int]:
    totals: dict[str, int] = {}
    for vote in state.cards.votes:
        totals[vote.card_id] = totals.get(vote.card_id, 0) + 1
    return totals


def voters(state: SessionState) -> dict[int, int]:
    """Per phase, how many people have dots on its cards now."""
    people: dict[int, set[str]] = {}
    for vote in state.cards.votes:
        people.setdefault(vote.phase_index, set()).add(vote.voter_id)
    return {index: len(ids) for index, ids in people.items()}


def totals_shown(state: SessionState, phase_index: int, *, staff: bool) -> bool:
    """Whether a phase's totals may be shown: to staff all along, to practitioners once revealed;
    to nobody while fewer than MIN_GROUP people have voted."""
    if voters(state).get(phase_index, 0) < MIN_GROUP:
        return False
    return staff or phase_index in state.cards.revealed


def _project(state: SessionState, *, staff: bool) -> JSON:
    totals = _totals(state)
    cards = state.cards
    shown = {index for index in voters(state) if totals_shown(state, index, staff=staff)}
    hidden = state.moderation.refs
    return {
        "cards": [
            _card_json(state, card, totals if card.phase_index in shown else None)
            for card in live_cards(state)
            if card.id not in hidden
        ],
        "clusters": [{"id": c.id, "phase_index": c.phase_index, "name": c.name} for c in cards.clusters if not c.removed],
        "voting_open": sorted(cards.voting_open),
        "votes_revealed": sorted(cards.revealed),
        "voters": {str(index): count for index, count in sorted(voters(state).items())},
        "min_group": MIN_GROUP,
    }


def facilitator(state: SessionState) -> JSON:
    """Every standing card not hidden (anonymous ones without author) with vote totals once enough people voted,
    and the clusters."""
    return _project(state, staff=True)


def participant(state: SessionState) -> JSON:
    """Every standing card not hidden (anonymous ones without author); totals only of revealed phases in which
    enough people voted."""
    return _project(state, staff=False)


def personal(state: SessionState, participant_id: str) -> JSON:
    """One's own cards (anonymous ones included) and one's dots per phase, with what is left."""
    votes: dict[str, JSON] = {}
    plan = state.plan
    for index, phase in enumerate(plan.phases if plan else ()):
        if phase.kind is not ActivityKind.CARDS or phase.votes_per_person == 0:
            continue
        mine: dict[str, int] = {}
        for vote in state.cards.votes:
            if vote.phase_index == index and vote.voter_id == participant_id:
                mine[vote.card_id] = mine.get(vote.card_id, 0) + 1
        votes[str(index)] = {"cards": mine, "left": phase.votes_per_person - sum(mine.values())}
    return {
        "my_cards": [card.id for card in state.cards.cards if card.author_id == participant_id and not card.withdrawn],
        "my_votes": votes,
    }


def subjects(event: object) -> frozenset[str]:
    """Whose personal view an event of this module changes."""
    if isinstance(event, CardAdded | CardEdited):
        return frozenset({event.author_id})
    if isinstance(event, CardWithdrawn):
        return frozenset({event.author_id, *event.released_voters})
    if isinstance(event, VoteCast | VoteRetracted):
        return frozenset({event.voter_id})
    return frozenset()
