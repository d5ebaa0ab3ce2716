"""FastAPI dependencies: the database session, who is calling, and load-or-404 with
authorisation for every object a route touches.

A student asking for an object of a course they are not in, or for another student's
submission, gets 404 (not 403): the API does not confirm that the object exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.db import ApiToken, Assignment, Course, Enrollment, Role, Submission, User, utcnow
from api.errors import Unauthorized
from api.security import CSRF_HEADER, SESSION_COOKIE, password_fingerprint, token_hash
from api.services.accounts import session_alive
from api.settings import Settings
from core.errors import Forbidden, NotFound

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ALL_SCOPES = frozenset({"read", "submit", "staff"})
STAFF_ROLES = (Role.TEACHER.value, Role.ASSISTANT.value)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request.

    Opening a session does no I/O, so it happens on the event loop (a sync dependency
    would cost two hops to a worker thread per request). Closing one that still holds a
    transaction rolls back and returns the connection: that goes to a worker thread; a
    session with no transaction (committed, or never used) closes without I/O."""
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_settings(request: Request) -> Settings:
    # async: no I/O, so FastAPI calls it on the event loop instead of a worker thread
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller and what their credential allows."""

    user: User
    scopes: frozenset[str]
    session_id: str | None = None
    """Set when authenticated by the session cookie (then CSRF applies)."""
    token_id: int | None = None
    """Set when authenticated by an API token."""


def _from_token(session: Session, token: str) -> Principal:
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    row, user = found if found is not None else (None, None)
    if (row is None or user is None or row.revoked_at is not None
            or (row.expires_at and row.expires_at <= now)):
        raise Unauthorized("the API token is unknown, revoked or expired; run `autograde login`")
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
        session.commit()
    return Principal(user, row.scope_set, token_id=row.id)


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The caller, by bearer token or by session cookie (with CSRF on unsafe methods)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        return _from_token(session, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    signer = request.app.state.signer
    data = signer.load(cookie) if cookie else None
    user = session.get(User, data.user_id) if data else None
    if (data is None or user is None
            or password_fingerprint(user.password_hash) != data.fingerprint
            or not session_alive(session, user.id, data.session_id)):
        raise Unauthorized("please log in")
    if request.method not in SAFE_METHODS and not signer.check_csrf(
        data.session_id, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"missing or wrong CSRF token (send the {CSRF_HEADER} header)")
    return Principal(user, ALL_SCOPES, data.session_id)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def scoped(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that requires ``scope`` of the caller's credential."""

    async def check(principal: PrincipalDep) -> Principal:  # no I/O: on the event loop
        if scope not in principal.scopes:
            raise Forbidden(f"this API token lacks the '{scope}' scope")
        return principal

    return check


Reader = Annotated[Principal, Depends(scoped("read"))]
Submitter = Annotated[Principal, Depends(scoped("submit"))]
StaffScoped = Annotated[Principal, Depends(scoped("staff"))]


@dataclass(frozen=True)
class Membership:
    """A caller's place in one course."""

    course: Course
    user: User
    role: str
    """``student``, ``assistant``, ``teacher``; admins count as ``teacher``."""
    staff_scope: bool = True
    """False when the caller's credential lacks the ``staff`` scope: a teacher's read-only
    token sees the course as a student does."""

    @property
    def is_staff(self) -> bool:
        """Staff of the course, acting with a staff-scoped credential."""
        return self.role in STAFF_ROLES and self.staff_scope

    @property
    def is_staff_role(self) -> bool:
        """Staff of the course, whatever the credential."""
        return self.role in STAFF_ROLES


def _enrolled(user: User) -> ColumnElement[bool]:
    return (Enrollment.course_id == Course.id) & (Enrollment.user_id == user.id)


def _member(course: Course, user: User, role: str | None,
            scopes: frozenset[str] = ALL_SCOPES) -> Membership:
    if user.is_admin:
        role = Role.TEACHER.value
    if role is None:
        raise NotFound("no such course")
    return Membership(course, user, role, "staff" in scopes)


def membership(session: Session, user: User, course_id: int,
               scopes: frozenset[str] = ALL_SCOPES) -> Membership:
    """The caller's role in a course, or 404 when they are not in it."""
    found = session.execute(
        select(Course, Enrollment.role).outerjoin(Enrollment, _enrolled(user))
        .where(Course.id == course_id)
    ).first()
    if found is None:
        raise NotFound("no such course")
    course, role = found
    return _member(course, user, role, scopes)


def staff_only(member: Membership, principal: Principal) -> Membership:
    """Refuse unless the caller is staff of the course with a staff-scoped credential."""
    if not member.is_staff_role:
        raise Forbidden("only the course's teachers and assistants may do this")
    if "staff" not in principal.scopes or not member.is_staff:
        raise Forbidden("this API token lacks the 'staff' scope")
    return member


def course_member(course_id: int, principal: Reader, session: SessionDep) -> Membership:
    return membership(session, principal.user, course_id, principal.scopes)


def course_staff(course_id: int, principal: Reader, session: SessionDep) -> Membership:
    return staff_only(membership(session, principal.user, course_id, principal.scopes),
                      principal)


CourseMember = Annotated[Membership, Depends(course_member)]
CourseStaff = Annotated[Membership, Depends(course_staff)]


@dataclass(frozen=True)
class AssignmentAccess:
    assignment: Assignment
    member: Membership


def _assignment(session: Session, principal: Principal, assignment_id: int) -> AssignmentAccess:
    # One query: the assignment, its course and the caller's role in it.
    found = session.execute(
        select(Assignment, Course, Enrollment.role)
        .join(Course, Course.id == Assignment.course_id)
        .outerjoin(Enrollment, _enrolled(principal.user))
        .where(Assignment.id == assignment_id)
    ).first()
    if found is None:
        raise NotFound("no such assignment")
    assignment, course, role = found
    member = _member(course, principal.user, role, principal.scopes)
    if not member.is_staff and not assignment.shown_to_students(utcnow()):
        raise NotFound("no such assignment")
    return AssignmentAccess(assignment, member)


def assignment_member(
    assignment_id: int, principal: Reader, session: SessionDep
) -> AssignmentAccess:
    return _assignment(session, principal, assignment_id)


def assignment_staff(
    assignment_id: int, principal: Reader, session: SessionDep
) -> AssignmentAccess:
    access = _assignment(session, principal, assignment_id)
    staff_only(access.member, principal)
    return access


def assignment_submitter(
    assignment_id: int, principal: Submitter, session: SessionDep
) -> AssignmentAccess:
    """The assignment a caller submits to: the ``submit`` scope is enough (no ``read``)."""
    return _assignment(session, principal, assignment_id)


CurrentAssignment = Annotated[AssignmentAccess, Depends(assignment_member)]
SubmitAssignment = Annotated[AssignmentAccess, Depends(assignment_submitter)]
StaffAssignment = Annotated[AssignmentAccess, Depends(assignment_staff)]


@dataclass(frozen=True)
class SubmissionAccess:
    submission: Submission
    assignment: Assignment
    member: Membership


def _submission(session: Session, principal: Principal, submission_id: int) -> SubmissionAccess:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("no such submission")
    access = _assignment(session, principal, submission.assignment_id)
    if not access.member.is_staff and submission.user_id != principal.user.id:
        raise NotFound("no such submission")
    return SubmissionAccess(submission, access.assignment, access.member)


def submission_reader(
    submission_id: int, principal: Reader, session: SessionDep
) -> SubmissionAccess:
    return _submission(session, principal, submission_id)


def submission_staff(
    submission_id: int, principal: Reader, session: SessionDep
) -> SubmissionAccess:
    access = _submission(session, principal, submission_id)
    staff_only(access.member, principal)
    return access


CurrentSubmission = Annotated[SubmissionAccess, Depends(submission_reader)]
StaffSubmission = Annotated[SubmissionAccess, Depends(submission_staff)]
