"""Accounts: login with throttling, browser sessions, API tokens, roster import from CSV."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.bounds import has_control
from api.db import ApiToken, AuditLog, Course, Enrollment, Role, User, utcnow
from api.db.service_models import UserSession
from api.errors import TooManyRequests, Unauthorized
from api.security import PasswordChecks, hash_password, new_session_id, new_token, token_hash
from api.services.throttle import DbLoginThrottle
from core.errors import BadInput, Forbidden, NotFound

ROSTER_COLUMNS = ("username", "email", "display_name", "role", "uuid", "password")


def _find_user(sessions: sessionmaker[Session], username: str) -> User | None:
    with sessions() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is not None:
            session.expunge(user)
        return user


async def authenticate(
    sessions: sessionmaker[Session], throttle: DbLoginThrottle, checks: PasswordChecks,
    username: str, password: str, client: str,
) -> User:
    """The user with these credentials (detached); throttled by (account, address).

    No database connection is held while the password is checked or while it waits for a
    free checker (`PasswordChecks`): the throttle and the lookup use their own short
    transactions, in the checks' few bookkeeping threads (a burst of logins never takes
    more than those few pooled connections)."""
    wait = await checks.book(throttle.begin, username, client)
    if wait:
        raise TooManyRequests(f"too many failed logins; try again in {wait} s", wait)
    try:
        user = await checks.book(_find_user, sessions, username)
        ok = await checks.verify(user.password_hash if user else None, password)
    except BaseException:
        await checks.book(throttle.release, username, client)
        raise
    if not ok or user is None:
        await checks.book(throttle.failed, username, client)
        raise Unauthorized("wrong username or password")
    await checks.book(throttle.succeeded, username, client)
    return user


def start_session(sessions: sessionmaker[Session], user: User, client: str,
                  max_age_s: int) -> str:
    """A new server-side browser session of ``user``; returns its secret id."""
    secret = new_session_id()
    with sessions() as session:
        session.add(UserSession(id_hash=token_hash(secret), user_id=user.id, client=client[:100],
                                expires_at=utcnow() + timedelta(seconds=max_age_s)))
        session.commit()
    return secret


def session_alive(session: Session, user_id: int, session_id: str) -> bool:
    """True while the session is neither revoked nor expired."""
    found = session.scalar(select(UserSession.id).where(
        UserSession.id_hash == token_hash(session_id), UserSession.user_id == user_id,
        UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow()))
    return found is not None


def end_session(session: Session, session_id: str) -> None:
    """Revoke a browser session: every copy of its cookie stops working."""
    session.execute(update(UserSession).where(
        UserSession.id_hash == token_hash(session_id), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
    session.commit()


def create_token(
    session: Session, user: User, *, name: str, scopes: list[str], expires_days: int | None,
    default_days: int, may_staff: bool,
) -> tuple[ApiToken, str]:
    """A new token (its hash stored); the plain token is returned once."""
    if "staff" in scopes and not may_staff:
        raise BadInput("only course staff may create tokens with the 'staff' scope")
    plain = new_token()
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(plain),
                   scopes=" ".join(sorted(set(scopes))),
                   expires_at=utcnow() + timedelta(days=expires_days or default_days))
    session.add(row)
    session.add(AuditLog.record("token.create", actor_id=user.id, object_type="api_token",
                                name=name, scopes=row.scopes))
    session.commit()
    return row, plain


def revoke_token(session: Session, user: User, token_id: int, *, may_manage: bool,
                 own_token_id: int | None = None) -> ApiToken:
    """Revoke one of the user's own tokens. Only a credential that may manage the account
    (a browser session, a token with the ``submit`` or ``staff`` scope) revokes other
    tokens; any token may revoke itself (logging out)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
    if not may_manage and row.id != own_token_id:
        raise Forbidden("a read-only token cannot revoke other tokens")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(AuditLog.record("token.revoke", actor_id=user.id, object_type="api_token",
                                    object_id=row.id))
        session.commit()
    return row


def is_staff_anywhere(session: Session, user: User) -> bool:
    return user.is_admin or session.scalar(select(Enrollment.id).where(
        Enrollment.user_id == user.id,
        Enrollment.role.in_((Role.TEACHER.value, Role.ASSISTANT.value))).limit(1)) is not None


def import_roster(
    session: Session, course: Course, text: str, *, actor_id: int
) -> tuple[int, int, list[User]]:
    """Create or update users from CSV (header: username[,email,display_name,role,uuid,
    password]) and enrol them; returns (created, enrolled, users). All or nothing."""
    reader = csv.DictReader(io.StringIO(text, newline=None), strict=True)  # \r, \r\n, \n
    try:
        return _import_rows(session, course, reader, actor_id=actor_id)
    except csv.Error as error:
        raise BadInput(f"the CSV cannot be read (line {reader.line_num}): {error}") from None


ROSTER_LENGTHS = {"username": 100, "email": 254, "display_name": 200, "role": 20,
                  "uuid": 36, "password": 1000}


def _check_row(line: int, row: dict[str | None, Any]) -> None:
    for column, limit in ROSTER_LENGTHS.items():
        value = row.get(column) or ""
        if has_control(value):
            raise BadInput(f"line {line}: the {column} contains a control character")
        if len(value.strip()) > limit:
            raise BadInput(f"line {line}: the {column} is longer than {limit} characters")


def _import_rows(
    session: Session, course: Course, reader: csv.DictReader[str], *, actor_id: int
) -> tuple[int, int, list[User]]:
    if reader.fieldnames is None or "username" not in reader.fieldnames:
        raise BadInput("the CSV needs a header line with at least a 'username' column")
    unknown = set(reader.fieldnames) - set(ROSTER_COLUMNS)
    if unknown:
        raise BadInput(f"unknown CSV column(s): {', '.join(sorted(unknown))}; "
                       f"allowed: {', '.join(ROSTER_COLUMNS)}")
    created = enrolled = 0
    users = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        _check_row(line, row)
        username = (row.get("username") or "").strip()
        if username in seen:
            raise BadInput(f"line {line}: {username!r} appears twice")
        seen.add(username)
        if not username:
            raise BadInput(f"line {line}: empty username")
        role = (row.get("role") or Role.STUDENT.value).strip()
        if role not in {r.value for r in Role}:
            raise BadInput(f"line {line}: unknown role {role!r} (student, assistant, teacher)")
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            password = (row.get("password") or "").strip() or secrets.token_urlsafe(12)
            user = User(username=username, email=(row.get("email") or "").strip(),
                        display_name=(row.get("display_name") or "").strip(),
                        password_hash=hash_password(password))
            wanted = (row.get("uuid") or "").strip()
            if wanted:
                user.uuid = wanted  # validated by the model (InvalidSetting if not a UUID)
                if session.scalar(select(User.id).where(User.uuid == user.uuid)) is not None:
                    raise BadInput(f"line {line}: the uuid {wanted} belongs to another user")
            session.add(user)
            session.flush()
            created += 1
        enrollment = session.scalar(select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.user_id == user.id))
        if enrollment is None:
            session.add(Enrollment(course_id=course.id, user_id=user.id, role=role))
            enrolled += 1
        else:
            enrollment.role = role
        users.append(user)
    session.add(AuditLog.record("roster.import", actor_id=actor_id, course_id=course.id,
                                created=created, enrolled=enrolled))
    session.commit()
    return created, enrolled, users
