"""The `autograde` command line: the composition root of the project.

Sub-commands are registered here from the modules that implement them, so this module is
the one place allowed to reach into both `api` and `worker` (see pyproject's contracts).
"""

from __future__ import annotations

from pathlib import Path

import typer

from worker.cli import grade
from worker.package_cli import make_package_app

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


def _load_packages() -> list:
    """The packages that can be published: every shipped package that loads (added to the
    package store, a no-op for a stored version), then the store's other versions."""
    from api.services.packages import package_info, stored_packages
    from api.settings import Settings
    from worker.package_store import add_package
    from worker.packages import PackageError, load_package

    settings = Settings()
    infos = []
    for folder in sorted(settings.assignments_dir.iterdir()):
        if not (folder / "assignment.toml").is_file():
            continue
        try:
            package = load_package(folder)
        except PackageError as error:
            typer.echo(f"skipping assignment {folder.name}: {error}", err=True)
            continue
        try:  # workers also grade from the shipped folder while its hash matches
            add_package(settings.package_store_dir, folder)
        except (PackageError, OSError) as error:
            typer.echo(f"assignment {folder.name} is not in the package store: {error}",
                       err=True)
        infos.append(package_info(package.manifest, package.version))
    shipped = {(info.name, info.version) for info in infos}
    return infos + [info for info in stored_packages(settings)
                    if (info.name, info.version) not in shipped]


load_packages = _load_packages
"""The installed packages (public name: `api.asgi` passes it to the app)."""


def _package_store() -> Path:
    from api.settings import Settings

    return Settings().package_store_dir


def _run_worker(queues: str | None, concurrency: int | None) -> None:
    from worker.celery_app import WorkerSettings, run_worker

    overrides = {"queues": queues, "concurrency": concurrency}
    run_worker(WorkerSettings(**{k: v for k, v in overrides.items() if v is not None}))


from api.service_cli import register as _register_service  # noqa: E402

_register_service(app, load_packages=_load_packages, run_worker=_run_worker)

from api.admin_cli import register as _register_admin  # noqa: E402

_register_admin(app, load_packages=_load_packages)

from client.commands import register as _register_client  # noqa: E402

_register_client(app)
app.add_typer(make_package_app(store=_package_store), name="package")


def main() -> None:
    """Entry point of the `autograde` console script."""
    app()


if __name__ == "__main__":
    main()
