"""PURE: a transcript as a readable Markdown document; user text is escaped so it stays plain text.

Markdown punctuation is backslash-escaped and `<`, `>` and `&` become entities, so neither Markdown
nor raw HTML (script, links, images) in anything a person typed can come alive in a renderer.
"""

from __future__ import annotations

import re

from exchange.transcripts.model import Transcript
from exchange.transcripts.text import KIND_LABELS, REFLECTION_LABELS, clock, day, duration

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:])")


def escape(value: str) -> str:
    """User text as inert Markdown: entities for HTML, backslashes for Markdown punctuation."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    value = _SPECIAL.sub(r"\\\1", value)
    return "  \n".join(line.strip() for line in value.splitlines()) if "\n" in value else value


def render(transcript: Transcript) -> str:
    t = transcript
    tz = t.exchange.timezone
    out: list[str] = [f"# {escape(t.exchange.title)}", ""]
    if t.exchange.programme_name:
        out.append(f"Programme: {escape(t.exchange.programme_name)}  ")
    out.append(f"Date: {day(t.started_at or t.exchange.starts_at, tz)}  ")
    out.append(f"Status: {t.status}")
    out.append("")
    if t.exchange.purpose:
        out += ["## Purpose", "", escape(t.exchange.purpose), ""]
    out += ["## Participants", ""]
    out += [f"- {escape(p.label)} (airtime {duration(p.airtime_seconds)})" for p in t.participants] or ["- None"]
    out += ["", "## Agenda", "", "| # | Phase | Planned | Actual |", "|---|---|---|---|"]
    for item in t.agenda:
        planned = f"{clock(item.planned_start, tz)}, {item.planned_minutes} min"
        actual = f"{clock(item.actual_start, tz)}–{clock(item.actual_end, tz)}" if item.actual_start else "not run"
        out.append(f"| {item.index + 1} | {escape(item.title)} | {planned} | {actual} |")
    out.append("")
    for phase in t.phases:
        out += [f"## {phase.index + 1}. {escape(phase.title)}", ""]
        when = f"{clock(phase.started_at, tz)}–{clock(phase.ended_at, tz)}" if phase.started_at else "not run"
        out += [f"*{KIND_LABELS.get(phase.kind, phase.kind)}, {when}*", ""]
        out += [f"> {escape(prompt)}" for prompt in phase.prompts]
        out += [f"> *Listeners:* {escape(prompt)}" for prompt in phase.listener_prompts]
        out.append("")
        if phase.agreements:
            out += ["### Ground rules", ""]
            out += [f"- {escape(a)}" for a in phase.agreements]
            out += ["", f"Accepted by {phase.accepted_by} participant(s).", ""]
        for story in phase.stories:
            out += [f"### {escape(story.title)}", "", f"*Told by {escape(story.teller)} at {clock(story.at, tz)}*", ""]
            if story.summary:
                out += [escape(story.summary), ""]
            if story.reflections:
                out += ["Reflections:", ""]
                out += [
                    f"- **{REFLECTION_LABELS.get(r.kind, r.kind)}** ({escape(r.author)}): {escape(r.text)}"
                    for r in story.reflections
                ]
                out.append("")
        if phase.recalls:
            out += ["### Recall", ""]
            for recall in phase.recalls:
                about = f" (on {escape(recall.story_title)})" if recall.story_title else ""
                out.append(f"- {escape(recall.author)}{about}: {escape(recall.text)}")
            out.append("")
        for group in phase.card_groups:
            name = escape(group.name) if group.name else "Not clustered"
            out += [f"### {name} ({group.votes} votes)", ""]
            for card in group.cards:
                fields = "; ".join(f"{escape(f.label)}: {escape(f.value)}" for f in card.fields)
                author = escape(card.author) if card.author else "anonymous"
                out.append(f"- {fields} — {author}, {card.votes} vote(s)")
            out.append("")
        if phase.actions:
            out += ["### Actions", ""]
            for action in phase.actions:
                due = f", by {escape(action.due)}" if action.due else ""
                mark = "x" if action.done else " "
                out.append(f"- [{mark}] {escape(action.what)} — {escape(action.who)}{due}")
            out.append("")
        if phase.draft:
            state = "final" if phase.draft_final else "not final"
            out += [f"### Draft ({state})", ""]
            for section in phase.draft:
                out += [f"#### {escape(section.title)}", "", escape(section.text) if section.text else "*(empty)*", ""]
        if phase.feedback is not None:
            fb = phase.feedback
            out += ["### Feedback summary", "", f"{fb.responses} response(s), {fb.comments} written comment(s)."]
            if fb.withheld:
                out.append("Ratings are not shown for fewer than three responses.")
            else:
                out.append("")
                out += [f"- {escape(r.question)} average {r.average} ({r.count} rating(s))" for r in fb.ratings]
            out.append("")
    if t.redactions:
        out += [f"*{t.redactions} contribution(s) redacted by the programme lead.*", ""]
    out += ["## Message for funders", ""]
    if t.final_message:
        out += [escape(t.final_message), "", "*Final.*" if t.final_message_final else "*Not marked final.*"]
    else:
        out.append("*No message was drafted.*")
    out.append("")
    return "\n".join(out)


def render_contributions(transcript: Transcript, author_ref: str) -> str:
    """One practitioner's own contributions (for their download): nobody else's text."""
    t = transcript
    tz = t.exchange.timezone
    me = next((p for p in t.participants if p.ref == author_ref), None)
    out = [f"# {escape(t.exchange.title)}: my contributions", ""]
    if me is not None:
        out += [f"Shown in the transcript as: {escape(me.label)}", ""]
    mine = [c for c in t.contributions if c.author_ref == author_ref]
    if not mine:
        out.append("*Nothing of yours is in the transcript.*")
    for c in mine:
        votes = f", {c.votes} vote(s)" if c.votes is not None else ""
        out.append(f"- **{escape(c.phase)}**, {c.kind.replace('_', ' ')} at {clock(c.at, tz)}{votes}: {escape(c.text)}")
    out.append("")
    return "\n".join(out)
