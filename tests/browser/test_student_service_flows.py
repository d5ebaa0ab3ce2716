"""Issue 15's student flow on the real service (create_app, SQLite, the real engine in the
real sandbox): the queue position while waiting, then the student's own source, highlighted
and downloadable, with the diff against the previous submission."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Visit
from tests.browser.test_flows import sign_in, upload
from tests.browser.test_service_flows import GOOD, PASSWORD, WRONG, service, v  # noqa: F401
from tests.browser.test_student_flows import strict_axe, too_wide

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]


def test_student_sees_queue_position_and_own_source(v: Visit, service: Any) -> None:  # noqa: F811
    ids = service[1].ids
    sign_in(v, "alice", PASSWORD)
    upload(v, ids["numpy_entropy"], GOOD, course=ids["course"])
    page = v.page
    queue = page.locator("[data-queue-position]")
    assert queue.get_attribute("data-queue-position") in ("0", "1")  # first in line
    assert "finish in about" in queue.inner_text()
    v.check("service-submission-queued")
    strict_axe(v, "queued submission (service)")
    page.wait_for_selector('[data-state="done"]', timeout=60_000)
    upload(v, ids["numpy_entropy"], WRONG, course=ids["course"])
    page.wait_for_selector('[data-state="done"]', timeout=60_000)
    source = page.locator("#src-h ~ pre code").first
    assert "np.log2(" in source.inner_text() and source.locator(".tok-nf").count() >= 1
    diff = page.locator("#diff-h ~ details pre").first.inner_text()
    assert "-" in diff and "np.log2(" in diff
    assert "failed" in page.locator("#live .state").inner_text()
    v.check("service-submission-source")
    strict_axe(v, "submission with source (service)")
    page.set_viewport_size({"width": 390, "height": 844})
    v.check("service-submission-390")
    assert too_wide(page) == []
