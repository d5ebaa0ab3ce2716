"""Issue 15's staff flows in a real browser over the fake source: staff find an override in
the audit log; every staff page at 1366 and 390 px wide, screenshotted, with no axe
violation of any impact and no page wider than a 390 px screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Visit
from tests.browser.test_flows import GOOD, WRONG, sign_in, upload, watch_to_result
from tests.web.fakes import FakeSource

pytestmark = pytest.mark.browser


def no_axe_violations(v: Visit, label: str) -> None:
    """`Visit.check` refuses serious and critical ones; these pages have none at all."""
    found: list[dict[str, Any]] = v.page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))")
    assert found == [], f"axe on {label} ({v.page.url}): {found}"


def fits_the_screen(v: Visit, label: str) -> None:
    """No horizontal page scroll: wide tables scroll inside their own container."""
    width = v.page.evaluate("document.documentElement.scrollWidth")
    screen = v.page.evaluate("window.innerWidth")
    assert width <= screen, f"{label} is {width} px wide on a {screen} px screen"


def test_staff_find_an_override_in_the_audit_log(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, WRONG)
    watch_to_result(visit)
    sign_in(visit, "teach")
    visit.go("/courses/1/staff/gradebook", "gradebook")
    visit.page.locator("tr", has_text="Alice Student").get_by_role("link", name="0").click()
    visit.page.wait_for_url("**/staff/submissions/*")
    form = visit.page.locator("form", has_text="Override points")
    form.get_by_label("Points").fill("3")
    form.get_by_label("Reason").fill("hidden test 1 had a wrong reference")
    form.get_by_role("button", name="Override points").click()
    visit.page.wait_for_selector(".notice")
    visit.go("/courses/1", "overview")
    visit.page.get_by_role("navigation", name="Staff").get_by_role(
        "link", name="Audit log").click()
    visit.page.wait_for_url("**/staff/audit")
    visit.check("audit")
    visit.page.get_by_label("Kind").select_option(label="Overrides and bonus points")
    visit.page.get_by_label("Student").select_option(label="Alice Student")
    visit.page.get_by_role("button", name="Filter").click()
    visit.page.wait_for_url("**/staff/audit?*")
    visit.check("audit-filtered")
    no_axe_violations(visit, "audit-filtered")
    row = visit.page.locator("tr", has_text="hidden test 1 had a wrong reference")
    assert "Override" in row.inner_text() and "numpy_entropy" in row.inner_text()
    row.get_by_role("link", name="Override").click()
    visit.page.wait_for_url("**/staff/submissions/*")
    # The student sees it itemised with the reason on the course page.
    sign_in(visit, "alice")
    visit.go("/courses/1", "course-items")
    items = visit.page.locator("section", has_text="Points from staff").inner_text()
    assert "hidden test 1 had a wrong reference" in items


def test_staff_cancel_a_queued_job(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, GOOD)
    sign_in(visit, "teach")
    visit.go("/courses/1/staff/queue", "queue")
    job = visit.page.locator("tr", has_text="Alice Student")
    job.get_by_role("link", name="Cancel").click()
    visit.check("queue-cancel")
    visit.page.get_by_label("Reason").fill("duplicate upload")
    visit.page.get_by_role("button", name="Cancel the evaluation").click()
    visit.page.wait_for_selector(".notice")
    assert fake.cancelled == {1: "duplicate upload"}
    visit.go("/courses/1/staff/audit?kind=evaluation", "audit-cancel")
    assert "duplicate upload" in visit.page.locator("table").inner_text()


def test_every_staff_page_at_1366_and_390(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, WRONG)
    watch_to_result(visit)
    sign_in(visit, "teach")
    visit.go("/courses/1/staff/submissions/1", "staff-submission")
    form = visit.page.locator("form", has_text="Add bonus")
    form.get_by_label("Points").fill("1")
    form.get_by_label("Reason").fill("clean code")
    form.get_by_role("button", name="Add bonus").click()
    visit.page.wait_for_selector(".notice")
    pages = (("/courses/1", "overview"), ("/courses/1/staff/gradebook", "gradebook"),
             ("/courses/1/staff/gradebook?only=at_risk", "gradebook-at-risk"),
             ("/courses/1/staff/audit", "audit"), ("/courses/1/staff/extensions", "extensions"),
             ("/courses/1/staff/exam", "exam"), ("/courses/1/staff/queue", "queue"),
             ("/courses/1/staff/assignments/1/stats", "stats"),
             ("/courses/1/staff/assignments/1/regrade", "regrade"),
             ("/courses/1/staff/submissions/1", "staff-submission"),
             (f"/courses/1/staff/students/{fake.ids['alice']}", "student"),
             ("/courses/1/staff/roster", "roster"))
    for width in (1366, 390):
        visit.page.set_viewport_size({"width": width, "height": 900})
        for path, label in pages:
            visit.go(path, f"{label}-{width}")
            no_axe_violations(visit, f"{label}-{width}")
            if width == 390:
                fits_the_screen(visit, label)
    visit.page.set_viewport_size({"width": 1366, "height": 900})
    visit.go("/courses/1/staff/gradebook", "gradebook-totals")
    # The totals stay in view at 1366 px: the grade column's right edge is on screen.
    box = visit.page.locator("thead th.t1").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366
    assert visit.page.locator("svg[role=img]").count() == 0  # charts only on stats
    visit.go("/courses/1/staff/assignments/1/stats", "stats-charts")
    assert visit.page.locator("figure svg[role=img] desc").count() >= 3
