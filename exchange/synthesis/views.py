"""Programme pages: themes across exchanges (with the leads' curation) and search. Thin: forms in,
pure logic and services, page out."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from exchange.deps import AppSettings, CsrfProtected, CurrentLead, CurrentStaff, DbSession
from exchange.i18n import _
from exchange.synthesis import search as searching
from exchange.synthesis import service
from exchange.synthesis.access import Posted, actor, lead_programme, member_programme
from exchange.synthesis.curation import ACCEPTED, as_data, find
from exchange.synthesis.text import category_labels, kind_labels
from exchange.synthesis.kept import theme_id
from exchange.templating import render

router = APIRouter()
MAX_LABEL = 120


def grouping_of(request: Request, db: DbSession, programme, settings):  # noqa: ANN001, ANN201
    from exchange.synthesis.theming import themes_for  # scikit-learn loads on the first use, not at start

    sources = service.sources_of(db, request.app.state.hubs.store, programme)
    log = service.log_of(db, programme_id=programme.id)
    items = service.all_items(sources)
    grouping = themes_for(items, log.kept, choice=settings.themes_embedder, seed=settings.themes_seed)
    return sources, log, items, grouping


@router.get("/programmes/{programme_id}/themes")
def themes_page(request: Request, programme_id: int, db: DbSession, user: CurrentStaff, settings: AppSettings) -> Response:
    programme = member_programme(db, user, programme_id)
    return _themes_page(request, db, programme, settings)


def _themes_page(request, db, programme, settings, *, status_code=200, error=None, focus=None):  # noqa: ANN001, ANN202
    sources, _log, items, grouping = grouping_of(request, db, programme, settings)
    return render(
        request,
        "synthesis/themes.html",
        status_code=status_code,
        programme=programme,
        section="themes",
        grouping=grouping,
        items=items,
        exchanges=len(sources),
        categories=category_labels(),
        kinds=kind_labels(),
        error=error,
        focus=focus or request.query_params.get("saved"),
    )


@router.post("/programmes/{programme_id}/themes", dependencies=[CsrfProtected])
def theme_action(request: Request, form: Posted, programme_id: int, db: DbSession, user: CurrentLead, settings: AppSettings) -> Response:
    """A lead accepts, renames, merges or splits a theme; each is a programme event."""
    programme = lead_programme(db, user, programme_id)
    action = str(form.get("action", ""))
    label = " ".join(str(form.get("label", "")).split())
    _sources, _log, _items, grouping = grouping_of(request, db, programme, settings)
    theme = find(grouping, str(form.get("theme_id", "")))

    def refuse(message: str, status: int = 400) -> Response:
        return _themes_page(request, db, programme, settings, status_code=status, error=message)

    if theme is None:
        return refuse(_("The themes changed since the page was loaded. Here they are again; please try once more."), 409)
    if len(label) > MAX_LABEL:
        return refuse(_("A theme's name can be at most {n} characters.").format(n=MAX_LABEL))
    accepted = theme.status == ACCEPTED
    if action == "accept":
        data = {"themes": [as_data(theme.id, label or theme.label, theme.items)]}
        kind, focus = "theme_accepted", theme.id
    elif action == "rename":
        if not label:
            return refuse(_("Please give the theme a name."))
        data = {"themes": [{**as_data(theme.id, label, theme.items), "accepted": accepted}]}
        kind, focus = "theme_renamed", theme.id
    elif action == "merge":
        other = find(grouping, str(form.get("other", "")))
        if other is None or other.id == theme.id:
            return refuse(_("Choose another theme to merge with."))
        keys = [i.key for i in theme.items] + [i.key for i in other.items]
        merged = {**as_data(theme_id(keys), label or theme.label, keys), "accepted": accepted or other.status == ACCEPTED}
        data = {"replaces": [theme.id, other.id], "themes": [merged]}
        kind, focus = "themes_merged", merged["id"]
    elif action == "split":
        moving = {str(k) for k in form.getlist("move")}
        moved = [i.key for i in theme.items if i.key in moving]
        kept = [i.key for i in theme.items if i.key not in moving]
        if not moved or not kept:
            return refuse(_("Tick some of the theme's items, but not all of them, to split them into a new theme."))
        new_label = label or _("{label} (split)").format(label=theme.label)
        data = {"replaces": [theme.id], "themes": [
            {**as_data(theme_id(kept), theme.label, kept), "accepted": accepted},
            as_data(theme_id(moved), new_label, moved),
        ]}  # fmt: skip
        kind, focus = "theme_split", theme_id(moved)
    else:
        return refuse(_("That change isn't possible. Nothing was changed."))
    service.record(db, programme_id=programme.id, type_=kind, actor=actor(user), data=data)
    db.commit()
    return RedirectResponse(f"/programmes/{programme_id}/themes?saved={focus}#{focus}", status_code=303)


# --- search -----------------------------------------------------------------------------------


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get("/programmes/{programme_id}/search")
def search_page(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    programme = member_programme(db, user, programme_id)
    params = request.query_params
    query = (params.get("q") or "").strip()[: searching.MAX_QUERY]
    filters = searching.Filters(
        exchange_id=_int(params.get("exchange")),
        phase=(params.get("phase") or None),
        country=(params.get("country") or None),
        since=_date(params.get("from")),
        until=_date(params.get("to")),
    )
    try:
        searching.refresh(db, request.app.state.hubs.store, programme)
        db.commit()
    except IntegrityError:  # another request rebuilt the same exchange at the same moment: its index serves
        db.rollback()
    hits = searching.search(db, programme_id=programme.id, query=query, filters=filters) if query else []
    phases, countries = searching.facets(db, programme_id=programme.id)
    exchanges = [s.exchange for s in service.sources_of(db, request.app.state.hubs.store, programme)]
    return render(
        request,
        "synthesis/search.html",
        programme=programme,
        section="search",
        query=query,
        filters=filters,
        hits=[(hit, searching.highlight(hit.text, query)) for hit in hits],
        phases=phases,
        countries=countries,
        exchanges=exchanges,
        titles={e.id: e.title for e in exchanges},
        kinds=kind_labels(),
        searched=bool(query),
    )


def not_found() -> HTTPException:
    return HTTPException(status_code=404)
