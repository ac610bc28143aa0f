"""The programme report for funding partners: one page, as HTML and as a PDF made by WeasyPrint
on this server (nothing is fetched while it is made)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exchange.deps import AppSettings, CurrentLead, DbSession
from exchange.synthesis import service
from exchange.synthesis.access import lead_programme
from exchange.synthesis.placement_views import plots_for
from exchange.synthesis.report import build_report
from exchange.synthesis.selection import panel_views
from exchange.synthesis.text import category_labels
from exchange.templating import page_language, WEB_DIR, templates
from exchange.timeutil import utcnow

router = APIRouter()
REPORT_CSS = WEB_DIR / "static" / "css" / "report.css"


def _report(request: Request, db: DbSession, programme, settings):  # noqa: ANN001, ANN202
    from exchange.synthesis.theming import themes_for  # scikit-learn loads on the first use

    store = request.app.state.hubs.store
    sources = service.sources_of(db, store, programme)
    log = service.log_of(db, programme_id=programme.id)
    grouping = themes_for(service.all_items(sources), log.kept, choice=settings.themes_embedder, seed=settings.themes_seed)
    stories = service.stories_of(sources)
    choices = [c for s in sources for c in s.choices]
    views = panel_views(log, choices, stories, {s.exchange.id: s.exchange.title for s in sources})
    return build_report(
        programme=programme.name, description=programme.description, generated_at=utcnow(),
        transcripts=[s.transcript for s in sources], themes=grouping.themes, unassigned=len(grouping.unassigned),
        exchange_choices=choices, panels=views, plots=plots_for(programme.id, log, stories, links=False), stories=stories,
    )  # fmt: skip


def _html(request: Request, report, *, pdf: bool) -> str:  # noqa: ANN001
    template = templates.env.get_template("synthesis/report.html")
    return template.render(request=request, report=report, pdf=pdf, categories=category_labels(),
                           css=REPORT_CSS.read_text(encoding="utf-8") if pdf else None,
                           **page_language())  # fmt: skip


def _headers(filename: str) -> dict[str, str]:
    return {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{filename}"'}  # fmt: skip


@router.get("/programmes/{programme_id}/report")
def report_page(request: Request, programme_id: int, db: DbSession, user: CurrentLead, settings: AppSettings) -> Response:
    programme = lead_programme(db, user, programme_id)
    body = _html(request, _report(request, db, programme, settings), pdf=False)
    return Response(body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})


@router.get("/programmes/{programme_id}/report.pdf")
async def report_pdf(request: Request, programme_id: int, db: DbSession, user: CurrentLead, settings: AppSettings) -> Response:
    programme = await run_in_threadpool(lead_programme, db, user, programme_id)
    report = await run_in_threadpool(_report, request, db, programme, settings)
    html = _html(request, report, pdf=True)
    pdf = await run_in_threadpool(render_pdf, html)
    return Response(pdf, media_type="application/pdf", headers=_headers(f"programme-{programme_id}-report.pdf"))


def render_pdf(html: str) -> bytes:
    """The report as PDF; its stylesheet is inline and every URL it names is refused (no fetching)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class Offline(URLFetcher):
        def fetch(self, url, headers=None):  # noqa: ANN001, ANN202
            raise ValueError("the report fetches nothing")

    return HTML(string=html, base_url=None, url_fetcher=Offline()).write_pdf()
