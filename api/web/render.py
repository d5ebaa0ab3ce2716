"""The Jinja2 environment of the pages (autoescaped) and the error page responses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.db.enums import EvaluationStatus
from api.services.views import AssignmentStatus
from api.web import charts, present
from api.web.views import RegradeState
from core import text
from core.verdicts import Verdict

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
_env = templates.env
_env.autoescape = True
_env.trim_blocks = True
_env.lstrip_blocks = True
_env.filters["pts"] = present.fmt_points
_env.filters["in_zone"] = present.in_zone
_env.globals["countdown"] = present.countdown
_env.globals["highlight"] = present.highlight
_env.globals["gradebook_cells"] = present.gradebook_cells
_env.globals["outcome"] = present.outcome
_env.globals["diff_files"] = present.diff_files
_env.filters["sentence"] = present.sentence
_env.filters["about"] = present.about
_env.globals["plural"] = text.plural
_env.globals["noun"] = text.noun
_env.globals["bar_chart"] = charts.bar_chart
# States compared in templates by their enums, never by bare strings.
_env.globals["EvaluationStatus"] = EvaluationStatus
_env.globals["AssignmentStatus"] = AssignmentStatus
_env.globals["RegradeState"] = RegradeState
_env.globals["OURS_TEXT"] = Verdict.SYSTEM_ERROR.long_text  # the one "our fault" text
_env.filters["article"] = present.article
_env.filters["duration"] = present.duration
_env.filters["seconds_span"] = present.seconds_span


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


_env.filters["iso"] = _iso


# Scripts only from our origin (no inline script anywhere); inline style attributes carry the
# bar widths. No framing, forms post only here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a full page (or a fragment) with the common context."""
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    return templates.TemplateResponse(request, template, context, status_code=status_code,
                                      headers=SECURITY_HEADERS)


ERRORS: dict[int, tuple[str, str]] = {
    400: ("That request could not be used", "Check the form and try again."),
    403: (
        "Your session form expired",
        "The page was open too long or came from elsewhere. Go back, reload it and try again.",
    ),
    404: (
        "Page not found",
        "This page does not exist, or your account cannot see it. Check the address, or go "
        "back to your courses.",
    ),
    409: ("That cannot be done now", "Someone changed this in the meantime; reload the page."),
    413: ("The upload is too large", "See the assignment page for the limits on files."),
    429: ("Not now", "See above when it is possible again; the assignment page shows your "
          "submission limit."),
    500: (
        "Something went wrong on our side",
        "It is not your fault. Try again in a minute; if it persists, tell the course staff.",
    ),
}


NOT_FOR_YOUR_ROLE = ("Not allowed for your role",
                     "Your role does not allow this (the reason is below); ask someone whose "
                     "role does, such as one of the course's teachers.")


def error_page(request: Request, status: int, detail: str = "",
               words: tuple[str, str] | None = None) -> HTMLResponse:
    """The error page: what happened and what to do; never whether an object exists."""
    title, advice = words or ERRORS.get(status, ERRORS[400])
    return page(
        request, "error.html", status_code=status, status=status, title=title,
        advice=advice, detail=detail,
    )
