"""A course's rules and a student's standing as the pages show them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from api.db import Course
from api.db.standing import course_standings
from api.services.gradebook import GRADE_TEXT, exam_and_community
from api.web.views import CourseRules, Standing
from core.standing import StudentStanding

NO_STANDING = Standing(0, 0, False, 0, False, None, 0, None, None)


def rules_of(course: Course) -> CourseRules:
    return CourseRules(
        pass_points=course.pass_points, exam_max=course.exam_max,
        community_cap=course.community_cap, timezone=course.timezone,
        grade_thresholds=(("1", course.grade_1), ("2", course.grade_2), ("3", course.grade_3)),
    )


def standing_of(row: StudentStanding, exam: int | None, community: int) -> Standing:
    """A `core.standing.StudentStanding` (from the SQL query) as the pages show it."""
    return Standing(
        non_bonus=row.non_bonus, bonus=row.bonus, passed=row.passed, surplus=row.surplus,
        solved_all=row.solved_all, exam_points=exam, community=community,
        exam_total=row.exam_total, grade=GRADE_TEXT.get(row.grade) if row.grade else None,
    )


def student_standing(session: Session, course: Course, user_id: int,
                     now: datetime) -> tuple[Standing, StudentStanding | None]:
    """One student's standing as shown (`NO_STANDING` when the query has no line for them)
    and the query's line."""
    mine = next((s for s in course_standings(session, course.id, now)
                 if s.student_id == user_id), None)
    if mine is None:
        return NO_STANDING, None
    exam, community = exam_and_community(session, course.id)
    return standing_of(mine, exam.get(user_id), community.get(user_id, 0)), mine
