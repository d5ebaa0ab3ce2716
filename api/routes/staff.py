"""Staff-only routes: roster, adjustments, exam and community points, extensions, re-runs,
re-grade sets, gradebook export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import schemas
from api.db import Adjustment, Assignment, Evaluation, Extension, Submission
from api.db.service_models import RegradeSet
from api.deps import (
    CourseStaff,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    StaffAssignment,
    StaffSubmission,
    membership,
    staff_only,
)
from api.errors import InvalidInput, errors_of
from api.queue import dispatch_all
from api.services import accounts, pipeline, regrade, staff
from api.services.standings import gradebook_csv
from api.services.views import submission_view
from core.errors import BadInput, Conflict, NotFound

router = APIRouter(tags=["staff"])


ROSTER_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "CSV roster"}}}}}}}


@router.post("/courses/{course_id}/roster", response_model=schemas.RosterResult,
             openapi_extra=ROSTER_BODY, responses=errors_of(400))
async def import_roster(member: CourseStaff, session: SessionDep,
                        request: Request) -> schemas.RosterResult:
    """Create and enrol users from CSV: ``username[,email,display_name,role,uuid,password]``.
    The body is read only after the caller was checked (no body parameter)."""
    async with request.form(max_files=2, max_fields=5) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidInput("file", "send the roster as multipart form field 'file'")
        data = await file.read(5 * 2**20 + 1)
    if len(data) > 5 * 2**20:
        raise BadInput("the roster is larger than 5 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput("the roster must be UTF-8 text") from error
    created, enrolled, users = await run_in_threadpool(
        accounts.import_roster, session, member.course, text, actor_id=member.user.id)
    return schemas.RosterResult(created=created, enrolled=enrolled,
                                users=[schemas.UserPublic.model_validate(u) for u in users])


@router.post("/courses/{course_id}/adjustments", status_code=201,
             response_model=schemas.AdjustmentPublic | schemas.Message)
def create_adjustment(body: schemas.AdjustmentCreate, member: CourseStaff,
                      session: SessionDep) -> schemas.AdjustmentPublic | schemas.Message:
    """Override a submission's points, give bonus points, or accept a solution (with reason)."""
    row = staff.adjust(session, member.course, body, member.user.id)
    if row is None:
        return schemas.Message(message=f"submission {body.submission_id}: {body.kind}ed")
    return schemas.AdjustmentPublic.model_validate(row)


@router.get("/courses/{course_id}/adjustments", response_model=list[schemas.AdjustmentPublic])
def list_adjustments(member: CourseStaff, session: SessionDep) -> list[schemas.AdjustmentPublic]:
    rows = session.scalars(select(Adjustment).where(Adjustment.course_id == member.course.id)
                           .order_by(Adjustment.id))
    return [schemas.AdjustmentPublic.model_validate(r) for r in rows]


@router.put("/courses/{course_id}/exam", response_model=schemas.Message)
def set_exam(body: schemas.ExamCreate, member: CourseStaff, session: SessionDep
             ) -> schemas.Message:
    points = staff.set_exam(session, member.course, body, member.user.id)
    return schemas.Message(message=f"exam points of user {body.user_id}: {points}")


@router.post("/courses/{course_id}/community", response_model=schemas.Message, status_code=201)
def add_community(body: schemas.CommunityCreate, member: CourseStaff, session: SessionDep
                  ) -> schemas.Message:
    row = staff.add_community(session, member.course, body, member.user.id)
    return schemas.Message(message=f"community points added: {row.points}")


@router.post("/courses/{course_id}/extensions", response_model=schemas.ExtensionPublic,
             status_code=201)
def add_extension(body: schemas.ExtensionCreate, member: CourseStaff, session: SessionDep
                  ) -> schemas.ExtensionPublic:
    return schemas.ExtensionPublic.model_validate(
        staff.add_extension(session, member.course, body, member.user.id))


@router.get("/courses/{course_id}/extensions", response_model=list[schemas.ExtensionPublic])
def list_extensions(member: CourseStaff, session: SessionDep) -> list[schemas.ExtensionPublic]:
    rows = session.scalars(select(Extension).where(Extension.course_id == member.course.id))
    return [schemas.ExtensionPublic.model_validate(r) for r in rows]


@router.get("/courses/{course_id}/gradebook.csv", response_class=PlainTextResponse)
def export_gradebook(member: CourseStaff, session: SessionDep) -> PlainTextResponse:
    """The gradebook as CSV (one line per student)."""
    return PlainTextResponse(gradebook_csv(session, member.course.id), media_type="text/csv",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{member.course.slug}.csv"'})


@router.get("/courses/{course_id}/system-errors",
            response_model=list[schemas.SubmissionStaff | schemas.SubmissionPublic])
def system_errors(member: CourseStaff, session: SessionDep
                  ) -> list[schemas.SubmissionStaff | schemas.SubmissionPublic]:
    """Submissions whose grading failed on our side (retries spent): re-run them."""
    rows = session.execute(
        select(Submission, Assignment)
        .join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == member.course.id,
               Evaluation.status == "system_error").order_by(Submission.id)).all()
    return [submission_view(session, s, a, staff=True) for s, a in rows]


@router.post("/submissions/{submission_id}/rerun", response_model=schemas.Message,
             status_code=202)
def rerun(access: StaffSubmission, request: Request, session: SessionDep,
          settings: SettingsDep) -> schemas.Message:
    """Grade a submission again (e.g. after our SYSTEM_ERROR): a new attempt, made current."""
    current = access.submission.current_evaluation_id
    evaluation = session.get(Evaluation, current) if current else None
    if evaluation is None:
        raise NotFound("the submission has no evaluation to re-run")
    if evaluation.status in ("queued", "running"):
        raise Conflict("the submission is being graded; wait for the result")
    jobs = pipeline.rerun(session, evaluation, settings)
    dispatch_all(request.app.state.dispatcher, jobs)
    return schemas.Message(message=f"submission {access.submission.id} queued again")


def _regrade_view(session: SessionDep, row: RegradeSet) -> schemas.RegradeStaff:
    items = regrade.diff(session, row)
    return schemas.RegradeStaff(
        id=row.id, assignment_id=row.assignment_id, status=row.status,
        package_version=row.package_version, created_at=row.created_at,
        pending=sum(i.new_status in ("queued", "running") for i in items),
        changed=sum(i.changed for i in items),
        items=[schemas.RegradeItemStaff(**i.__dict__, changed=i.changed) for i in items])


@router.post("/assignments/{assignment_id}/regrades", response_model=schemas.RegradeStaff,
             status_code=202)
def start_regrade(body: schemas.RegradeCreate, access: StaffAssignment, request: Request,
                  session: SessionDep, settings: SettingsDep) -> schemas.RegradeStaff:
    """Re-grade the assignment's submissions (or some) in the background, as one set."""
    row, jobs = regrade.start_regrade(session, access.assignment, settings,
                                      author_id=access.member.user.id,
                                      submission_ids=body.submission_ids)
    dispatch_all(request.app.state.dispatcher, jobs)
    return _regrade_view(session, row)


def _regrade_for_staff(session: SessionDep, principal: PrincipalDep, regrade_id: int
                       ) -> RegradeSet:
    row = session.get(RegradeSet, regrade_id)
    if row is None:
        raise NotFound("no such re-grade")
    member = membership(session, principal.user, row.course_id, principal.scopes)
    if not member.is_staff_role:
        raise NotFound("no such re-grade")
    staff_only(member, principal)
    return row


@router.get("/regrades/{regrade_id}", response_model=schemas.RegradeStaff)
def get_regrade(regrade_id: int, principal: PrincipalDep, session: SessionDep
                ) -> schemas.RegradeStaff:
    """Progress and old-versus-new differences of a re-grade set."""
    return _regrade_view(session, _regrade_for_staff(session, principal, regrade_id))


@router.post("/regrades/{regrade_id}/{action}", response_model=schemas.RegradeStaff)
def close_regrade(regrade_id: int, action: str, principal: PrincipalDep, session: SessionDep
                  ) -> schemas.RegradeStaff:
    """``apply`` (the new results count) or ``discard`` the whole set."""
    if action not in ("apply", "discard"):
        raise NotFound("use /apply or /discard")
    row = _regrade_for_staff(session, principal, regrade_id)
    regrade.close(session, row, apply=action == "apply", author_id=principal.user.id)
    return _regrade_view(session, row)
