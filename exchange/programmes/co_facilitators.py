"""Co-facilitators: several facilitators per exchange.

The one who made an exchange facilitates it; a lead of the programme, or anyone who facilitates the
exchange, adds more from the programme's facilitators. Facilitating is per exchange: the live
console steers (ws role "facilitator") only for the exchange's facilitators; the programme's other
facilitators see its pages as before, but their socket is closed (1008) and the console page is not
theirs. Which of them leads the console is live state (exchange/sessions/activities/leading.py).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from exchange.accounts.models import StaffRole, StaffUser
from exchange.deps import CsrfProtected, CurrentStaff, DbSession
from exchange.programmes import service
from exchange.i18n import _
from exchange.programmes.models import Exchange, ExchangeFacilitator, ExchangeStatus, Programme, ProgrammeMember

router = APIRouter()


def facilitates(db: Session, *, user: StaffUser, exchange: Exchange) -> bool:
    """Whether `user` runs this exchange: made it, or was added as a co-facilitator."""
    if user.id is None or exchange.id is None:
        return False
    return user.id == exchange.created_by or db.get(ExchangeFacilitator, (exchange.id, user.id)) is not None


def manages(db: Session, *, user: StaffUser, exchange: Exchange) -> bool:
    """Whether `user` may add and remove co-facilitators: a lead of the programme, or a facilitator of it."""
    member = db.get(ProgrammeMember, (exchange.programme_id, user.id))
    return member is not None and (user.role == StaffRole.LEAD or facilitates(db, user=user, exchange=exchange))


def facilitators_of(db: Session, *, exchange: Exchange) -> list[StaffUser]:
    """Who facilitates the exchange: its maker first, then the co-facilitators by name."""
    maker = db.get(StaffUser, exchange.created_by)
    query = (
        select(StaffUser)
        .join(ExchangeFacilitator, col(ExchangeFacilitator.user_id) == col(StaffUser.id))
        .where(ExchangeFacilitator.exchange_id == exchange.id)
        .order_by(col(StaffUser.name))
    )
    others = [u for u in db.exec(query) if u.id != exchange.created_by]
    return [*([maker] if maker is not None else []), *others]


def candidates(db: Session, *, exchange: Exchange) -> list[StaffUser]:
    """The programme's facilitators who don't facilitate the exchange yet."""
    running = {u.id for u in facilitators_of(db, exchange=exchange)}
    programme = db.get(Programme, exchange.programme_id)
    if programme is None:
        return []
    return [
        u for u in service.members_of(db, programme=programme)
        if u.id not in running and u.role == StaffRole.FACILITATOR
    ]  # fmt: skip


def panel(db: Session, *, user: StaffUser, exchange: Exchange) -> dict[str, object]:
    """What the exchange page shows of its facilitators."""
    may = manages(db, user=user, exchange=exchange) and exchange.status != ExchangeStatus.ENDED
    return {
        "people": facilitators_of(db, exchange=exchange),
        "maker": exchange.created_by,
        "candidates": candidates(db, exchange=exchange) if may else [],
        "may_manage": may,
        "console": user.role == StaffRole.LEAD or facilitates(db, user=user, exchange=exchange),
    }


def _exchange_to_manage(db: Session, user: StaffUser, exchange_id: int) -> Exchange:
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
    if exchange is None:
        raise HTTPException(status_code=404)
    if not manages(db, user=user, exchange=exchange):
        raise HTTPException(status_code=403)
    if exchange.status == ExchangeStatus.ENDED:
        raise HTTPException(status_code=409)
    return exchange


def _user_id(raw: object) -> int | None:
    text = raw if isinstance(raw, str) else ""
    return int(text) if text.isdigit() and len(text) <= 18 else None


@router.post("/exchanges/{exchange_id}/facilitators", dependencies=[CsrfProtected])
async def add(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """Add one of the programme's facilitators to the exchange (400: not one of them, or already in)."""
    exchange = _exchange_to_manage(db, user, exchange_id)
    chosen = _user_id((await request.form()).get("user_id"))
    allowed = {u.id: u for u in candidates(db, exchange=exchange)}
    if chosen is None or chosen not in allowed:
        raise HTTPException(status_code=400, detail=_("Choose one of the programme's facilitators."))
    assert exchange.id is not None and user.id is not None
    db.add(ExchangeFacilitator(exchange_id=exchange.id, user_id=chosen, added_by=user.id))
    db.commit()
    return RedirectResponse(f"/exchanges/{exchange_id}#facilitators-h", status_code=303)


@router.post("/exchanges/{exchange_id}/facilitators/{user_id}/remove", dependencies=[CsrfProtected])
async def remove(request: Request, exchange_id: int, user_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """Take a co-facilitator off the exchange; their live console closes (the maker stays)."""
    exchange = _exchange_to_manage(db, user, exchange_id)
    row = db.get(ExchangeFacilitator, (exchange_id, user_id)) if service.valid_id(user_id) else None
    if row is None:
        raise HTTPException(status_code=404)
    db.delete(row)
    db.commit()
    await request.app.state.hubs.kick(exchange_id, f"staff:{user_id}")
    return RedirectResponse(f"/exchanges/{exchange_id}#facilitators-h", status_code=303)
