"""The package store: every package version that jobs may name, content-addressed, immutable.

Layout (`worker.contract.stored_package_dir`): ``<store>/<name>/<version>/`` holds exactly
the files that make up the version (`worker.packages.package_files`: no corpus, no tools),
read-only. `add_package` copies a folder into a temporary directory inside the store,
checks that the copy hashes to the version, makes it read-only and renames it into place,
so a version directory that exists is complete and never changes; adding the same content
again changes nothing.

Workers only read: `find_package` loads exactly the version a job names (once: the job
grades with what it loaded and hashed), from the store, or from the shipped assignments
folder when that folder hashes to it.
Anything else is `PackageUnavailable`, our failure (the job's evaluation is retried and
ends as SYSTEM_ERROR, never a grade).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.manifest import is_package_name, is_package_version
from worker.contract import stored_package_dir, stored_versions
from worker.packages import Package, PackageError, load_package, package_files

__all__ = ["AddResult", "PackageUnavailable", "add_package", "find_package", "stored_versions"]

_INCOMING = ".incoming"
_READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_READ_ONLY_DIR = _READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


class PackageUnavailable(PackageError):
    """The version a job names is on neither the store nor the shipped folder (ours)."""


@dataclass(frozen=True)
class AddResult:
    """What `add_package` did."""

    package: Package
    """The package as loaded from the store."""
    added: bool
    """False when the store held this version already (nothing was written)."""


def add_package(store: Path, directory: Path) -> AddResult:
    """Store the package in `directory` as an immutable version; a no-op when already there.

    PackageError when the folder is not a valid package (nothing is written then)."""
    source = load_package(directory)
    name, version = source.manifest.name, source.version
    target = stored_package_dir(store, name, version)
    if target.is_dir():
        return AddResult(load_stored(store, name, version), added=False)
    incoming = Path(store) / _INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=incoming))
    try:
        copy = staging / name
        _write_files(copy, package_files(source.directory))
        if load_package(copy).version != version:  # edited while we copied
            raise PackageError(f"{directory} changed while it was being stored; add it again")
        _make_read_only(copy)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(copy, target)
        except OSError:
            if not target.is_dir():
                raise
            return AddResult(load_stored(store, name, version), added=False)  # a racing add
        os.chmod(target, _READ_ONLY_DIR)  # after the move: moving a folder needs it writable
    finally:
        _remove(staging)
    return AddResult(load_stored(store, name, version), added=True)


def load_stored(store: Path, name: str, version: str) -> Package:
    """The stored version, checked against its own hash (PackageUnavailable otherwise)."""
    folder = stored_package_dir(store, name, version)
    if not folder.is_dir():
        raise PackageUnavailable(f"package {name} version {version[:12]} is not in the "
                                 f"package store {store}")
    package = load_package(folder)
    if package.version != version:
        raise PackageUnavailable(f"the package store's copy of {name} {version[:12]} was "
                                 f"altered (its files hash to {package.version[:12]})")
    return package


def find_package(store: Path | None, shipped: Path, name: str, version: str) -> Package:
    """Exactly `version` of package `name`, loaded, for a worker to grade with.

    The store first; the shipped assignments folder only when it hashes to `version`.
    PackageUnavailable (our failure, with what staff should do) otherwise; ValueError for
    a name that is not a package name."""
    if not is_package_name(name):
        raise ValueError(f"bad package name {name!r}")
    if not is_package_version(version):
        raise PackageUnavailable(f"the job names no valid version of package {name}: "
                                 f"{version!r}")
    if store is not None and stored_package_dir(store, name, version).is_dir():
        return load_stored(store, name, version)
    folder = shipped / name
    found = None
    if (folder / "assignment.toml").is_file():
        package = load_package(folder)
        found = package.version
        if found == version:
            return package
    shipped_text = f"the shipped folder has {found[:12]}" if found else "none is shipped"
    raise PackageUnavailable(
        f"package {name} version {version[:12]} is not on this worker: the package store "
        f"{store} lacks it and {shipped_text}. Store that version with `autograde package "
        "add` (on the store the workers read), then re-run the evaluation.")


def _write_files(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _make_read_only(root: Path) -> None:
    """Files r--r--r--, folders below `root` r-xr-xr-x (deepest first, so the walk lists)."""
    for folder, _, names in os.walk(root, topdown=False):
        for file_name in names:
            os.chmod(os.path.join(folder, file_name), _READ_ONLY_FILE)
        if Path(folder) != root:
            os.chmod(folder, _READ_ONLY_DIR)


def _remove(path: Path) -> None:
    """Remove a staging folder, read-only parts included."""
    if not path.exists():
        return
    for folder, _, _ in os.walk(path):
        os.chmod(folder, stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)
