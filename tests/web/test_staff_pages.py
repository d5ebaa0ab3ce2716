"""Issue 15's staff pages over the real service: the audit log (filters, keyset pages,
reasons as entered), the staff course overview, a student's detail page, the student's
itemised points, extensions (23:59 stays 23:59, revoke), the queue's jobs and cancel."""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.db import AuditLog, Evaluation, Extension
from api.services import pipeline
from api.web.present import article, duration
from core.text import noun, plural
from tests.api.helpers import World
from tests.web.test_sql_pages import WRONG, record, sign_in, upload, world
from worker.contract import Outcome, Started

__all__ = ["world"]  # the fixture, shared with test_sql_pages


def _rows(page: str) -> list[str]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return re.findall(r"<tr.*?</tr>", body, re.S)


def test_override_and_accept_are_found_in_the_audit_log(world: World) -> None:
    w, cid = world, world.ids["course"]
    sid = upload(w, sign_in(w, "alice"))
    record(w, WRONG, 1 / 3)
    tcsrf = sign_in(w, "teacher")
    base = f"/courses/{cid}/staff"
    for kind, points, reason in (("override", "2", "hidden test 2 was wrong"),
                                 ("override", "3", "second look: full marks"),
                                 ("accept", "", "agreed in the lab on Monday")):
        r = w.client.post(f"{base}/submissions/{sid}/adjust", data={
            "csrf_token": tcsrf, "kind": kind, "points": points, "reason": reason})
        assert r.status_code == 303, r.text
    page = w.client.get(f"{base}/audit").text
    rows = _rows(page)
    assert 'data-action="submission.accept"' in rows[0]
    assert "agreed in the lab on Monday" in rows[0] and "no → yes" in rows[0]
    assert 'data-action="adjustment.override"' in rows[1] and "2 → 3" in rows[1]
    assert "second look: full marks" in html.unescape(rows[1]) and "none → 2" in rows[2]
    assert "Alice" in rows[1] or "alice" in rows[1]
    assert "numpy_entropy" in rows[1]
    # Filters: by kind, by student (bob has nothing), by assignment, by actor.
    only = _rows(w.client.get(f"{base}/audit?kind=adjustment").text)
    assert len(only) == 2 and all("adjustment.override" in r for r in only)
    assert "No entries" in w.client.get(f"{base}/audit?student={w.ids['bob']}").text
    assert len(_rows(w.client.get(
        f"{base}/audit?student={w.ids['alice']}&assignment={w.ids['numpy_entropy']}"
        f"&actor={w.ids['teacher']}").text)) == 3
    assert w.client.get(f"{base}/audit?student=x").status_code == 400
    # The student sees the overrides itemised with their reasons on the course page.
    sign_in(w, "alice")
    course = w.client.get(f"/courses/{cid}").text
    items = course[course.index('id="items-h"'):]
    assert "Override" in items and "second look: full marks" in html.unescape(items)
    # Students cannot open the audit log.
    assert w.client.get(f"{base}/audit").status_code == 404


def test_audit_log_pages_with_a_keyset(world: World) -> None:
    w, cid = world, world.ids["course"]
    with w.sessions() as session:
        for n in range(120):
            session.add(AuditLog.record("community.add", actor_id=w.ids["teacher"],
                                        course_id=cid, object_type="user",
                                        object_id=w.ids["alice"], points=1, reason=f"post {n}"))
        session.commit()
    sign_in(w, "teacher")
    url, seen = f"/courses/{cid}/staff/audit?kind=community", []
    for _ in range(3):
        page = w.client.get(url).text
        seen += re.findall(r'class="reason">post (\d+)<', page)
        more = re.search(r'href="(\?[^"]*before=\d+)" rel="next"', page)
        if more is None:
            break
        url = f"/courses/{cid}/staff/audit" + html.unescape(more.group(1))
    assert [int(n) for n in seen] == list(range(119, -1, -1))  # each once, newest first


def test_reasons_are_required_on_the_server(world: World) -> None:
    w, cid = world, world.ids["course"]
    sid = upload(w, sign_in(w, "alice"))
    record(w, WRONG, 1 / 3)
    tcsrf = sign_in(w, "teacher")
    base = f"/courses/{cid}/staff"
    for path, data in ((f"submissions/{sid}/adjust", {"kind": "accept", "reason": "  "}),
                       ("exam", {"user_id": w.ids["alice"], "exam_points": "50",
                                 "reason": " "}),
                       (f"assignments/{w.ids['numpy_entropy']}/regrade",
                        {"action": "start"})):
        r = w.client.post(f"{base}/{path}", data={"csrf_token": tcsrf, **data})
        assert r.status_code in (400, 422), (path, r.status_code)
    with w.sessions() as session:
        assert session.scalars(select(AuditLog.action).where(
            AuditLog.course_id == cid)).all() == []
    r = w.client.post(f"{base}/exam", data={"csrf_token": tcsrf, "user_id": w.ids["alice"],
                                            "exam_points": "50", "reason": "oral re-take"})
    assert r.status_code == 303
    page = w.client.get(f"{base}/audit?kind=exam").text
    assert "oral re-take" in page and "none → 50" in page


def test_staff_course_page_is_an_overview(world: World) -> None:
    w, cid = world, world.ids["course"]
    upload(w, sign_in(w, "alice"))
    record(w, [("1", "OK", ""), ("2", "OK", "")], 1.0)
    upload(w, sign_in(w, "bob"))
    sign_in(w, "assistant")
    page = w.client.get(f"/courses/{cid}").text
    assert "My standing" not in page and "Upcoming deadlines" in page
    row = next(r for r in _rows(page) if "numpy_entropy" in r)
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    assert cells[0].startswith("2 /") and cells[1] == "2"  # 2 students, 2 submissions
    assert cells[2].startswith("1 (50 %)") and cells[3] == "3 / 3" and cells[4] == "1"


def test_student_detail_page(world: World) -> None:
    w, cid = world, world.ids["course"]
    csrf = sign_in(w, "alice")
    sid = upload(w, csrf)
    record(w, WRONG, 1 / 3)
    tcsrf = sign_in(w, "teacher")
    base = f"/courses/{cid}/staff"
    w.client.post(f"{base}/submissions/{sid}/adjust", data={
        "csrf_token": tcsrf, "kind": "override", "points": "3", "reason": "test 2 was wrong"})
    page = html.unescape(w.client.get(f"{base}/students/{w.ids['alice']}").text)
    for part in ("Standing", "Counted solutions", "All submissions", "overridden",
                 f"#{sid}", "test 2 was wrong", "Extensions", "Notes from the audit log"):
        assert part in page, part
    assert w.client.get(f"{base}/students/{w.ids['teacher']}").status_code == 404


def test_extension_at_2359_shows_2359_and_can_be_revoked(world: World) -> None:
    w, cid = world, world.ids["course"]
    tcsrf = sign_in(w, "teacher")
    base = f"/courses/{cid}/staff"
    with w.sessions() as session:
        from api.db import Assignment

        first = session.get(Assignment, w.ids["numpy_entropy"]).first_deadline
    day = (first.astimezone(ZoneInfo("Europe/Prague")) + timedelta(days=2)).date()
    r = w.client.post(f"{base}/extensions", data={
        "csrf_token": tcsrf, "user_id": w.ids["alice"], "timezone": "Europe/Prague",
        "assignment_id": w.ids["numpy_entropy"], "until": f"{day}T23:59", "reason": "illness"})
    assert r.status_code == 303, r.text
    page = w.client.get(f"{base}/extensions").text
    listed = _rows(page[page.index('id="list-h"'):])
    assert len(listed) == 1 and f"{day} 23:59" in listed[0] and "illness" in listed[0]
    ext_id = int(re.search(r"extensions/(\d+)/revoke", listed[0]).group(1))
    r = w.client.post(f"{base}/extensions/{ext_id}/revoke",
                      data={"csrf_token": tcsrf, "reason": "granted by mistake"})
    assert r.status_code == 303
    with w.sessions() as session:
        assert session.scalars(select(Extension)).all() == []
    audit = html.unescape(w.client.get(f"{base}/audit?kind=extension").text)
    assert "Extension revoked" in audit and "granted by mistake" in audit


def test_queue_lists_jobs_and_cancel_ends_them_without_a_grade(world: World) -> None:
    w, cid = world, world.ids["course"]
    sid = upload(w, sign_in(w, "alice"))
    request, _ = w.dispatcher.jobs[-1]
    tcsrf = sign_in(w, "teacher")
    base = f"/courses/{cid}/staff"
    live = w.client.get(f"{base}/queue", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 2s"' in live and "numpy_entropy" in live
    job = _rows(live[live.index("<h2>Jobs"):])[0]
    assert "queued" in job and f"/queue/{request.evaluation_id}/cancel" in job
    form = w.client.get(f"{base}/queue/{request.evaluation_id}/cancel").text
    assert "Cancel the evaluation" in form
    r = w.client.post(f"{base}/queue/{request.evaluation_id}/cancel",
                      data={"csrf_token": tcsrf, "reason": "stuck on a broken package"})
    assert r.status_code == 303
    assert "No job is waiting" in w.client.get(f"{base}/queue").text
    # A worker's late start or result for it changes nothing; the sweeper leaves it.
    with w.sessions() as session:
        assert not pipeline.record_started(
            session, Started(request.evaluation_id, request.attempt, "w1"), w.settings)
        pipeline.record_outcome(session, Outcome(request.evaluation_id, request.attempt, "w1",
                                                 report={"score": 1.0, "tests": []}),
                                w.settings)
        assert pipeline.sweep(session, w.settings) == []
        ev = session.get(Evaluation, request.evaluation_id)
        assert ev.status == "cancelled" and ev.score is None
    r = w.client.post(f"{base}/queue/{request.evaluation_id}/cancel",
                      data={"csrf_token": tcsrf, "reason": "again"})
    assert r.status_code == 409 and "finished already" in r.text  # and nothing recorded
    audit = html.unescape(w.client.get(f"{base}/audit?kind=evaluation").text)
    assert "stuck on a broken package" in audit and "queued → cancelled" in audit
    sign_in(w, "alice")
    live = w.client.get(f"/submissions/{sid}/live").text
    assert "hx-trigger" not in live  # finished: the student's page stops polling


def test_words_agree_with_their_numbers() -> None:
    assert [plural(n, "point") for n in (0, 1, 1.5, 2)] == [
        "0 points", "1 point", "1.5 points", "2 points"]
    assert plural(1, "person", "people") == "1 person" and plural(3, "person", "people") == (
        "3 people")
    assert [noun(n, "bonus point") for n in (1, 0, 2)] == [
        "bonus point", "bonus points", "bonus points"]
    assert (article("assistant"), article("teacher")) == ("an assistant", "a teacher")
    assert duration(timedelta(days=1, hours=2)) == "1 day 2 h"
    assert duration(timedelta(seconds=75)) == "1 min"


def test_charts_are_svg_with_a_text_alternative() -> None:
    from api.web.charts import bar_chart

    html_text = str(bar_chart("c", "Verdicts <all>", (("Passed", 7), ("Wrong <answer>", 2))))
    assert '<svg viewBox="0 0 320 180"' in html_text and 'role="img"' in html_text
    assert 'aria-labelledby="c-t c-d"' in html_text
    assert '<desc id="c-d">Passed: 7; Wrong &lt;answer&gt;: 2</desc>' in html_text
    assert "<script" not in html_text and "Wrong <answer>" not in html_text  # escaped
    assert '<th scope="row">Passed</th><td class="num">7</td>' in html_text  # the table
    assert "No data yet" in str(bar_chart("e", "Empty", ()))


def test_gradebook_marks_a_running_evaluation_and_filters_at_risk(world: World) -> None:
    from sqlalchemy import func

    from api.db import Assignment, Course, Submission, utcnow

    w, cid = world, world.ids["course"]
    upload(w, sign_in(w, "alice"))  # queued: nothing counts yet
    sign_in(w, "teacher")
    book = w.client.get(f"/courses/{cid}/staff/gradebook").text
    row = next(r for r in _rows(book) if "alice" in r)
    cell = re.search(r'<td class="cell-r"><a [^>]*>(.*?)</a></td>', row)
    assert cell is not None and cell.group(1).startswith("<span") and "evaluating" in cell.group(1)
    record(w, [("1", "OK", ""), ("2", "OK", "")], 1.0)
    row = next(r for r in _rows(w.client.get(f"/courses/{cid}/staff/gradebook").text)
               if "alice" in r)
    assert "cell-r" not in row and ">3</a>" in row
    with w.sessions() as session:  # numpy_entropy's deadline passed: 3 of 6 points due
        a, course = session.get(Assignment, w.ids["numpy_entropy"]), session.get(Course, cid)
        assert a is not None and course is not None
        sent = session.scalar(select(func.max(Submission.submitted_at)))
        a.first_deadline, a.second_deadline = sent + timedelta(seconds=1), None
        time.sleep(max(0.0, (a.first_deadline - utcnow()).total_seconds()) + 0.05)
        course.pass_points = 4  # the pace now: 4 * 3 / 6 = 2 non-bonus points
        session.commit()
    risky = w.client.get(f"/courses/{cid}/staff/gradebook?only=at_risk").text
    missing = w.client.get(f"/courses/{cid}/staff/gradebook?only=missing").text
    names = [re.search(r'students/\d+">([^<]+)<', r).group(1)  # type: ignore[union-attr]
             for r in _rows(risky)]
    assert "alice" not in names and "bob" in names  # bob has 0 of the 3 due points
    assert "alice" not in missing.split("<tbody>")[1] and "bob" in missing.split("<tbody>")[1]


def _cell(book: str, who: str) -> str:
    """The one gradebook cell of ``who`` with a submission (a link to it)."""
    row = next(r for r in _rows(book) if who in r)
    [cell] = re.findall(r"<td[^>]*><a .*?</td>", row, re.S)
    return cell


def test_gradebook_marks_the_deadline_window_of_the_counted_solution(world: World) -> None:
    """Between the deadlines: an `S` with words, not colour only, and a legend entry;
    after the last deadline: `L`; an extension that covers the submission: no mark."""
    from api.db import Assignment, Submission

    w, cid = world, world.ids["course"]
    upload(w, sign_in(w, "alice"))
    record(w, [("1", "OK", ""), ("2", "OK", "")], 1.0)
    sign_in(w, "teacher")
    book = w.client.get(f"/courses/{cid}/staff/gradebook").text
    assert "cell-s" not in _cell(book, "alice") and "cell-l" not in _cell(book, "alice")
    assert '<span class="cell-s">S</span> between the deadlines' in book  # the legend

    def deadlines(first: timedelta, second: timedelta) -> None:  # relative to the upload
        with w.sessions() as session:
            a = session.get(Assignment, w.ids["numpy_entropy"])
            assert a is not None
            sent = session.scalar(select(Submission.submitted_at))
            a.first_deadline, a.second_deadline = sent + first, sent + second
            session.commit()

    deadlines(-timedelta(hours=1), timedelta(hours=1))
    cell = _cell(w.client.get(f"/courses/{cid}/staff/gradebook").text, "alice")
    assert 'class="cell-s"' in cell and "cell-l" not in cell
    assert '<span class="mk" aria-hidden="true">S</span>' in cell
    assert '<span class="sr"> between the deadlines</span>' in cell
    deadlines(-timedelta(hours=2), -timedelta(hours=1))
    cell = _cell(w.client.get(f"/courses/{cid}/staff/gradebook").text, "alice")
    assert 'class="cell-l"' in cell and "cell-s" not in cell and "> late</span>" in cell
    with w.sessions() as session:  # 3 h more: on time again
        session.add(Extension(course_id=cid, user_id=w.ids["alice"], extra_seconds=3 * 3600,
                              assignment_id=w.ids["numpy_entropy"], reason="illness"))
        session.commit()
    cell = _cell(w.client.get(f"/courses/{cid}/staff/gradebook").text, "alice")
    assert "cell-s" not in cell and "cell-l" not in cell and ">3<" in cell
