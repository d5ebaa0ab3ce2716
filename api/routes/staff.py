"""Staff-only routes: roster, adjustments, exam and community points, extensions, re-runs,
re-grade sets, gradebook export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api import schemas
from api.db import Adjustment, Assignment, Evaluation, Extension, Submission, User, utcnow
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
from api.queue import dispatch_all
from api.services import pipeline, regrade, roster, staff
from api.services.gradebook import course_gradebook, gradebook_csv
from api.services.views import submission_view
from core.errors import Conflict, NotFound

router = APIRouter(tags=["staff"])


ROSTER_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorPublic, "description": words} for code, words in (
        (400, "Not a roster: an unknown column (named), a bad line"),
        (403, "The caller's role may not give a role in the file (assistants enrol students "
              "only)"),
        (409, "The file or the course's roster changed since the preview whose token was sent"),
    )}
RosterFile = Annotated[UploadFile, File(description="CSV roster; columns: "
                                        + ", ".join(roster.COLUMN_NAMES))]


async def _roster_text(file: UploadFile) -> str:
    return roster.decode(await file.read(roster.MAX_BYTES + 1))


@router.post("/courses/{course_id}/roster/preview", response_model=schemas.RosterPreviewPublic,
             responses=ROSTER_ERRORS)
async def preview_roster(member: CourseStaff, session: SessionDep, file: RosterFile
                         ) -> schemas.RosterPreviewPublic:
    """What importing the roster would change (new / enrol / role / unchanged), and the token
    that applies exactly this."""
    shown = await run_in_threadpool(roster.preview, session, member.course,
                                    await _roster_text(file), actor_id=member.user.id,
                                    actor_role=member.role)
    return schemas.RosterPreviewPublic(token=shown.token, lines=[
        schemas.RosterLinePublic(line=x.line, username=x.username, change=x.change,
                                 old_role=x.old_role, role=x.role) for x in shown.lines])


@router.post("/courses/{course_id}/roster", response_model=schemas.RosterResult,
             responses=ROSTER_ERRORS)
async def import_roster(member: CourseStaff, session: SessionDep, file: RosterFile,
                        token: Annotated[str | None, Form(
                            description="a preview's token: apply only if nothing changed")
                        ] = None) -> schemas.RosterResult:
    """Create and enrol users from CSV (columns: see the preview), all or nothing."""
    text = await _roster_text(file)
    shown = await run_in_threadpool(roster.apply, session, member.course, text,
                                    actor_id=member.user.id, actor_role=member.role, token=token)
    names = [x.username for x in shown.lines]
    users = await run_in_threadpool(lambda: list(session.scalars(
        select(User).where(User.username.in_(names)).order_by(User.id))))
    return schemas.RosterResult(created=shown.count("new"),
                                enrolled=shown.count("new") + shown.count("enrol"),
                                changed=shown.count("role"),
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
    """The gradebook as CSV (one line per student), the pages' own download."""
    book = course_gradebook(session, member.course.id, utcnow())
    return PlainTextResponse(gradebook_csv(book), media_type="text/csv",
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
    """Grade a submission again (e.g. after our SYSTEM_ERROR) on the assignment's current
    package version: a new attempt, which replaces a counting result only once it is done."""
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
    """Re-grade the assignment's submissions (or some) in the background, as one set; with
    ``package_version``, against that stored version (applying the set moves to it)."""
    row, jobs = regrade.start_regrade(session, access.assignment, settings,
                                      author_id=access.member.user.id,
                                      submission_ids=body.submission_ids,
                                      package_version=body.package_version)
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
