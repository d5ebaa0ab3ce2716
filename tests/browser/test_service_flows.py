"""The acceptance flows on the real service: create_app, SQLite, the recorder's functions,
and the real engine grading numpy_entropy in the real sandbox (an in-process worker thread
stands in for Celery). Screenshots and axe-core on every page, as in test_flows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import World
from tests.browser.conftest import Visit, new_visit, serve
from tests.browser.service_world import PACKAGE, service_world
from tests.browser.test_flows import sign_in, upload, watch_to_result

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

GOOD = (PACKAGE / "reference.py").read_bytes()
WRONG = GOOD.replace(b"np.log(", b"np.log2(")
PASSWORD = "secret-pw"


def asg_row(v: Visit, title: str) -> str:
    """The text of the course page's row of one assignment."""
    link = v.page.get_by_role("link", name=title, exact=True)
    return v.page.locator("tbody tr", has=link).inner_text()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    from worker.engine import sandboxed

    reason = sandboxed.sandbox_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no sandbox: {reason}", pytrace=False)
        pytest.skip(f"no sandbox: {reason}")
    world, worker = service_world(tmp_path_factory.mktemp("service"))
    try:
        with serve(world.client.app) as url:
            yield url, world
    finally:
        worker.close()
        world.engine.dispose()


@pytest.fixture
def v(request: pytest.FixtureRequest, service: tuple[str, World], browser: Any
      ) -> Iterator[Visit]:
    with new_visit(browser, service[0], "service-" + request.node.name) as visit:
        yield visit


def test_1_student_uploads_and_watches_the_real_result(v: Visit, service: Any) -> None:
    ids = service[1].ids
    sign_in(v, "alice", PASSWORD)
    v.go(f"/courses/{ids['course']}", "course")
    upload(v, ids["numpy_entropy"], GOOD, course=ids["course"])
    watch_to_result(v, timeout_ms=60_000)
    live = v.page.locator("#live").inner_text()
    assert "3 of 3 points" in live and "Why these points" in live
    v.go(f"/courses/{ids['course']}", "course-after")
    row = asg_row(v, "NumPy entropy")
    assert "passed" in row and "3 / 3" in row


def test_2_wrong_answer_names_the_wrong_value(v: Visit, service: Any) -> None:
    ids = service[1].ids
    sign_in(v, "alice", PASSWORD)
    upload(v, ids["numpy_entropy"], WRONG, course=ids["course"])
    watch_to_result(v, timeout_ms=60_000)
    row = v.page.locator("#live tbody tr").first.inner_text()
    assert "Wrong answer" in row
    assert "expected 0.955" in row and "got 1.378" in row  # log2 instead of ln
    hidden = v.page.locator("#live tr", has_text="hidden_1").inner_text()
    assert "Hidden tests show only whether they passed" in hidden and "expected" not in hidden


def test_3_late_correct_is_correct_but_late(v: Visit, service: Any) -> None:
    ids = service[1].ids
    sign_in(v, "alice", PASSWORD)
    upload(v, ids["late"], GOOD, course=ids["course"])
    watch_to_result(v, timeout_ms=60_000)
    live = v.page.locator("#live").inner_text()
    assert "correct, but late" in live and "not marked wrong" in live
    v.go(f"/courses/{ids['course']}", "course-late")
    assert "correct, but late" in asg_row(v, "NumPy entropy (deadline passed)")


def test_4_teacher_overrides_and_the_standing_changes(v: Visit, service: Any) -> None:
    ids = service[1].ids
    sign_in(v, "alice", PASSWORD)
    v.go(f"/courses/{ids['course']}", "course-before")
    assert v.page.locator("#standing-h + p").inner_text().startswith("3 non-bonus")
    sign_in(v, "teacher", PASSWORD)
    v.go(f"/courses/{ids['course']}/staff/gradebook", "gradebook")
    v.page.locator("tbody tr", has_text="alice").get_by_role("link", name="3").click()
    v.page.wait_for_url("**/staff/submissions/*")
    v.check("staff-submission")
    form = v.page.locator("form", has_text="Override points")
    form.get_by_label("Points").fill("1")
    form.get_by_label("Reason").fill("Shared code with another team")
    form.get_by_role("button", name="Override points").click()
    v.page.wait_for_selector(".notice")
    v.check("staff-submission-overridden")
    # Staff find it in the audit log, with what was entered (issue 15).
    v.go(f"/courses/{ids['course']}/staff/audit", "audit")
    v.page.get_by_label("Kind").select_option(label="Overrides and bonus points")
    v.page.get_by_role("button", name="Filter").click()
    v.page.wait_for_url("**/staff/audit?*")
    v.check("audit-overrides")
    row = v.page.locator("tbody tr", has_text="Shared code with another team").inner_text()
    assert "Override" in row and "3 → 1" not in row and "→ 1" in row and "teacher" in row.lower()
    sign_in(v, "alice", PASSWORD)
    v.go(f"/courses/{ids['course']}", "course-after-override")
    assert v.page.locator("#standing-h + p").inner_text().startswith("1 non-bonus")
    assert "set by staff" in asg_row(v, "NumPy entropy")


def test_5_teacher_regrades_and_applies(v: Visit, service: Any) -> None:
    ids = service[1].ids
    sign_in(v, "teacher", PASSWORD)
    v.go(f"/courses/{ids['course']}/staff/assignments/{ids['numpy_entropy']}/stats", "stats")
    v.page.get_by_role("link", name="Regrade this assignment").click()
    v.check("regrade")
    v.page.get_by_label("Reason").fill("the tests changed")
    v.page.get_by_role("button", name="Start a regrade").click()
    v.page.wait_for_selector('[data-state="ready"]', timeout=90_000)
    v.check("regrade-ready")
    assert "results would change" in v.page.locator("#regrade").inner_text()
    v.page.get_by_label("Reason").fill("checked the changes")
    v.page.get_by_role("button", name="Apply these changes").click()
    v.page.wait_for_selector('[data-state="applied"]')
    v.check("regrade-applied")
    for path, label in (("exam", "exam"), ("extensions", "extensions"),
                        ("roster", "roster"), ("queue", "queue"), ("audit", "audit"),
                        ("", "overview"),
                        (f"students/{ids['alice']}", "student")):
        v.go(f"/courses/{ids['course']}/staff/{path}".rstrip("/"), label)
