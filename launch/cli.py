"""The `autograde` command line: every command, registered from the modules that implement
them (`launch` is the composition root: the one package that may import both `api` and
`worker`; see pyproject's import contracts)."""

from __future__ import annotations

import typer

from client.commands import register as register_client
from launch.admin_cli import register as register_admin
from launch.grade_cli import grade
from launch.package_cli import make_package_app
from launch.packages import package_store
from launch.service_cli import register as register_service

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
register_service(app)
register_admin(app)
register_client(app)
app.add_typer(make_package_app(store=package_store), name="package")


def main() -> None:
    """Entry point of the `autograde` console script."""
    app()


if __name__ == "__main__":
    main()
