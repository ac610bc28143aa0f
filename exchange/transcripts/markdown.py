"""PURE: a transcript as a readable Markdown document; user text is escaped so it stays plain text.

Markdown punctuation is backslash-escaped and `<`, `>` and `&` become entities, so neither Markdown
nor raw HTML (script, links, images) in anything a person typed can come alive in a renderer; the
document is cleaned (exchange.cleantext: no control characters, terminal escapes or direction
overrides, even from a log written before the edge cleaned what people send).
"""

from __future__ import annotations

import re

from exchange.cleantext import clean
from exchange.i18n import _
from exchange.transcripts.model import DraftSection, ExchangeMeta, Transcript
from exchange.transcripts.own import OwnRecord, Standing
from exchange.transcripts import text as sentences
from exchange.transcripts.text import (
    CONTRIBUTION_LABELS,
    KIND_LABELS,
    REFLECTION_LABELS,
    citation_text,
    clock,
    day,
    draft_notice,
    lead_change_text,
    duration,
    standing_labels,
)

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:])")


def escape(value: str) -> str:
    """User text as inert Markdown: entities for HTML, backslashes for Markdown punctuation."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    value = _SPECIAL.sub(r"\\\1", value)
    return "  \n".join(line.strip() for line in value.splitlines()) if "\n" in value else value


def _rests_on(section: DraftSection) -> list[str]:
    lines = [f"- {escape(citation_text(c))}" for c in section.citations]
    if section.withheld_citations:
        lines.append("- " + sentences.withheld_citations(section.withheld_citations))
    return ["*" + _("Rests on:") + "*", "", *lines, ""] if lines else []


def render(transcript: Transcript) -> str:
    t = transcript
    tz = t.exchange.timezone
    notice = draft_notice(t.exchange)
    out: list[str] = [f"> **{escape(notice)}**", ""] if notice else []
    out += [f"# {escape(t.exchange.title)}", ""]
    if t.exchange.programme_name:
        out.append(_("Programme: {name}").format(name=escape(t.exchange.programme_name)) + "  ")
    out.append(_("Date: {date}").format(date=day(t.started_at or t.exchange.starts_at, tz)) + "  ")
    out.append(_("Status: {status}").format(status=t.status))
    out.append("")
    if t.exchange.purpose:
        out += ["## " + _("Purpose"), "", escape(t.exchange.purpose), ""]
    out += ["## " + _("Participants"), ""]
    out += [
        "- " + _("{name} (airtime {duration})").format(name=escape(p.label), duration=duration(p.airtime_seconds))
        for p in t.participants
    ] or ["- " + _("None")]
    out += ["", "## " + _("Agenda"), "", f"| # | {_('Phase')} | {_('Planned')} | {_('Actual')} |", "|---|---|---|---|"]
    for item in t.agenda:
        planned = _("{time}, {minutes} min").format(time=clock(item.planned_start, tz), minutes=item.planned_minutes)
        actual = f"{clock(item.actual_start, tz)}–{clock(item.actual_end, tz)}" if item.actual_start else _("not run")
        out.append(f"| {item.index + 1} | {escape(item.title)} | {planned} | {actual} |")
    out.append("")
    for phase in t.phases:
        out += [f"## {phase.index + 1}. {escape(phase.title)}", ""]
        when = f"{clock(phase.started_at, tz)}–{clock(phase.ended_at, tz)}" if phase.started_at else _("not run")
        out += [f"*{_(KIND_LABELS.get(phase.kind, phase.kind))}, {when}*", ""]
        out += [f"> {escape(prompt)}" for prompt in phase.prompts]
        out += [f"> *{_('Listeners:')}* {escape(prompt)}" for prompt in phase.listener_prompts]
        out.append("")
        if phase.agreements:
            out += ["### " + _("Ground rules"), ""]
            out += [f"- {escape(a)}" for a in phase.agreements]
            out += ["", sentences.accepted_by(phase.accepted_by), ""]
        for story in phase.stories:
            told = _("Told by {teller} at {time}").format(teller=escape(story.teller), time=clock(story.at, tz))
            out += [f"### {escape(story.title)}", "", f"*{told}*", ""]
            if story.summary:
                out += [escape(story.summary), ""]
            if story.reflections:
                out += [_("Reflections:"), ""]
                out += [
                    f"- **{_(REFLECTION_LABELS.get(r.kind, r.kind))}** ({escape(r.author)}): {escape(r.text)}"
                    for r in story.reflections
                ]
                out.append("")
        if phase.recalls:
            out += ["### " + _("Recall"), ""]
            for recall in phase.recalls:
                about = " " + _("(on {title})").format(title=escape(recall.story_title)) if recall.story_title else ""
                out.append(f"- {escape(recall.author)}{about}: {escape(recall.text)}")
            out.append("")
        if phase.voters is not None and phase.card_groups and phase.card_groups[0].votes is None:
            out += ["*" + _("Vote totals are not shown: fewer than three people voted.") + "*", ""]
        for group in phase.card_groups:
            name = escape(group.name) if group.name else _("Not clustered")
            total = " " + _("({count} votes)").format(count=group.votes) if group.votes is not None else ""
            out += [f"### {name}{total}", ""]
            for card in group.cards:
                fields = "; ".join(f"{escape(f.label)}: {escape(f.value)}" for f in card.fields)
                author = escape(card.author) if card.author else _("anonymous")
                votes = ", " + sentences.votes(card.votes) if card.votes is not None else ""
                out.append(f"- {fields} — {author}{votes}")
            out.append("")
        if phase.points:
            out += ["### " + _("Points made"), ""]
            for point in phase.points:
                maker = f" — {escape(point.made_by)}" if point.made_by else ""
                out.append(f"- {escape(point.text)}{maker}")
            out.append("")
        if phase.actions:
            out += ["### " + _("Actions"), ""]
            for action in phase.actions:
                due = ", " + _("by {date}").format(date=escape(action.due)) if action.due else ""
                mark = "x" if action.done else " "
                out.append(f"- [{mark}] {escape(action.what)} — {escape(action.who)}{due}")
            out.append("")
        if phase.selections:
            out += ["### " + _("Selection"), ""]
            for choice in phase.selections:
                chosen = ", ".join(escape(title) for title in choice.stories) or _("(a redacted story)")
                domain = f" ({escape(choice.domain)})" if choice.domain else ""
                out.append("- " + _("Chosen{domain}: {stories}").format(domain=domain, stories=chosen))
                out.append("  - " + _("Why: {reason}").format(reason=escape(choice.reason)))
                if choice.dissent:
                    out.append("  - " + _("Dissent: {dissent}").format(dissent=escape(choice.dissent)))
            out.append("")
        if phase.draft:
            state = _("final") if phase.draft_final else _("not final")
            out += ["### " + _("Draft ({state})").format(state=state), ""]
            for section in phase.draft:
                if section.hidden:
                    body = "*" + _("(hidden by the facilitator)") + "*"
                else:
                    body = escape(section.text) if section.text else "*" + _("(empty)") + "*"
                out += [f"#### {escape(section.title)}", "", body, ""]
                out += _rests_on(section)
        if phase.feedback is not None:
            fb = phase.feedback
            counts = sentences.feedback_counts(fb.responses, fb.comments, fb.hidden_comments)
            out += ["### " + _("Feedback summary"), "", counts]
            if fb.withheld:
                out.append(_("Ratings and comments are not shown for fewer than three responses."))
            else:
                out.append("")
                out += [
                    "- " + sentences.rating(escape(_(r.question)), r.average, r.count)
                    for r in fb.ratings
                ]
                if fb.texts:
                    out += ["", _("Written comments (anonymous, in alphabetical order):"), ""]
                    out += [f"- {escape(text)}" for text in fb.texts]
            out.append("")
    if t.redactions:
        out += ["*" + sentences.redacted(t.redactions) + "*", ""]
    if t.lead_changes:
        out += ["## " + _("Who led the console"), ""]
        out += [f"- {clock(c.at, tz)} {escape(lead_change_text(c.kind, c.reason))}" for c in t.lead_changes]
        out.append("")
    out += ["## " + _("Message for funders"), ""]
    if t.final_sections:
        for section in t.final_sections:
            out += [f"### {escape(section.title)}", "", escape(section.text), ""]
            out += _rests_on(section)
        out += ["*" + (_("Final.") if t.final_message_final else _("Not marked final.")) + "*"]
    else:
        out.append("*" + _("No message was drafted.") + "*")
    out.append("")
    if notice:
        out += [f"> **{escape(notice)}**", ""]
    return clean("\n".join(out))


def render_own(meta: ExchangeMeta, own: OwnRecord) -> str:
    """One practitioner's own contributions (their download): where each stands in the record, and
    nothing of anyone else's."""
    tz = meta.timezone
    notice = draft_notice(meta)
    out = [f"> **{escape(notice)}**", ""] if notice else []
    out += ["# " + _("{title}: my contributions").format(title=escape(meta.title)), ""]
    out += [_("Shown in the record as: {label}").format(label=escape(own.label)) + "  "]
    out += [_("Airtime: {duration}").format(duration=duration(own.airtime_seconds)), ""]
    if not own.items:
        out.append("*" + _("Nothing of yours is in the record.") + "*")
    labels = standing_labels()
    for item in own.items:
        where = labels[item.standing]
        if item.anonymous and item.standing is Standing.IN_RECORD:
            where = _("in the record, anonymously")
        if item.standing is Standing.HIDDEN and item.reason:
            where += "; " + _("reason given: {reason}").format(reason=escape(item.reason))
        kind = _(CONTRIBUTION_LABELS.get(item.kind, item.kind))
        out.append(f"- **{escape(item.phase_title)}**, {kind}, {clock(item.at, tz)} ({where}): {escape(item.text)}")
    out.append("")
    return clean("\n".join(out))
