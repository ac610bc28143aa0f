"""PURE: the transcript of an exchange, folded with the real state machine from the log as the
privacy policy lets an export see it (`privacy.exported`).

The policy decides what of each event an export may use at all: never the facilitator's private
notes and parking lot, private listening notes, the author of an anonymous card, a redaction's
reason, who voted for what or one person's feedback answers (votes and answers come in under
pseudonyms, for totals only). On top of that the record's own rules hold here, once, for every
format: a person is their name, their initials, or a stable "Participant N" (N = the order they
joined in), staff are "Facilitator"; withdrawn and off-the-record contributions (and the reflections
on such stories), contributions a lead redacted and whatever the facilitator hid (cards, reflections,
recalls, a draft section's text, closing comments) are left out; summaries of anonymous answers are
shown from MIN_GROUP people up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from exchange.i18n import _
from exchange.names import initials
from exchange.prompts import placeholders, translate
from exchange.prompts.models import ActivityKind, PhasePlan
from exchange.sessions import privacy
from exchange.sessions.activities import (
    cards_data,
    discussion_data,
    draft_data,
    selection_data,
    stories_data,
)
from exchange.sessions.activities.base import MIN_GROUP
from exchange.sessions.activities.feedback import answers_of, rating_question, summarise
from exchange.sessions.activities.moderation_data import HiddenKind, kind_of
from exchange.sessions.commands import Actor
from exchange.sessions.events import EventEnvelope
from exchange.sessions.machine import apply
from exchange.sessions.state import SessionState
from exchange.transcripts import model as m
from exchange.transcripts.text import citation_text


def display_initials(name: str) -> str:
    """"Amina Diallo" -> "A.D."; Arabic names too (exchange.names.initials)."""
    return initials(name)


@dataclass(frozen=True, slots=True)
class Folded:
    """The final state plus what the state forgets: when each contribution was made, and where."""

    state: SessionState
    times: Mapping[str, datetime]  # item id -> when it was first made
    action_phase: Mapping[str, int | None]  # action id -> the phase running when it was added


@dataclass(frozen=True, slots=True)
class ForExport:
    """The log as the privacy policy lets an export see it: `envelopes` to fold, and the ones an
    export may list as events (`listed`, as JSON, made only when asked for)."""

    envelopes: tuple[EventEnvelope, ...]
    listed: tuple[dict, ...]


def for_export(envelopes: Iterable[EventEnvelope], *, listing: bool = False) -> ForExport:
    """Every envelope through the policy's EXPORT column. Most are seen as logged and pass as they
    are; the others are copied as JSON, changed, and validated again."""
    view = privacy.ExportView()
    folded: list[EventEnvelope] = []
    listed: list[dict] = []
    for envelope in envelopes:
        kept = _as_logged(view, envelope)
        if kept is not None:
            folded.append(kept)
            if listing:
                listed.append(kept.model_dump(mode="json"))
            continue
        item = view.see(envelope.model_dump(mode="json"))
        if item is None:
            continue
        folded.append(EventEnvelope.model_validate(item.data))
        if listing and item.listed:
            listed.append(item.data)
    return ForExport(tuple(folded), tuple(listed))


#: Who stands for any staff member in an export (privacy.STAFF_ACTOR as the envelope's model).
_STAFF = Actor.model_validate(privacy.STAFF_ACTOR)


def _as_logged(view: privacy.ExportView, envelope: EventEnvelope) -> EventEnvelope | None:
    """The envelope itself when an export sees its event as logged (only a staff actor then goes by
    their role); None when the policy changes the event, which then goes the long way."""
    role = envelope.actor.role.value
    if view.unchanged(envelope.event.type, role):
        return envelope
    if role in privacy.STAFF_ROLES and view.unchanged(envelope.event.type, "participant"):
        return envelope.model_copy(update={"actor": _STAFF})
    return None


def fold(exchange_id: int, envelopes: Iterable[EventEnvelope]) -> Folded:
    """Apply every event in order (seq order is the caller's; gaps are tolerated, as exports drop events)."""
    state = SessionState.initial(exchange_id)
    times: dict[str, datetime] = {}
    action_phase: dict[str, int | None] = {}
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, stories_data.StoryShared):
            times.setdefault(event.story_id, event.at)
        elif isinstance(event, stories_data.ReflectionAdded):
            times.setdefault(event.reflection_id, event.at)
        elif isinstance(event, stories_data.RecallAdded):
            times.setdefault(event.recall_id, event.at)
        elif isinstance(event, cards_data.CardAdded):
            times.setdefault(event.card_id, event.at)
        elif isinstance(event, discussion_data.ActionAdded):
            times.setdefault(event.action_id, event.at)
            action_phase.setdefault(event.action_id, state.phase_index)
        elif isinstance(event, discussion_data.PointNoted):
            times.setdefault(event.point_id, event.at)
        elif isinstance(event, selection_data.SelectionRecorded):
            times.setdefault(event.choice_id, event.at)
        elif isinstance(event, draft_data.SectionEdited):
            times[f"section-{event.phase_index}-{event.section}"] = event.at
        state = apply(state, event)
    return Folded(state=state, times=times, action_phase=action_phase)


@dataclass(frozen=True, slots=True)
class Shown:
    ref: str
    label: str
    consent: m.ConsentChoice


STAFF = Shown(ref="staff", label="Facilitator", consent="name")
UNKNOWN = Shown(ref="unknown", label="Unknown", consent="anonymous")
#: Who is anyone the export may not name (the author of anything anonymous, a pseudonymous voter).
ANONYMOUS = Shown(ref="anonymous", label="Anonymous", consent="anonymous")


def people(state: SessionState, roster: Mapping[str, m.RosterEntry]) -> dict[str, Shown]:
    """Participant id -> how they appear; someone without a roster entry or a choice is anonymous."""
    shown: dict[str, Shown] = {}
    for number, member in enumerate(state.roster, start=1):
        entry = roster.get(member.id)
        consent: m.ConsentChoice = entry.consent if entry and entry.consent else "anonymous"
        name = entry.name if entry else member.name
        if consent == "name":
            label = name
        elif consent == "initials":
            label = display_initials(name) or f"Participant {number}"
        else:
            label = f"Participant {number}"
        shown[member.id] = Shown(ref=f"participant-{number}", label=label, consent=consent)
    return shown


def shown_as(shown: Mapping[str, Shown], pid: str | None) -> Shown | None:
    """How the record names an id: a practitioner as consent allows, any staff member as
    "Facilitator", anyone the export may not name as "Anonymous"."""
    if pid is None:
        return None
    if pid in shown:
        return shown[pid]
    if pid.startswith("staff:") or pid == privacy.STAFF_ACTOR["id"]:
        return STAFF
    if pid == privacy.ANONYMOUS or pid.startswith("voter-"):
        return ANONYMOUS
    return UNKNOWN


def excluded_ids(state: SessionState) -> frozenset[str]:
    """Every contribution left out of every export, and everything hanging off one."""
    redacted = {r.item_id for r in state.redactions.redactions}
    stories = state.stories
    out = set(redacted) | state.record.off_record
    out |= {s.id for s in stories.stories if s.withdrawn}
    out |= {r.id for r in stories.reflections if r.story_id in out}
    out |= {r.id for r in stories.recalls if r.story_id is not None and r.story_id in out}
    out |= {c.id for c in state.cards.cards if c.withdrawn}
    out |= {a.id for a in state.discussion.actions if a.removed}
    out |= {p.id for p in state.discussion.points if p.removed}
    out |= {h.ref for h in state.moderation.hidden if kind_of(h.ref) in _HIDDEN_ITEMS}
    return frozenset(out)


#: What the facilitator may hide that has an item id (a section's text and comments are hidden in place).
_HIDDEN_ITEMS = frozenset({HiddenKind.CARD, HiddenKind.REFLECTION, HiddenKind.RECALL})


def fold_for_export(
    exchange_id: int, envelopes: Iterable[EventEnvelope], *, listing: bool = False
) -> tuple[Folded, ForExport]:
    """The log through the privacy policy, folded: what every export is built from."""
    seen = for_export(envelopes, listing=listing)
    return fold(exchange_id, seen.envelopes), seen


def build(
    envelopes: Iterable[EventEnvelope],
    *,
    exchange: m.ExchangeMeta,
    roster: Mapping[str, m.RosterEntry],
) -> m.Transcript:
    """The transcript of `exchange` from its log, with people shown as `roster` consents allow."""
    folded, _seen = fold_for_export(exchange.id, envelopes)
    return from_folded(folded, exchange=exchange, roster=roster)


def from_folded(folded: Folded, *, exchange: m.ExchangeMeta, roster: Mapping[str, m.RosterEntry]) -> m.Transcript:
    state = folded.state
    shown = people(state, roster)
    out = excluded_ids(state)
    plan = state.plan
    redacted = {r.item_id for r in state.redactions.redactions}

    def who(pid: str | None) -> Shown | None:
        return shown_as(shown, pid)

    contributions: list[m.Contribution] = []
    sections: list[m.PhaseSection] = []
    for index, phase in enumerate(plan.phases if plan else ()):
        record = state.phases[index] if index < len(state.phases) else None
        content: dict[str, object] = {}
        title = phase.title

        def add(kind: str, item_id: str, pid: str | None, text: str, votes: int | None = None, *,
                anonymous: bool = False, at: datetime | None = None) -> None:  # fmt: skip
            person = None if anonymous else who(pid)
            contributions.append(
                m.Contribution(
                    phase_index=index, phase=title, kind=kind, item_id=item_id,
                    author=person.label if person else None, author_ref=person.ref if person else None,
                    at=at or folded.times.get(item_id), text=text, votes=votes, anonymous=anonymous,
                )
            )  # fmt: skip

        if phase.kind is ActivityKind.AGREEMENTS and plan is not None:
            content["agreements"] = plan.agreements
            content["accepted_by"] = len(state.agreements.accepted)
        stories: list[m.Story] = []
        for story in state.stories.stories:
            if story.phase_index != index or story.id in out:
                continue
            teller = who(story.teller_id)
            assert teller is not None
            add("story", story.id, story.teller_id, _joined(story.title, story.summary))
            reflections = []
            for reflection in state.stories.reflections:
                if reflection.story_id != story.id or reflection.id in out:
                    continue
                author = who(reflection.author_id)
                assert author is not None
                reflections.append(
                    m.Reflection(
                        id=reflection.id, kind=reflection.kind.value, author=author.label,
                        at=folded.times.get(reflection.id), text=reflection.text,
                    )
                )  # fmt: skip
                add("reflection", reflection.id, reflection.author_id, reflection.text)
            stories.append(
                m.Story(
                    id=story.id, teller=teller.label, at=folded.times.get(story.id), title=story.title,
                    summary=story.summary, reflections=tuple(reflections),
                )
            )  # fmt: skip
        content["stories"] = tuple(stories)
        titles = {s.id: s.title for s in state.stories.stories if s.id not in out}
        recalls = []
        for recall in state.stories.recalls:
            if recall.phase_index != index or recall.id in out:
                continue
            author = who(recall.author_id)
            assert author is not None
            recalls.append(
                m.Recall(
                    id=recall.id, author=author.label, at=folded.times.get(recall.id), text=recall.text,
                    story_title=titles.get(recall.story_id) if recall.story_id else None,
                )
            )  # fmt: skip
            add("recall", recall.id, recall.author_id, recall.text)
        content["recalls"] = tuple(recalls)
        content["card_groups"], content["voters"] = _card_groups(state, index, phase, out, who, add, folded.times)
        actions = []
        for action in state.discussion.actions:
            if folded.action_phase.get(action.id) != index or action.id in out:
                continue
            author = who(action.author_id)
            actions.append(
                m.Action(
                    id=action.id, what=action.what, who=action.who, due=action.due, done=action.done,
                    added_by=author.label if author else None, at=folded.times.get(action.id),
                )
            )  # fmt: skip
            add("action", action.id, action.author_id, _action_text(action))
        content["actions"] = tuple(actions)
        points = []
        for point in state.discussion.points:
            if point.phase_index != index or point.id in out:
                continue
            maker = who(point.participant_id)
            points.append(
                m.Point(id=point.id, text=point.text, made_by=maker.label if maker else None, at=folded.times.get(point.id))
            )
            add("point", point.id, point.participant_id, point.text)
        content["points"] = tuple(points)
        selections = []
        for choice in state.selection.choices:
            if choice.phase_index != index or choice.id in out:
                continue
            chosen = tuple(titles[sid] for sid in choice.story_ids if sid in titles)
            selections.append(
                m.Selection(
                    id=choice.id, domain=choice.domain, stories=chosen, reason=choice.reason, dissent=choice.dissent
                )
            )
            # The group's choice, recorded by the facilitator: never an anonymous contribution.
            add("selection", choice.id, privacy.STAFF_ACTOR["id"], _selection_text(chosen, choice.reason, choice.dissent))
        content["selections"] = tuple(selections)
        if phase.kind is ActivityKind.DRAFT:
            draft = _draft(state, index, out, who)
            content["draft"] = draft
            content["draft_final"] = index in state.draft.final
            editors = {s.index: s.editor_id for s in state.draft.sections if s.phase_index == index}
            for i, section in enumerate(draft):
                if section.text:
                    text = f"{section.title}: {section.text}" + _rests_on(section)
                    add("draft_section", f"section-{index}-{i}", editors.get(i), text)
        if phase.kind is ActivityKind.FEEDBACK:
            feedback = _feedback(state, index)
            content["feedback"] = feedback
            for number, comment in enumerate(feedback.texts, start=1):
                # Sorted, never timed or attributed: the order says nothing of who wrote what.
                add("feedback_comment", f"comment-{index}-{number}", None, comment, anonymous=True, at=record.ended_at if record else None)
        sections.append(
            m.PhaseSection(
                index=index, key=phase.key, title=_(phase.title), kind=phase.kind.value,
                # The shipped plan's words in the reader's language; a facilitator's own as written.
                prompts=placeholders.filled(translate.phase(phase))[0],
                listener_prompts=placeholders.filled(translate.phase(phase))[1],
                started_at=record.started_at if record else None, ended_at=record.ended_at if record else None,
                **content,  # type: ignore[arg-type]
            )
        )  # fmt: skip

    final_text, final, final_sections = _final_message(state, plan, out, who)
    return m.Transcript(
        exchange=exchange,
        plan_title=plan.title if plan else None,
        status=state.status.value,
        started_at=state.started_at,
        ended_at=state.ended_at,
        participants=tuple(
            m.Person(ref=s.ref, label=s.label, consent=s.consent, airtime_seconds=round(member.airtime, 1))
            for member in state.roster
            for s in (shown[member.id],)
        ),
        agenda=_agenda(state, plan, exchange),
        phases=tuple(sections),
        final_message=final_text,
        final_message_final=final,
        final_sections=final_sections,
        contributions=tuple(contributions),
        redactions=len(redacted),
        lead_changes=tuple(m.LeadChange(at=c.at, kind=c.kind, reason=c.reason) for c in state.lead.changes),
    )


def _joined(title: str, summary: str) -> str:
    return f"{title}: {summary}" if summary else title


def _selection_text(stories: tuple[str, ...], reason: str, dissent: str) -> str:
    text = f"{' + '.join(stories) or '(a redacted story)'}: {reason}"
    return f"{text} (dissent: {dissent})" if dissent else text


def _action_text(action: discussion_data.Action) -> str:
    due = f" (by {action.due})" if action.due else ""
    return f"{action.what} — {action.who}{due}"


def _card_groups(state, index, phase, out, who, add, times) -> tuple[tuple[m.CardGroup, ...], int | None]:  # noqa: ANN001
    """The phase's cards by cluster, with totals only once MIN_GROUP people voted; and how many did."""
    labels = {f.key: _(f.label) for f in phase.card_fields}  # shipped labels in the reader's language
    votes: dict[str, int] = {}
    voters: set[str] = set()
    for vote in state.cards.votes:
        if vote.phase_index == index:
            votes[vote.card_id] = votes.get(vote.card_id, 0) + 1
            voters.add(vote.voter_id)
    counted = len(voters) >= MIN_GROUP
    by_cluster: dict[str | None, list[m.Card]] = {}
    for card in state.cards.cards:
        if card.phase_index != index or card.id in out:
            continue
        author = None if card.anonymous else who(card.author_id)
        fields = tuple(m.CardField(label=labels.get(k, k), value=v) for k, v in card.fields if v)
        count = votes.get(card.id, 0) if counted else None
        by_cluster.setdefault(card.cluster_id, []).append(
            m.Card(id=card.id, author=author.label if author else None, at=times.get(card.id), fields=fields, votes=count)
        )
        text = " / ".join(f"{f.label}: {f.value}" for f in fields)
        add("card", card.id, card.author_id, text, count, anonymous=card.anonymous)

    def total(cards: list[m.Card]) -> int | None:
        return sum(c.votes or 0 for c in cards) if counted else None

    groups = []
    for cluster in state.cards.clusters:
        if cluster.phase_index == index and cluster.id in by_cluster:
            cards = by_cluster[cluster.id]
            groups.append(m.CardGroup(name=cluster.name, cards=tuple(cards), votes=total(cards)))
    if None in by_cluster:
        cards = by_cluster[None]
        groups.append(m.CardGroup(name=None, cards=tuple(cards), votes=total(cards)))
    voting = phase.votes_per_person > 0
    return tuple(groups), (len(voters) if voting else None)


def _feedback(state: SessionState, index: int) -> m.FeedbackSummary:
    summary = summarise(answers_of(state, index), state.moderation.refs)
    ratings = tuple(
        m.RatingSummary(question=rating_question(r.key), count=r.count, average=r.average, distribution=r.distribution)
        for r in summary.ratings
    )
    return m.FeedbackSummary(
        responses=summary.responses, comments=summary.comments, ratings=ratings, withheld=summary.withheld,
        texts=summary.texts, hidden_comments=summary.hidden_comments,
    )  # fmt: skip


def _citations(state: SessionState, refs: tuple[str, ...], out: frozenset[str], who) -> tuple[tuple[m.Citation, ...], int]:  # noqa: ANN001
    """What a draft section cites, as the record may show it, and how many cited items it may not."""
    shown: list[m.Citation] = []
    withheld = 0
    stories = {s.id: s for s in state.stories.stories}
    cards = {c.id: c for c in state.cards.cards}
    for ref in refs:
        if ref in out:
            withheld += 1
        elif (story := stories.get(ref)) is not None:
            teller = who(story.teller_id)
            shown.append(m.Citation(kind="story", id=ref, title=story.title, by=teller.label if teller else None))
        elif (card := cards.get(ref)) is not None:
            first = next((value for _key, value in card.fields if value), "")
            author = None if card.anonymous else who(card.author_id)
            shown.append(m.Citation(kind="card", id=ref, title=first, by=author.label if author else None))
        else:
            withheld += 1
    return tuple(shown), withheld


def _draft(state: SessionState, index: int, out: frozenset[str], who) -> tuple[m.DraftSection, ...]:  # noqa: ANN001
    assert state.plan is not None
    written = {s.index: s for s in state.draft.sections if s.phase_index == index}
    sections = []
    for i, title in enumerate(state.plan.phases[index].sections):
        current = written.get(i)
        if current is not None and state.moderation.section_hidden(index, i, current.version):
            sections.append(m.DraftSection(title=title, text="", hidden=True))
            continue
        citations, withheld = _citations(state, current.citations if current else (), out, who)
        sections.append(
            m.DraftSection(
                title=title, text=current.text if current else "", citations=citations, withheld_citations=withheld
            )
        )
    return tuple(sections)


def _rests_on(section: m.DraftSection) -> str:
    """A section's provenance as one line of plain text (for the CSV's text column)."""
    if not section.citations:
        return ""
    return " [" + "; ".join(citation_text(c) for c in section.citations) + "]"


def _final_message(
    state: SessionState, plan: PhasePlan | None, out: frozenset[str], who  # noqa: ANN001
) -> tuple[str | None, bool, tuple[m.DraftSection, ...]]:
    """The last draft phase's sections, joined, and with their citations: the message for funders."""
    if plan is None:
        return None, False, ()
    drafts = [i for i, phase in enumerate(plan.phases) if phase.kind is ActivityKind.DRAFT]
    if not drafts:
        return None, False, ()
    index = drafts[-1]
    sections = tuple(s for s in _draft(state, index, out, who) if s.text)
    parts = [f"{s.title}\n\n{s.text}" for s in sections]
    return ("\n\n".join(parts) or None), index in state.draft.final, sections


def _agenda(state: SessionState, plan: PhasePlan | None, exchange: m.ExchangeMeta) -> tuple[m.AgendaItem, ...]:
    start = exchange.starts_at or state.started_at
    items = []
    offset = 0
    for index, phase in enumerate(plan.phases if plan else ()):
        record = state.phases[index] if index < len(state.phases) else None
        items.append(
            m.AgendaItem(
                index=index, title=_(phase.title), kind=phase.kind.value, planned_minutes=phase.minutes,
                planned_start=start + timedelta(minutes=offset) if start else None,
                actual_start=record.started_at if record else None,
                actual_end=record.ended_at if record else None,
            )
        )  # fmt: skip
        offset += phase.minutes
    return tuple(items)
