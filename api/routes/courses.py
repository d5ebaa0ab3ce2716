"""Courses, their assignments with the caller's state, and standings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from api import schemas
from api.db import Assignment, Course, Enrollment, utcnow
from api.deps import CourseMember, CurrentAssignment, Reader, SessionDep
from api.services import standings as standing_service
from api.services.views import assignment_state

router = APIRouter(tags=["courses"])


@router.get("/courses", response_model=list[schemas.CoursePublic])
def list_courses(principal: Reader, session: SessionDep) -> list[schemas.CoursePublic]:
    """The caller's courses with their role (admins see every course as teacher)."""
    if principal.user.is_admin:
        rows = [(c, "teacher") for c in session.scalars(select(Course).order_by(Course.id))]
    else:
        rows = list(session.execute(
            select(Course, Enrollment.role).join(Enrollment, Enrollment.course_id == Course.id)
            .where(Enrollment.user_id == principal.user.id).order_by(Course.id)).all())
    return [schemas.CoursePublic(id=c.id, slug=c.slug, name=c.name, timezone=c.timezone, role=r)
            for c, r in rows]


@router.get("/courses/{course_id}", response_model=schemas.CoursePublic)
def get_course(member: CourseMember) -> schemas.CoursePublic:
    c = member.course
    return schemas.CoursePublic(id=c.id, slug=c.slug, name=c.name, timezone=c.timezone,
                                role=member.role)


def _assignment(session: Any, assignment: Assignment, user_id: int) -> schemas.AssignmentPublic:
    view = schemas.AssignmentPublic.model_validate(assignment)
    view.state = assignment_state(session, assignment, user_id)
    return view


@router.get("/courses/{course_id}/assignments", response_model=list[schemas.AssignmentPublic])
def list_assignments(member: CourseMember, session: SessionDep) -> list[schemas.AssignmentPublic]:
    """Published assignments with deadlines and the caller's state (points, late, attempts)."""
    query = select(Assignment).where(Assignment.course_id == member.course.id)
    if not member.is_staff:
        now = utcnow()
        query = query.where(Assignment.shown_to_students_sql(now))
    rows = session.scalars(query.order_by(Assignment.first_deadline, Assignment.id)).all()
    return [_assignment(session, a, member.user.id) for a in rows]


@router.get("/assignments/{assignment_id}", response_model=schemas.AssignmentPublic)
def get_assignment(access: CurrentAssignment, session: SessionDep) -> schemas.AssignmentPublic:
    return _assignment(session, access.assignment, access.member.user.id)


@router.get("/courses/{course_id}/standings", response_model=list[dict[str, Any]])
def course_standings(member: CourseMember, session: SessionDep) -> list[dict[str, Any]]:
    """Staff: every student's standing. Students: only their own row."""
    only = None if member.is_staff else member.user.id
    return standing_service.standings(session, member.course.id, user_id=only)


@router.get("/courses/{course_id}/standings/me", response_model=list[dict[str, Any]])
def my_standing(member: CourseMember, session: SessionDep) -> list[dict[str, Any]]:
    """The caller's own standing row."""
    return standing_service.standings(session, member.course.id, user_id=member.user.id)
