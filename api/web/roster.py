"""The roster import page: paste a CSV, see what it would change (role changes
highlighted), confirm. The confirmation carries the preview's token; the service refuses it
when the file or the course's roster changed in between."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.services.roster import COLUMNS
from api.web.deps import CurrentViewer, FormViewer, Source
from api.web.errors import PageRoute
from api.web.render import page
from core.errors import NotFound

router = APIRouter(prefix="/courses/{course_id}/staff/roster", route_class=PageRoute)

CsvText = Annotated[str, Form(min_length=1, max_length=2**20)]  # a pasted roster: 1 MiB


@router.get("")
def roster_form(request: Request, course_id: int, viewer: CurrentViewer, source: Source,
                done: str = "") -> Response:
    if source.role(viewer, course_id) not in ("teacher", "assistant"):
        raise NotFound("course")
    return page(request, "roster.html", course_id=course_id, columns=COLUMNS, preview=None,
                done=done)


@router.post("/preview")
def roster_preview(request: Request, course_id: int, viewer: FormViewer, source: Source,
                   csv_text: CsvText) -> Response:
    preview = source.roster_preview(viewer, course_id, csv_text)
    return page(request, "roster.html", course_id=course_id, columns=COLUMNS,
                preview=preview, done="")


@router.post("")
def roster_import(course_id: int, viewer: FormViewer, source: Source, csv_text: CsvText,
                  token: Annotated[str, Form(min_length=1)]) -> Response:
    report = source.import_roster(viewer, course_id, csv_text, token)
    return RedirectResponse(f"/courses/{course_id}/staff/roster?done={quote(report)}",
                            status_code=303)
