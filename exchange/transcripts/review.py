"""The teller's review: a practitioner sees what the record holds of them and changes it.

From their own page, during the exchange and after it: how the record names them, which of their
contributions stay off the record, withdrawing a story, and the download of their contributions.
Contributions change through the exchange's hub like any other command (so the change is an event
in the log and every open page sees it); the naming choice is the roster's.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from exchange import audit
from exchange.deps import CsrfProtected, DbSession, OptionalParticipant
from exchange.i18n import _
from exchange.programmes import service
from exchange.programmes.models import Consent, Exchange, Participant
from exchange.sessions.activities.base import Rejected
from exchange.sessions.activities.record_data import SetOffRecord
from exchange.sessions.activities.stories_data import WithdrawStory
from exchange.sessions.commands import Actor, Role
from exchange.synthesis.placement_views import record_section
from exchange.templating import render
from exchange.transcripts import build, markdown
from exchange.transcripts.own import OwnRecord, own_record
from exchange.transcripts.service import meta_of, release_at, roster_of
from exchange.transcripts.text import CONTRIBUTION_LABELS, standing_labels
from exchange.transcripts.views import download

router = APIRouter()

#: What a practitioner may do to one of their contributions, from the review page.
ITEM_ACTIONS = frozenset({"off", "on", "withdraw"})


def _own_exchange(db: Session, participant: Participant | None, exchange_id: int) -> Exchange:
    """The practitioner's own exchange; 404 for anyone else, as every practitioner page answers."""
    exchange = db.get(Exchange, exchange_id) if service.valid_id(exchange_id) else None
    if participant is None or exchange is None or participant.exchange_id != exchange.id:
        raise HTTPException(status_code=404)
    return exchange


def _own(request: Request, db: Session, exchange: Exchange, participant: Participant) -> OwnRecord:
    """Built from the whole log: their own anonymous cards are theirs to see; nobody else's are here."""
    envelopes = request.app.state.hubs.store.read_sync(exchange.id)
    folded = build.fold(exchange.id or 0, envelopes)
    return own_record(folded, f"p:{participant.id}", roster_of(db, exchange))


def _page(request: Request, db: Session, exchange: Exchange, participant: Participant, *,
          status_code: int = 200, error: str | None = None, confirm: str | None = None) -> Response:  # fmt: skip
    own = _own(request, db, exchange, participant)
    meta = meta_of(db, exchange)
    return render(
        request,
        "participant/record.html",
        status_code=status_code,
        exchange=exchange,
        participant=participant,
        own=own,
        draft=meta.draft,
        release_at=release_at(exchange),
        consents=list(Consent),
        initials=service.display_initials(participant.name),
        kinds=CONTRIBUTION_LABELS,
        standings=standing_labels(),
        saved=request.query_params.get("saved"),
        error=error,
        confirm=next((item for item in own.items if item.id == confirm and item.can_withdraw), None),
        synthesis=record_section(request, db, exchange, participant),
    )


@router.get("/e/{exchange_id}/record")
def record_page(request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    exchange = _own_exchange(db, participant, exchange_id)
    assert participant is not None
    return _page(request, db, exchange, participant)


@router.post("/e/{exchange_id}/record/naming", dependencies=[CsrfProtected])
async def change_naming(request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    """How the record names them: every export made from now on follows it."""
    exchange = await run_in_threadpool(_own_exchange, db, participant, exchange_id)
    assert participant is not None
    choice = (await request.form()).get("consent")
    if choice not in {c.value for c in Consent}:
        message = _("Please choose how you would like to appear in the record.")
        return await run_in_threadpool(lambda: _page(request, db, exchange, participant, status_code=400, error=message))

    def save() -> None:
        participant.consent = Consent(str(choice))
        db.add(participant)
        db.commit()

    await run_in_threadpool(save)
    return RedirectResponse(f"/e/{exchange_id}/record?saved=naming#naming", status_code=303)


@router.post("/e/{exchange_id}/record/items", dependencies=[CsrfProtected])
async def change_item(request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    """Keep one of their contributions off the record, bring it back, or withdraw a story (confirmed)."""
    exchange = await run_in_threadpool(_own_exchange, db, participant, exchange_id)
    assert participant is not None
    form = await request.form()
    action, item_id = str(form.get("action", "")), str(form.get("item_id", ""))
    try:
        if action not in ITEM_ACTIONS:
            raise ValueError(action)
        if action == "withdraw":
            if form.get("confirm") != "yes":  # asked once more, on the page, before anything changes
                return await run_in_threadpool(lambda: _page(request, db, exchange, participant, confirm=item_id))
            command: SetOffRecord | WithdrawStory = WithdrawStory(story_id=item_id)
        else:
            command = SetOffRecord(item_id=item_id, off_record=action == "off")
    except (ValueError, ValidationError):
        message = _("That change isn't possible. Nothing was changed.")
        return await run_in_threadpool(lambda: _page(request, db, exchange, participant, status_code=400, error=message))
    hubs = request.app.state.hubs
    hub = await hubs.get(exchange_id)
    try:
        actor = Actor(role=Role.PARTICIPANT, id=f"p:{participant.id}", name=participant.name)
        outcome = await hub.submit(command, actor)
    finally:
        await hubs.release(hub)
    if isinstance(outcome, Rejected):
        return await run_in_threadpool(
            lambda: _page(request, db, exchange, participant, status_code=400, error=outcome.message)
        )
    return RedirectResponse(f"/e/{exchange_id}/record?saved={action}#item-{item_id}", status_code=303)


@router.get("/e/{exchange_id}/my-contributions.md")
def my_contributions(request: Request, exchange_id: int, db: DbSession, participant: OptionalParticipant) -> Response:
    """Their own contributions, where each stands in the record, as a file to keep."""
    exchange = _own_exchange(db, participant, exchange_id)
    assert participant is not None
    body = markdown.render_own(meta_of(db, exchange), _own(request, db, exchange, participant))
    audit.record(
        db, audit.Kind.EXPORT_OWN, who=f"p:{participant.id}", address=audit.address_of(request),
        programme_id=exchange.programme_id, exchange_id=exchange_id,
    )
    db.commit()
    return download(body, "md", f"exchange-{exchange_id}-my-contributions.md")
