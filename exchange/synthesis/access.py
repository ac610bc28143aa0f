"""Who may see what: members of a programme (leads and facilitators) see themes, search and plots;
its leads alone curate themes, define selection levels and panels and the placement scale, and
download the report. Another programme's pages answer 404; nobody signed in is sent to log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from exchange.accounts.models import StaffRole, StaffUser
from exchange.programmes import service as programmes
from exchange.programmes.models import Programme
from sqlmodel import Session


def member_programme(db: Session, user: StaffUser, programme_id: int) -> Programme:
    programme = programmes.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    return programme


def lead_programme(db: Session, user: StaffUser, programme_id: int) -> Programme:
    """A programme the user leads (CurrentLead has already refused facilitators with 403)."""
    programme = member_programme(db, user, programme_id)
    if user.role != StaffRole.LEAD:
        raise HTTPException(status_code=403)
    return programme


def actor(user: StaffUser) -> str:
    return f"staff:{user.id}"


async def _posted(request: Request) -> FormData:
    """The posted form, read on the event loop, so the handler itself can run in a worker thread
    (grouping and folding transcripts are CPU work that must not hold the loop)."""
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]
