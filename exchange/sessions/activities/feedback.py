"""Closing reflection: an anonymous form, one answer per practitioner (they may replace it).

Nothing per person leaves the state except to its author (personal view). The facilitator sees how
many have answered while the phase runs, and a summary (counts, averages, texts sorted
alphabetically, never by time or author) once the phase has ended, so a summary that changes the
moment someone submits can't tell the facilitator who wrote what. Below MIN_GROUP answers the
summary holds counts only (live and in every export: `summarise` is the one rule); the same goes
for each rating below MIN_GROUP scores. A comment the facilitator hid (moderation.py) is left out of
the texts, and counted as hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exchange.i18n import _
from exchange.prompts.models import ActivityKind
from exchange.sessions.activities.base import (
    JSON,
    MIN_GROUP,
    Applier,
    Decision,
    Rejected,
    Rule,
    check_kind,
)
from exchange.sessions.activities.feedback_data import (
    MAX_RATING,
    MIN_RATING,
    Answer,
    FeedbackSubmitted,
    Rating,
    SubmitFeedback,
)
from exchange.sessions.activities.moderation_data import comment_ref
from exchange.sessions.commands import Actor, Role
from exchange.sessions.state import SessionState, Status, evolve


def rating_question(rating: Rating) -> str:
    """The question a rating answers, as the form shows it."""
    questions = {
        Rating.USEFUL: _("How useful was this exchange for your work?"),
        Rating.SAFE: _("How safe did you feel sharing here?"),
        Rating.HEARD: _("How well were you listened to?"),
    }
    return questions[rating]


def _answer(state: SessionState, phase_index: int, participant_id: str) -> Answer | None:
    for answer in state.feedback.answers:
        if answer.phase_index == phase_index and answer.participant_id == participant_id:
            return answer
    return None


def submit_feedback(state: SessionState, command: SubmitFeedback, actor: Actor, now: datetime) -> Decision:
    """Record (or replace) one's answers."""
    refusal = check_kind(
        state, frozenset({ActivityKind.FEEDBACK}), _("Feedback is given in the closing reflection.")
    )
    if refusal is not None:
        return refusal
    assert state.phase_index is not None
    if not command.ratings and not command.text:
        return Rejected("empty", _("Give a rating or write something first."))
    ratings = {key: command.ratings[key] for key in Rating if key in command.ratings}
    event = FeedbackSubmitted(
        phase_index=state.phase_index, participant_id=actor.id, ratings=ratings, text=command.text
    )
    before = _answer(state, state.phase_index, actor.id)
    if before is not None and before == _as_answer(event):
        return []
    return [event]


def _as_answer(event: FeedbackSubmitted) -> Answer:
    ratings = tuple((key, event.ratings[key]) for key in Rating if key in event.ratings)
    return Answer(event.phase_index, event.participant_id, ratings, event.text)


def _submitted(state: SessionState, event: FeedbackSubmitted) -> SessionState:
    answer = _as_answer(event)
    kept = tuple(
        a
        for a in state.feedback.answers
        if (a.phase_index, a.participant_id) != (answer.phase_index, answer.participant_id)
    )
    return evolve(state, feedback=evolve(state.feedback, answers=(*kept, answer)))


RULES: dict[str, Rule] = {
    "submit_feedback": Rule(frozenset({Role.PARTICIPANT}), submit_feedback),
}

APPLIERS: dict[type, Applier] = {
    FeedbackSubmitted: _submitted,
}


# -- views -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingSummary:
    key: Rating
    count: int
    average: float | None  # None: no scores, or fewer than MIN_GROUP
    distribution: dict[str, int] | None  # score -> how many; None below MIN_GROUP


@dataclass(frozen=True, slots=True)
class Summary:
    """What may be said of a feedback phase's answers: counts always, the rest from MIN_GROUP up."""

    responses: int
    comments: int
    ratings: tuple[RatingSummary, ...]
    texts: tuple[str, ...]  # sorted, so their order says nothing of who or when; () below MIN_GROUP
    withheld: bool  # fewer than MIN_GROUP answered: counts only
    hidden_comments: int = 0  # comments the facilitator hid (left out of `texts`); 0 below MIN_GROUP


def summarise(answers: list[Answer], hidden: frozenset[str] = frozenset()) -> Summary:
    """The summary of a phase's answers, as the live view and every export show it; `hidden`: the
    refs of comments the facilitator hid (moderation_data.comment_ref)."""
    withheld = len(answers) < MIN_GROUP
    ratings = []
    for key in Rating:
        scores = [score for a in answers for k, score in a.ratings if k is key]
        enough = not withheld and len(scores) >= MIN_GROUP
        ratings.append(
            RatingSummary(
                key=key,
                count=len(scores),
                average=round(sum(scores) / len(scores), 2) if enough else None,
                distribution={str(n): scores.count(n) for n in range(MIN_RATING, MAX_RATING + 1)} if enough else None,
            )
        )
    written = [a for a in answers if a.text]
    shown = [a.text for a in written if comment_ref(a.phase_index, a.text) not in hidden]
    texts = () if withheld else tuple(sorted(shown))
    hidden_comments = 0 if withheld else len(written) - len(shown)
    return Summary(
        responses=len(answers), comments=len(written), ratings=tuple(ratings), texts=texts, withheld=withheld,
        hidden_comments=hidden_comments,
    )  # fmt: skip


def answers_of(state: SessionState, phase_index: int) -> list[Answer]:
    return [a for a in state.feedback.answers if a.phase_index == phase_index]


def texts_shown(state: SessionState, phase_index: int) -> bool:
    """Whether the facilitator is shown a phase's comments now: once it has ended, from MIN_GROUP answers up."""
    running = state.status is Status.LIVE and state.phase_index == phase_index
    return not running and len(answers_of(state, phase_index)) >= MIN_GROUP


def _summary(answers: list[Answer], hidden: frozenset[str], phase_index: int) -> JSON:
    summary = summarise(answers, hidden)
    ratings: JSON = {
        r.key.value: {
            "question": rating_question(r.key),
            "count": r.count,
            "average": r.average,
            "distribution": r.distribution,
        }
        for r in summary.ratings
    }
    return {
        "ratings": ratings,
        "texts": list(summary.texts),
        # Each text's ref (the same for the same text), for the console's Hide.
        "text_refs": [comment_ref(phase_index, t) for t in summary.texts],
        "comments": summary.comments,
        "hidden_comments": summary.hidden_comments,
        "withheld": summary.withheld,
        "min_group": MIN_GROUP,
    }


def facilitator(state: SessionState) -> JSON:
    """Per feedback phase: how many answered; the summary once that phase is over."""
    results: list[JSON] = []
    plan = state.plan
    for index, phase in enumerate(plan.phases if plan else ()):
        if phase.kind is not ActivityKind.FEEDBACK:
            continue
        answers = answers_of(state, index)
        running = state.status is Status.LIVE and state.phase_index == index
        results.append(
            {
                "phase_index": index,
                "responses": len(answers),
                "summary": None if running else _summary(answers, state.moderation.refs, index),
            }
        )
    return {"feedback": results}


def form() -> JSON:
    """What the form asks, for the practitioner's page."""
    return {
        "feedback_questions": [{"key": key.value, "question": rating_question(key)} for key in Rating],
    }


def personal(state: SessionState, participant_id: str) -> JSON:
    """One's own answers, so the form can show and replace them."""
    mine = {
        str(a.phase_index): {"ratings": {k.value: v for k, v in a.ratings}, "text": a.text}
        for a in state.feedback.answers
        if a.participant_id == participant_id
    }
    return {"feedback": mine, "feedback_submitted": bool(mine)}


def subjects(event: object) -> frozenset[str]:
    if isinstance(event, FeedbackSubmitted):
        return frozenset({event.participant_id})
    return frozenset()
