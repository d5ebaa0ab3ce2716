"""Accounts: login with throttling, browser sessions, API tokens (the roster import is
`api.services.roster`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import ApiToken, AuditLog, Enrollment, Role, User, utcnow
from api.db.service_models import UserSession
from api.errors import TooManyRequests, Unauthorized
from api.security import PasswordChecks, new_session_id, new_token, token_hash
from api.services.throttle import DbLoginThrottle
from core.errors import BadInput, Forbidden, NotFound


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
