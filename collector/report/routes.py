"""GET /api/v1/reports/{tenant}/{month}.html | .pdf | .json: the monthly report over HTTP.

Owns: the HTTP shape of the report (the console's report button links here).
Staff (admins, analysts) may fetch any tenant's; a customer viewer only their
own — another tenant's answers 404, exactly like a tenant that does not
exist, so the answer tells nothing about who else is a customer. `lang`
(ja|en) defaults to the signed-in user's language. The answer is not cached
by shared caches (it is one customer's business). Does not own: the figures
(figures.py) or the rendering (render.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from collector.api.deps import SessionDep, StateDep
from collector.auth.deps import CurrentUser
from collector.report.figures import (
    LANGUAGES,
    MonthlyFigures,
    ReportSettings,
    monthly_figures,
    no_report,
)
from collector.report.render import figures_json, render_html, render_pdf

router = APIRouter(tags=["reports"])
BASE = "/api/v1/reports/{tenant}/{month}"
LangQuery = Annotated[str | None, Query(pattern="^(ja|en)$",
                                        description="ja or en (default: your language)")]
PRIVATE = {"Cache-Control": "private, no-store"}
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._-]")


def _figures(tenant: str, month: str, user: CurrentUser, session: SessionDep,
             state: StateDep, lang: str | None) -> MonthlyFigures:
    if not user.can_see(tenant):
        raise no_report(tenant)
    chosen = lang or (user.lang if user.lang in LANGUAGES else state.config.default_language)
    return monthly_figures(session, tenant, month, ReportSettings.from_config(state.config),
                           datetime.now(UTC), chosen)


@router.get(BASE + ".json")
def report_json(tenant: str, month: str, user: CurrentUser, session: SessionDep,
                state: StateDep, lang: LangQuery = None) -> JSONResponse:
    """Every figure of the report, as JSON (times in UTC)."""
    figures = _figures(tenant, month, user, session, state, lang)
    return JSONResponse(figures_json(figures), headers=PRIVATE)


@router.get(BASE + ".html", response_class=HTMLResponse)
def report_html(tenant: str, month: str, user: CurrentUser, session: SessionDep,
                state: StateDep, lang: LangQuery = None) -> HTMLResponse:
    """The report page (self-contained: styles and charts inline)."""
    figures = _figures(tenant, month, user, session, state, lang)
    return HTMLResponse(render_html(figures), headers=PRIVATE)


@router.get(BASE + ".pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def report_pdf(tenant: str, month: str, user: CurrentUser, session: SessionDep,
               state: StateDep, lang: LangQuery = None) -> Response:
    """The report as PDF, shown inline by the browser (saved as report-<tenant>-<month>.pdf)."""
    figures = _figures(tenant, month, user, session, state, lang)
    return Response(render_pdf(figures), media_type="application/pdf",
                    headers={**PRIVATE, **_disposition(figures)})


def _disposition(figures: MonthlyFigures) -> dict[str, Any]:
    name = f"report-{figures.tenant}-{figures.period.month}.pdf"
    fallback = _NOT_PLAIN.sub("_", name)
    # RFC 6266: an ASCII name for old clients, the UTF-8 one (Japanese tenants) for the rest.
    return {"Content-Disposition":
            f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"}
