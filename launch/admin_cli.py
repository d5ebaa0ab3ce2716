"""Console commands for running courses: ``autograde admin create-user / set-role`` and
``autograde course apply / export``. They talk to the database directly (they run on the
server, with its settings) and go through the same services as the REST API."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

PASSWORD_ENV = "AUTOGRADE_NEW_PASSWORD"

admin_app = typer.Typer(help="Accounts and roles (run on the server).", no_args_is_help=True)
course_app = typer.Typer(help="Courses as TOML files (run on the server).",
                         no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database; domain errors end the command with exit 1."""
    from sqlalchemy.exc import DBAPIError

    from api.db import make_engine, make_sessionmaker
    from api.settings import Settings
    from core.errors import AutogradeError

    engine = make_engine(Settings().db_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    except AutogradeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    except DBAPIError as error:
        typer.echo(f"error: the database refused: {error.orig}\n(an empty database needs "
                   "`autograde migrate` first)", err=True)
        raise typer.Exit(1) from error
    finally:
        engine.dispose()


def _read_password(password_file: Path | None) -> str:
    """From the file ('-': standard input), the environment, or a hidden prompt."""
    if password_file is not None:
        text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text()
        return text.splitlines()[0] if text.strip() else ""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        typer.echo(f"error: no password: use --password-file FILE or {PASSWORD_ENV}, or run "
                   "in a terminal to be asked", err=True)
        raise typer.Exit(1)
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@admin_app.command("create-user")
def create_user(
    username: str,
    role: Annotated[str, typer.Option(help="admin, or teacher/assistant/student of --course")],
    course: Annotated[str | None, typer.Option(help="course slug (roles other than admin)")]
    = None,
    email: Annotated[str, typer.Option(help="e-mail address")] = "",
    display_name: Annotated[str, typer.Option(help="name shown on pages")] = "",
    password_file: Annotated[Path | None, typer.Option(
        help=f"read the password from this file ('-': stdin); else ${PASSWORD_ENV}, else a "
             "hidden prompt")] = None,
) -> None:
    """Create an account: the first admin of an empty database, or a course member."""
    from sqlalchemy import select

    from api.db import Course
    from api.services import admin

    if role not in ("admin", "teacher", "assistant", "student"):
        typer.echo("error: --role must be admin, teacher, assistant or student", err=True)
        raise typer.Exit(2)
    if (role == "admin") == (course is not None):
        typer.echo("error: --course is needed for teacher/assistant/student, and not for "
                   "admin", err=True)
        raise typer.Exit(2)
    password = _read_password(password_file)
    with _session() as session:
        found = session.scalar(select(Course).where(Course.slug == course)) if course else None
        if course and found is None:
            typer.echo(f"error: no course {course!r}", err=True)
            raise typer.Exit(1)
        user = admin.create_user(session, username, password, is_admin=role == "admin",
                                 email=email, display_name=display_name, commit=False)
        if found is not None:
            admin.enrol(session, user, found, role, commit=False)
        session.commit()
        typer.echo(f"created {role} {user.username}" + (f" of {course}" if course else ""))


@admin_app.command("set-role")
def set_role(
    course: Annotated[str, typer.Argument(help="course slug")],
    username: str,
    role: Annotated[str, typer.Argument(help="teacher, assistant, student or none")],
    as_user: Annotated[str | None, typer.Option("--as", help="acting user (default: the "
                                                "only admin)")] = None,
    reason: Annotated[str, typer.Option(help="why (kept in the audit log)")] = "",
) -> None:
    """Give a user a role in a course (``none`` removes them); audited."""
    from sqlalchemy import select

    from api.db import Course, User
    from api.services import admin, courses

    with _session() as session:
        actor = admin.console_actor(session, as_user)
        found = session.scalar(select(Course).where(Course.slug == course))
        user = session.scalar(select(User).where(User.username == username))
        if found is None or user is None:
            missing = f"course {course!r}" if found is None else f"user {username!r}"
            typer.echo(f"error: no {missing}", err=True)
            raise typer.Exit(1)
        old, new = courses.set_role(session, actor, found, user,
                                    None if role == "none" else role, reason=reason)
        typer.echo(f"{username} in {course}: {old or 'none'} -> {new or 'none'}")


def register(app: typer.Typer) -> None:
    """Add ``admin`` and ``course`` to the root app."""

    @course_app.command("apply")
    def apply(
        file: Annotated[Path, typer.Argument(help="the course file (TOML)")],
        dry_run: Annotated[bool, typer.Option(help="show the changes, change nothing")]
        = False,
        as_user: Annotated[str | None, typer.Option("--as", help="acting user: an admin, or a "
                                                    "teacher of the course (default: the "
                                                    "only admin)")] = None,
        reason: Annotated[str, typer.Option(help="why (audit log; default: the file)")] = "",
    ) -> None:
        """Make a course what the file says (created / changed / unpublished, per field),
        in one transaction; applying it again changes nothing."""
        from api.services import admin
        from api.services.course_file import apply_course_file, describe
        from core.course_file import parse_course_file
        from launch.packages import load_packages

        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            typer.echo(f"error: cannot read {file}: {error}", err=True)
            raise typer.Exit(1) from error
        with _session() as session:
            parsed = parse_course_file(text, str(file))
            actor = admin.console_actor(session, as_user)
            changes = apply_course_file(session, actor, parsed, load_packages(),
                                        dry_run=dry_run, reason=reason or f"course file {file}")
            typer.echo(describe(changes, parsed.course.timezone))
            if changes:
                typer.echo("dry run: nothing changed" if dry_run else
                           f"applied {len(changes)} change(s)")

    @course_app.command("export")
    def export(
        slug: str,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="write here "
                                                    "(default: standard output)")] = None,
    ) -> None:
        """Write a course's live state as a course file (``apply`` accepts it unchanged)."""
        from api.services.course_file import export_course_file

        with _session() as session:
            text = export_course_file(session, slug, header=f"course {slug}, exported by "
                                      "autograde course export")
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")

    app.add_typer(admin_app, name="admin")
    app.add_typer(course_app, name="course")
