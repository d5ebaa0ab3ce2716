"""The pieces of the filesystem view that need no namespace: what is bound, what a mount
may target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from worker.sandbox import Mount, SandboxConfig
from worker.sandbox.filesystem import (
    _outermost,
    check_mount_target,
    python_dirs,
    system_binds,
)

PROJECT = Path(__file__).resolve().parents[2]


def test_outermost_drops_nested_paths() -> None:
    assert _outermost(["/a/b", "/a", "/ab", "/", "/c/d"]) == ["/a", "/ab", "/c/d"]


def test_python_dirs_cover_the_interpreter_but_not_the_project() -> None:
    dirs = python_dirs()
    assert any(sys.prefix.startswith(d) for d in dirs)
    assert str(PROJECT) not in dirs
    assert all(not str(PROJECT).startswith(d + "/") for d in dirs)


@pytest.mark.parametrize("target", ["/data", "/submission/x.py", "/data/sub/file"])
def test_allowed_targets(target: str) -> None:
    check_mount_target(target)


@pytest.mark.parametrize(
    "target",
    [
        "data",
        "/",
        "/tmp",
        "/tmp/x",
        "/proc/1",
        "/dev/sda",
        "/etc",
        "/usr/lib",
        "/data/../etc",
        "/data/",
    ],
)
def test_refused_targets(target: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        check_mount_target(target)


def test_binds_hold_no_secret_places(tmp_path: Path) -> None:
    config = SandboxConfig(mounts=(Mount(tmp_path, "/data"),))
    sources = {b.source for b in system_binds(config)}
    for forbidden in ("/", "/etc", "/root", "/home", "/var", "/run", "/sys", str(PROJECT)):
        assert forbidden not in sources
    assert "/etc/shadow" not in sources and str(tmp_path) in sources
    assert all(not b.writable or b.device for b in system_binds(config))
