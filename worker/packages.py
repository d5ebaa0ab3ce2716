"""Loading an assignment package folder from disk: manifest, files, version, data folders.

`core.manifest` validates the manifest text and computes the version from file contents
(pure); this module does the I/O around it: reads the folder, picks which files count
towards the version, and answers where each test's data and the reference live on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.manifest import Manifest, load_manifest, missing_files, package_version

MANIFEST_NAME = "assignment.toml"

# Folders that are part of the repository but not of the graded package: editing the
# corpus or the generator scripts must not invalidate every cached reference result.
_NOT_PACKAGE = frozenset({"corpus", "tools", "__pycache__"})


class PackageError(Exception):
    """The package folder cannot be loaded (our fault: a SYSTEM_ERROR, never a grade)."""


@dataclass(frozen=True)
class Package:
    """An assignment package as loaded from its folder."""

    directory: Path
    manifest: Manifest
    version: str
    """Content hash of every package file (see `package_files`)."""

    @property
    def reference_path(self) -> Path:
        """The reference solution's source file."""
        return self.directory / self.manifest.reference


def package_files(directory: Path) -> dict[str, bytes]:
    """Every file of the package by relative path, minus corpus, tools and dot-files."""
    files: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if not path.is_file() or relative.parts[0] in _NOT_PACKAGE:
            continue
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def load_package(directory: Path) -> Package:
    """Read and validate the package in `directory`; PackageError when it cannot be used."""
    directory = Path(directory).resolve()
    manifest_path = directory / MANIFEST_NAME
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except OSError as error:
        raise PackageError(f"cannot read {manifest_path}: {error}") from error
    try:
        manifest = load_manifest(text)
    except Exception as error:  # ManifestError, with its own clear message
        raise PackageError(f"{manifest_path}: {error}") from error
    files = package_files(directory)
    missing = missing_files(manifest, files)
    if missing:
        raise PackageError(f"{directory.name}: files named by the manifest are missing: "
                           + ", ".join(missing))
    return Package(directory=directory, manifest=manifest, version=package_version(files))
