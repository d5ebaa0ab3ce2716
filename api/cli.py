"""The `autograde` command line: the composition root of the project.

Sub-commands are registered here from the modules that implement them, so this module is
the one place allowed to reach into both `api` and `worker` (see pyproject's contracts).
"""

from __future__ import annotations

import typer

from worker.cli import grade

app = typer.Typer(
    name="autograde",
    help="Assignment autograder for deep-learning courses.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Assignment autograder for deep-learning courses."""


app.command("grade")(grade)


@app.command()
def serve() -> None:
    """Start the whole service on the embedded default (SQLite, local queue)."""
    typer.echo(
        "autograde serve: the web service is not built yet in this revision; "
        "available now: `autograde grade` (see --help).",
        err=True,
    )
    raise typer.Exit(code=1)


def main() -> None:
    """Entry point of the `autograde` console script."""
    app()
