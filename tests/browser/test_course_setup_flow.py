"""Issue 10's acceptance flow in Debian's chromium on the real service: an admin creates a
course and gives it a teacher and a student; the teacher publishes numpy_entropy with this
course's own deadlines (entered in Europe/Prague); the student, whose browser is in
America/New_York, sees those deadlines in their own zone, submits, and gets the points.
Every page: screenshots and axe (conftest), and no horizontal overflow at 390 px."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.services.demo import PackageInfo
from tests.api.helpers import World
from tests.browser.conftest import Visit, new_visit, serve
from tests.browser.service_world import PACKAGE, service_world
from tests.browser.test_flows import sign_in, upload, watch_to_result
from worker.packages import load_package

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

GOOD = (PACKAGE / "reference.py").read_bytes()
PASSWORD = "secret-pw"
PRAGUE, NEW_YORK = ZoneInfo("Europe/Prague"), ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    from worker.engine import sandboxed

    reason = sandboxed.sandbox_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no sandbox: {reason}", pytrace=False)
        pytest.skip(f"no sandbox: {reason}")
    world, worker = service_world(tmp_path_factory.mktemp("setup"))
    manifest = load_package(PACKAGE)
    m = manifest.manifest
    info = PackageInfo(name=m.name, title=m.title, kind=str(m.kind), points=m.points,
                       bonus=m.bonus, threshold=m.threshold, device=str(m.device),
                       version=manifest.version)
    world.client.app.state.packages = lambda: [info]
    try:
        with serve(world.client.app) as url:
            yield url, world
    finally:
        worker.close()
        world.engine.dispose()


def fits_a_phone(v: Visit, label: str) -> None:
    """At 390 px the page scrolls vertically only (wide tables scroll in their own box)."""
    v.page.set_viewport_size({"width": 390, "height": 844})
    try:
        width = v.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{label} ({v.page.url}) is {width} px wide at 390 px"
    finally:
        v.page.set_viewport_size({"width": 1280, "height": 900})


def go(v: Visit, path: str, label: str) -> None:
    v.go(path, label)
    fits_a_phone(v, label)


def shown_time(v: Visit, row: Any) -> str:
    return row.locator("time").first.inner_text().replace("\u202f", " ")


def test_teacher_sets_up_a_course_and_a_student_gets_points(
        service: tuple[str, World], browser: Any) -> None:
    with new_visit(browser, service[0], "setup-flow") as v:
        sign_in(v, "root", PASSWORD)
        v.page.get_by_role("link", name="Create a course").click()
        v.page.wait_for_url("**/courses/new")
        v.check("course-new")
        fits_a_phone(v, "course-new")
        v.page.get_by_label("Short name").fill("npfl138-2627")
        v.page.get_by_label("Name", exact=True).fill("Deep Learning 2026/27")
        v.page.get_by_label("Term").fill("2026/27")
        v.page.get_by_label("Time zone").fill("Europe/Prague")
        v.page.get_by_role("button", name="Create the course").click()
        v.page.wait_for_url("**/manage?done=*")
        course = int(re.search(r"/courses/(\d+)/manage", v.page.url).group(1))
        v.check("course-setup-empty")
        go(v, f"/courses/{course}/manage/staff", "staff")
        for username, role in (("teacher", "teacher"), ("alice", "student")):
            v.page.get_by_label("Username").fill(username)
            v.page.get_by_label("Role").select_option(role)
            v.page.get_by_label("Reason").fill("semester start")
            v.page.get_by_role("button", name="Save the role").click()
            v.page.wait_for_selector(".notice")
        v.check("staff-after")
        assert "alice" in v.page.locator("table").inner_text()
        go(v, f"/courses/{course}/staff/roster", "roster")
        v.page.get_by_label("Roster (CSV)").fill("username,role\nbob,student\nalice,assistant\n")
        v.page.get_by_role("button", name="Preview").click()
        v.check("roster-preview")
        fits_a_phone(v, "roster-preview")
        assert "alice" in v.page.locator("tr.role-change").inner_text()
        v.page.get_by_role("link", name="Cancel").click()  # alice stays a student

        first = (datetime.now(PRAGUE) + timedelta(days=15)).replace(
            hour=22, minute=0, second=0, microsecond=0)
        second = first + timedelta(days=7)
        sign_in(v, "teacher", PASSWORD)
        go(v, f"/courses/{course}/manage", "course-setup")
        publish = v.page.locator("form", has=v.page.get_by_role("button", name="Publish"))
        publish.get_by_label("Package").select_option(index=0)
        for label, when in (("First", first), ("Second", second)):
            publish.get_by_label(f"{label} deadline (Europe/Prague)", exact=True).fill(
                when.strftime("%Y-%m-%dT%H:%M"))
        publish.get_by_label("Points", exact=True).fill("3")  # the package says 2
        publish.get_by_label("Points after the first deadline").fill("1")
        publish.get_by_role("button", name="Publish").click()
        v.page.wait_for_url("**/manage/assignments/*")
        assignment = int(re.search(r"/assignments/(\d+)", v.page.url).group(1))
        v.check("assignment-setup")
        fits_a_phone(v, "assignment-setup")
        assert v.page.get_by_label("First deadline (Europe/Prague)").input_value() == \
            first.strftime("%Y-%m-%dT%H:%M")

        sign_in(v, "alice", PASSWORD)
        go(v, f"/courses/{course}", "student-course")
        link = v.page.get_by_role("link", name="NumPy entropy", exact=False).first
        row = v.page.locator("tbody tr", has=link)
        local = first.astimezone(NEW_YORK)
        hour = local.strftime("%I:%M %p").lstrip("0")  # e.g. 4:00 PM, as Intl writes it
        assert hour in shown_time(v, row), shown_time(v, row)
        title = row.locator("time").first.get_attribute("title")
        assert title == f"{first.strftime('%Y-%m-%d %H:%M %Z')} (Europe/Prague)"
        upload(v, assignment, GOOD, course=course)
        watch_to_result(v, timeout_ms=90_000)
        assert "3 of 3 points" in v.page.locator("#live").inner_text()
        go(v, f"/courses/{course}", "student-course-after")
        row = v.page.locator("tbody tr", has=v.page.get_by_role("link", name="NumPy entropy"))
        assert "3 / 3" in row.inner_text() and "passed" in row.inner_text()
        assert v.page.locator("#standing-h + p").inner_text().startswith("3 non-bonus")
