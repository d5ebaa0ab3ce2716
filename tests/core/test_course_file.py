"""The course file's schema (`core.course_file`): every malformed file is refused with the
exact key and its line; a rendered file reads back equal; the diff names each field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.course_file import (
    CourseFile,
    CourseFileError,
    line_of,
    parse_course_file,
    render,
)
from core.course_state import CourseState, diff

SHIPPED = Path(__file__).resolve().parents[2] / "courses/npfl138-2627.toml"

GOOD = """\
[course]
slug = "dl-2627"
name = "Deep Learning"
timezone = "Europe/Prague"

[staff]
straka = "teacher"

[[assignments]]
package = "numpy_entropy"
version = "abc"
first_deadline = 2026-10-21T22:00:00+02:00
second_deadline = 2026-10-28T22:00:00+01:00

[[assignments]]
package = "pca_first"
version = "def"
points = 2
first_deadline = 2026-10-28T22:00:00+01:00
"""


def refused(text: str) -> CourseFileError:
    with pytest.raises(CourseFileError) as caught:
        parse_course_file(text, "dl.toml")
    return caught.value


def test_a_good_file() -> None:
    parsed = parse_course_file(GOOD, "dl.toml")
    assert parsed.course.pass_points == 80 and parsed.staff == {"straka": "teacher"}
    first = parsed.assignments[0]
    assert first.first_deadline == datetime(2026, 10, 21, 20, 0, tzinfo=UTC)
    assert first.second_deadline == datetime(2026, 10, 28, 21, 0, tzinfo=UTC)
    assert first.assignment_name == "numpy_entropy" and first.points is None


@pytest.mark.parametrize(("old", "new", "key", "line", "words"), [
    ('name = "Deep Learning"', 'name = "DL"\npas_points = 70', "course.pas_points", 4,
     "unknown key"),
    ('points = 2', 'points = 2\nbonus = 1', "assignments[1].bonus", 19, "unknown key"),
    ("[staff]", "[staf]", "staf", 6, "unknown key"),
    ("second_deadline = 2026-10-28T22:00:00+01:00", "second_deadline = 2026-10-14T22:00:00+02:00",
     "assignments[0].second_deadline", 13, "must be after first_deadline"),
    ("first_deadline = 2026-10-28T22:00:00+01:00", "first_deadline = 2026-10-28T22:00:00",
     "assignments[1].first_deadline", 19, "time without zone"),
    ("first_deadline = 2026-10-28T22:00:00+01:00", "first_deadline = 2026-10-28",
     "assignments[1].first_deadline", 19, "a date without time and zone"),
    ("first_deadline = 2026-10-21T22:00:00+02:00", "first_deadline = 2026-10-21T22:00:00+01:00",
     "assignments[0].first_deadline", 12, "at that time it is 2026-10-21T22:00:00+02:00"),
    ('timezone = "Europe/Prague"', 'timezone = "Europe/Praha"', "course.timezone", 4,
     "unknown time zone"),
    ('version = "def"', "", "assignments[1].version", 15, "required key is missing"),
    ('straka = "teacher"', 'straka = "boss"', "staff.straka", 7, "'teacher' or 'assistant'"),
    ('package = "pca_first"', 'package = "numpy_entropy"', "assignments[1].package", 16,
     "listed twice"),
    ("points = 2", "points = 2\nsecond_points = 3", "assignments[1].second_points", 19,
     "at most points"),
    ("points = 2", 'points = "2"', "assignments[1].points", 18, "valid integer"),
])
def test_malformed_files_name_the_key_and_line(old: str, new: str, key: str, line: int,
                                               words: str) -> None:
    assert old in GOOD
    error = refused(GOOD.replace(old, new, 1))
    assert [(p.key, p.line) for p in error.problems] == [(key, line)], str(error)
    assert words in error.problems[0].message
    assert str(error).startswith(f"dl.toml:{line}: {key}: ")


def test_toml_syntax_error_has_its_line() -> None:
    error = refused(GOOD.replace("points = 2", "points = = 2"))
    assert error.problems[0].line == 18 and "not valid TOML" in str(error)


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("pas", "").replace('name = "Deep Learning"', 'name = "DL"\nfoo = 1')
    text = text.replace("first_deadline = 2026-10-28T22:00:00+01:00", "first_deadline = 1")
    error = refused(text)
    assert {p.key for p in error.problems} == {"course.foo", "assignments[1].first_deadline"}


def test_render_reads_back_equal() -> None:
    parsed = parse_course_file(SHIPPED.read_text(), str(SHIPPED))
    text = render(parsed, "exported")
    again = parse_course_file(text, "again.toml")
    assert again.model_dump() == parsed.model_dump()
    assert text.startswith("# exported\n[course]\n")
    assert "first_deadline = 2026-10-21T22:00:00+02:00" in text  # in the course's zone


def test_the_shipped_file_follows_the_schedule() -> None:
    parsed = parse_course_file(SHIPPED.read_text(), str(SHIPPED))
    assert parsed.course.slug == "npfl138-2627" and parsed.course.timezone == "Europe/Prague"
    for entry in parsed.assignments:
        local = entry.first_deadline.astimezone(
            __import__("zoneinfo").ZoneInfo("Europe/Prague"))
        assert (local.hour, local.minute, local.weekday()) == (22, 0, 2)  # Wednesday 22:00
        assert entry.second_deadline is not None
        second = entry.second_deadline.astimezone(local.tzinfo)
        assert (second.date() - local.date()).days == 7 and second.hour == 22


def test_line_of_finds_keys_in_the_right_table() -> None:
    assert line_of(GOOD, ("assignments", 1, "first_deadline")) == 19
    assert line_of(GOOD, ("assignments", 1, "title")) == 15  # absent: its table's header
    assert line_of(GOOD, ("course", "name")) == 3
    assert line_of(GOOD, ("nothing",)) is None


def test_diff_per_field() -> None:
    live = CourseState(course={"slug": "c", "name": "A"}, staff={"x": "assistant"},
                       assignments={"a": {"points": 2, "published": True},
                                    "b": {"points": 1, "published": True},
                                    "c": {"points": 1, "published": False}},
                       roles={"x": "assistant", "y": "student"})
    wanted = CourseState(course={"slug": "c", "name": "B"}, staff={"y": "teacher"},
                         assignments={"a": {"points": 3}, "c": {"points": 1},
                                      "d": {"points": 4}})
    got = {(c.kind, c.name, c.action): c.fields for c in diff(live, wanted)}
    assert got == {
        ("course", "c", "changed"): (("name", "A", "B"),),
        ("assignment", "a", "changed"): (("points", 2, 3),),
        ("assignment", "c", "changed"): (("published", False, True),),
        ("assignment", "d", "created"): (("points", None, 4),),
        ("assignment", "b", "unpublished"): (("published", True, False),),
        ("staff", "x", "changed"): (("role", "assistant", None),),
        ("staff", "y", "changed"): (("role", "student", "teacher"),),
    }
    same = CourseState(course=dict(wanted.course), staff=dict(wanted.staff),
                       assignments={k: {**v, "published": True}
                                    for k, v in wanted.assignments.items()},
                       roles=dict(wanted.staff))
    assert diff(same, wanted) == []
    created = diff(None, wanted)
    assert created[0].action == "created" and created[0].kind == "course"


zones = st.sampled_from(["Europe/Prague", "UTC", "America/New_York", "Asia/Kolkata"])
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                        timezones=st.just(UTC))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",))
                | st.sampled_from("\x7f\x00\n\t\"\\"), max_size=30)


@st.composite
def course_files(draw: st.DrawFn) -> dict:
    first = draw(instants)
    entry = {"package": "numpy_entropy", "version": draw(st.text("0123456789abcdef", min_size=1,
                                                                 max_size=64)),
             "title": draw(texts), "points": draw(st.integers(0, 50)),
             "threshold": draw(st.floats(0, 1)), "first_deadline": first,
             "second_deadline": first + draw(st.timedeltas(timedelta(seconds=1),
                                                            timedelta(days=60))),
             "max_submissions": draw(st.none() | st.integers(1, 100))}
    return {"course": {"slug": "c-1", "name": draw(texts.filter(str.strip)) or "n",
                       "timezone": draw(zones), "solve_score": draw(st.floats(0, 1))},
            "staff": {draw(st.from_regex(r"[a-z][a-z0-9._@-]{0,12}", fullmatch=True)):
                      "assistant"},
            "assignments": [entry]}


@settings(max_examples=80, deadline=None)
@given(course_files())
def test_render_then_parse_is_the_identity(data: dict) -> None:
    if not data["course"]["name"].strip():
        data["course"]["name"] = "n"
    parsed = CourseFile.model_validate(data)
    again = parse_course_file(render(parsed), "x.toml")
    assert again.model_dump() == parsed.model_dump()
