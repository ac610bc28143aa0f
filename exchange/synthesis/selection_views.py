"""Most significant change up the programme: levels and panels a lead defines, each panel's choice
with its reason and dissent, and the tellers told (on their page, and by email when mail is set up)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from exchange.deps import AppSettings, CsrfProtected, CurrentLead, DbSession
from exchange.i18n import _
from exchange.mail import Mail, send
from exchange.programmes.models import Participant
from exchange.settings import Settings
from exchange.synthesis import service
from exchange.synthesis.access import Posted, actor, lead_programme
from exchange.synthesis.selection import MAX_DISSENT, PanelView, panel_views, reason_problem
from exchange.synthesis.text import category_labels
from exchange.templating import render

router = APIRouter()
MAX_NAME = 80


def views_of(request: Request, db: Session, programme):  # noqa: ANN001, ANN201
    sources = service.sources_of(db, request.app.state.hubs.store, programme)
    log = service.log_of(db, programme_id=programme.id)
    choices = [c for s in sources for c in s.choices]
    titles = {s.exchange.id: s.exchange.title for s in sources}
    views = panel_views(log, choices, service.stories_of(sources), titles)
    return sources, log, choices, views


def _page(request, db, programme, *, status_code=200, error=None, form=None, panel_error=None):  # noqa: ANN001, ANN202
    sources, log, choices, views = views_of(request, db, programme)
    return render(
        request,
        "synthesis/selection.html",
        status_code=status_code,
        programme=programme,
        section="selection",
        log=log,
        views=views,
        exchange_choices=choices,
        stories=service.stories_of(sources),
        exchanges=[s.exchange for s in sources],
        categories=category_labels(),
        error=error,
        panel_error=panel_error or {},
        form=form or {},
        saved=request.query_params.get("saved"),
    )


@router.get("/programmes/{programme_id}/selection")
def selection_page(request: Request, programme_id: int, db: DbSession, user: CurrentLead) -> Response:
    return _page(request, db, lead_programme(db, user, programme_id))


@router.post("/programmes/{programme_id}/selection/levels", dependencies=[CsrfProtected])
def add_level(request: Request, form: Posted, programme_id: int, db: DbSession, user: CurrentLead) -> Response:
    programme = lead_programme(db, user, programme_id)
    name = " ".join(str(form.get("name", "")).split())
    if not name or len(name) > MAX_NAME:
        message = _("Give the level a name of at most {n} characters, such as Region or Programme.").format(n=MAX_NAME)
        return _page(request, db, programme, status_code=400, error=message)
    log = service.log_of(db, programme_id=programme.id)
    level_id = f"l-{len(log.levels) + 1}"
    service.record(db, programme_id=programme.id, type_="level_added", actor=actor(user), data={"level_id": level_id, "name": name})
    db.commit()
    return RedirectResponse(f"/programmes/{programme_id}/selection?saved=level#{level_id}", status_code=303)


@router.post("/programmes/{programme_id}/selection/panels", dependencies=[CsrfProtected])
def add_panel(request: Request, form: Posted, programme_id: int, db: DbSession, user: CurrentLead) -> Response:
    programme = lead_programme(db, user, programme_id)
    name = " ".join(str(form.get("name", "")).split())
    level_id = str(form.get("level_id", ""))
    sources = [str(s) for s in form.getlist("sources")]
    _s, log, _c, _v = views_of(request, db, programme)
    depth = log.level_index(level_id)
    if depth < 0:
        return _page(request, db, programme, status_code=400, error=_("Choose the level the panel sits at."))
    if not name or len(name) > MAX_NAME:
        return _page(request, db, programme, status_code=400, error=_("Give the panel a name of at most {n} characters.").format(n=MAX_NAME))
    if depth == 0:
        allowed = {str(s.exchange.id) for s in service.sources_of(db, request.app.state.hubs.store, programme)}
    else:
        allowed = {p.id for p in log.panels_at(log.levels[depth - 1].id)}
    if not sources or not set(sources) <= allowed:
        message = _("Tick what the panel chooses from: exchanges at the first level, panels of the level before at the others.")
        return _page(request, db, programme, status_code=400, error=message)
    panel_id = f"p-{len(log.panels) + 1}"
    data = {"panel_id": panel_id, "level_id": level_id, "name": name, "sources": sources}
    service.record(db, programme_id=programme.id, type_="panel_added", actor=actor(user), data=data)
    db.commit()
    return RedirectResponse(f"/programmes/{programme_id}/selection?saved=panel#{panel_id}", status_code=303)


@router.post("/programmes/{programme_id}/selection/panels/{panel_id}", dependencies=[CsrfProtected])
def panel_choose(
    request: Request, form: Posted, programme_id: int, panel_id: str, db: DbSession, user: CurrentLead, settings: AppSettings
) -> Response:
    """The panel's choice (one story, or two), why, and any dissent; the tellers are told."""
    programme = lead_programme(db, user, programme_id)
    sources, _log, _choices, views = views_of(request, db, programme)
    view = next((v for v in views if v.panel.id == panel_id), None)
    if view is None:
        return _page(request, db, programme, status_code=404, error=_("There is no such panel."))
    picked = [str(k) for k in form.getlist("story_keys")]
    reason = " ".join(str(form.get("reason", "")).split())
    dissent = " ".join(str(form.get("dissent", "")).split())
    candidates = {c.key for c in view.candidates}
    errors: dict[str, str] = {}
    if not 1 <= len(picked) <= 2 or not set(picked) <= candidates:
        errors["story_keys"] = _("Choose one story, or two for a split panel, among the stories before this panel.")
    if problem := reason_problem(reason):
        errors["reason"] = problem
    if len(dissent) > MAX_DISSENT:
        errors["dissent"] = _("The dissent is too long (at most {n} characters).").format(n=MAX_DISSENT)
    if errors:
        form_data = {"panel": panel_id, "reason": reason, "dissent": dissent, "story_keys": picked}
        return _page(request, db, programme, status_code=400, form=form_data, panel_error=errors)
    data = {"panel_id": panel_id, "story_keys": picked, "reason": reason, "dissent": dissent}
    service.record(db, programme_id=programme.id, type_="panel_chose", actor=actor(user), data=data)
    db.commit()
    for mail in tellers_mail(db, settings, sources, view, picked, reason, dissent):
        send(settings, mail)  # in this worker thread; nothing is sent without EXCHANGE_SMTP_HOST
    return RedirectResponse(f"/programmes/{programme_id}/selection?saved=choice#{panel_id}", status_code=303)


def tellers_mail(db: Session, settings: Settings, sources, view: PanelView, picked, reason: str, dissent: str) -> list[Mail]:  # noqa: ANN001
    """One message to each teller of a story before the panel (who gave an email): chosen or not, and why."""
    mails = []
    for story in view.candidates:
        pid = service.teller_of(sources, story.key)
        participant = db.get(Participant, int(pid[2:])) if pid and pid[2:].isdigit() else None
        if participant is None or not participant.email or participant.revoked_at is not None:
            continue
        chosen = story.key in picked
        title = story.text if len(story.text) <= 120 else story.text[:119] + "…"
        lines = [
            (_("Your story “{title}” was chosen by the {panel} panel ({level}).") if chosen
             else _("Your story “{title}” came before the {panel} panel ({level}), which chose another story."))
            .format(title=title, panel=view.panel.name, level=view.level.name),
            "",
            _("The panel's reason:"),
            reason,
        ]  # fmt: skip
        if dissent:
            lines += ["", _("Dissent recorded with the choice:"), dissent]
        lines += ["", _("Your record page shows every step of your story:"),
                  f"{settings.base_url}/e/{participant.exchange_id}/record"]  # fmt: skip
        subject = _("Your story was chosen") if chosen else _("News of your story")
        mails.append(Mail(to=participant.email, subject=subject, body="\n".join(lines)))
    return mails
