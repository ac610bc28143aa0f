"""Staff pages: programmes, exchanges, the plan editor and invites. Thin: forms in, service, page out."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from exchange import audit
from exchange.accounts.models import StaffUser
from exchange.accounts.service import get_user_by_email
from exchange.deps import (
    AppSettings,
    CsrfProtected,
    CurrentLead,
    CurrentStaff,
    DbSession,
)
from exchange.i18n import _
from exchange.programmes import co_facilitators, ics, invite_views, plan_editor, retention, service
from exchange.programmes.forms import (
    ExchangeForm,
    FormErrors,
    MemberForm,
    ParticipantForm,
    ProgrammeForm,
    RetentionForm,
    parse_form,
)
from exchange.programmes.models import Exchange, ExchangeStatus, Participant
from exchange.prompts import placeholders, translate
from exchange.prompts.catalog import list_templates
from exchange.prompts.models import ActivityKind, CardAnonymity, OnExpiry, Phase, PhasePlan, QueueOrder, SpeakingOrder
from exchange.settings import resolve_secret
from exchange.templating import human_time, in_zone, render
from exchange.transcripts.service import record_status
from exchange.timeutil import timezone_names, utcnow

router = APIRouter()


def _form_dict(form: object) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}  # type: ignore[attr-defined]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _exchange_or_404(db: DbSession, user: CurrentStaff, exchange_id: int) -> Exchange:
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
    if exchange is None:
        raise HTTPException(status_code=404)
    return exchange


@router.get("/")
def home(request: Request) -> Response:
    return _see_other("/programmes")


# --- programmes -------------------------------------------------------------------------------


@router.get("/programmes")
def programme_list(request: Request, db: DbSession, user: CurrentStaff) -> Response:
    programmes = service.programmes_for(db, user=user)
    return render(request, "programme/list.html", programmes=programmes, form={}, errors={})


@router.post("/programmes", dependencies=[CsrfProtected])
async def programme_create(request: Request, db: DbSession, user: CurrentLead) -> Response:
    data = _form_dict(await request.form())
    try:
        programme = service.create_programme(db, lead=user, form=parse_form(ProgrammeForm, data))
    except FormErrors as exc:
        programmes = service.programmes_for(db, user=user)
        return render(
            request, "programme/list.html", status_code=400, programmes=programmes, form=data, errors=exc.errors
        )
    db.commit()
    return _see_other(f"/programmes/{programme.id}")


@router.get("/programmes/{programme_id}")
def programme_detail(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    return _programme_page(request, db, user, programme_id)


def _programme_highlights(request, db, exchanges):  # noqa: ANN001, ANN202
    """The cultural levers and challenges raised across the programme's exchanges (from their transcripts)."""
    from exchange.transcripts.programme import highlights
    from exchange.transcripts.service import transcript_of

    store = request.app.state.hubs.store
    ran = [e for e in exchanges if e.status in (ExchangeStatus.LIVE, ExchangeStatus.ENDED) and e.purged_at is None]
    return highlights(transcript_of(db, store, exchange) for exchange in ran)


def programme_plots(request, db, programme):  # noqa: ANN001, ANN201
    """Where the tellers placed their stories (exchange/synthesis), or None before a scale is defined."""
    from exchange.synthesis.placement_views import programme_plots as plots

    return plots(request, db, programme)


def _programme_page(request, db, user, programme_id, *, status_code=200, errors=None, form=None, new_invite=None):  # noqa: ANN001, ANN202
    from exchange.accounts import staff_invites

    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    exchanges = service.exchanges_in(db, programme=programme)
    ran = service.ran_on(db, exchanges=exchanges)
    return render(
        request,
        "programme/detail.html",
        status_code=status_code,
        programme=programme,
        exchanges=exchanges,
        ran_on=ran,
        exchange_groups=_exchange_groups(exchanges, ran),
        purged=retention.purged_in(db, programme=programme),
        deleted_after=retention.deletion_dates(exchanges, programme.retention_days),
        retention_saved=request.query_params.get("saved") == "retention",
        highlights=_programme_highlights(request, db, exchanges),
        plotted=programme_plots(request, db, programme),
        transcript_formats=(("html", _("HTML")), ("md", _("Markdown")), ("csv", _("CSV")), ("json", _("JSON"))),
        members=service.members_of(db, programme=programme),
        staff_invites=staff_invites.pending(db, programme=programme) if user.role == "lead" else [],
        new_invite=new_invite,
        now=utcnow(),
        errors=errors or {},
        form=form or {},
    )


programme_page = _programme_page


def _exchange_groups(exchanges, ran):  # noqa: ANN001, ANN202
    """(heading, id, exchanges): live ones, upcoming by their planned start, ended by when they ran."""
    by_status = {status: [e for e in exchanges if e.status == status] for status in ExchangeStatus}
    upcoming = sorted(by_status[ExchangeStatus.DRAFT] + by_status[ExchangeStatus.SCHEDULED], key=lambda e: e.starts_at)
    ended = sorted(by_status[ExchangeStatus.ENDED], key=lambda e: ran.get(e.id) or e.ended_at or e.starts_at, reverse=True)
    return (
        (_("Live now"), "live-h", by_status[ExchangeStatus.LIVE]),
        (_("Upcoming"), "upcoming-h", upcoming),
        (_("Ended, most recent first"), "ended-h", ended),
    )


@router.post("/programmes/{programme_id}/members", dependencies=[CsrfProtected])
async def programme_add_member(request: Request, programme_id: int, db: DbSession, user: CurrentLead) -> Response:
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    data = _form_dict(await request.form())
    try:
        member = get_user_by_email(db, email=parse_form(MemberForm, data).email)
        if member is None:
            raise FormErrors({"email": _("No staff account uses this email. Invite them by email below: they will make their account from the link.")})
        added = service.add_member(db, lead=user, programme=programme, user=member)
    except FormErrors as exc:
        return _programme_page(request, db, user, programme_id, status_code=400, errors=exc.errors, form=data)
    if added:
        audit.record(
            db, audit.Kind.MEMBER_ADDED, who=user.id, address=audit.address_of(request), programme_id=programme_id,
            detail={"member": member.id},
        )
    db.commit()
    return _see_other(f"/programmes/{programme_id}")


@router.post("/programmes/{programme_id}/members/{member_id}/remove", dependencies=[CsrfProtected])
async def programme_remove_member(
    request: Request, programme_id: int, member_id: int, db: DbSession, user: CurrentLead
) -> Response:
    """A lead takes someone out of the programme: its pages refuse them and their live consoles of its
    exchanges close at once, on every instance. Leads can't remove themselves."""
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    member = db.get(StaffUser, member_id) if service.valid_id(member_id) else None
    if member is None or member.id == user.id:
        raise HTTPException(status_code=404 if member is None else 409, detail=_("You can't remove yourself."))
    if not service.remove_member(db, lead=user, programme=programme, user=member):
        raise HTTPException(status_code=404)
    audit.record(
        db, audit.Kind.MEMBER_REMOVED, who=user.id, address=audit.address_of(request), programme_id=programme_id,
        detail={"member": member.id},
    )
    exchange_ids = [e.id for e in service.exchanges_in(db, programme=programme) if e.id is not None]
    db.commit()
    await request.app.state.staff_sockets.leave_programme(user_id=member_id, exchange_ids=exchange_ids)
    return _see_other(f"/programmes/{programme_id}#members-h")


@router.post("/programmes/{programme_id}/retention", dependencies=[CsrfProtected])
async def programme_retention(request: Request, programme_id: int, db: DbSession, user: CurrentLead) -> Response:
    """A lead of the programme sets (or clears) how long ended exchanges keep their stories."""
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    data = _form_dict(await request.form())
    try:
        form = parse_form(RetentionForm, data)
    except FormErrors as exc:
        return _programme_page(request, db, user, programme_id, status_code=400, errors=exc.errors, form=data)
    service.set_retention(db, lead=user, programme=programme, days=form.retention_days)
    db.commit()
    return _see_other(f"/programmes/{programme_id}?saved=retention#retention-h")


def stories_deleted(request: Request, exchange: Exchange) -> Response:
    """410 Gone, for a page or download that held an exchange's stories after retention deleted them."""
    assert exchange.purged_at is not None
    days = (exchange.purge_summary or {}).get("retention_days")
    message = _(
        "The stories of this exchange were deleted on {date} under the programme's retention period "
        "({days} days after the exchange ended). Transcripts downloaded before then are not affected."
    ).format(date=human_time(exchange.purged_at, exchange.timezone), days=days)
    return render(request, "error.html", status_code=410, title=_("These stories were deleted"), message=message)


# --- exchanges --------------------------------------------------------------------------------


def _exchange_form_page(request, db, *, programme, exchange=None, form=None, errors=None, status_code=200):  # noqa: ANN001, ANN202
    from exchange.programmes import library

    return render(
        request,
        "facilitator/exchange_form.html",
        status_code=status_code,
        programme=programme,
        exchange=exchange,
        form=form or {},
        errors=errors or {},
        templates_=[translate.plan(t) for t in list_templates()],  # shipped plans in the viewer's language
        library=library.templates_for(db, programme=programme) if exchange is None else [],
        timezones=timezone_names(),
    )


@router.get("/programmes/{programme_id}/exchanges/new")
def exchange_new(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    tomorrow = utcnow() + timedelta(days=7)
    defaults = {
        "start_date": tomorrow.date().isoformat(),
        "start_time": "14:00",
        "timezone": "UTC",
        "duration_minutes": "120",
        "language": "en",
        "template_key": request.query_params.get("template", "story-exchange")[:40],
    }
    return _exchange_form_page(request, db, programme=programme, form=defaults)


@router.post("/programmes/{programme_id}/exchanges", dependencies=[CsrfProtected])
async def exchange_create(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    data = _form_dict(await request.form())
    try:
        form = parse_form(ExchangeForm, data)
        plan, version_id = _chosen_plan(db, programme, form.template_key)
        exchange = service.create_exchange(
            db, user=user, programme=programme, form=form, plan=plan, version_id=version_id
        )
    except FormErrors as exc:
        return _exchange_form_page(request, db, programme=programme, form=data, errors=exc.errors, status_code=400)
    db.commit()
    return _see_other(f"/exchanges/{exchange.id}")


def _chosen_plan(db, programme, choice):  # noqa: ANN001, ANN202
    """The plan a new exchange copies: a shipped template by key, or a library template's latest version."""
    from exchange.programmes import library

    if choice in {t.key for t in list_templates()}:
        return None, None  # the shipped template, by the form's key
    _prefix, _sep, number = choice.partition("library-")
    template = (
        library.template_in(db, programme=programme, template_id=int(number))
        if _prefix == "" and number.isascii() and number.isdigit() and len(number) <= 10
        else None
    )
    version = library.latest_version(db, template=template) if template else None
    if version is None:
        raise FormErrors({"template_key": _("Choose a plan from the list.")})
    return PhasePlan.model_validate(version.plan), version.id


@router.get("/exchanges/{exchange_id}")
def exchange_detail(
    request: Request, exchange_id: int, db: DbSession, user: CurrentStaff, settings: AppSettings
) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    return _exchange_page(request, db, exchange, settings)


def _exchange_page(request, db, exchange, settings, *, status_code=200, errors=None, form=None, highlight=None):  # noqa: ANN001, ANN202
    secret = resolve_secret(settings)
    participants = service.participants_of(db, exchange=exchange)
    # A link is shown only until it is opened: from then on it is the practitioner's key alone.
    links = {
        p.id: f"{settings.base_url}/join/{service.invite_token(secret, p)}"
        for p in participants
        if p.claimed_at is None and p.revoked_at is None
    }
    return render(
        request,
        "facilitator/exchange.html",
        status_code=status_code,
        exchange=exchange,
        programme=service.programme_for(db, user=request.state.staff, programme_id=exchange.programme_id),
        plan=translate.plan(service.plan_of(exchange)),  # shipped words in the viewer's language
        participants=participants,
        links=links,
        local_start=in_zone(exchange.starts_at, exchange.timezone),
        errors=errors or {},
        form=form or {},
        highlight=highlight,
        editable=exchange.status in service.EDITABLE,
        redaction=_redaction_preview(request, db, exchange),
        record=record_status(exchange),
        ran_on=service.ran_on(db, exchanges=[exchange]).get(exchange.id or 0),
        source=_plan_source(db, exchange),
        **invite_views.page_context(db, settings, exchange, participants, links),
        facilitators=co_facilitators.panel(db, user=request.state.staff, exchange=exchange),
    )


def _plan_source(db, exchange):  # noqa: ANN001, ANN202
    """(title, version number or None) of the template the exchange's plan was copied from, if known."""
    from exchange.programmes import library

    found = library.source_of(db, version_id=exchange.template_version_id)
    if found is not None:
        return found[0].title, found[1].number
    shipped = {t.key: t for t in list_templates()}.get(exchange.template_key)
    return (shipped.title, None) if shipped else None


def _redaction_preview(request, db, exchange):  # noqa: ANN001, ANN202
    """A lead's redaction form and the redactions so far, once the exchange has run (None otherwise)."""
    staff = request.state.staff
    ran = exchange.status in (ExchangeStatus.LIVE, ExchangeStatus.ENDED) and exchange.purged_at is None
    if staff is None or staff.role != "lead" or not ran:
        return None
    from exchange.transcripts.service import redaction_preview

    return redaction_preview(db, request.app.state.hubs.store, exchange)


@router.get("/exchanges/{exchange_id}/edit")
def exchange_edit(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    programme = service.programme_for(db, user=user, programme_id=exchange.programme_id)
    local = in_zone(exchange.starts_at, exchange.timezone)
    form = {
        "title": exchange.title,
        "purpose": exchange.purpose,
        "start_date": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "timezone": exchange.timezone,
        "duration_minutes": str(exchange.duration_minutes),
        "language": exchange.language,
        "call_url": exchange.call_url,
        "template_key": exchange.template_key,
    }
    return _exchange_form_page(request, db, programme=programme, exchange=exchange, form=form)


@router.post("/exchanges/{exchange_id}/edit", dependencies=[CsrfProtected])
async def exchange_update(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    programme = service.programme_for(db, user=user, programme_id=exchange.programme_id)
    data = _form_dict(await request.form())
    try:
        form = parse_form(ExchangeForm, data, context={"current_start": exchange.starts_at})
        service.update_exchange(db, exchange=exchange, form=form)
    except FormErrors as exc:
        db.rollback()
        return _exchange_form_page(
            request, db, programme=programme, exchange=exchange, form=data, errors=exc.errors, status_code=400
        )
    except service.NotAllowed:
        raise HTTPException(status_code=409, detail=_("A live or ended exchange can't be edited.")) from None
    db.commit()
    return _see_other(f"/exchanges/{exchange_id}")


@router.post("/exchanges/{exchange_id}/status", dependencies=[CsrfProtected])
async def exchange_status(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    target = (await request.form()).get("status")
    if target not in {ExchangeStatus.DRAFT.value, ExchangeStatus.SCHEDULED.value}:
        raise HTTPException(status_code=400, detail=_("Choose draft or scheduled."))
    try:
        service.set_status(db, exchange=exchange, status=ExchangeStatus(target))
    except service.NotAllowed:
        raise HTTPException(status_code=409, detail=_("The exchange can't change to that status now.")) from None
    db.commit()
    return _see_other(f"/exchanges/{exchange_id}")


# --- the plan editor --------------------------------------------------------------------------


@router.get("/exchanges/{exchange_id}/plan")
def plan_page(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    return plan_page_for(request, db, exchange, exchange.plan)


def plan_page_for(request, db, exchange, data, *, errors=None, status_code=200, library_form=None, library_errors=None):  # noqa: ANN001, ANN202
    """The editor with `data` (the stored plan, or the refused edit), and the library's save and import forms."""
    from exchange.programmes import library

    programme = service.programme_for(db, user=request.state.staff, programme_id=exchange.programme_id)
    source = library.source_of(db, version_id=exchange.template_version_id)
    shipped = {t.key: t for t in list_templates()}
    return render(
        request,
        "facilitator/plan.html",
        status_code=status_code,
        exchange=exchange,
        data=data,
        errors=errors or {},
        editable=exchange.status in service.EDITABLE,
        kinds=[(kind.value, plan_editor.kind_label(kind)) for kind in ActivityKind],
        kind_labels={kind.value: plan_editor.kind_label(kind) for kind in ActivityKind},
        placeholder_names={kind.value: placeholders.names_for(kind) for kind in ActivityKind},
        placeholder_help=placeholders.descriptions(),
        placeholder_values=[_placeholder_values(phase) for phase in data["phases"]],
        total=sum(p["minutes"] for p in data["phases"] if isinstance(p.get("minutes"), int | float)),
        on_expiry=list(OnExpiry),
        queue_orders=list(QueueOrder),
        speaking_orders=list(SpeakingOrder),
        card_anonymities=list(CardAnonymity),
        max_card_fields=plan_editor.MAX_CARD_FIELDS,
        source=source,
        shipped=shipped.get(exchange.template_key) if source is None else None,
        library=library.templates_for(db, programme=programme) if programme else [],
        library_form=library_form or {},
        library_errors=library_errors or {},
        may_save_server=request.state.staff.role == "lead",
    )


def _placeholder_values(phase: dict[str, object]) -> dict[str, str]:
    """What each placeholder reads as now, for the editor's hint (nothing while the phase is invalid)."""
    try:
        return placeholders.values(Phase.model_validate(phase))
    except ValueError:
        return {}


@router.post("/exchanges/{exchange_id}/plan", dependencies=[CsrfProtected])
async def plan_save(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    if exchange.status not in service.EDITABLE:
        raise HTTPException(status_code=409, detail=_("The plan is fixed once the exchange is live."))
    raw = await request.form()
    form = _form_dict(raw)
    # The page lists the phases in the order it shows them (moved or removed in place by its script).
    order = [place for place in raw.getlist("order") if isinstance(place, str)] if "ordered" in raw else None
    action = form.get("action", "save")
    verb, _sep, arg = action.partition(":")
    index = int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 3 else -1  # "²".isdigit() too
    data = None
    try:
        data = plan_editor.apply_form(service.plan_of(exchange), form, order)
        if verb == "up":
            plan_editor.move(data, index, -1)
        elif verb == "down":
            plan_editor.move(data, index, +1)
        elif verb == "remove":
            plan_editor.remove(data, index)
        elif verb == "add":
            plan_editor.add(data, kind=form.get("new_kind", ""), title=form.get("new_title", ""))
        plan = plan_editor.validate(data)
    except FormErrors as exc:
        return plan_page_for(request, db, exchange, data or exchange.plan, errors=exc.errors, status_code=400)
    service.save_plan(db, exchange=exchange, plan=plan)
    db.commit()
    moved = {"up": index - 1, "down": index + 1}.get(verb)
    if moved is not None and 0 <= moved < len(plan.phases):
        anchor = f"#phase-{moved}"
    elif verb == "add":
        anchor = f"#phase-{len(plan.phases) - 1}"
    else:
        anchor = ""
    return _see_other(f"/exchanges/{exchange_id}/plan?saved=1{anchor}")


# --- practitioners and invites ----------------------------------------------------------------


@router.post("/exchanges/{exchange_id}/participants", dependencies=[CsrfProtected])
async def participant_add(
    request: Request, exchange_id: int, db: DbSession, user: CurrentStaff, settings: AppSettings
) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    data = _form_dict(await request.form())
    try:
        participant = service.add_participant(
            db, secret=resolve_secret(settings), exchange=exchange, form=parse_form(ParticipantForm, data)
        )
    except FormErrors as exc:
        return _exchange_page(request, db, exchange, settings, status_code=400, errors=exc.errors, form=data)
    except service.NotAllowed:
        raise HTTPException(status_code=409, detail=_("This exchange has ended.")) from None
    _record_link(request, db, audit.Kind.LINK_ISSUED, user, exchange, participant)
    db.commit()
    await invite_views.email_invitation(request, db, settings, user.id, exchange, participant)  # type: ignore[arg-type]
    return _see_other(f"/exchanges/{exchange_id}?invited={participant.id}#participant-{participant.id}")


def _record_link(request: Request, db: DbSession, kind: audit.Kind, user: StaffUser, exchange: Exchange, participant: Participant) -> None:
    audit.record(
        db, kind, who=user.id, address=audit.address_of(request), programme_id=exchange.programme_id,
        exchange_id=exchange.id, detail={"participant": participant.id},
    )


def _participant_or_404(db: DbSession, exchange: Exchange, participant_id: int) -> Participant:
    participant = service.participant_in(db, exchange=exchange, participant_id=participant_id)
    if participant is None:
        raise HTTPException(status_code=404)
    return participant


def _confirmed(form: object) -> bool:
    return form.get("confirm") == "yes"  # type: ignore[attr-defined]


def _confirm_page(request: Request, exchange: Exchange, participant: Participant, action: str) -> Response:
    """What the action will do, with a button that does it and a way back; nothing has changed yet."""
    return render(request, "facilitator/confirm_link.html", exchange=exchange, participant=participant, action=action)


@router.post("/exchanges/{exchange_id}/participants/{participant_id}/revoke", dependencies=[CsrfProtected])
async def participant_revoke(
    request: Request, exchange_id: int, participant_id: int, db: DbSession, user: CurrentStaff
) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    participant = _participant_or_404(db, exchange, participant_id)
    if not _confirmed(await request.form()):
        return _confirm_page(request, exchange, participant, "revoke")
    service.revoke(db, participant=participant)
    _record_link(request, db, audit.Kind.LINK_REVOKED, user, exchange, participant)
    db.commit()
    await request.app.state.hubs.kick(exchange_id, f"p:{participant_id}")
    return _see_other(f"/exchanges/{exchange_id}#participant-{participant_id}")


@router.post("/exchanges/{exchange_id}/participants/{participant_id}/reissue", dependencies=[CsrfProtected])
async def participant_reissue(
    request: Request, exchange_id: int, participant_id: int, db: DbSession, user: CurrentStaff, settings: AppSettings
) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    participant = _participant_or_404(db, exchange, participant_id)
    in_use = participant.claimed_at is not None and participant.revoked_at is None
    form = await request.form()
    if in_use and not _confirmed(form):
        return _confirm_page(request, exchange, participant, "reissue")  # it would sign them out
    service.reissue(db, secret=resolve_secret(settings), participant=participant)
    invite_views.forget_invitation(db, participant_id)
    _record_link(request, db, audit.Kind.LINK_REISSUED, user, exchange, participant)
    db.commit()
    await request.app.state.hubs.kick(exchange_id, f"p:{participant_id}")
    if form.get("email") == "yes":  # a new link is emailed only when the facilitator asks
        await invite_views.email_invitation(request, db, settings, user.id, exchange, participant)  # type: ignore[arg-type]
    return _see_other(f"/exchanges/{exchange_id}?invited={participant_id}#participant-{participant_id}")


@router.get("/exchanges/{exchange_id}/exchange.ics")
def exchange_ics(exchange_id: int, db: DbSession, user: CurrentStaff, settings: AppSettings) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    body = ics.calendar(exchange, url=f"{settings.base_url}/exchanges/{exchange_id}")
    return ics.response(body, filename=f"exchange-{exchange_id}.ics")

