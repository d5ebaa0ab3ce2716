"""Submitting solutions and reading their results."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api import schemas
from api.db import Submission
from api.deps import (
    CurrentAssignment,
    CurrentSubmission,
    SessionDep,
    SettingsDep,
    SubmitAssignment,
    Submitter,
)
from api.errors import InvalidInput, errors_of
from api.queue import dispatch_all
from api.services.idempotency import HEADER, checked_key, once, remember
from api.services.submit import limits, stage
from api.services.uploads import read_parts, unreadable_form
from api.services.views import submission_view
from core.errors import Forbidden
from core.submission import UploadLimits

router = APIRouter(tags=["submissions"])


async def _read_parts(request: Request, upload_limits: UploadLimits) -> list[tuple[str, bytes]]:
    """The uploaded files, read only now: after the caller and the assignment were checked
    (the route declares no body parameter, so nothing was read before its dependencies)."""
    try:
        async with request.form(max_files=upload_limits.max_files + 1, max_fields=10) as form:
            files = [v for k, v in form.multi_items() if k == "files"]
            if not files or not all(isinstance(f, UploadFile) for f in files):
                raise InvalidInput("files", "send the solution as multipart form field 'files'")
            return await read_parts([f for f in files if isinstance(f, UploadFile)],
                                    upload_limits)
    except HTTPException as error:  # the parser gave up (more files than it may read)
        if error.status_code != 400:  # the body limit's 413 stays what it is
            raise
        raise unreadable_form(str(error.detail), upload_limits) from None


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "description": "the solution's files, or one .zip",
                             "items": {"type": "string", "format": "binary"}}}}}}},
    "parameters": [{"name": HEADER, "in": "header", "required": False,
                    "description": "names this upload: a retry with the same key returns the "
                                   "first submission instead of storing a second",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:~+/=-]{8,200}$"}}]}


@router.post("/assignments/{assignment_id}/submissions",
             response_model=schemas.SubmissionPublic, status_code=201,
             openapi_extra=UPLOAD_BODY, responses=errors_of(400, 409))
async def create_submission(
    access: SubmitAssignment,
    principal: Submitter,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> schemas.SubmissionPublic:
    """Upload a solution (multipart ``files``: several files or one zip). The server's clock
    decides lateness; grading runs in the background. With an ``Idempotency-Key`` header a
    retried upload returns the first submission instead of storing a second one."""
    if principal.user.id != access.member.user.id:  # pragma: no cover - same principal
        raise Forbidden("submit as yourself")
    key = checked_key(request.headers.get(HEADER))
    parts = await _read_parts(request, limits(settings))
    user, assignment = principal.user, access.assignment

    def create() -> schemas.SubmissionPublic:
        staged = stage(session, user, assignment, parts, settings)
        if key is not None:
            remember(session, user.id, assignment.id, key, staged.submission.id)
        # The reply is built in the same transaction, from what was just written (one
        # query, for extensions), then the rows are committed and only then published.
        shown = submission_view(session, staged.submission, assignment, staff=False,
                                new_files=staged.files)
        session.commit()
        dispatch_all(request.app.state.dispatcher, staged.jobs)
        return shown

    def accept() -> schemas.SubmissionPublic:  # blocking I/O: off the event loop
        return once(session, user.id, assignment.id, key, create,
                    lambda first: submission_view(session, first, assignment, staff=False))

    return await run_in_threadpool(accept)


@router.get("/assignments/{assignment_id}/submissions",
            response_model=list[schemas.SubmissionStaff | schemas.SubmissionPublic])
def list_submissions(access: CurrentAssignment, session: SessionDep,
                     user_id: int | None = None) -> list[schemas.SubmissionPublic]:
    """The caller's submissions of the assignment (staff: everyone's, or ``user_id``'s)."""
    staff = access.member.is_staff
    query = select(Submission).where(Submission.assignment_id == access.assignment.id)
    if not staff:
        query = query.where(Submission.user_id == access.member.user.id)
    elif user_id is not None:
        query = query.where(Submission.user_id == user_id)
    rows = session.scalars(query.order_by(Submission.submitted_at.desc(), Submission.id.desc()))
    return [submission_view(session, s, access.assignment, staff=staff) for s in rows]


@router.get("/submissions/{submission_id}",
            response_model=schemas.SubmissionStaff | schemas.SubmissionPublic)
def get_submission(access: CurrentSubmission, session: SessionDep) -> schemas.SubmissionPublic:
    """Status and results of one submission. Students: their own only, hidden tests as
    pass/fail; staff get `SubmissionStaff` (details, history, our errors)."""
    return submission_view(session, access.submission, access.assignment,
                           staff=access.member.is_staff)
