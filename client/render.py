"""API answers as text for the terminal: tables, one-line summaries, CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.text import plural, printable

Json = Any

STANDING_COLUMNS = (
    "username",
    "non_bonus",
    "bonus",
    "passed",
    "surplus",
    "solved_all",
    "exam_total",
    "grade",
)
"""Standing fields shown first, in this order; other scalar fields follow."""


def cell(value: Any) -> str:
    """A value as a table cell."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    # Texts come from students' runs and names: no escape sequence reaches the terminal.
    return printable(str(value)).replace("\n", " ")


def when(stamp: str | None) -> str:
    """An API time (ISO 8601, UTC) in the user's local time zone, to the second."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").rstrip()


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60) -> str:
    """A plain left-aligned text table; cells longer than ``max_width`` are cut."""
    text = [[cell(v) for v in row] for row in rows]
    text = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in text]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in text]
    return "\n".join(lines)


def as_json(value: Json) -> str:
    """Indented JSON, for ``--json`` (every string made printable first)."""
    return json.dumps(_printable_json(value), indent=2, ensure_ascii=False)


def _printable_json(value: Json) -> Json:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_printable_json(item) for item in value]
    if isinstance(value, dict):
        return {printable(str(k)): _printable_json(v) for k, v in value.items()}
    return value


def _status(submission: Json) -> str:
    evaluation = submission.get("evaluation")
    if evaluation is None:
        return "not queued"
    status = str(evaluation.get("status"))
    return "our error (not your fault)" if evaluation.get("our_failure") else status


def lateness(submission: Json, full_points: int | None = None) -> str:
    """How the deadlines treat a submission: on time, after the first deadline (fewer points),
    or late (after the last one, no points)."""
    most = submission.get("max_points")
    if submission.get("late"):
        return "LATE: after the last deadline, it earns no points"
    if full_points is not None and most is not None and most < full_points:
        return f"after the first deadline: at most {most} of {plural(full_points, 'point')}"
    return "on time"


def submitted(submission: Json, full_points: int | None = None) -> str:
    """What `submit` prints: the id, lateness and the evaluation's state."""
    return printable(
        f"Submission {submission['id']} received at {when(submission['submitted_at'])}: "
        f"{lateness(submission, full_points)}; main file {submission.get('main_file')}; "
        f"evaluation {_status(submission)}."
    )


def summary(submission: Json) -> str:
    """A submission's state in a few lines."""
    evaluation = submission.get("evaluation") or {}
    late = "  LATE" if submission.get("late") else ""
    lines = [
        f"Submission {submission['id']} (assignment {submission['assignment_id']})",
        f"  submitted: {when(submission['submitted_at'])}{late}",
        f"  files:     {', '.join(submission.get('files', [])) or '-'}",
        f"  status:    {_status(submission)}",
        f"  points:    {cell(submission.get('points'))} of {cell(submission.get('max_points'))}",
    ]
    if submission.get("username"):  # the staff view names the student
        lines.insert(1, f"  student:   {submission['username']}")
    if submission.get("team"):
        team = ", ".join(m.get("username") or m["uuid"] for m in submission["team"])
        lines.append(f"  team:      {team}")
    if evaluation.get("message"):
        lines.append(f"  message:   {evaluation['message']}")
    return printable("\n".join(lines))


def status_list(submissions: Sequence[Json]) -> str:
    """Several submissions, one line each."""
    if not submissions:
        return "No submissions yet."
    rows = [
        (
            s["id"],
            s.get("course_slug", ""),
            s.get("assignment_name", s["assignment_id"]),
            when(s["submitted_at"]),
            s.get("late"),
            _status(s),
            s.get("points"),
        )
        for s in submissions
    ]
    return table(("id", "course", "assignment", "submitted", "late", "status", "points"), rows)


def _time(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f} s"


def _memory(value: Any) -> str:
    return "-" if value is None else f"{float(value):.0f} MiB"


def results(submission: Json) -> str:
    """The per-test table of a submission's evaluation, after its summary."""
    evaluation = submission.get("evaluation") or {}
    tests = evaluation.get("tests") or []
    if not tests:
        return summary(submission) + "\n\nNo test results (yet)."
    rows = [
        (
            t["name"] + (" (hidden)" if t.get("hidden") else ""),
            t["verdict"],
            _time(t.get("time_s")),
            _memory(t.get("memory_mib")),
            t.get("message") or "",
        )
        for t in tests
    ]
    score = evaluation.get("score")
    footer = f"\nScore {score:.3f}" if isinstance(score, (int, float)) else ""
    return (
        summary(submission)
        + "\n\n"
        + table(("test", "verdict", "time", "memory", "message"), rows, max_width=160)
        + footer
    )


def standing_columns(rows: Sequence[Json]) -> list[str]:
    """Scalar fields of standing rows: the known ones first, then the others."""
    seen: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in seen and not isinstance(value, (dict, list)):
                seen.append(key)
    first = [c for c in STANDING_COLUMNS if c in seen]
    return first + [c for c in seen if c not in first]


def standings(rows: Sequence[Json]) -> str:
    """Standings as a table (totals only; ``--json``/``--csv`` have per-assignment points)."""
    if not rows:
        return "No standings to show."
    columns = standing_columns(rows)
    return table(columns, [[row.get(c) for c in columns] for row in rows])


def standings_csv(rows: Sequence[Json], assignment_names: dict[int, str]) -> str:
    """Standings as CSV: scalar fields, then each assignment's points (column = its name,
    in the order of ``assignment_names``)."""
    columns = standing_columns(rows)
    present = {int(a["assignment_id"]) for r in rows for a in r.get("assignments", [])}
    ids = [i for i in assignment_names if i in present] + sorted(present - set(assignment_names))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns + [assignment_names.get(i, f"assignment {i}") for i in ids])
    for row in rows:
        points = {int(a["assignment_id"]): a.get("points") for a in row.get("assignments", [])}
        writer.writerow(
            ["" if row.get(c) is None else row.get(c) for c in columns]
            + ["" if points.get(i) is None else points[i] for i in ids]
        )
    return printable(out.getvalue())
