"""The embedded mode's first start: a demo course with the shipped assignments and demo
accounts (development only; never in production)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Assignment, Course, Enrollment, User, utcnow
from api.security import hash_password


@dataclass(frozen=True)
class PackageInfo:
    """What publishing needs from an assignment package (read by the composition root)."""

    name: str
    title: str
    kind: str
    points: int
    bonus: int
    threshold: float
    device: str
    version: str
    metric_name: str | None = None
    metric_threshold: float | None = None
    higher_is_better: bool = True
    extra_threshold: float | None = None
    """Competition: the figure (state of the art) whose beating earns ``extra_bonus``."""
    extra_bonus: int = 0


DEMO_ACCOUNTS = (
    ("teacher", "teacher-demo", "teacher", "Demo Teacher"),
    ("assistant", "assistant-demo", "assistant", "Demo Assistant"),
    ("student1", "student1-demo", "student", "Demo Student One"),
    ("student2", "student2-demo", "student", "Demo Student Two"),
)
DEMO_SLUG = "npfl138-demo"


def publish(session: Session, course: Course, package: PackageInfo, now: datetime) -> Assignment:
    """Publish a package in a course: first deadline in two weeks, second a week later."""
    assignment = Assignment(
        course_id=course.id, name=package.name, title=package.title, kind=package.kind,
        package_name=package.name, package_version=package.version, device=package.device,
        points=package.points, threshold=package.threshold,
        first_deadline=now + timedelta(days=14), second_deadline=now + timedelta(days=21),
        second_points=package.points // 2,
    )
    if package.kind == "competition":  # the bonus is distributed by rank after the deadline
        assignment.bonus_points, assignment.rank_bonus = 0, package.bonus
        assignment.metric_name = package.metric_name or "metric"
        assignment.metric_threshold = package.metric_threshold
        assignment.higher_is_better = package.higher_is_better
        assignment.extra_threshold = package.extra_threshold
        assignment.extra_bonus = package.extra_bonus
    else:
        assignment.bonus_points = package.bonus
    session.add(assignment)
    return assignment


def ensure_demo(
    session: Session, packages: list[PackageInfo], now: datetime | None = None
) -> list[tuple[str, str, str]] | None:
    """On an empty database create the demo course; returns the logins, or None when the
    database already has users (nothing is changed then)."""
    if session.scalar(select(func.count(User.id))):
        return None
    now = now or utcnow()
    course = Course(slug=DEMO_SLUG, name="Deep Learning (demo)", timezone="Europe/Prague")
    session.add(course)
    admin = User(username="admin", display_name="Administrator", is_admin=True,
                 password_hash=hash_password("admin-demo"))
    session.add(admin)
    session.flush()
    logins = [("admin", "admin-demo", "admin")]
    for username, password, role, name in DEMO_ACCOUNTS:
        user = User(username=username, display_name=name, password_hash=hash_password(password))
        session.add(user)
        session.flush()
        session.add(Enrollment(course_id=course.id, user_id=user.id, role=role))
        logins.append((username, password, role))
    for package in packages:
        publish(session, course, package, now)
    session.commit()
    return logins
