"""Service commands of the ``autograde`` CLI: serve, recorder, worker, migrate, sweep.

`register` adds them to the root Typer app (`launch.cli`). The imports are inside the
commands, so that the command line starts without the server's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from api.settings import Settings


def _settings() -> Settings:
    from api.settings import Settings

    return Settings()


def register(app: typer.Typer) -> None:
    """Register the service commands on ``app``."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
        no_workers: Annotated[bool, typer.Option(help="API only; run workers elsewhere")] = False,
        api_processes: Annotated[int, typer.Option(help="API processes (uvicorn workers)")] = 1,
    ) -> None:
        """Start the whole service: API, an evaluation worker and the recorder (embedded
        default: SQLite + a SQLite-backed queue under ./var; PostgreSQL/Redis from
        AUTOGRADE_DATABASE_URL / AUTOGRADE_BROKER_URL)."""
        from launch.packages import load_packages
        from launch.serve import serve as run

        run(_settings(), load_packages, host=host, port=port, workers=not no_workers,
            api_processes=api_processes)

    @app.command()
    def worker(
        queues: Annotated[str | None, typer.Option(help="queues, e.g. cpu or gpu")] = None,
        concurrency: Annotated[int | None, typer.Option(help="jobs at once")] = None,
    ) -> None:
        """Run an evaluation worker (no database access; results go to the record queue)."""
        from launch.processes import run_worker
        from worker.settings import WorkerSettings

        overrides: dict[str, Any] = {"queues": queues, "concurrency": concurrency}
        run_worker(WorkerSettings(**{k: v for k, v in overrides.items() if v is not None}))

    @app.command()
    def recorder(
        beat: Annotated[bool, typer.Option(help="also run the periodic sweeper")] = True,
    ) -> None:
        """Run the trusted recorder: writes results, retries our failures, sweeps."""
        from launch.processes import run_recorder

        run_recorder(_settings(), beat=beat)

    @app.command()
    def migrate() -> None:
        """Create or upgrade the database schema."""
        from api.db import upgrade

        settings = _settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.db_url, "heads")
        typer.echo("database is up to date")

    @app.command()
    def sweep() -> None:
        """Run the sweeper once: publish lost queued work, fail over expired leases."""
        from api.db import make_engine, make_sessionmaker
        from api.queue import (
            CeleryDispatcher,
            base_celery,
            dispatch_all,
            idle_queues,
            ordered_dispatcher,
        )
        from api.services.pipeline import sweep as run_sweep

        settings = _settings()
        engine = make_engine(settings.db_url)
        celery = base_celery(settings, "autograde-sweep")
        idle = idle_queues(celery, [settings.cpu_queue, settings.gpu_queue])
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            jobs = run_sweep(session, settings, idle_queues=idle)
        dispatch_all(ordered_dispatcher(CeleryDispatcher(celery), sessions, settings), jobs)
        typer.echo(f"published {len(jobs)} evaluation(s) again")
