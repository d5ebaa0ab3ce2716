"""Every page renders, explains its numbers, and hides what it must."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login, login_form
from tests.web.fakes import FakeSource

PY = ("numpy_entropy.py", b"def main(args):\n    return 0.96, 1.07, 0.11\n", "text/x-python")


def upload(client: TestClient, assignment: int = 1, body: bytes = PY[1]) -> int:
    r = client.post(
        f"/courses/1/assignments/{assignment}/submit",
        data={"csrf_token": "csrf-alice"}, files=[("files", (PY[0], body, PY[2]))],
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def finish(client: TestClient, sid: int) -> str:
    for _ in range(10):
        r = client.get(f"/submissions/{sid}/live")
        assert r.status_code == 200
        if 'data-state="done"' in r.text:
            return r.text
    raise AssertionError("never finished")


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/courses/1")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/courses/1"
    assert "Sign in" in client.get("/login").text


def test_login_rejects_wrong_password_and_accepts_right(client: TestClient) -> None:
    r = login_form(client, {"username": "alice", "password": "nope"})
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    for evil in ("//evil.example", "/\\evil.example", "https://evil.example"):
        r = login_form(client, {"username": "alice", "password": "secret", "next": evil})
        assert r.status_code == 303 and r.headers["location"] == "/"
    assert "httponly" in r.headers["set-cookie"].lower()


def test_course_page_spells_out_the_standing(client: TestClient, source: FakeSource) -> None:
    login(client, "alice")
    page = client.get("/courses/1").text
    assert "not passed yet" in page and "80 more non-bonus points" in page
    assert "numpy_entropy" in page and "not submitted" in page and "/ 3" in page
    source.passed_extra["alice"] = 85
    page = client.get("/courses/1").text
    assert "You passed the practicals" in page and "5 points" in page
    assert "85 for grade 1" in page and "55 for grade 3" in page  # 90|60 - 5 surplus


def test_course_page_agrees_nouns_with_one(client: TestClient, source: FakeSource) -> None:
    """Issue 15's typos: 1 point, not "1 points", wherever a count of one can appear."""
    import html
    import re

    login(client, "alice")
    for extra, said in ((1, "1</strong> non-bonus point +"),
                        (79, "You need 1 more non-bonus point to pass")):
        source.passed_extra["alice"] = extra
        page = html.unescape(client.get("/courses/1").text)
        assert said in page, page
        assert not re.search(r"\b1 (more )?(non-bonus |bonus )?points\b", page)


def test_upload_then_live_result(client: TestClient) -> None:
    login(client, "alice")
    sid = upload(client)
    first = client.get(f"/submissions/{sid}")
    assert first.status_code == 200
    assert f'hx-get="/submissions/{sid}/live"' in first.text
    final = finish(client, sid)
    assert "hx-trigger" not in final  # polling stops once finished
    assert "3</strong> of 3 points" in final and "Why these points" in final


def test_wrong_answer_names_the_value_and_hidden_stays_hidden(client: TestClient) -> None:
    login(client, "alice")
    sid = upload(client, body=b"def main(args):  # WRONG\n    return 1\n")
    final = finish(client, sid)
    assert "expected 1.07, got 1.17" in final
    assert "Hidden tests show only whether they passed" in final
    assert "stdout of" not in final  # staff-only detail


def test_late_correct_is_correct_but_late(client: TestClient) -> None:
    login(client, "alice")
    sid = upload(client, assignment=2)  # pca_first's deadline was yesterday
    final = finish(client, sid)
    assert "correct, but late" in final and "It is not marked wrong" in final
    assert "correct, but late" in client.get("/courses/1").text


def test_other_students_submission_looks_missing(client: TestClient) -> None:
    login(client, "alice")
    sid = upload(client)
    login(client, "s1")
    forbidden = client.get(f"/submissions/{sid}")
    missing = client.get("/submissions/999")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.text == missing.text
    assert client.get("/courses/1/staff/gradebook").status_code == 404


def test_forms_need_the_csrf_token(client: TestClient) -> None:
    login(client, "alice")
    r = client.post("/courses/1/assignments/1/submit", data={"csrf_token": "forged"},
                    files=[("files", (PY[0], PY[1], PY[2]))])
    assert r.status_code == 403 and "expired" in r.text


def test_override_changes_standing_and_is_explained(client: TestClient,
                                                    source: FakeSource) -> None:
    login(client, "alice")
    sid = upload(client)
    finish(client, sid)
    login(client, "teach")
    r = client.post(f"/courses/1/staff/submissions/{sid}/adjust",
                    data={"csrf_token": "csrf-teach", "kind": "override", "points": "1",
                          "reason": "copied code"})
    assert r.status_code == 303
    assert source.audit[-1] == ("teach", "override", "copied code")
    r = client.post(f"/courses/1/staff/submissions/{sid}/adjust",
                    data={"csrf_token": "csrf-teach", "kind": "bonus", "points": "x",
                          "reason": "r"})
    assert r.status_code == 400 and "must be a number" in r.text
    login(client, "alice")
    assert "copied code" in client.get(f"/submissions/{sid}").text
    assert "set by staff" in client.get("/courses/1").text


def test_staff_pages_render(client: TestClient, source: FakeSource) -> None:
    login(client, "alice")
    sid = upload(client)
    login(client, "teach")
    for path in ("/courses/1/staff/gradebook?sort=non_bonus&desc=true&q=ali",
                 "/courses/1/staff/gradebook?sort=a1&only=failing",
                 f"/courses/1/staff/submissions/{sid}", "/courses/1/staff/exam",
                 "/courses/1/staff/extensions", "/courses/1/staff/roster",
                 "/courses/1/staff/queue", "/courses/1/staff/assignments/1/stats",
                 "/courses/1/staff/assignments/1/regrade",
                 f"/courses/1/staff/students/{source.ids['alice']}"):
        r = client.get(path)
        assert r.status_code == 200, path
    csv = client.get("/courses/1/staff/gradebook.csv")
    assert csv.headers["content-type"].startswith("text/csv") and "Alice Student" in csv.text


def test_regrade_shows_changes_before_applying(client: TestClient, source: FakeSource) -> None:
    login(client, "alice")
    sid = upload(client, body=b"# WRONG\ndef main(args): pass\n")
    finish(client, sid)
    login(client, "teach")
    url = "/courses/1/staff/assignments/1/regrade"
    start = {"csrf_token": "csrf-teach", "action": "start", "reason": "new tests"}
    assert client.post(url, data=start).status_code == 303
    page = client.get(url, headers={"HX-Request": "true"}).text
    assert 'data-state="running"' in page
    page = client.get(url).text
    assert "1 of 1 result would change" in page and "Apply these changes" in page
    client.post(url, data={"csrf_token": "csrf-teach", "action": "apply", "reason": "checked"})
    assert source.subs[sid].override == 3


def test_extension_and_exam_entry(client: TestClient, source: FakeSource) -> None:
    login(client, "teach")
    uid = source.ids["alice"]
    r = client.post("/courses/1/staff/extensions", data={
        "csrf_token": "csrf-teach", "user_id": uid, "assignment_id": 2,
        "until": "2026-12-01T22:00", "reason": "ill", "timezone": "Europe/Prague"})
    assert r.status_code == 303
    r = client.post("/courses/1/staff/exam", data={
        "csrf_token": "csrf-teach", "user_id": uid, "exam_points": "70", "reason": "exam"})
    assert r.status_code == 303
    login(client, "alice")
    page = client.get("/courses/1").text
    assert "my extension" in page
    source.now += timedelta(seconds=1)


def test_template_download_and_static(client: TestClient) -> None:
    login(client, "alice")
    r = client.get("/courses/1/assignments/1/template/numpy_entropy.py")
    assert r.status_code == 200 and b"def main" in r.content
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/../web/views.py").status_code == 404


def test_logout_clears_the_session_cookie(client: TestClient) -> None:
    login(client, "alice")
    r = client.post("/logout", data={"csrf_token": "csrf-alice"})
    assert r.status_code == 303 and 'fake_session=""' in r.headers["set-cookie"]


def test_upload_over_the_limit_is_refused(client: TestClient) -> None:
    login(client, "alice")
    big = b"#" * (20 * 2**20 + 1)
    r = client.post("/courses/1/assignments/1/submit", data={"csrf_token": "csrf-alice"},
                    files=[("files", ("numpy_entropy.py", big, "text/x-python"))])
    assert r.status_code == 400 and "too large" in r.text


def test_a_bug_is_an_html_500_that_blames_us(client: TestClient, source: FakeSource,
                                            caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    source.my_courses = broken  # type: ignore[method-assign]
    login(client, "alice")
    with caplog.at_level("ERROR", logger="autograde.web"):
        r = client.get("/")
    assert r.status_code == 500 and "It is not your fault" in r.text and "boom" not in r.text
    assert "boom" in caplog.text


def test_pages_forbid_framing_and_inline_scripts(client: TestClient) -> None:
    csp = client.get("/login").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp  # default-src 'self'
