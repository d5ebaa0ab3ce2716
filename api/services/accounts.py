"""Accounts: login with throttling, API tokens (the roster import is `api.services.roster`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import ApiToken, AuditLog, Enrollment, Role, User, utcnow
from api.errors import TooManyRequests, Unauthorized
from api.security import LoginThrottle, new_token, token_hash, verify_password
from core.errors import BadInput, NotFound


def authenticate(
    session: Session, throttle: LoginThrottle, username: str, password: str, client: str
) -> User:
    """The user with these credentials; throttled after repeated failures."""
    wait = throttle.retry_after(username, client)
    if wait:
        raise TooManyRequests(f"too many failed logins; try again in {wait} s", wait)
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        throttle.failed(username, client)
        raise Unauthorized("wrong username or password")
    throttle.succeeded(username)
    return user


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


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
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
