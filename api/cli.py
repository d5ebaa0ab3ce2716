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


def _load_packages() -> list:
    """Every shipped assignment package that loads, for publishing in the demo course."""
    from api.services.demo import PackageInfo
    from api.settings import Settings
    from worker.packages import PackageError, load_package

    infos = []
    for folder in sorted(Settings().assignments_dir.iterdir()):
        if not (folder / "assignment.toml").is_file():
            continue
        try:
            package = load_package(folder)
        except PackageError as error:
            typer.echo(f"skipping assignment {folder.name}: {error}", err=True)
            continue
        m, comp = package.manifest, package.manifest.competition
        infos.append(PackageInfo(
            name=m.name, title=m.title, kind=str(m.kind), points=m.points, bonus=m.bonus,
            threshold=m.threshold, device=str(m.device), version=package.version,
            metric_name=str(comp.metric) if comp else None,
            metric_threshold=comp.threshold if comp else None,
            higher_is_better=comp.higher_is_better if comp else True,
            extra_threshold=comp.extra_threshold if comp else None,
            extra_bonus=comp.extra_bonus if comp else 0))
    return infos


def _run_worker(queues: str | None, concurrency: int | None) -> None:
    from worker.celery_app import WorkerSettings, run_worker

    overrides = {"queues": queues, "concurrency": concurrency}
    run_worker(WorkerSettings(**{k: v for k, v in overrides.items() if v is not None}))


from api.service_cli import register as _register_service  # noqa: E402

_register_service(app, load_packages=_load_packages, run_worker=_run_worker)

from api.client.commands import register as _register_client  # noqa: E402

_register_client(app)


def main() -> None:
    """Entry point of the `autograde` console script."""
    app()


if __name__ == "__main__":
    main()
