"""A course's rules and a student's standing as the pages show them."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy.orm import Session

from api.db import Course
from api.db.standing.course import course_standings
from api.services.gradebook import exam_and_community
from api.web.views import Standing
from core.standing import CourseRules, StudentStanding


def no_standing(user_id: int) -> Standing:
    """The standing of someone the standing query has no line for (not a student)."""
    return Standing(user_id, 0, 0, False, 0, False, None, None)


def rules_of(course: Course) -> CourseRules:
    """The course's rules (`core.standing.CourseRules`), as its settings row holds them."""
    return CourseRules(
        pass_points=course.pass_points, community_cap=course.community_cap,
        exam_max=course.exam_max, grade_1=course.grade_1, grade_2=course.grade_2,
        grade_3=course.grade_3, solve_score=course.solve_score)


def standing_of(row: StudentStanding, exam: int | None, community: int) -> Standing:
    """A `core.standing.StudentStanding` (from the SQL query) with the exam and community
    points the pages show beside it."""
    return Standing(**{f.name: getattr(row, f.name) for f in fields(StudentStanding)},
                    exam_points=exam, community=community)


def student_standing(session: Session, course: Course, user_id: int,
                     now: datetime) -> tuple[Standing, StudentStanding | None]:
    """One student's standing as shown (`NO_STANDING` when the query has no line for them)
    and the query's line."""
    mine = next((s for s in course_standings(session, course.id, now)
                 if s.student_id == user_id), None)
    if mine is None:
        return no_standing(user_id), None
    exam, community = exam_and_community(session, course.id)
    return standing_of(mine, exam.get(user_id), community.get(user_id, 0)), mine
