"""One executing home per rule (issue 16): the pages and the REST API share the gradebook
CSV writer and the rule of what a student sees of a test; api/web has no import circle."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

from core.verdicts import VERDICT_TEXT, Verdict
from tests.api.helpers import World
from tests.web.test_sql_pages import WRONG, record, sign_in, upload, world

__all__ = ["world"]  # the fixture, shared with test_sql_pages

ROOT = Path(__file__).resolve().parents[2]


def test_api_web_has_no_import_circle() -> None:
    import grimp

    spec = importlib.util.spec_from_file_location("import_cycles",
                                                  ROOT / "scripts" / "import_cycles.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.circles(grimp.build_graph("api"), "api.web") == []


def test_the_page_and_the_rest_api_download_one_gradebook_csv(world: World) -> None:
    w, cid = world, world.ids["course"]
    upload(w, sign_in(w, "alice"))
    record(w, WRONG, 1 / 3)
    sign_in(w, "teacher")
    page = w.client.get(f"/courses/{cid}/staff/gradebook.csv").text
    w.client.cookies.clear()
    rest = w.client.get(f"/api/v1/courses/{cid}/gradebook.csv", headers=w.as_("teacher"))
    assert rest.status_code == 200 and rest.text == page
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(page))}
    assert page.startswith("name,uuid,numpy_entropy,") and int(rows["alice"]["non_bonus"]) >= 0


def test_a_students_view_of_a_grader_failure_is_the_same_on_the_page_and_the_api(
        world: World) -> None:
    """A public test that failed on our side shows the catalogue's words, never our
    internal message, to its author by either way (`core.report.student_test`)."""
    w = world
    sid = upload(w, sign_in(w, "alice"))
    record(w, [("1", "SYSTEM_ERROR", "worker internals at /srv/grader"),
               ("hidden_1", "WRONG_ANSWER", "hidden secret message")], 0.0)
    page = w.client.get(f"/submissions/{sid}").text
    w.client.cookies.clear()
    body = w.client.get(f"/api/v1/submissions/{sid}", headers=w.as_("alice")).json()
    tests = {t["name"]: t for t in body["evaluation"]["tests"]}
    assert tests["1"]["message"] == VERDICT_TEXT[Verdict.SYSTEM_ERROR][1]
    assert tests["hidden_1"] == {**tests["hidden_1"], "verdict": "FAILED", "score": None,
                                 "message": "Hidden test failed."}
    for text in (page, str(body)):
        assert "worker internals" not in text and "hidden secret" not in text


def _render(name: str, **context: object) -> str:
    from api.web.render import templates

    return " ".join(templates.env.get_template(name).render(**context).split())


def test_the_pages_say_our_failure_in_the_catalogues_one_text() -> None:
    """A whole evaluation and an assignment that failed on our side are explained in
    `Verdict.SYSTEM_ERROR.long_text`, not in the templates' own words."""
    from types import SimpleNamespace

    from api.db.enums import EvaluationStatus
    from api.services.views import AssignmentStatus

    ours = Verdict.SYSTEM_ERROR.long_text
    view = SimpleNamespace(course=SimpleNamespace(id=1), id=2, finished=True, tests=(),
                           state=EvaluationStatus.SYSTEM_ERROR, system_error=None,
                           queue=None)
    assert ours in _render("_submission_live.html", view=view, staff=False)
    badge = _render("_status.html", a=SimpleNamespace(status=AssignmentStatus.OURS))
    assert f'title="{ours}"' in badge and "our error" in badge


def test_templates_compare_states_by_their_enums() -> None:
    """No template compares a state with a bare string ("queued", "our error", ...): the
    enums are Jinja globals (api/web/render.py)."""
    import re

    states = ("queued", "running", "done", "system_error", "cancelled", "none", "ready",
              "applied", "discarded", "passed", "failed", "late", "evaluating",
              "our error", "not submitted")
    alternatives = "|".join(states)
    bare = re.compile(rf"(state|status|st)(\.value)?\s*[!=]=\s*[\"']({alternatives})[\"']")
    found = [f"{path.name}: {m.group()}" for path in sorted((ROOT / "templates").glob("*.html"))
             for m in bare.finditer(path.read_text())]
    assert found == []
