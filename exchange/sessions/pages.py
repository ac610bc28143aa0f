"""The facilitator's live console page. Its content arrives over the websocket; this serves the shell."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from exchange.deps import CurrentStaff, DbSession
from exchange.accounts.models import StaffRole
from exchange.programmes import co_facilitators, service
from exchange.programmes.views import stories_deleted
from exchange.prompts import translate
from exchange.templating import render

router = APIRouter()


@router.get("/exchanges/{exchange_id}/console")
def console(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
    if exchange is None or not (user.role == StaffRole.LEAD or co_facilitators.facilitates(db, user=user, exchange=exchange)):
        raise HTTPException(status_code=404)  # the programme's other facilitators don't run this one
    if exchange.purged_at is not None:
        return stories_deleted(request, exchange)
    return render(
        request,
        "facilitator/console.html",
        exchange=exchange,
        plan=translate.plan(service.plan_of(exchange)),  # shown before the start: in the viewer's language
        plan_text=translate.live_texts(service.plan_of(exchange)),
        participants=service.participants_of(db, exchange=exchange),
        facilitators=[
            {"id": f"staff:{person.id}", "name": person.name}
            for person in co_facilitators.facilitators_of(db, exchange=exchange)
        ],
    )
