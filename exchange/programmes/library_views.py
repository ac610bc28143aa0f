"""The method library's pages: a programme's templates, saving a plan as a template, plan files in and out.

Thin: forms in, `library` and `document` do the work, a page or a file out.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData, UploadFile

from exchange.deps import CsrfProtected, CurrentStaff, DbSession
from exchange.i18n import _
from exchange.programmes import library, service
from exchange.programmes.forms import FormErrors, parse_form
from exchange.programmes.models import Exchange, PlanTemplate, Programme, TemplateScope
from exchange.programmes.views import plan_page_for
from exchange.prompts import document
from exchange.prompts.catalog import PlanFileError, get_template, list_templates
from exchange.prompts.models import PhasePlan
from exchange.templating import render

router = APIRouter()

TemplateTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class SaveForm(BaseModel):
    """Where a plan goes in the library: a new template (with a title and scope) or a new version of one."""

    model_config = ConfigDict(extra="ignore")

    target: str = "new"  # "new", or a template's id
    template_title: TemplateTitle = ""
    scope: TemplateScope = TemplateScope.PROGRAMME
    note: Note = ""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _programme_or_404(db: DbSession, user: CurrentStaff, programme_id: int) -> Programme:
    programme = service.programme_for(db, user=user, programme_id=programme_id)
    if programme is None:
        raise HTTPException(status_code=404)
    return programme


def _exchange_or_404(db: DbSession, user: CurrentStaff, exchange_id: int) -> Exchange:
    exchange = service.exchange_for(db, user=user, exchange_id=exchange_id)
    if exchange is None:
        raise HTTPException(status_code=404)
    return exchange


def _file_name(plan: PhasePlan, suffix: str = "") -> str:
    safe = re.sub(r"[^a-z0-9-]", "", plan.key) or "plan"
    return f"plan-{safe}{suffix}.json"


def _plan_file(request: Request, plan: PhasePlan, suffix: str = "") -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{_file_name(plan, suffix)}"'}
    schema_url = str(request.url_for("plan_schema"))
    return Response(document.export_text(plan, schema_url=schema_url), media_type="application/json", headers=headers)


def _save(db, user, programme, plan, form: SaveForm) -> library.PlanTemplateVersion:  # noqa: ANN001
    """The plan into the library as the form says; FormErrors for the form's fields."""
    if form.target == "new":
        if not library.may_save(user, form.scope):
            raise FormErrors({"scope": _("Only programme leads save templates for the whole server.")})
        title = form.template_title or plan.title
        return library.save_new(db, user=user, programme=programme, scope=form.scope, title=title, plan=plan, note=form.note)
    template_id = int(form.target) if form.target.isascii() and form.target.isdigit() and len(form.target) <= 10 else 0
    template = library.template_in(db, programme=programme, template_id=template_id)
    if template is None:
        raise FormErrors({"target": _("Choose a template from the list.")})
    if not library.may_save(user, TemplateScope(template.scope)):
        raise FormErrors({"target": _("Only programme leads save new versions of a template shared across the server.")})
    return library.save_version(db, user=user, programme=programme, template=template, plan=plan, note=form.note)


def _saved_at(db: DbSession, version: library.PlanTemplateVersion) -> str:
    template = db.get(PlanTemplate, version.template_id)
    return f"saved={version.number}&template={template.id if template else ''}"


# --- the library page -------------------------------------------------------------------------


def _library_page(request, db, programme, *, status_code=200, form=None, errors=None):  # noqa: ANN001, ANN202
    entries = library.templates_for(db, programme=programme)
    saved_template = request.query_params.get("template", "")
    return render(
        request,
        "programme/library.html",
        status_code=status_code,
        programme=programme,
        shipped=list_templates(),
        server=[e for e in entries if e.template.scope == TemplateScope.SERVER],
        own=[e for e in entries if e.template.scope == TemplateScope.PROGRAMME],
        entries=entries,
        saved=saved if (saved := request.query_params.get("saved", "")).isdigit() and len(saved) <= 6 else "",
        saved_template=int(saved_template) if saved_template.isdigit() and len(saved_template) <= 10 else None,
        may_save_server=request.state.staff.role == "lead",
        form=form or {},
        errors=errors or {},
    )


@router.get("/programmes/{programme_id}/library")
def library_page(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    return _library_page(request, db, _programme_or_404(db, user, programme_id))


@router.get("/programmes/{programme_id}/library/versions/{version_id}/plan.json")
def library_version_file(request: Request, programme_id: int, version_id: int, db: DbSession, user: CurrentStaff) -> Response:
    programme = _programme_or_404(db, user, programme_id)
    version = library.version_in(db, programme=programme, version_id=version_id)
    if version is None:
        raise HTTPException(status_code=404)
    return _plan_file(request, PhasePlan.model_validate(version.plan), f"-v{version.number}")


@router.get("/programmes/{programme_id}/library/shipped/{key}/plan.json")
def shipped_file(request: Request, programme_id: int, key: str, db: DbSession, user: CurrentStaff) -> Response:
    _programme_or_404(db, user, programme_id)
    try:
        plan = get_template(key)
    except KeyError:
        raise HTTPException(status_code=404) from None
    return _plan_file(request, plan)


async def _uploaded_plan(raw: FormData) -> PhasePlan:
    """The plan in the form's uploaded file; FormErrors naming what is wrong with it."""
    upload = raw.get("plan_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise FormErrors({"plan_file": _("Choose a plan file (.json) to import.")})
    content = await upload.read(document.MAX_FILE_BYTES + 1)
    try:
        return document.import_bytes(content, upload.filename or "plan.json")
    except PlanFileError as exc:
        raise FormErrors({"plan_file": _("This file can't be imported:") + " " + "; ".join(exc.problems)}) from None


@router.post("/programmes/{programme_id}/library/import", dependencies=[CsrfProtected])
async def library_import(request: Request, programme_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """A plan file becomes a template (or a new version of one) in this programme's library."""
    programme = _programme_or_404(db, user, programme_id)
    raw = await request.form()
    fields = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        plan = await _uploaded_plan(raw)
        version = _save(db, user, programme, plan, parse_form(SaveForm, fields))
        db.commit()
    except FormErrors as exc:
        db.rollback()
        return _library_page(request, db, programme, status_code=400, form=fields, errors=exc.errors)
    except IntegrityError:
        db.rollback()
        errors = {"target": _("Someone saved a version of this template at the same moment. Please try again.")}
        return _library_page(request, db, programme, status_code=409, form=fields, errors=errors)
    return _see_other(f"/programmes/{programme_id}/library?{_saved_at(db, version)}#template-{version.template_id}")


# --- an exchange's plan to and from the library -----------------------------------------------


@router.get("/exchanges/{exchange_id}/plan.json")
def exchange_plan_file(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    exchange = _exchange_or_404(db, user, exchange_id)
    return _plan_file(request, service.plan_of(exchange))


@router.post("/exchanges/{exchange_id}/plan/template", dependencies=[CsrfProtected])
async def exchange_plan_to_library(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """Save the exchange's plan (as last saved) as a template, or as a new version of one."""
    exchange = _exchange_or_404(db, user, exchange_id)
    programme = _programme_or_404(db, user, exchange.programme_id)
    fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        version = _save(db, user, programme, service.plan_of(exchange), parse_form(SaveForm, fields))
        db.commit()
    except FormErrors as exc:
        db.rollback()
        return plan_page_for(
            request, db, exchange, exchange.plan, status_code=400, library_form=fields, library_errors=exc.errors
        )
    except IntegrityError:
        db.rollback()
        errors = {"target": _("Someone saved a version of this template at the same moment. Please try again.")}
        return plan_page_for(request, db, exchange, exchange.plan, status_code=409, library_form=fields, library_errors=errors)
    return _see_other(f"/programmes/{programme.id}/library?{_saved_at(db, version)}#template-{version.template_id}")


@router.post("/exchanges/{exchange_id}/plan/import", dependencies=[CsrfProtected])
async def exchange_plan_import(request: Request, exchange_id: int, db: DbSession, user: CurrentStaff) -> Response:
    """Replace the plan of an exchange that has not started with the plan in a file."""
    exchange = _exchange_or_404(db, user, exchange_id)
    if exchange.status not in service.EDITABLE:
        raise HTTPException(status_code=409, detail=_("The plan is fixed once the exchange is live."))
    try:
        plan = await _uploaded_plan(await request.form())
    except FormErrors as exc:
        return plan_page_for(request, db, exchange, exchange.plan, status_code=400, library_errors=exc.errors)
    service.save_plan(db, exchange=exchange, plan=plan)
    exchange.template_version_id = None  # the plan no longer comes from a library version
    exchange.template_key = plan.key
    db.commit()
    return _see_other(f"/exchanges/{exchange_id}/plan?saved=imported")


# --- the published schema ---------------------------------------------------------------------


@router.get("/plan.schema.json")
def plan_schema() -> Response:
    """The JSON Schema a plan file follows (public: another server or an editor may fetch it)."""
    return Response(document.schema_text(), media_type="application/schema+json")
