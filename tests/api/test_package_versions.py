"""Moving a published assignment to a new stored package version through a re-grade set:
the jobs name the new version, the diff is seen before apply, applying moves the assignment
(audited), and a version the store lacks is refused with nothing changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import select

from api.db import Assignment, AuditLog, Evaluation, Submission
from api.db.service_models import RegradeSet
from api.services import packages, pipeline
from tests.api.helpers import World
from tests.api.test_pipeline import REPORT
from worker.contract import Outcome
from worker.package_store import add_package

SHIPPED = Path(__file__).resolve().parents[2] / "assignments" / "numpy_entropy"


def stored_new_version(world: World, tmp_path: Path) -> str:
    """numpy_entropy with an edited statement, added to the world's package store."""
    folder = tmp_path / "edited" / "numpy_entropy"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("corpus"))
    with (folder / "statement.md").open("a") as statement:
        statement.write("\nClarified: the entropy is in nats.\n")
    return add_package(world.settings.package_store_dir, folder).package.version


def graded(world: World, who: str) -> int:
    sid = world.upload(who).json()["id"]
    with world.sessions() as s:
        eid = s.get(Submission, sid).current_evaluation_id
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=REPORT), world.settings)
    return sid


def finish_regrades(world: World, score: float) -> None:
    with world.sessions() as s:
        for new in s.scalars(select(Evaluation).where(Evaluation.kind == "regrade",
                                                      Evaluation.status == "queued")).all():
            pipeline.record_outcome(s, Outcome(new.id, new.attempt, "w",
                                               report={**REPORT, "score": score}),
                                    world.settings)


def test_a_regrade_set_moves_the_assignment_to_a_new_stored_version(
        world: World, tmp_path: Path) -> None:
    a = world.ids["numpy_entropy"]
    version = stored_new_version(world, tmp_path)
    assert packages.has_version(world.settings, "numpy_entropy", version)
    assert packages.stored_package(world.settings, "numpy_entropy", version).points == 2
    sid = graded(world, "alice")
    started = world.client.post(f"/api/v1/assignments/{a}/regrades",
                                json={"package_version": version}, headers=world.as_("teacher"))
    assert started.status_code == 202, started.text
    assert started.json()["package_version"] == version
    job, _ = world.dispatcher.jobs[-1]
    assert job.package_version == version  # the worker is asked for exactly the new version
    finish_regrades(world, score=0.5)
    view = world.client.get(f"/api/v1/regrades/{started.json()['id']}",
                            headers=world.as_("teacher")).json()
    assert view["items"][0]["old_score"] == 1.0 and view["items"][0]["new_score"] == 0.5
    with world.sessions() as s:  # nothing moved before apply
        assert s.get(Assignment, a).package_version == "v1"
    applied = world.client.post(f"/api/v1/regrades/{started.json()['id']}/apply",
                                headers=world.as_("teacher"))
    assert applied.status_code == 200, applied.text
    with world.sessions() as s:
        assert s.get(Assignment, a).package_version == version
        entry = s.scalars(select(AuditLog).where(
            AuditLog.action == "assignment.package_version")).one()
        assert json.loads(entry.detail_json)["old"] == "v1"
        assert json.loads(entry.detail_json)["new"] == version
        assert entry.actor_id == world.ids["teacher"]
    assert world.upload("bob").status_code == 201
    job, _ = world.dispatcher.jobs[-1]
    assert job.package_version == version  # new submissions are graded with it
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert body["evaluation"]["score"] == 0.5


def test_a_version_the_store_lacks_is_refused_and_nothing_changes(world: World) -> None:
    a = world.ids["numpy_entropy"]
    graded(world, "alice")
    jobs = len(world.dispatcher.jobs)
    for version in ("f" * 64, "../../etc"):
        refused = world.client.post(f"/api/v1/assignments/{a}/regrades",
                                    json={"package_version": version},
                                    headers=world.as_("teacher"))
        assert refused.status_code == 400
        assert "autograde package add" in refused.json()["error"]["message"]
    assert len(world.dispatcher.jobs) == jobs
    with world.sessions() as s:
        assert s.scalars(select(RegradeSet)).all() == []


def test_apply_is_refused_while_a_later_submission_has_the_old_version(
        world: World, tmp_path: Path) -> None:
    a = world.ids["numpy_entropy"]
    version = stored_new_version(world, tmp_path)
    graded(world, "alice")
    rid = world.client.post(f"/api/v1/assignments/{a}/regrades",
                            json={"package_version": version},
                            headers=world.as_("teacher")).json()["id"]
    finish_regrades(world, score=1.0)
    graded(world, "bob")  # arrived after the set started: graded with the old version
    refused = world.client.post(f"/api/v1/regrades/{rid}/apply", headers=world.as_("teacher"))
    assert refused.status_code == 409 and "1 submission" in refused.json()["error"]["message"]
    with world.sessions() as s:
        assert s.get(Assignment, a).package_version == "v1"
        assert s.get(RegradeSet, rid).status == "open"


def test_serve_adds_the_shipped_packages_and_the_demo_pins_stored_versions(
        tmp_path: Path, monkeypatch) -> None:
    from api.db import make_engine, make_sessionmaker
    from api.settings import Settings
    from launch.packages import load_packages
    from launch.serve import prepare

    monkeypatch.setenv("AUTOGRADE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUTOGRADE_PACKAGE_STORE", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert prepare(settings, load_packages)  # first start: the demo logins
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine)() as s:
        published = s.scalars(select(Assignment)).all()
    engine.dispose()
    assert len(published) >= 8
    for assignment in published:
        assert packages.has_version(settings, assignment.package_name,
                                    assignment.package_version), assignment.name
    stored = sorted(settings.package_store_dir.glob("*/*"))
    assert prepare(settings, load_packages) is None  # a later start: no new demo...
    assert sorted(settings.package_store_dir.glob("*/*")) == stored  # ...nor new versions
