"""The fields of the course and assignment forms: what each input is, how a value is shown
in it, and how the submitted text becomes a value. Times are entered and shown in the
course's time zone; the rules (ranges, deadline order) are checked by the service's schemas
and models, not here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import BadInput

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
"""The value format of ``<input type="datetime-local">``."""


@dataclass(frozen=True)
class FormField:
    name: str
    """The service's field name (`api.services.courses.COURSE_FIELDS` / `ASSIGNMENT_FIELDS`)."""
    label: str
    kind: str = "int"
    """``text``, ``int``, ``float``, ``datetime`` (in the course's zone) or ``choice``."""
    hint: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False


COURSE_FORM = (
    FormField("name", "Name", "text", required=True),
    FormField("term", "Term", "text", "e.g. 2026/27"),
    FormField("timezone", "Time zone", "text",
              "An IANA name, e.g. Europe/Prague: deadlines are entered in it", required=True),
    FormField("pass_points", "Points to pass the practicals"),
    FormField("exam_max", "Exam maximum"),
    FormField("grade_1", "Total for grade 1"),
    FormField("grade_2", "Total for grade 2"),
    FormField("grade_3", "Total for grade 3"),
    FormField("community_cap", "Most community points that count"),
    FormField("max_team_size", "Largest team"),
    FormField("solve_score", "Score that counts as solved", "float", "Between 0 and 1"),
    FormField("window_limit", "Submissions per student and assignment in a window",
              hint="Empty: no limit"),
    FormField("window_hours", "Length of that window (hours)"),
)

ASSIGNMENT_FORM = (
    FormField("title", "Title", "text", "Empty: the package's title"),
    FormField("first_deadline", "First deadline", "datetime", required=True),
    FormField("second_deadline", "Second deadline", "datetime", "Empty: none"),
    FormField("points", "Points", hint="Empty when publishing: the package's"),
    FormField("second_points", "Points after the first deadline"),
    FormField("second_policy", "Between the deadlines", "choice",
              "fixed: the points above; linear: falling from full points to them",
              choices=("fixed", "linear")),
    FormField("bonus_points", "Bonus points", hint="Empty when publishing: the package's"),
    FormField("threshold", "Score needed for points", "float", "Between 0 and 1"),
    FormField("visible_from", "Students see it from", "datetime", "Empty: at once"),
    FormField("max_submissions", "Most submissions per student", hint="Empty: no limit"),
    FormField("window_limit", "Submissions per student in a window",
              hint="Empty: the course's setting"),
    FormField("window_hours", "Length of that window (hours)",
              hint="Empty: the course's setting"),
)


def shown(form: Sequence[FormField], obj: object | None, zone: str
          ) -> tuple[tuple[FormField, str], ...]:
    """Each field with the text its input holds: the object's value (times in ``zone``)."""
    return tuple((f, _text(getattr(obj, f.name, None) if obj is not None else None, zone))
                 for f in form)


def _text(value: Any, zone: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(zone)).strftime(LOCAL_INPUT)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse(form: Sequence[FormField], raw: Mapping[str, str],
          in_zone: Callable[[datetime], datetime] | None = None, *, skip_empty: bool = False
          ) -> dict[str, Any]:
    """The submitted fields as values (an empty field: None, or left out with
    ``skip_empty``); fields the form does not have are ignored. ``in_zone`` reads a
    wall-clock time in the course's zone (`api.services.courses.course_time`)."""
    values: dict[str, Any] = {}
    for field in form:
        text = str(raw.get(field.name, "")).strip()
        if field.name not in raw or (skip_empty and not text):
            continue
        values[field.name] = _value(field, text, in_zone) if text else None
    return values


def _value(field: FormField, text: str,
           in_zone: Callable[[datetime], datetime] | None) -> Any:
    try:
        if field.kind == "int":
            return int(text)
        if field.kind == "float":
            return float(text)
        if field.kind == "datetime":
            when = datetime.fromisoformat(text)
            return in_zone(when) if in_zone else when
    except ValueError:
        raise BadInput(f"{field.label}: {text!r} is not {_WORDS[field.kind]}.") from None
    if field.kind == "choice" and text not in field.choices:
        raise BadInput(f"{field.label}: choose one of {', '.join(field.choices)}.")
    return text


_WORDS = {"int": "a whole number", "float": "a number", "datetime": "a date and time"}
