"""The method library: plans saved as templates for a programme or the whole server, in versions.

A programme's members see its own templates and the server-wide ones, never another programme's.
Any member saves for the programme; only leads save for the whole server. Saving again makes a new
version; a version never changes, and an exchange records the version it copied. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from exchange.accounts.models import StaffRole, StaffUser
from exchange.programmes.models import PlanTemplate, PlanTemplateVersion, Programme, TemplateScope
from exchange.programmes.service import NotAllowed, valid_id
from exchange.prompts.models import PhasePlan


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version as the pages list it."""

    id: int
    number: int
    plan: PhasePlan
    note: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """A template with its versions, newest first."""

    template: PlanTemplate
    versions: tuple[VersionInfo, ...]

    @property
    def latest(self) -> VersionInfo:
        return self.versions[0]


def may_save(user: StaffUser, scope: TemplateScope) -> bool:
    """Leads decide what the whole server shares; any member saves for their programme."""
    return scope is TemplateScope.PROGRAMME or user.role == StaffRole.LEAD


def _visible(programme: Programme):  # noqa: ANN202 - a SQL condition
    return or_(
        col(PlanTemplate.scope) == TemplateScope.SERVER.value,
        col(PlanTemplate.programme_id) == programme.id,
    )


def templates_for(db: Session, *, programme: Programme) -> list[LibraryEntry]:
    """The templates a programme's members may use: the server's and the programme's own, by title."""
    templates = list(
        db.exec(select(PlanTemplate).where(_visible(programme)).order_by(col(PlanTemplate.title), col(PlanTemplate.id)))
    )
    if not templates:
        return []
    ids = [t.id for t in templates]
    rows = db.exec(
        select(PlanTemplateVersion, StaffUser.name)
        .join(StaffUser, col(StaffUser.id) == col(PlanTemplateVersion.created_by))
        .where(col(PlanTemplateVersion.template_id).in_(ids))
        .order_by(col(PlanTemplateVersion.number).desc())
    )
    versions: dict[int, list[VersionInfo]] = {}
    for version, author in rows:
        versions.setdefault(version.template_id, []).append(_info(version, author))
    return [LibraryEntry(t, tuple(versions[t.id])) for t in templates if t.id in versions]  # type: ignore[index]


def _info(version: PlanTemplateVersion, author: str) -> VersionInfo:
    assert version.id is not None
    return VersionInfo(
        id=version.id,
        number=version.number,
        plan=PhasePlan.model_validate(version.plan),
        note=version.note,
        author=author,
        created_at=version.created_at,
    )


def template_in(db: Session, *, programme: Programme, template_id: int) -> PlanTemplate | None:
    """The template if the programme's members may see it; None otherwise (the caller answers 404)."""
    template = db.get(PlanTemplate, template_id) if valid_id(template_id) else None
    if template is None:
        return None
    visible = template.scope == TemplateScope.SERVER or template.programme_id == programme.id
    return template if visible else None


def version_in(db: Session, *, programme: Programme, version_id: int) -> PlanTemplateVersion | None:
    """A version of a template the programme's members may see; None otherwise."""
    version = db.get(PlanTemplateVersion, version_id) if valid_id(version_id) else None
    if version is None or template_in(db, programme=programme, template_id=version.template_id) is None:
        return None
    return version


def latest_version(db: Session, *, template: PlanTemplate) -> PlanTemplateVersion | None:
    query = (
        select(PlanTemplateVersion)
        .where(PlanTemplateVersion.template_id == template.id)
        .order_by(col(PlanTemplateVersion.number).desc())
        .limit(1)
    )
    return db.exec(query).first()


def save_new(
    db: Session, *, user: StaffUser, programme: Programme, scope: TemplateScope, title: str, plan: PhasePlan, note: str = ""
) -> PlanTemplateVersion:
    """A new template, as version 1 of the plan."""
    if not may_save(user, scope):
        raise NotAllowed("only leads save templates for the whole server")
    assert user.id is not None
    template = PlanTemplate(
        scope=scope,
        programme_id=programme.id if scope is TemplateScope.PROGRAMME else None,
        title=title,
        created_by=user.id,
    )
    db.add(template)
    db.flush()
    return _add_version(db, user=user, template=template, plan=plan, note=note, number=1)


def save_version(
    db: Session, *, user: StaffUser, programme: Programme, template: PlanTemplate, plan: PhasePlan, note: str = ""
) -> PlanTemplateVersion:
    """The plan as the next version of a template the programme sees (the earlier versions stay)."""
    if template_in(db, programme=programme, template_id=template.id or 0) is None:
        raise NotAllowed("that template is not in this programme's library")
    if not may_save(user, TemplateScope(template.scope)):
        raise NotAllowed("only leads save versions of server-wide templates")
    last = db.exec(
        select(func.max(PlanTemplateVersion.number)).where(PlanTemplateVersion.template_id == template.id)
    ).one()
    return _add_version(db, user=user, template=template, plan=plan, note=note, number=(last or 0) + 1)


def _add_version(
    db: Session, *, user: StaffUser, template: PlanTemplate, plan: PhasePlan, note: str, number: int
) -> PlanTemplateVersion:
    assert template.id is not None and user.id is not None
    version = PlanTemplateVersion(
        template_id=template.id, number=number, plan=plan.model_dump(mode="json"), note=note, created_by=user.id
    )
    db.add(version)
    db.flush()  # a version saved at the same moment by someone else fails here, on the unique number
    return version


def source_of(db: Session, *, version_id: int | None) -> tuple[PlanTemplate, PlanTemplateVersion] | None:
    """The template and version an exchange's plan was copied from, if it came from the library."""
    version = db.get(PlanTemplateVersion, version_id) if version_id else None
    template = db.get(PlanTemplate, version.template_id) if version else None
    return (template, version) if template and version else None
