"""The student's pages over the fake source: limits and public data on the assignment page,
upload refusals on the form, own files and the diff, the queue place, outcome badges and the
rounding explained (issue 15)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from core.submission import UploadLimits
from tests.web.conftest import login
from tests.web.fakes import FakeSource

GOOD = b"import numpy as np\n\ndef main(args):\n    return 0.96, 1.07, 0.11\n"
WRONG = GOOD.replace(b"1.07", b"1.17  # WRONG")


def post(client: TestClient, files: list[tuple[str, bytes]], assignment: int = 1):  # type: ignore[no-untyped-def]
    return client.post(f"/courses/1/assignments/{assignment}/submit",
                       data={"csrf_token": "csrf-alice"},
                       files=[("files", (n, d, "application/octet-stream")) for n, d in files])


def upload(client: TestClient, body: bytes, assignment: int = 1) -> int:
    r = post(client, [("numpy_entropy.py", body)], assignment)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def finish(client: TestClient, sid: int) -> str:
    for _ in range(10):
        live = client.get(f"/submissions/{sid}/live").text
        if 'data-state="done"' in live:
            return live
    raise AssertionError("never finished")


def test_assignment_page_shows_the_enforced_limits_data_and_template(client: TestClient) -> None:
    login(client, "alice")
    page = client.get("/courses/1/assignments/1").text
    assert f"{UploadLimits().size_text} in total" in page and "20 MiB" in page
    assert "21.0 MB" not in page and " MB" not in page
    assert "one .py file defines main(args)" in page
    assert "time 10 s, or 2 × the reference solution" in page and "memory 1536 MiB" in page
    assert 'href="/courses/1/assignments/1/template/numpy_entropy.py"' in page
    link = "/courses/1/assignments/1/data/numpy_entropy_data_1.txt"
    assert link in page
    r = client.get(link)
    assert r.status_code == 200 and r.content == b"A\nB\nA\n"
    assert "attachment" in r.headers["content-disposition"]
    assert client.get("/courses/1/assignments/1/data/secret.txt").status_code == 404


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("files", "says"), [
    ([("numpy_entropy.py", b"")], "No .py file has a line starting with"),
    ([("numpy_entropy.py", b"#" * (UploadLimits().max_bytes + 1))],
     f"The files are too large: at most {UploadLimits().size_text} in total."),
    ([("solver.exe", b"MZ\x90\x00")], "No .py file has a line starting with"),
    ([(f"f{i}.py", b"x = 1\n") for i in range(25)], "Too many files: at most 20"),
    ([("solution.zip", b"PK\x03\x04 broken")], "The .zip file is damaged"),
])
def test_upload_refusals_are_shown_on_the_form(client: TestClient, files: list[tuple[str, bytes]],
                                               says: str) -> None:
    login(client, "alice")
    r = post(client, files)
    assert r.status_code == 400
    error = re.search(r'<p id="upload-error"[^>]*>([^<]*)</p>', r.text)
    assert error is not None and says in error.group(1), r.text[:2000]
    assert 'data-upload-error hidden' not in r.text  # shown, not hidden
    assert 'aria-invalid="true"' in r.text and "Upload and evaluate" in r.text  # the form


def test_no_file_chosen_is_shown_on_the_form(client: TestClient) -> None:
    login(client, "alice")
    r = client.post("/courses/1/assignments/1/submit", data={"csrf_token": "csrf-alice"},
                    files=[("files", ("", b"", "application/octet-stream"))])
    assert r.status_code == 400 and "Choose at least one file to upload." in r.text


def test_student_sees_own_files_highlighted_downloadable_and_the_diff(
        client: TestClient) -> None:
    login(client, "alice")
    first = upload(client, GOOD)
    second = upload(client, WRONG)
    page = client.get(f"/submissions/{second}").text
    assert '<span class="tok-nf">main</span>' in page  # highlighted by pygments
    assert f'href="/submissions/{second}/files/numpy_entropy.py"' in page
    assert client.get(f"/submissions/{second}/files/numpy_entropy.py").content == WRONG
    assert f'Changes since <a href="/submissions/{first}">submission {first}</a>' in page
    assert '<span class="d-del">-    return 0.96, 1.07, 0.11</span>' in page
    assert '<span class="d-add">+    return 0.96, 1.17  # WRONG, 0.11</span>' in page
    assert "Changes since" not in client.get(f"/submissions/{first}").text
    login(client, "s1")
    assert client.get(f"/submissions/{second}/files/numpy_entropy.py").status_code == 404


def test_queue_place_is_live_with_the_status(client: TestClient, source: FakeSource) -> None:
    login(client, "alice")
    upload(client, GOOD)
    sid = upload(client, GOOD)
    live = client.get(f"/submissions/{sid}/live").text  # first look: queued
    assert 'data-queue-position="2"' in live and "Position <strong>2</strong>" in live
    assert "1 ahead of you" in live and "start in about 20 s" in live
    assert "finish in about 40 s" in live and "hx-trigger" in live
    live = client.get(f"/submissions/{sid}/live").text  # running now
    assert 'data-queue-position="0"' in live and "Running now" in live
    assert "data-queue-position" not in finish(client, sid)


def test_badges_never_say_passed_for_failed_tests(client: TestClient) -> None:
    login(client, "alice")
    live = finish(client, upload(client, GOOD))
    assert '<span class="badge ok">passed</span>' in live
    live = finish(client, upload(client, WRONG, assignment=3))  # threshold 50 %: 3 of 4 tests
    assert '<span class="badge part">partially passed</span>' in live
    assert "badge ok\">passed" not in live.split("</p>")[0]
    assert "75 % of 2 points is 1.50, which gives <strong>1</strong>" in live
    assert "Rounding down" in live
    live = finish(client, upload(client, WRONG))  # threshold 100 %
    assert '<span class="badge no">failed</span>' in live
    assert "Below the threshold a submission gets 0 points however close it is" in live
    live = finish(client, upload(client, GOOD, assignment=2))  # deadline passed
    assert '<span class="badge late">late</span>' in live and "correct, but late" in live
    history = client.get("/courses/1/assignments/3").text
    assert "partially passed" in history


def test_upload_sent_by_app_js_gets_the_address_to_go_to(client: TestClient) -> None:
    login(client, "alice")
    r = client.post("/courses/1/assignments/1/submit", data={"csrf_token": "csrf-alice"},
                    headers={"X-Upload": "fetch"},
                    files=[("files", ("numpy_entropy.py", GOOD, "text/x-python"))])
    assert r.status_code == 201 and re.fullmatch(r"/submissions/\d+", r.headers["location"])
    r = client.post("/courses/1/assignments/1/submit", data={"csrf_token": "csrf-alice"},
                    headers={"X-Upload": "fetch"},
                    files=[("files", ("solver.exe", b"MZ", "application/octet-stream"))])
    assert r.status_code == 400 and 'id="upload-error"' in r.text  # app.js copies it


def test_rules_and_size_text_come_from_the_upload_checks() -> None:
    from api.services.uploads import COMPETITION_RULE, MAIN_RULE
    from core.submission import size_text

    assert size_text(20 * 2**20) == "20 MiB" and size_text(2**19) == "0.5 MiB"
    assert "main" in MAIN_RULE and "predictions .txt" in COMPETITION_RULE
