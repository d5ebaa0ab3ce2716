"""`autograde package check | add | list`: assignment packages without a code release.

Registered by `launch/cli.py`, which says where the package store is.
Exit status: 0 when all is well, 1 when the package has a problem, 2 for a usage problem
(no sandbox to run the reference in).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from launch.grade_cli import DEFAULT_CACHE_DIR, EXIT_USAGE

EXIT_PROBLEM = 1


def make_package_app(store: Callable[[], Path]) -> typer.Typer:
    """The ``package`` command group; ``store()`` gives the package store's directory."""
    app = typer.Typer(help="Check, store and list assignment packages.",
                      no_args_is_help=True)

    @app.command("check")
    def check(
        directory: Annotated[Path, typer.Argument(help="The package folder.")],
        skip_slow: Annotated[bool, typer.Option(help="Skip corpus cases marked slow.")] = False,
        device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
        cache_dir: Annotated[Path, typer.Option(help="Reference cache directory.")]
        = DEFAULT_CACHE_DIR,
    ) -> None:
        """Validate a package: manifest, the reference on every test (timings and suggested
        limits), and every corpus case against its recorded outcome."""
        from worker.engine import make_runner
        from worker.package_check import check_package, format_check
        from worker.reference_cache import ReferenceCache

        try:
            runner = make_runner(device=device)
        except RuntimeError as error:
            typer.echo(f"autograde package check: {error}", err=True)
            raise typer.Exit(code=EXIT_USAGE) from None
        try:
            result = check_package(directory, runner=runner, cache=ReferenceCache(cache_dir),
                                   device=device, skip_slow=skip_slow)
        finally:
            runner.close()
        typer.echo(format_check(result))
        if not result.ok:
            raise typer.Exit(code=EXIT_PROBLEM)

    @app.command("add")
    def add(directory: Annotated[Path, typer.Argument(help="The package folder.")]) -> None:
        """Store a package as an immutable version (its content hash); run `check` first."""
        from worker.package_store import add_package
        from worker.packages import PackageError

        root = store()
        try:
            result = add_package(root, directory)
        except (PackageError, OSError) as error:
            typer.echo(f"autograde package add: {error}", err=True)
            raise typer.Exit(code=EXIT_PROBLEM) from None
        package = result.package
        state = "stored" if result.added else "already stored, nothing changed:"
        typer.echo(f"{state} {package.manifest.name} version {package.version} in {root}")

    @app.command("list")
    def list_versions(
        name: Annotated[str | None, typer.Argument(help="Only this package.")] = None,
    ) -> None:
        """The stored versions, oldest first, per package."""
        from worker.contract import stored_versions

        root = store()
        names = [name] if name else sorted(path.name for path in root.glob("[a-z]*")
                                           if path.is_dir())
        for package in names:
            for version in stored_versions(root, package):
                typer.echo(f"{package} {version}")

    return app
