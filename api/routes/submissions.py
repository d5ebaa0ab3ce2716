"""Submitting solutions and reading their results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api import schemas
from api.db import Submission
from api.deps import CurrentAssignment, CurrentSubmission, SessionDep, SettingsDep, Submitter
from api.queue import dispatch_all
from api.services.submit import limits, stage
from api.services.uploads import read_parts
from api.services.views import submission_view
from core.errors import Forbidden

router = APIRouter(tags=["submissions"])


@router.post("/assignments/{assignment_id}/submissions",
             response_model=schemas.SubmissionPublic, status_code=201)
async def create_submission(
    access: CurrentAssignment,
    principal: Submitter,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="the solution's files, or one .zip")],
) -> schemas.SubmissionPublic:
    """Upload a solution (multipart ``files``: several files or one zip). The server's clock
    decides lateness; grading runs in the background."""
    if principal.user.id != access.member.user.id:  # pragma: no cover - same principal
        raise Forbidden("submit as yourself")
    parts = await read_parts(files, limits(settings))

    def accept() -> schemas.SubmissionPublic:  # blocking I/O: off the event loop
        staged = stage(session, principal.user, access.assignment, parts, settings)
        # The reply is built in the same transaction, from what was just written (one
        # query, for extensions), then the rows are committed and only then published.
        shown = submission_view(session, staged.submission, access.assignment, staff=False,
                                new_files=staged.files)
        session.commit()
        dispatch_all(request.app.state.dispatcher, staged.jobs)
        return shown

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
