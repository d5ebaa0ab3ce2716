"""Staff actions on submissions and students: adjust (override, bonus, accept), re-run,
exam and community points, extensions. Each calls the service function the REST API
calls (`api.services.staff`, `pipeline`), so the rules, checks and audit records are the
same whichever way staff act."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from api import schemas
from api.db import Assignment, AuditLog, Evaluation, Submission
from api.deps import Membership
from api.services import pipeline, staff
from api.web.pages.context import Pages, course_assignment, staff_member
from api.web.views import Viewer
from core.errors import BadInput, Conflict, NotFound

Body = TypeVar("Body", bound=BaseModel)


def body(model: type[Body], **fields: object) -> Body:
    """A service request body from form fields; its validation errors are the user's."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise BadInput(problems) from None


def whole_points(value: float | None, what: str = "Points") -> int:
    if value is None or value != int(value):
        raise BadInput(f"{what} must be a whole number.")
    return int(value)


def _not_negative(value: float, what: str) -> int:
    points = whole_points(value, what)
    if points < 0:
        raise BadInput(f"{what} must be >= 0.")
    return points


def _course_of_submission(session: Session, viewer: Viewer,
                          submission_id: int) -> tuple[Membership, Submission]:
    submission = session.get(Submission, submission_id)
    assignment = session.get(Assignment, submission.assignment_id) if submission else None
    if submission is None or assignment is None:
        raise NotFound("no such submission")
    return staff_member(session, viewer, assignment.course_id), submission


def adjust(pages: Pages, viewer: Viewer, submission_id: int, kind: str,
           points: float | None, reason: str) -> None:
    with pages.sessions() as session:
        found, submission = _course_of_submission(session, viewer, submission_id)
        request = body(schemas.AdjustmentCreate,
                       kind=kind, submission_id=submission.id, user_id=submission.user_id,
                       assignment_id=submission.assignment_id, reason=reason,
                       points=0 if kind == "accept" else whole_points(points))
        staff.adjust(session, found.course, request, viewer.user_id)


def rerun(pages: Pages, viewer: Viewer, submission_id: int, reason: str) -> None:
    with pages.sessions() as session:
        found, submission = _course_of_submission(session, viewer, submission_id)
        evaluation = (session.get(Evaluation, submission.current_evaluation_id)
                      if submission.current_evaluation_id else None)
        if evaluation is None:
            raise NotFound("the submission has no evaluation to re-run")
        if evaluation.status in pipeline.OPEN:
            raise Conflict("the submission is being graded; wait for the result")
        session.add(AuditLog.record("submission.rerun", actor_id=viewer.user_id,
                                    course_id=found.course.id, object_type="submission",
                                    object_id=submission.id, reason=reason))
        pages.dispatch(pipeline.rerun(session, evaluation, pages.settings))


def set_exam(pages: Pages, viewer: Viewer, course_id: int, user_id: int,
             exam_points: float | None, community: float | None, reason: str) -> None:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        if exam_points is not None:
            staff.set_exam(session, found.course, body(
                schemas.ExamCreate, user_id=user_id, reason=reason,
                points=_not_negative(exam_points, "Exam points")), viewer.user_id)
        if community is not None:
            staff.add_community(session, found.course, body(
                schemas.CommunityCreate, user_id=user_id, reason=reason,
                points=_not_negative(community, "Community points")), viewer.user_id)


def set_extension(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
                  user_id: int, until: datetime, reason: str) -> None:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        a = course_assignment(session, course_id, assignment_id)
        # Rounded up: a deadline stored with seconds or microseconds must not turn the
        # entered 23:59 into 23:58:59.5 (shown as 23:58).
        extra = math.ceil((until - a.first_deadline).total_seconds())
        if extra <= 0:
            raise BadInput("The new deadline must be after the assignment's first deadline.")
        staff.add_extension(session, found.course, body(
            schemas.ExtensionCreate, user_id=user_id, assignment_id=a.id,
            extra_seconds=extra, reason=reason), viewer.user_id)


def revoke_extension(pages: Pages, viewer: Viewer, course_id: int, extension_id: int,
                     reason: str) -> None:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        staff.revoke_extension(session, found.course, extension_id, reason, viewer.user_id)
