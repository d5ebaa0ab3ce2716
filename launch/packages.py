"""The assignment packages a service can publish: the one place that reads both the API's
settings and the worker's package code to list them.

The imports are inside the functions: the `autograde` command line loads this module for
every command, the client's too, and those must not pay for the server's imports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from api.services.courses import PackageInfo


def load_packages() -> list[PackageInfo]:
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


def package_store() -> Path:
    """The package store's directory, from the API's settings."""
    from api.settings import Settings

    return Settings().package_store_dir
