"""Roster import: a CSV of people is previewed (new / enrolled / role changed / unchanged)
and applied only with the preview's token, all or nothing, every change audited.

The token is a hash of what the preview showed: the course, the caller, the file, and each
line's state in the database (account exists, old role). `apply` computes the preview again
and refuses (409) when its token differs, so a confirmation applies exactly what was
previewed: a changed file, or a roster changed by someone else in the meantime, needs a new
preview. Who may give which role is `core.roles.check_role_change`, checked on every line
at preview and again at apply.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.bounds import has_control
from api.db import AuditLog, Course, Enrollment, Role, User
from api.security import hash_password
from core.errors import BadInput, Conflict
from core.roles import check_role_change

COLUMNS: tuple[tuple[str, str], ...] = (
    ("username", "required; the login name"),
    ("email", "optional; used only for a new account"),
    ("display_name", "optional; used only for a new account"),
    ("role", "optional: student (the default), assistant or teacher"),
    ("uuid", "optional; the person's id in the faculty's system, for a new account"),
    ("password", "optional; a new account's first password (random when empty)"),
)
"""The roster's columns and what each means: the only columns accepted, as the page and the
REST route document them."""

COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
MAX_BYTES = 5 * 2**20
Change = Literal["new", "enrol", "role", "unchanged"]


@dataclass(frozen=True)
class RosterLine:
    """One person of the file, and what applying it changes."""

    line: int
    username: str
    role: str
    old_role: str | None
    """Their role in the course now; None when not in it."""
    new_account: bool
    email: str = ""
    display_name: str = ""
    uuid: str = ""
    password: str = ""

    @property
    def change(self) -> Change:
        """``new`` (account and enrolment), ``enrol``, ``role`` (changed) or ``unchanged``."""
        if self.new_account:
            return "new"
        if self.old_role is None:
            return "enrol"
        return "unchanged" if self.old_role == self.role else "role"


@dataclass(frozen=True)
class RosterPreview:
    lines: tuple[RosterLine, ...]
    token: str
    """Pass it back to `apply`: it confirms exactly this preview."""

    def count(self, change: str) -> int:
        return sum(line.change == change for line in self.lines)


def decode(data: bytes) -> str:
    """An uploaded roster as text (UTF-8, an optional BOM), or `BadInput`."""
    if len(data) > MAX_BYTES:
        raise BadInput("the roster is larger than 5 MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput("the roster must be UTF-8 text") from error


LENGTHS = {"username": 100, "email": 254, "display_name": 200, "role": 20, "uuid": 36,
           "password": 1000}
"""The longest value each column may hold (the database's column sizes)."""


def _check_values(number: int, values: dict[str, str]) -> None:
    for column, value in values.items():
        if has_control(value):
            raise BadInput(f"line {number}: the {column} contains a control character")
        if len(value) > LENGTHS.get(column, 1000):
            raise BadInput(f"line {number}: the {column} is longer than "
                           f"{LENGTHS.get(column, 1000)} characters")


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    try:
        return _read_rows(text)
    except csv.Error as error:
        raise BadInput(f"the CSV cannot be read: {error}") from None


def _read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    # newline=None: a bare CR ends a line as CRLF and LF do (old spreadsheet exports)
    reader = csv.DictReader(io.StringIO(text.strip() + "\n", newline=None), strict=True)
    header = [name.strip() for name in reader.fieldnames or []]
    if "username" not in header:
        raise BadInput("the CSV needs a header line with at least a 'username' column")
    unknown = [name for name in header if name not in COLUMN_NAMES]
    if unknown:
        raise BadInput(f"unknown CSV column(s): {', '.join(unknown)}; "
                       f"allowed: {', '.join(COLUMN_NAMES)}")
    reader.fieldnames = header
    rows, seen = [], set()
    for row in reader:
        number = reader.line_num  # the file's line (blank lines skipped, quoted newlines)
        if None in row:
            raise BadInput(f"line {number}: more values than columns")
        values = {key: (value or "").strip() for key, value in row.items()}
        _check_values(number, values)
        username = values.get("username", "")
        if not username:
            raise BadInput(f"line {number}: empty username")
        if username in seen:
            raise BadInput(f"line {number}: {username!r} appears twice")
        seen.add(username)
        rows.append((number, values))
    return rows


def preview(session: Session, course: Course, text: str, *, actor_id: int,
            actor_role: str) -> RosterPreview:
    """What importing ``text`` would change; refuses a line the caller may not apply."""
    rows = _rows(text)
    usernames = [values["username"] for _, values in rows]
    users = {u.username: u for u in session.scalars(
        select(User).where(User.username.in_(usernames)))}
    roles = dict(session.execute(select(User.username, Enrollment.role)
                                 .join(Enrollment, Enrollment.user_id == User.id)
                                 .where(Enrollment.course_id == course.id,
                                        User.username.in_(usernames))).all())
    lines: list[RosterLine] = []
    taken: set[str] = set()
    for number, values in rows:
        username = values["username"]
        role = values.get("role") or Role.STUDENT.value
        old = roles.get(username)
        try:
            check_role_change(actor_role, old, role, who=username)
        except BadInput as error:
            raise BadInput(f"line {number}: {error}") from None
        new = username not in users
        lines.append(RosterLine(
            number, username, role, old, new,
            email=values.get("email", ""), display_name=values.get("display_name", ""),
            uuid=_new_uuid(session, number, values.get("uuid", ""), taken) if new else "",
            password=values.get("password", "")))
    return RosterPreview(tuple(lines), _token(course.id, actor_id, text, lines))


def _new_uuid(session: Session, number: int, text: str, taken: set[str]) -> str:
    if not text:
        return ""
    try:
        value = str(uuid.UUID(text))
    except ValueError:
        raise BadInput(f"line {number}: not a UUID: {text!r}") from None
    if value in taken or session.scalar(select(User.id).where(User.uuid == value)) is not None:
        raise BadInput(f"line {number}: the uuid {value} belongs to another user")
    taken.add(value)
    return value


def _token(course_id: int, actor_id: int, text: str, lines: list[RosterLine]) -> str:
    state = [course_id, actor_id, hashlib.sha256(text.encode()).hexdigest(),
             [(x.username, x.new_account, x.old_role, x.role) for x in lines]]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def apply(session: Session, course: Course, text: str, *, actor_id: int, actor_role: str,
          token: str | None) -> RosterPreview:
    """Import the roster, all or nothing. With ``token`` (a preview's), refuse with
    `Conflict` unless the file and the course's roster are as previewed."""
    shown = preview(session, course, text, actor_id=actor_id, actor_role=actor_role)
    if token is not None and not secrets.compare_digest(token, shown.token):
        raise Conflict("the roster changed since it was previewed (or the file differs "
                       "from the previewed one); preview it again")
    for line in shown.lines:
        _apply_line(session, course, line, actor_id)
    session.add(AuditLog.record("roster.import", actor_id=actor_id, course_id=course.id,
                                created=shown.count("new"),
                                enrolled=shown.count("new") + shown.count("enrol"),
                                changed=shown.count("role")))
    session.commit()
    return shown


def _apply_line(session: Session, course: Course, line: RosterLine, actor_id: int) -> None:
    if line.change == "unchanged":
        return
    user = session.scalar(select(User).where(User.username == line.username))
    if user is None:
        user = User(username=line.username, email=line.email, display_name=line.display_name,
                    password_hash=hash_password(line.password or secrets.token_urlsafe(12)))
        if line.uuid:
            user.uuid = line.uuid
        session.add(user)
        session.flush()
    enrollment = session.scalar(select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.user_id == user.id))
    if enrollment is None:
        session.add(Enrollment(course_id=course.id, user_id=user.id, role=line.role))
    else:
        enrollment.role = line.role
    session.add(AuditLog.record("enrollment.role", actor_id=actor_id, course_id=course.id,
                                object_type="user", object_id=user.id, username=user.username,
                                old=line.old_role, new=line.role))
