"""The client's typer commands: `login`, `logout`, `submit`, `status`, `results`,
`standings`. Each parses its arguments, calls the client, and prints; every `ClientError`
becomes one line on stderr and exit status 1 (3: `--wait` gave up before the end)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from client import config, render, session
from client.errors import ClientError
from client.files import upload_parts
from client.http import ApiClient, is_pending
from core.text import printable

F = TypeVar("F", bound=Callable[..., Any])
STILL_PENDING = 3
"""Exit status of `submit --wait` when the evaluation did not finish in time."""

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]


def reported(command: F) -> F:
    """Show a `ClientError` as ``autograde: <message>`` and exit 1, never a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ClientError as error:
            typer.echo(f"autograde: {printable(error.message)}", err=True)
            raise typer.Exit(code=1) from None

    return run  # type: ignore[return-value]


def logged_in() -> ApiClient:
    """A client with the saved server and token (`NotLoggedIn` without them)."""
    credentials = config.load()
    return ApiClient(credentials.server, credentials.token)


@reported
def login(
    server: Annotated[
        str | None,
        typer.Option(
            help="Base URL of the service [default: $AUTOGRADE_SERVER or http://127.0.0.1:8000]"
        ),
    ] = None,
    username: Annotated[str | None, typer.Option("--username", "-u")] = None,
    staff: Annotated[
        bool,
        typer.Option("--staff", help="Also ask for the 'staff' scope (teachers and assistants)."),
    ] = False,
) -> None:
    """Log in with your password; an API token is saved in your config directory."""
    server = server or config.default_server()
    username = username or typer.prompt("Username")
    password = typer.prompt("Password", hide_input=True)
    done = session.log_in(server, username, password, staff=staff)
    typer.echo(
        f"Logged in to {done.credentials.server} as {username} (scopes: {done.scopes}; "
        f"token expires {done.credentials.expires_at or 'never'}); saved in {done.path}."
    )


@reported
def logout() -> None:
    """Revoke the saved API token on the server and forget it here."""
    where = session.log_out()
    typer.echo("You were not logged in." if where is None else f"Logged out of {where}.")


@reported
def submit(
    course: Annotated[str, typer.Argument(help="Course slug or id.")],
    assignment: Annotated[str, typer.Argument(help="Assignment name or id.")],
    files: Annotated[
        list[Path], typer.Argument(help="Solution files, or one directory, or one .zip.")
    ],
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Wait for the evaluation and print the results.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    interval: Annotated[float, typer.Option(help="Seconds between polls.", hidden=True)] = 2.0,
) -> None:
    """Submit a solution; prints its id and whether it is late."""
    parts = upload_parts(files)
    with logged_in() as client:
        target = client.assignment(course, assignment)
        submission = client.submit(target["id"], parts)
        typer.echo(render.submitted(submission, target.get("points")))
        if not wait:
            return
        submission = client.wait(submission["id"], interval_s=interval, timeout_s=timeout)
    typer.echo(render.results(submission))
    if is_pending(submission):
        typer.echo(
            f"Still not graded after {timeout:g} s; check later with "
            f"`autograde status {submission['id']}`.",
            err=True,
        )
        raise typer.Exit(code=STILL_PENDING)


@reported
def status(
    submission: Annotated[
        int | None, typer.Argument(help="A submission id; without it your latest submissions.")
    ] = None,
    course: Annotated[str | None, typer.Option(help="Only this course (slug or id).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 10,
    as_json: JsonOption = False,
) -> None:
    """The state of one submission, or of your latest ones."""
    with logged_in() as client:
        if submission is not None:
            one = client.submission(submission)
            typer.echo(render.as_json(one) if as_json else render.summary(one))
            return
        recent = client.recent_submissions(limit, course)
    typer.echo(render.as_json(recent) if as_json else render.status_list(recent))


@reported
def results(
    submission: Annotated[int, typer.Argument(help="The submission id.")],
    as_json: JsonOption = False,
) -> None:
    """Per-test results of a submission: verdict, time, memory, message."""
    with logged_in() as client:
        answer = client.submission(submission)
    typer.echo(render.as_json(answer) if as_json else render.results(answer))


@reported
def standings(
    course: Annotated[str, typer.Argument(help="Course slug or id.")],
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Course standings: your own (students) or everyone's (staff)."""
    if as_json and as_csv:
        raise ClientError("choose one of --json and --csv")
    with logged_in() as client:
        course_id = client.course(course)["id"]
        rows = client.standings(course_id)
        names = {a["id"]: a["name"] for a in client.assignments(course_id)} if as_csv else {}
    if as_json:
        typer.echo(render.as_json(rows))
    else:
        typer.echo(
            render.standings_csv(rows, names) if as_csv else render.standings(rows), nl=not as_csv
        )


COMMANDS: dict[str, Callable[..., None]] = {
    "login": login,
    "logout": logout,
    "submit": submit,
    "status": status,
    "results": results,
    "standings": standings,
}


def register(app: typer.Typer) -> None:
    """Add the client commands to the `autograde` command line."""
    for name, command in COMMANDS.items():
        app.command(name)(command)
