"""What every page function gets (`Pages`) and the access rules they share: the viewer's
membership, staff only, an assignment the viewer may see, the course's link and rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.db import Assignment, Course, Role, User
from api.deps import Membership, membership
from api.queue import dispatch_all
from api.services.pipeline import Job
from api.settings import Settings
from api.web.views import CourseLink, Viewer
from core.errors import NotFound
from core.manifest import Manifest, load_manifest
from core.roles import RoleRefused


@lru_cache(maxsize=64)
def _manifest(directory: str, version: str) -> Manifest | None:
    try:
        return load_manifest((Path(directory) / "assignment.toml").read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Pages:
    """The app's database sessions, settings and state (signer, throttle, dispatcher)."""

    sessions: sessionmaker[Session]
    settings: Settings
    state: Any
    """The app's `state`: ``signer``, ``throttle``, ``password_checks``, ``dispatcher``,
    ``packages``."""

    def dispatch(self, jobs: list[Job]) -> None:
        """Publish jobs whose rows are committed."""
        dispatch_all(self.state.dispatcher, jobs)

    def package_dir(self, assignment: Assignment) -> Path:
        return Path(self.settings.assignments_dir) / assignment.package_name

    def manifest(self, assignment: Assignment) -> Manifest | None:
        """The assignment's manifest (None when its package cannot be read)."""
        return _manifest(str(self.package_dir(assignment)), assignment.package_version)


def member(session: Session, viewer: Viewer, course_id: int) -> Membership:
    """The viewer's membership of the course, else `NotFound`."""
    user = session.get(User, viewer.user_id)
    if user is None:
        raise NotFound("no such user")
    return membership(session, user, course_id)


def staff_member(session: Session, viewer: Viewer, course_id: int) -> Membership:
    """The viewer's membership if they are the course's staff, else `NotFound`."""
    found = member(session, viewer, course_id)
    if not found.is_staff:
        raise NotFound("no such page")
    return found


def teacher(session: Session, viewer: Viewer, course_id: int) -> Membership:
    """A teacher's (or admin's) membership; an assistant gets `RoleRefused`."""
    found = staff_member(session, viewer, course_id)
    if found.role != Role.TEACHER:
        raise RoleRefused("only the course's teachers change its settings, assignments "
                          "and staff")
    return found


def course_assignment(session: Session, course_id: int, assignment_id: int) -> Assignment:
    """One assignment of the course, else `NotFound`."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.course_id != course_id:
        raise NotFound("no such assignment")
    return assignment


def visible_assignment(session: Session, viewer: Viewer, course_id: int, assignment_id: int,
                       now: datetime) -> tuple[Membership, Assignment]:
    """An assignment the viewer may see: staff see all, students the published ones."""
    found = member(session, viewer, course_id)
    assignment = course_assignment(session, course_id, assignment_id)
    if not found.is_staff and not assignment.shown_to_students(now):
        raise NotFound("no such assignment")
    return found, assignment


def link(course: Course, role: str) -> CourseLink:
    return CourseLink(course.id, course.name, course.slug, role)


def member_link(found: Membership) -> CourseLink:
    return link(found.course, found.role)


def role(pages: Pages, viewer: Viewer, course_id: int) -> str | None:
    """The viewer's role in the course (None: not in it)."""
    with pages.sessions() as session:
        try:
            return member(session, viewer, course_id).role
        except NotFound:
            return None
