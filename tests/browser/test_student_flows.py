"""Issue 15, the student's side, in a real browser: own source and queue position, upload
refusals that keep the chosen files, the pages at 1366 and 390 px (screenshots of both),
axe with no violation of any impact, and no page wider than a 390 px phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Visit
from tests.browser.test_flows import GOOD, WRONG, sign_in, upload
from tests.web.fakes import FakeSource

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def strict_axe(v: Visit, label: str) -> None:
    """axe-core: no violation at all, whatever its impact (axe is loaded by `check`)."""
    found = v.page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(x => x.id + ' (' + x.impact + '): '"
        " + x.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))")
    assert not found, f"axe on {label} ({v.page.url}): {found}"


def too_wide(page: Any) -> list[str]:
    """Elements that stick out of the viewport (what makes the page scroll sideways)."""
    return page.evaluate("""() => {
      const w = document.documentElement.clientWidth, out = [];
      const page = document.documentElement.scrollWidth;
      if (page > w) { out.push('page ' + page + ' > ' + w); }
      document.querySelectorAll('body *').forEach(el => {
        const r = el.getBoundingClientRect();
        if (r.width && r.right > w + 1 && !el.closest('.scroll, pre, .gb')) {
          out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
        }
      });
      return out.slice(0, 8);
    }""")


def both_widths(v: Visit, path: str, label: str) -> None:
    """The page at each width: screenshot, axe (strict), and no sideways scroll on a phone."""
    for name, (width, height) in WIDTHS.items():
        v.page.set_viewport_size({"width": width, "height": height})
        v.go(path, f"{label}-{width}")
        strict_axe(v, f"{label} at {width} px")
        if name == "phone":
            assert too_wide(v.page) == [], f"{label} at 390 px is wider than the screen"


def test_student_sees_queue_position_then_own_source(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 1, GOOD)
    page = visit.page
    queue = page.locator("[data-queue-position]")
    assert queue.get_attribute("data-queue-position") == "1"
    assert "Position 1 in the queue" in queue.inner_text()
    assert "Expected to start now and to finish in about 20 s" in queue.inner_text()
    visit.check("submission-queued")
    strict_axe(visit, "queued submission")
    page.wait_for_selector('[data-state="done"]', timeout=20_000)
    assert page.locator("[data-queue-position]").count() == 0
    source = page.locator("#src-h + h3 + pre code")
    assert "def main(args):" in source.inner_text()
    assert source.locator(".tok-nf", has_text="main").count() == 1  # highlighted
    with page.expect_download() as download:
        page.get_by_role("link", name="download numpy_entropy.py").click()
    assert download.value.suggested_filename == "numpy_entropy.py"
    visit.check("submission-own-source")
    strict_axe(visit, "submission with source")


def test_refused_upload_keeps_the_chosen_files(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    visit.go("/courses/1/assignments/1", "assignment")
    page = visit.page
    page.set_input_files("#files", files=[
        {"name": "solver.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90"},
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    page.get_by_role("button", name="Upload and evaluate").click()
    error = page.locator("#upload-error")
    error.wait_for(state="visible")
    assert "No .py file has a line starting with 'def main('" in error.inner_text()
    assert page.url.endswith("/courses/1/assignments/1")  # still the form
    assert page.evaluate("document.getElementById('files').files.length") == 2
    assert page.get_attribute("#files", "aria-invalid") == "true"
    visit.check("upload-refused")
    strict_axe(visit, "refused upload")
    too_many = [{"name": f"f{i}.py", "mimeType": "text/x-python", "buffer": b"x = 1\n"}
                for i in range(25)]
    page.set_input_files("#files", files=too_many)
    page.get_by_role("button", name="Upload and evaluate").click()
    expect(error).to_have_text(re.compile(r"^Too many files: at most 20"))
    assert page.evaluate("document.getElementById('files').files.length") == 25
    page.set_input_files("#files", files=[
        {"name": "solution.zip", "mimeType": "application/zip", "buffer": b"PK\x03\x04 junk"}])
    page.get_by_role("button", name="Upload and evaluate").click()
    expect(error).to_have_text(re.compile(r"damaged"))
    assert page.evaluate("document.getElementById('files').files[0].name") == "solution.zip"
    page.set_input_files("#files", files=[
        {"name": "numpy_entropy.py", "mimeType": "text/x-python", "buffer": GOOD}])
    page.get_by_role("button", name="Upload and evaluate").click()
    page.wait_for_url("**/submissions/*")  # a good upload still goes to its page


def test_pages_at_1366_and_390_px(visit: Visit, fake: FakeSource) -> None:
    sign_in(visit, "alice")
    upload(visit, 3, GOOD)
    visit.page.wait_for_selector('[data-state="done"]', timeout=20_000)
    upload(visit, 3, WRONG)  # partially passed, with a diff against the first
    visit.page.wait_for_selector('[data-state="done"]', timeout=20_000)
    sid = visit.page.url.rsplit("/", 1)[1]
    assert "partially passed" in visit.page.locator("#live .state").inner_text()
    assert "rounded down" in visit.page.locator(".why").inner_text()
    both_widths(visit, f"/submissions/{sid}", "submission")
    assert visit.page.locator("tr", has_text="public_2").locator("pre.msg").bounding_box()[
        "width"] > 250  # the failure message is not squeezed into a narrow column
    both_widths(visit, "/courses/1/assignments/3", "assignment")
    both_widths(visit, "/courses/1", "course")
    sign_in(visit, "teach")
    both_widths(visit, "/courses/1/staff/exam", "exam")
