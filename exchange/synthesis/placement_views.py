"""Tellers place their own story: the scale a lead defines, the placement on the teller's record page,
and the plots on the programme's pages (filterable; a dot opens its story, which is in the record)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from exchange.deps import CsrfProtected, CurrentLead, CurrentStaff, DbSession, OptionalParticipant
from exchange.i18n import _
from exchange.programmes.models import Exchange, Participant, Programme
from exchange.synthesis import service
from exchange.synthesis.access import Posted, actor, lead_programme, member_programme
from exchange.synthesis.items import Item, split_key
from exchange.synthesis.log import MAX_SLIDERS, Placement, ProgrammeLog
from exchange.synthesis.placement import PlacementError, read_form
from exchange.synthesis.plots import Dot, slider_svg, triangle_svg
from exchange.synthesis.selection import Step, chain_of, panel_views
from exchange.synthesis.text import category_labels
from exchange.templating import render

router = APIRouter()
MAX_WORDS = 40


# --- the plots --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plotted:
    triangle: object | None
    sliders: tuple[object, ...]
    count: int
    legend: tuple[tuple[str, str], ...]  # exchange title, colour


def plots_for(programme_id: int, log: ProgrammeLog, stories: dict[str, Item], *, exchange_id: int | None = None,
              country: str | None = None, phase: str | None = None, links: bool = True) -> Plotted:  # fmt: skip
    """The scale's plots of every placed story still in its record, filtered."""
    from exchange.synthesis.plots import colour

    order = sorted({s.exchange_id for s in stories.values()})
    group = {eid: n for n, eid in enumerate(order)}
    dots = []
    for key, placement in sorted(log.placements.items()):
        story = stories.get(key)
        if story is None:
            continue  # out of the record (or its stories deleted): not plotted
        if (exchange_id and story.exchange_id != exchange_id) or (country and story.country != country) or (
            phase and story.phase_title != phase
        ):
            continue
        words = story.text if len(story.text) <= 80 else story.text[:79] + "…"
        title = f"{words} — {story.by or _('Anonymous')}, {story.exchange_title}"
        href = f"/programmes/{programme_id}/stories/{story.exchange_id}/{split_key(key)[1]}" if links else None
        dots.append(Dot(title, group[story.exchange_id], href, placement.triangle, placement.sliders))
    scale = log.scale
    triangle = triangle_svg(scale.triangle, dots, title=_("Where the stories sit between three qualities")) if scale.triangle else None
    sliders = tuple(slider_svg(s.label, s.low, s.high, i, dots) for i, s in enumerate(scale.sliders))
    shown = {stories[k].exchange_id for k in log.placements if k in stories}
    legend = tuple((stories_title(stories, eid), colour(group[eid])) for eid in order if eid in shown)
    return Plotted(triangle, sliders, len(dots), legend)


def stories_title(stories: dict[str, Item], exchange_id: int) -> str:
    return next((s.exchange_title for s in stories.values() if s.exchange_id == exchange_id), "")


def programme_plots(request: Request, db: Session, programme: Programme) -> Plotted | None:
    """Every placed story, unfiltered, for the programme's own page; None before there is a scale."""
    log = service.log_of(db, programme_id=programme.id)
    if log.scale.empty:
        return None
    stories = service.stories_of(service.sources_of(db, request.app.state.hubs.store, programme))
    return plots_for(programme.id, log, stories)


@router.get("/programmes/{programme_id}/placements")
def placements_page(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    programme = member_programme(db, user, programme_id)
    return _placements_page(request, db, programme)


def _placements_page(request, db, programme, *, status_code=200, error=None, form=None):  # noqa: ANN001, ANN202
    params = request.query_params
    sources = service.sources_of(db, request.app.state.hubs.store, programme)
    stories = service.stories_of(sources)
    log = service.log_of(db, programme_id=programme.id)
    exchange_id = int(params["exchange"]) if params.get("exchange", "").isdigit() and len(params["exchange"]) < 10 else None
    filters = {"exchange": exchange_id, "country": params.get("country") or None, "phase": params.get("phase") or None}
    plotted = plots_for(programme.id, log, stories, exchange_id=exchange_id, country=filters["country"], phase=filters["phase"])
    scale = log.scale
    defaults = {"c0": "", "c1": "", "c2": ""} | {f"c{i}": c for i, c in enumerate(scale.triangle or ())}
    for i in range(MAX_SLIDERS):
        slider = scale.sliders[i] if i < len(scale.sliders) else None
        defaults |= {f"l{i}": slider.label if slider else "", f"lo{i}": slider.low if slider else "", f"hi{i}": slider.high if slider else ""}
    return render(
        request,
        "synthesis/placements.html",
        status_code=status_code,
        programme=programme,
        section="placements",
        log=log,
        plotted=plotted,
        filters=filters,
        exchanges=[s.exchange for s in sources],
        countries=sorted({s.country for s in stories.values() if s.country}),
        phases=sorted({s.phase_title for s in stories.values()}),
        form=form or defaults,
        error=error,
        saved=params.get("saved"),
    )


@router.post("/programmes/{programme_id}/placements/scale", dependencies=[CsrfProtected])
def define_scale(request: Request, form: Posted, programme_id: int, db: DbSession, user: CurrentLead) -> Response:
    """A lead defines the triangle (three qualities, or none) and up to three sliders."""
    programme = lead_programme(db, user, programme_id)
    fields = {k: " ".join(str(v).split()) for k, v in form.items() if isinstance(v, str)}
    corners = [fields.get(f"c{i}", "") for i in range(3)]
    sliders = []
    for i in range(MAX_SLIDERS):
        label, low, high = fields.get(f"l{i}", ""), fields.get(f"lo{i}", ""), fields.get(f"hi{i}", "")
        if label or low or high:
            if not (label and low and high):
                return _placements_page(request, db, programme, status_code=400, form=fields,
                                        error=_("A slider needs a question and a word for each end."))  # fmt: skip
            sliders.append({"label": label, "low": low, "high": high})
    if any(corners) and not all(corners):
        return _placements_page(request, db, programme, status_code=400, form=fields,
                                error=_("The triangle needs three qualities, one for each corner (or none at all)."))  # fmt: skip
    if any(len(v) > MAX_WORDS for v in [*corners, *(x for s in sliders for x in s.values())]):
        return _placements_page(request, db, programme, status_code=400, form=fields,
                                error=_("Keep each quality and each end to {n} characters.").format(n=MAX_WORDS))  # fmt: skip
    if not any(corners) and not sliders:
        return _placements_page(request, db, programme, status_code=400, form=fields,
                                error=_("Give the triangle's three qualities, or at least one slider."))  # fmt: skip
    data = {"triangle": corners if all(corners) else None, "sliders": sliders}
    service.record(db, programme_id=programme.id, type_="scale_defined", actor=actor(user), data=data)
    db.commit()
    return RedirectResponse(f"/programmes/{programme_id}/placements?saved=scale", status_code=303)


@router.get("/programmes/{programme_id}/stories/{exchange_id}/{item_id}")
def story_page(request: Request, programme_id: int, exchange_id: int, item_id: str, db: DbSession, user: CurrentStaff) -> Response:
    """One story, as its exchange's record holds it; 404 once it is out of the record."""
    programme = member_programme(db, user, programme_id)
    exchange = db.get(Exchange, exchange_id) if 0 < exchange_id < 2**31 else None
    if exchange is None or exchange.programme_id != programme.id or not service.ran(exchange):
        raise HTTPException(status_code=404)
    source = service.source_of(db, request.app.state.hubs.store, exchange)
    key = f"{exchange_id}:{item_id}"
    story = next((i for i in source.items if i.key == key and i.kind == "story"), None)
    if story is None:
        raise HTTPException(status_code=404)
    reflections = [i for i in source.items if i.kind == "reflection" and _reflects_on(source, i.key, item_id)]
    return render(request, "synthesis/story.html", programme=programme, section="placements", story=story,
                  reflections=reflections, categories=category_labels())  # fmt: skip


def _reflects_on(source, reflection_key: str, story_id: str) -> bool:  # noqa: ANN001
    _eid, reflection_id = split_key(reflection_key)
    return any(
        r.id == reflection_id for phase in source.transcript.phases for s in phase.stories if s.id == story_id for r in s.reflections
    )


# --- the teller's own page --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnStory:
    item: Item
    placement: Placement | None
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class RecordSection:
    """What the record page shows of the programme: placing one's stories, and where they went."""

    scale: object
    stories: tuple[OwnStory, ...]


def record_section(request: Request, db: Session, exchange: Exchange, participant: Participant) -> RecordSection | None:
    """None when the exchange has no story of theirs in its record (nothing to place or to tell)."""
    from exchange.synthesis.service import source_of

    if not service.ran(exchange):
        return None
    source = source_of(db, request.app.state.hubs.store, exchange)
    pid = f"p:{participant.id}"
    mine = [i for i in source.items if i.kind == "story" and source.sourced.tellers.get(i.key) == pid]
    if not mine:
        return None
    programme = db.get(Programme, exchange.programme_id)
    assert programme is not None
    log = service.log_of(db, programme_id=programme.id)
    steps: dict[str, tuple[Step, ...]] = {}
    if log.panels or source.choices:
        sources = service.sources_of(db, request.app.state.hubs.store, programme)
        choices = [c for s in sources for c in s.choices]
        views = panel_views(log, choices, service.stories_of(sources), {s.exchange.id: s.exchange.title for s in sources})
        steps = {i.key: chain_of(i.key, choices, views) for i in mine}
    own = tuple(OwnStory(i, log.placements.get(i.key), steps.get(i.key, ())) for i in mine)
    return RecordSection(log.scale, own)


def _own(db: Session, participant: Participant | None, exchange_id: int) -> Exchange:
    exchange = db.get(Exchange, exchange_id) if 0 < exchange_id < 2**31 else None
    if participant is None or exchange is None or participant.exchange_id != exchange.id:
        raise HTTPException(status_code=404)
    return exchange


@router.post("/e/{exchange_id}/record/placement", dependencies=[CsrfProtected])
def place_story(request: Request, form: Posted, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    """The teller places one of their own stories (still in the record) on the programme's scale."""
    exchange = _own(db, participant, exchange_id)
    assert participant is not None
    section = record_section(request, db, exchange, participant)
    story_id = str(form.get("story_id", ""))
    own = next((s for s in section.stories if s.item.key == f"{exchange_id}:{story_id}"), None) if section else None
    if section is None or own is None or section.scale.empty:  # type: ignore[attr-defined]
        raise HTTPException(status_code=404)
    try:
        placed = read_form(section.scale, form)  # type: ignore[arg-type]
    except PlacementError as exc:
        from exchange.transcripts.review import _page

        return _page(request, db, exchange, participant, status_code=400, error=str(exc))
    service.record(db, programme_id=exchange.programme_id, type_="story_placed", actor=f"p:{participant.id}",
                   data=placed.data(own.item.key))  # fmt: skip
    db.commit()
    return RedirectResponse(f"/e/{exchange_id}/record?saved=placement#place-{story_id}", status_code=303)
