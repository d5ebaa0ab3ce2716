"""The package store as the trusted side sees it: which versions exist, what one holds.

The store is written by ``autograde package add`` (see `worker.package_store`) and read here
only through the contract's layout (`worker.contract.stored_package_dir`) and `core`'s
manifest parser, so the API never runs a package's code. Publishing an assignment, a course
file's pinned version and a re-grade to a new version all check `has_version` first.
"""

from __future__ import annotations

from api.services.courses import PackageInfo
from api.settings import Settings
from core.errors import NotFound
from core.manifest import Manifest, load_manifest
from worker.contract import has_package_version, stored_package_dir, stored_versions

__all__ = ["has_version", "package_info", "stored_package", "stored_packages", "versions"]


def has_version(settings: Settings, name: str, version: str) -> bool:
    """Whether the package store holds that version of that package."""
    return has_package_version(settings.package_store_dir, name, version)


def versions(settings: Settings, name: str) -> list[str]:
    """The stored versions of a package, oldest first ([] for an unknown one)."""
    return stored_versions(settings.package_store_dir, name)


def package_info(manifest: Manifest, version: str) -> PackageInfo:
    """What publishing needs from one version of a package."""
    competition = manifest.competition
    return PackageInfo(
        name=manifest.name, title=manifest.title, kind=str(manifest.kind),
        points=manifest.points, bonus=manifest.bonus, threshold=manifest.threshold,
        device=str(manifest.device), version=version,
        metric_name=str(competition.metric) if competition else None,
        metric_threshold=competition.threshold if competition else None,
        higher_is_better=competition.higher_is_better if competition else True,
        extra_threshold=competition.extra_threshold if competition else None,
        extra_bonus=competition.extra_bonus if competition else 0)


def stored_package(settings: Settings, name: str, version: str) -> PackageInfo:
    """A stored version's publishing facts; NotFound (a 404) when the store lacks it."""
    if not has_version(settings, name, version):
        raise NotFound(f"package {name} has no stored version {version!r}; store it with "
                       "`autograde package add`")
    folder = stored_package_dir(settings.package_store_dir, name, version)
    manifest = load_manifest((folder / "assignment.toml").read_text(encoding="utf-8"))
    return package_info(manifest, version)


def stored_packages(settings: Settings) -> list[PackageInfo]:
    """Every version in the store, by package name, oldest version first."""
    store = settings.package_store_dir
    if not store.is_dir():
        return []
    names = sorted(folder.name for folder in store.iterdir() if folder.is_dir())
    return [stored_package(settings, name, version)
            for name in names for version in versions(settings, name)]
