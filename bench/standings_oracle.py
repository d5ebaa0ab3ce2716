"""The benchmark course through the pure rules of `core`, to check the SQL at scale.

`bench/standings.py --check` compares `api.db.standing.course_standings` on each engine
with :func:`core_standings`, computed here from the same generated rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from core.competition import Competition
from core.counting import Attempt
from core.deadlines import Deadlines, Extension, SecondPolicy
from core.standing import AssignmentRules, CourseRules, StudentRecord, StudentStanding
from core.standing import course_standings as pure_standings

Rows = dict[str, list[tuple[Any, ...]]]


def records(columns: dict[str, tuple[str, ...]], data: Rows, table: str) -> list[dict[str, Any]]:
    """One table's rows as dictionaries."""
    return [dict(zip(columns[table], row, strict=True)) for row in data[table]]


def assignment_rules(a: dict[str, Any]) -> AssignmentRules:
    """An assignment row as `core` rules."""
    deadlines = Deadlines(
        a["first_deadline"],
        a["points"],
        a["second_deadline"],
        a["second_points"],
        SecondPolicy(a["second_policy"]),
    )
    competition = None
    if a["kind"] == "competition":
        competition = Competition(a["metric_threshold"], a["higher_is_better"])
    return AssignmentRules(
        a["id"],
        deadlines,
        bonus_points=a["bonus_points"],
        rank_bonus=a["rank_bonus"],
        threshold=a["threshold"],
        competition=competition,
        visible_from=a["visible_from"],
        extra_threshold=a.get("extra_threshold"),
        extra_bonus=a.get("extra_bonus", 0),
    )


def attempts_by_student(
    columns: dict[str, tuple[str, ...]], data: Rows
) -> dict[int, dict[int, list[Attempt]]]:
    """Submissions with their current evaluation and latest override, by student and task."""
    evaluations = {e["id"]: e for e in records(columns, data, "evaluations")}
    latest: dict[int, tuple[datetime, int, int]] = {}
    for adj in records(columns, data, "adjustments"):
        if adj["kind"] == "override":
            key = (adj["created_at"], adj["id"], adj["points"])
            latest[adj["submission_id"]] = max(latest.get(adj["submission_id"], key), key)
    result: dict[int, dict[int, list[Attempt]]] = defaultdict(lambda: defaultdict(list))
    for s in records(columns, data, "submissions"):
        e = evaluations.get(s["current_evaluation_id"])
        done = e is not None and e["status"] == "done"
        override = latest.get(s["id"])
        result[s["user_id"]][s["assignment_id"]].append(
            Attempt(
                s["id"],
                s["submitted_at"],
                done,
                e["score"] if done and e else None,
                e["metric"] if done and e else None,
                s["accepted"],
                None if override is None else override[2],
            )
        )
    return result


def core_standings(
    columns: dict[str, tuple[str, ...]], data: Rows, now: datetime
) -> list[StudentStanding]:
    """The standing of the generated course (course 1) by `core`."""
    (course,) = records(columns, data, "courses")
    rules = CourseRules(
        course["pass_points"],
        course["community_cap"],
        course["exam_max"],
        course["grade_1"],
        course["grade_2"],
        course["grade_3"],
        course.get("solve_score", 1.0),
    )
    assignments = [assignment_rules(a) for a in records(columns, data, "assignments")]
    attempts = attempts_by_student(columns, data)
    extensions: dict[int, list[Extension]] = defaultdict(list)
    for x in records(columns, data, "extensions"):
        extensions[x["user_id"]].append(Extension(x["extra_seconds"], x["assignment_id"]))
    bonus: dict[int, int] = defaultdict(int)
    for adj in records(columns, data, "adjustments"):
        if adj["kind"] == "bonus":
            bonus[adj["user_id"]] += adj["points"]
    exam = {r["user_id"]: r["points"] for r in records(columns, data, "exam_results")}
    community: dict[int, int] = defaultdict(int)
    for c in records(columns, data, "community_points"):
        community[c["user_id"]] += c["points"]
    students = [
        StudentRecord(
            e["user_id"],
            attempts.get(e["user_id"], {}),
            extensions[e["user_id"]],
            bonus[e["user_id"]],
            exam.get(e["user_id"]),
            community[e["user_id"]],
        )
        for e in records(columns, data, "enrollments")
        if e["role"] == "student"
    ]
    return pure_standings(rules, assignments, students, now)
