"""The package store: `package add` is idempotent and a stored version never changes;
workers find exactly the version a job names, and an edited package folder does not change
what a queued job of the old version grades."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launch.cli import app
from worker.contract import EvaluateRequest, has_package_version, stored_versions
from worker.package_store import (
    PackageUnavailable,
    add_package,
    find_package,
    load_stored,
)
from worker.packages import PackageError, load_package, package_files
from worker.tasks import Grader, evaluate

SHIPPED = Path(__file__).resolve().parents[2] / "assignments" / "numpy_entropy"
GOOD = SHIPPED / "corpus" / "good_numpy"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of numpy_entropy (with its corpus) that the test may edit."""
    folder = tmp_path / "shipped" / "numpy_entropy"
    shutil.copytree(SHIPPED, folder)
    return folder


def test_add_stores_exactly_the_version_read_only_and_twice_is_a_no_op(
        package: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = add_package(store, package)
    version = load_package(package).version
    assert first.added and first.package.version == version
    stored = store / "numpy_entropy" / version
    assert first.package.directory == stored
    assert set(package_files(stored)) == set(package_files(package))
    assert not (stored / "corpus").exists()  # not part of the version
    modes = [path.stat().st_mode for path in [stored, *stored.rglob("*")]]
    assert all(not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) for mode in modes)
    before = {path: path.stat().st_mtime_ns for path in stored.rglob("*")}
    again = add_package(store, package)
    assert not again.added and again.package.version == version
    assert {path: path.stat().st_mtime_ns for path in stored.rglob("*")} == before
    assert stored_versions(store, "numpy_entropy") == [version]
    assert list((store / ".incoming").iterdir()) == []  # no staging left behind


def test_an_edited_folder_is_a_new_version_and_the_old_one_stays(
        package: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    old = add_package(store, package).package.version
    old_files = package_files(store / "numpy_entropy" / old)
    with (package / "statement.md").open("a") as statement:
        statement.write("\nA clarification.\n")
    new = add_package(store, package)
    assert new.added and new.package.version != old
    assert package_files(store / "numpy_entropy" / old) == old_files
    assert set(stored_versions(store, "numpy_entropy")) == {old, new.package.version}
    assert has_package_version(store, "numpy_entropy", old)
    assert not has_package_version(store, "numpy_entropy", "0" * 64)
    assert not has_package_version(store, "../numpy_entropy", old)


def test_an_invalid_package_is_refused_and_nothing_is_stored(
        package: Path, tmp_path: Path) -> None:
    (package / "reference.py").unlink()
    with pytest.raises(PackageError, match="reference.py"):
        add_package(tmp_path / "store", package)
    assert not (tmp_path / "store").exists()


def test_a_tampered_stored_copy_is_not_used(package: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    version = add_package(store, package).package.version
    statement = store / "numpy_entropy" / version / "statement.md"
    os.chmod(statement, 0o644)
    statement.write_text("changed behind the store's back")
    with pytest.raises(PackageUnavailable, match="altered"):
        load_stored(store, "numpy_entropy", version)


def test_find_package_store_first_shipped_only_when_its_hash_matches(
        package: Path, tmp_path: Path) -> None:
    store, shipped = tmp_path / "store", package.parent
    shipped_version = load_package(package).version
    assert find_package(store, shipped, "numpy_entropy", shipped_version) == package
    stored = add_package(store, package).package
    assert find_package(store, shipped, "numpy_entropy", stored.version) == stored.directory
    with pytest.raises(PackageUnavailable, match="autograde package add"):
        find_package(store, shipped, "numpy_entropy", "a" * 64)
    with pytest.raises(PackageUnavailable, match="no valid version"):
        find_package(store, shipped, "numpy_entropy", "")
    with pytest.raises(ValueError, match="bad package name"):
        find_package(store, shipped, "../etc", stored.version)


def test_cli_add_twice_and_list(package: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADE_PACKAGE_STORE", str(tmp_path / "store"))
    version = load_package(package).version
    first = CliRunner().invoke(app, ["package", "add", str(package)])
    assert first.exit_code == 0 and f"stored numpy_entropy version {version}" in first.output
    second = CliRunner().invoke(app, ["package", "add", str(package)])
    assert second.exit_code == 0 and "already stored, nothing changed" in second.output
    listed = CliRunner().invoke(app, ["package", "list"])
    assert listed.output.split() == ["numpy_entropy", version]
    (package / "assignment.toml").write_text("name = 'numpy_entropy'\n")
    broken = CliRunner().invoke(app, ["package", "add", str(package)])
    assert broken.exit_code == 1 and "assignment.toml" in broken.output


@pytest.mark.sandbox
def test_a_queued_job_of_the_old_version_grades_the_old_content(
        package: Path, tmp_path: Path) -> None:
    """The acceptance case: add, queue a job, edit the folder, then the worker grades."""
    from worker.engine import make_runner

    store = tmp_path / "store"
    old = add_package(store, package).package.version
    files = {"solution.py": (GOOD / "numpy_entropy.py").read_bytes()}
    job = EvaluateRequest(evaluation_id=1, attempt=1, package_name="numpy_entropy",
                          package_version=old, device="cpu",
                          files=EvaluateRequest.encode_files(files))
    # The package is edited after the job was queued: the reference now returns other
    # figures, so grading against the folder would fail every test.
    reference = package / "reference.py"
    reference.write_text(reference.read_text().replace("return float(entropy)",
                                                       "return 1.5 + float(entropy)"))
    assert load_package(package).version != old
    grader = Grader(tmp_path / "cache", store)
    try:
        grader.runner = make_runner()
    except RuntimeError as error:
        pytest.skip(str(error))
    try:
        outcome = evaluate(job, worker="w", send=lambda task, body: None,
                           assignments_dir=package.parent, device="cpu", grader=grader)
        edited = evaluate(EvaluateRequest(3, 1, "numpy_entropy", load_package(package).version,
                                          "cpu", job.files),
                          worker="w", send=lambda task, body: None,
                          assignments_dir=package.parent, device="cpu", grader=grader)
        missing = evaluate(EvaluateRequest(2, 1, "numpy_entropy", "b" * 64, "cpu", job.files),
                           worker="w", send=lambda task, body: None,
                           assignments_dir=package.parent, device="cpu", grader=grader)
    finally:
        grader.close()
    assert outcome.error is None and outcome.report is not None
    assert outcome.report["version"] == old and outcome.report["score"] == 1.0
    assert {test["verdict"] for test in outcome.report["tests"]} == {"OK"}
    assert edited.report is not None and edited.report["score"] < 1.0  # the edit matters
    # A version on neither the store nor the shipped folder: our failure, said for staff.
    assert missing.report is None and "autograde package add" in (missing.error or "")
