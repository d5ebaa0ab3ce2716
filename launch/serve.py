"""`autograde serve`: the whole service on one machine.

Starts an evaluation worker and the recorder (with the sweeper's beat) as child processes
and the API in this process. On the embedded default everything lives under ``data_dir``:
``autograde.sqlite3`` (the database) and ``broker.sqlite3`` (kombu's SQLAlchemy transport),
so there is nothing to install. With ``AUTOGRADE_DATABASE_URL`` and ``AUTOGRADE_BROKER_URL``
the same code runs on PostgreSQL and Redis.

The evaluation worker's environment is stripped of the database URL and the secret key: it
holds no database credentials.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from api.services.courses import PackageInfo
from api.settings import Settings

WORKER_SECRETS = ("AUTOGRADE_DATABASE_URL", "AUTOGRADE_SECRET_KEY")


def prepare(settings: Settings, load_packages: Callable[[], list[PackageInfo]]
            ) -> list[tuple[str, str, str]] | None:
    """Migrate the database, add the shipped packages to the package store (a no-op for the
    versions it holds) and, on first start, create the demo course."""
    from api.db import make_engine, make_sessionmaker, upgrade
    from api.services.demo import ensure_demo

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.db_url, "heads")
    packages = load_packages()
    if not settings.demo or settings.environment == "production":
        return None
    engine = make_engine(settings.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return ensure_demo(session, packages)
    finally:
        engine.dispose()


def child_env(settings: Settings, *, trusted: bool) -> dict[str, str]:
    """Environment of a child process; evaluation workers get no database credentials."""
    env = dict(os.environ)
    env["AUTOGRADE_DATA_DIR"] = str(settings.data_dir.resolve())
    env["AUTOGRADE_ASSIGNMENTS_DIR"] = str(settings.assignments_dir)
    env["AUTOGRADE_PACKAGE_STORE"] = str(settings.package_store_dir.resolve())
    if settings.broker_url:
        env["AUTOGRADE_BROKER_URL"] = settings.broker_url
    if trusted:
        if settings.database_url:
            env["AUTOGRADE_DATABASE_URL"] = settings.database_url
    else:
        for name in WORKER_SECRETS:
            env.pop(name, None)
    return env


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies (Linux), so no orphan keeps running."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def spawn(settings: Settings, command: list[str], *, trusted: bool) -> subprocess.Popen[Any]:
    """Start ``autograde <command>`` as a child in its own process group."""
    return subprocess.Popen([sys.executable, "-m", "launch.cli", *command],
                            env=child_env(settings, trusted=trusted), start_new_session=True,
                            preexec_fn=_die_with_parent)


def stop(children: list[subprocess.Popen[Any]], timeout_s: float = 15.0) -> None:
    """Warm shutdown of the children (SIGTERM), then SIGKILL for stragglers."""
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def serve(settings: Settings, load_packages: Callable[[], list[PackageInfo]], *,
          host: str = "127.0.0.1", port: int = 8000, workers: bool = True,
          api_processes: int = 1) -> None:
    """Run API + evaluation worker + recorder until interrupted."""
    import uvicorn

    from api.app import create_app
    from api.nodelay import HTTP_PROTOCOL
    from api.queue import CeleryDispatcher, base_celery

    logins = prepare(settings, load_packages)
    children = []
    if workers:
        children.append(spawn(settings, ["worker", "--queues", f"{settings.cpu_queue}"],
                              trusted=False))
        children.append(spawn(settings, ["recorder"], trusted=True))
    print(f"autograde: http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    print(f"  database: {settings.db_url.split('@')[-1]}")
    print(f"  broker:   {settings.effective_broker_url.split('@')[-1]}")
    if logins:
        print("  demo logins (created now, change them for real use):")
        for username, password, role in logins:
            print(f"    {username:10s} {password:18s} {role}")
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so
    # that the children are stopped below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if api_processes > 1:  # each process builds its app from the same environment
            os.environ.update({k: v for k, v in child_env(settings, trusted=True).items()
                               if k.startswith("AUTOGRADE_")})
            uvicorn.run("launch.asgi:create_from_env", factory=True, host=host, port=port,
                        workers=api_processes, log_level="warning", http=HTTP_PROTOCOL)
        else:
            app = create_app(settings, dispatcher=CeleryDispatcher(
                base_celery(settings, "autograde-api")), packages=load_packages)
            uvicorn.run(app, host=host, port=port, log_level="info", http=HTTP_PROTOCOL)
    finally:
        stop(children)
