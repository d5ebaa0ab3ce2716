"""The issue's acceptance flows in a real browser, with screenshots and axe on each page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Visit
from tests.web.fakes import FakeSource

pytestmark = pytest.mark.browser

GOOD = b"""import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)

def main(args):
    return 0.96, 1.07, 0.11
"""
WRONG = GOOD.replace(b"1.07", b"1.17  # WRONG")


def sign_in(v: Visit, user: str, password: str = "secret") -> None:
    v.page.context.clear_cookies()
    v.go("/login", "login")
    v.page.get_by_label("User name").fill(user)
    v.page.get_by_label("Password").fill(password)
    v.page.get_by_role("button", name="Sign in").click()
    v.page.wait_for_url(v.base + "/")


def upload(v: Visit, assignment: int, body: bytes, course: int = 1) -> None:
    v.go(f"/courses/{course}/assignments/{assignment}", "assignment")
    v.page.set_input_files("#files", files=[
        {"name": "numpy_entropy.py", "mimeType": "text/x-python", "buffer": body}])
    v.page.get_by_role("button", name="Upload and evaluate").click()
    v.page.wait_for_url("**/submissions/*")


def watch_to_result(v: Visit, timeout_ms: int = 20_000) -> None:
    """See the page go from queued to a result with no navigation in between."""
    page = v.page
    assert page.locator("[data-state]").get_attribute("data-state") == "queued"
    v.check("submission-queued")
    page.evaluate("window.__same_page = true")
    page.wait_for_selector('[data-state="running"]')
    page.wait_for_selector('[data-state="done"]', timeout=timeout_ms)
    assert page.evaluate("window.__same_page === true"), "the page reloaded"
    v.check("submission-result")


def test_student_uploads_and_watches_the_result(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    visit.check("my-courses")
    visit.go("/courses/1", "course")
    upload(visit, 1, GOOD)
    watch_to_result(visit)
    text = visit.page.locator("#live").inner_text()
    assert "3 of 3 points" in text and "Why these points" in text
    visit.go("/courses/1", "course-after")
    assert "passed" in visit.page.locator("tbody tr").first.inner_text()


def test_wrong_answer_names_the_value(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, WRONG)
    watch_to_result(visit)
    row = visit.page.locator("tr", has_text="public_2")
    assert "Wrong answer" in row.inner_text()
    assert "expected 1.07, got 1.17" in row.inner_text()
    hidden = visit.page.locator("tr", has_text="hidden_1").inner_text()
    assert "Hidden tests show only whether they passed" in hidden


def test_late_correct_is_shown_as_correct_but_late(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 2, GOOD)  # pca_first: its deadline passed yesterday
    watch_to_result(visit)
    live = visit.page.locator("#live").inner_text()
    assert "correct, but late" in live and "not marked wrong" in live
    visit.go("/courses/1", "course-late")
    assert "correct, but late" in visit.page.locator("tr", has_text="pca_first").inner_text()


def test_teacher_overrides_and_the_standing_changes(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, GOOD)
    watch_to_result(visit)
    visit.go("/courses/1", "course-before")
    assert "3 non-bonus points" in visit.page.locator("#standing-h + p").inner_text()
    sign_in(visit, "teach")
    visit.go("/courses/1/staff/gradebook", "gradebook")
    visit.page.locator("tr", has_text="Alice Student").get_by_role("link", name="3").click()
    visit.page.wait_for_url("**/staff/submissions/*")
    visit.check("staff-submission")
    form = visit.page.locator("form", has_text="Override points")
    form.get_by_label("Points").fill("1")
    form.get_by_label("Reason").fill("Plagiarism warning, partial credit")
    form.get_by_role("button", name="Override points").click()
    visit.page.wait_for_selector(".notice")
    visit.check("staff-submission-overridden")
    assert fake.audit[-1] == ("teach", "override", "Plagiarism warning, partial credit")
    visit.go("/courses/1/staff/gradebook?q=alice", "gradebook-after")
    assert "cell-o" in (visit.page.locator("tr", has_text="Alice Student").inner_html())
    sign_in(visit, "alice")
    visit.go("/courses/1", "course-after-override")
    standing = visit.page.locator("#standing-h + p").inner_text()
    assert "1 non-bonus point +" in standing and "points" not in standing.split("+")[0]
    assert "set by staff" in visit.page.locator(
        "section[aria-labelledby=asg-h] tr", has_text="numpy_entropy").inner_text()


def test_teacher_regrades_and_applies(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, WRONG)
    watch_to_result(visit)
    sign_in(visit, "teach")
    visit.go("/courses/1/staff/assignments/1/stats", "stats")
    visit.page.get_by_role("link", name="Regrade this assignment").click()
    visit.check("regrade")
    visit.page.get_by_label("Reason").fill("the tests changed")
    visit.page.get_by_role("button", name="Start a regrade").click()
    visit.page.wait_for_selector('[data-state="ready"]', timeout=15_000)
    visit.check("regrade-ready")
    assert "Alice Student" in visit.page.locator("#regrade table").inner_text()
    visit.page.get_by_label("Reason").fill("checked the changes")
    visit.page.get_by_role("button", name="Apply these changes").click()
    visit.page.wait_for_selector('[data-state="applied"]')
    visit.check("regrade-applied")
    assert fake.subs[1].override == 3


def test_every_other_page_is_accessible(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, GOOD)
    visit.go("/courses/1/submissions-nope", "error-404")
    sign_in(visit, "teach")
    for path, label in (
        ("/courses/1/staff/exam", "exam"), ("/courses/1/staff/extensions", "extensions"),
        ("/courses/1/staff/roster", "roster"), ("/courses/1/staff/queue", "queue"),
        (f"/courses/1/staff/students/{fake.ids['alice']}", "student"),
    ):
        visit.go(path, label)
    visit.page.set_viewport_size({"width": 390, "height": 844})
    visit.go("/courses/1/staff/gradebook", "gradebook-phone")
    sign_in(visit, "alice")
    visit.go("/courses/1", "course-phone")


def test_keyboard_reaches_the_upload(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    visit.go("/courses/1/assignments/1", "assignment-keyboard")
    page = visit.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(40):  # the file chooser and the submit button are in the tab order
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "files":
            break
    else:
        raise AssertionError("the file input is not reachable by keyboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Upload and evaluate"
