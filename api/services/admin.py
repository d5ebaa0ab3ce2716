"""The server console's own operations (``autograde admin ...``): creating accounts,
including the first admin of an empty database. Callers are trusted (they hold the
database credentials); each action is audited without an actor (the console)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import AuditLog, Course, Enrollment, Role, User
from api.security import hash_password
from core.errors import BadInput, Conflict

MIN_PASSWORD_LENGTH = 8


def check_password(password: str) -> str:
    """`BadInput` for a password too short to protect an account (surrounding spaces and
    the final newline of a password file are not part of it)."""
    password = password.strip()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False,
                email: str = "", display_name: str = "", commit: bool = True) -> User:
    """A new account (`Conflict` when the username is taken); audited as ``user.create``."""
    username = username.strip()
    if not username:
        raise BadInput("the username must not be empty")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the user {username!r} exists already")
    user = User(username=username, email=email, display_name=display_name,
                password_hash=hash_password(check_password(password)), is_admin=is_admin)
    session.add(user)
    session.flush()
    session.add(AuditLog.record("user.create", object_type="user", object_id=user.id,
                                username=username, is_admin=is_admin, via="console"))
    if commit:
        session.commit()
    return user


def console_actor(session: Session, username: str | None) -> User:
    """Who a console command acts as: the named user, or the only admin when unnamed."""
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise BadInput(f"no user {username!r}")
        return user
    admins = list(session.scalars(select(User).where(User.is_admin).limit(2)))
    if len(admins) != 1:
        raise BadInput("say who acts with --as USERNAME (an admin, or a teacher of the "
                       "course)" + ("; there is no admin yet: autograde admin create-user "
                                    "NAME --role admin" if not admins else ""))
    return admins[0]


def enrol(session: Session, user: User, course: Course, role: str, *,
          commit: bool = True) -> Enrollment:
    """Give a user without a role in the course one (the console's ``create-user
    --course``); audited as ``course.role`` like every other role change."""
    if role not in {r.value for r in Role}:
        raise BadInput(f"unknown role {role!r} (student, assistant, teacher)")
    if session.scalar(select(Enrollment.id).where(
            Enrollment.course_id == course.id, Enrollment.user_id == user.id)) is not None:
        raise Conflict(f"{user.username!r} has a role in {course.slug!r} already")
    row = Enrollment(course_id=course.id, user_id=user.id, role=role)
    session.add(row)
    session.add(AuditLog.record("course.role", course_id=course.id, object_type="user",
                                object_id=user.id, username=user.username, old=None, new=role,
                                reason="console", via="console"))
    if commit:
        session.commit()
    return row
