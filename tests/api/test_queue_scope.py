"""The queue page of a course counts only that course's jobs, for its staff only (issue 14:
a teacher of one course saw the queue of every course)."""

from __future__ import annotations

import re
from datetime import timedelta

from api.db import Assignment, Evaluation, Submission, utcnow
from tests.api.helpers import GOOD_MAIN, World
from tests.web.conftest import login_form


def queued_elsewhere(world: World, count: int) -> None:
    """``count`` queued jobs in the other course (the teacher does not teach there)."""
    now = utcnow()
    with world.sessions() as session:
        other = Assignment(course_id=world.ids["other_course"], name="elsewhere",
                           package_name="numpy_entropy", package_version="v1", points=1,
                           first_deadline=now + timedelta(days=3))
        session.add(other)
        session.flush()
        for _ in range(count):
            submission = Submission(assignment_id=other.id, user_id=world.ids["outsider"],
                                    submitted_at=now, main_file="m.py")
            evaluation = Evaluation(submission=submission, package_version="v1", attempt=1,
                                    status="queued", kind="normal", retries=0, queued_at=now)
            submission.current_evaluation = evaluation
            session.add(submission)
        session.commit()


def queued_count(page: str) -> int:
    found = re.search(r"<dt>Queued</dt><dd[^>]*>(\d+)</dd>", page)
    assert found is not None, page
    return int(found.group(1))


def test_the_queue_page_shows_only_the_courses_jobs(world: World) -> None:
    queued_elsewhere(world, 3)
    assert world.upload("alice", files=[("m.py", GOOD_MAIN)]).status_code == 201
    c = world.client
    c.follow_redirects = False
    assert login_form(c, {"username": "teacher", "password": "secret-pw"}).status_code == 303
    page = c.get(f"/courses/{world.ids['course']}/staff/queue")
    assert page.status_code == 200 and queued_count(page.text) == 1
    assert c.get(f"/courses/{world.ids['other_course']}/staff/queue").status_code == 404
    assert login_form(c, {"username": "alice", "password": "secret-pw"}).status_code == 303
    assert c.get(f"/courses/{world.ids['course']}/staff/queue").status_code == 404
    c.cookies.clear()
