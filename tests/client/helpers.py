"""Running the `autograde` command line in-process and reading the service's database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from typer.testing import CliRunner

from api.db import ApiToken, Submission, SubmissionFile
from client import config
from launch.cli import app
from tests.client.service import PASSWORD, Service


@dataclass(frozen=True)
class Run:
    """One command's exit code and output streams."""

    code: int
    stdout: str
    stderr: str


def cli(*args: str, input: str | None = None) -> Run:
    """Run ``autograde ARGS`` as a user would (the real composition root's app)."""
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def login(service: Service, username: str, *extra: str) -> Run:
    """``autograde login`` with the seeded password typed at the prompt."""
    run = cli(
        "login", "--server", service.url, "--username", username, *extra, input=PASSWORD + "\n"
    )
    assert run.code == 0, run.stderr
    return run


def saved_token() -> str:
    """The token the last login saved."""
    return config.load().token


def submissions_of(service: Service, user: str) -> list[tuple[Submission, list[str]]]:
    """A user's submissions in the database, each with its stored file paths."""
    with service.sessions() as session:
        rows = session.scalars(
            select(Submission)
            .where(Submission.user_id == service.ids[user])
            .order_by(Submission.id)
        ).all()
        return [
            (
                s,
                list(
                    session.scalars(
                        select(SubmissionFile.path)
                        .where(SubmissionFile.submission_id == s.id)
                        .order_by(SubmissionFile.path)
                    )
                ),
            )
            for s in rows
        ]


def tokens_of(service: Service, user: str) -> list[ApiToken]:
    """A user's API token rows."""
    with service.sessions() as session:
        return list(
            session.scalars(
                select(ApiToken).where(ApiToken.user_id == service.ids[user]).order_by(ApiToken.id)
            )
        )
