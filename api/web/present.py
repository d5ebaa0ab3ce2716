"""Presentation helpers: words, times and bar widths for numbers computed elsewhere.

These functions format; they never decide points, lateness or grades (those come from
`core` and the standing query already computed).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from pygments import highlight as _pygmentize
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from api.db.enums import EvaluationStatus
from api.web.views import Column, GradebookRow, GradebookView, Standing
from core.pace import behind_pace
from core.standing import FAILED, CourseRules, totals
from core.text import plural
from core.verdicts import Verdict

_HTML = HtmlFormatter(nowrap=True, classprefix="tok-")


def highlight(name: str, text: str) -> Markup:
    """Python sources syntax-highlighted (pygments escapes the text); others escaped."""
    if not name.endswith(".py") or len(text) > 500_000:
        return escape(text)
    return Markup(_pygmentize(text, PythonLexer(), _HTML))


def sentence(text: str) -> str:
    """A refusal's message as a sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class FileDiff:
    """One file's changes against the previous submission (unified diff lines)."""

    name: str
    change: str  # "changed" | "added" | "removed"
    lines: tuple[tuple[str, str], ...]  # (kind, text): kind "+", "-", " " or "@"


DIFF_MAX_LINES = 2000


def diff_files(old: tuple[tuple[str, str], ...],
               new: tuple[tuple[str, str], ...]) -> list[FileDiff]:
    """What changed from `old` to `new` (name, text pairs); unchanged files left out."""
    before, after = dict(old), dict(new)
    out = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        lines = []
        for line in difflib.unified_diff((a or "").splitlines(), (b or "").splitlines(),
                                         lineterm="", n=3):
            if line.startswith(("---", "+++")):
                continue
            lines.append((line[:1] if line[:1] in "+-@" else " ", line))
            if len(lines) >= DIFF_MAX_LINES:
                lines.append(("@", "… (the rest of the diff is left out)"))
                break
        out.append(FileDiff(name, change, tuple(lines)))
    return out


def fmt_points(value: float | None) -> str:
    """`3`, `2.5`, or an en dash for "nothing counted"."""
    if value is None:
        return "–"
    if math.isinf(value):
        return "inf"
    return f"{value:g}"


def in_zone(when: datetime, zone: str) -> str:
    """The time in the given zone, e.g. `2026-11-30 22:00 CET`."""
    local = when.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def about(seconds: float) -> str:
    """A rough duration for an estimate: "about 40 s", "about 3 min", "about 2 h"."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"about {max(seconds, 1)} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def state_words(status: str | None) -> str:
    """An evaluation's state in words (our failure under `core.verdicts`' own label)."""
    if status == EvaluationStatus.SYSTEM_ERROR:
        return Verdict.SYSTEM_ERROR.short_text
    return STATE_WORDS.get(status or "", "–")


STATE_WORDS: dict[str, str] = {
    EvaluationStatus.DONE: "graded", EvaluationStatus.QUEUED: "waiting",
    EvaluationStatus.RUNNING: "running", EvaluationStatus.CANCELLED: "cancelled by staff"}


def article(word: str) -> str:
    """`a teacher`, `an assistant`."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def duration(span: timedelta) -> str:
    """A positive span in words: `2 days 3 h`, `5 h 10 min`, `45 min`, `30 s`."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{plural(days, 'day')}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" if minutes else f"{secs} s"


def seconds_span(seconds: float) -> str:
    """`duration` of a number of seconds."""
    return duration(timedelta(seconds=seconds))


def countdown(when: datetime, now: datetime) -> str:
    """A coarse, server-side countdown ("in 3 days 4 h", "2 h ago"); JS refines it."""
    seconds = int((when - now).total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days} day{'s' if days != 1 else ''} {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    else:
        text = f"{minutes} min"
    return f"{text} ago" if past else f"in {text}"


@dataclass(frozen=True)
class Progress:
    """Widths (percent of the bar) of the non-bonus, bonus and pass-line marks."""

    scale: float
    non_bonus_pct: float
    bonus_pct: float
    pass_pct: float


def progress(standing: Standing, rules: CourseRules, offered: float) -> Progress:
    """Lay the standing on one bar whose end is the larger of what is offered and held."""
    scale = max(offered, standing.non_bonus + standing.bonus, rules.pass_points, 1.0)
    return Progress(
        scale=scale,
        non_bonus_pct=round(100 * standing.non_bonus / scale, 2),
        bonus_pct=round(100 * standing.bonus / scale, 2),
        pass_pct=round(100 * rules.pass_points / scale, 2),
    )


def outcome(standing: Standing, rules: CourseRules) -> str:
    """The one statement of what a standing means, for the student's page and the gradebook
    alike (the standing query decided grade, pass and solved-all; this only words them)."""
    p = fmt_points
    if standing.solved_all:
        return "Grade 1: every assignment solved (whatever the point totals)."
    if not standing.passed:
        return (f"No exam grade: the practicals are not passed ({p(standing.non_bonus)} of "
                f"{plural(rules.pass_points, 'non-bonus point')}).")
    if standing.grade is None:
        return "Practicals passed: the grade comes from the exam."
    if standing.grade != FAILED:
        return f"Grade {standing.grade} (exam total {p(standing.exam_total)})."
    return f"Exam not passed (exam total {p(standing.exam_total)})."


def exam_sentences(standing: Standing, rules: CourseRules) -> list[str]:
    """Spell out what the standing means for the exam, in the course's own numbers; the
    first line is the `outcome`, and no later line contradicts it."""
    p = fmt_points
    lines = [outcome(standing, rules)]
    if standing.solved_all:
        lines.append("You solved every assignment: you pass the exam with grade 1.")
        return lines
    if not standing.passed:
        missing = rules.pass_points - standing.non_bonus
        lines.append(
            f"You need {plural(missing, 'more non-bonus point')} to pass the practicals "
            f"({p(rules.pass_points)}). Bonus points do not count towards this line; "
            "without passing the practicals (or solving every assignment) you cannot get an "
            "exam grade."
        )
        if standing.surplus:
            lines.append(
                f"Points above {p(rules.pass_points)}, bonus included: {p(standing.surplus)}; "
                "they go to the exam once you pass the practicals."
            )
        return lines
    lines.append(
        f"You passed the practicals. Everything above {plural(rules.pass_points, 'point')}, "
        f"bonus or not, goes to the exam: {plural(standing.surplus, 'point')}."
    )
    if standing.community:
        lines.append(
            f"Community work: {plural(standing.community, 'point')}, of which at most "
            f"{p(rules.community_cap)} count."
        )
    if standing.exam_points is None:
        needs = [f"{p(n)} for grade {g}" for g, n in exam_needed(standing, rules)]
        if needs:
            lines.append(
                f"Of the {p(rules.exam_max)} exam points you would need " + ", ".join(needs)
                + "."
            )
    else:
        lines.append(
            f"Exam total: {p(standing.exam_total)} = {p(standing.exam_points)} (exam) + "
            f"{p(standing.surplus)} (surplus) + community points (at most "
            f"{p(rules.community_cap)})."
        )
    return lines


def gradebook_cells(row: GradebookRow, course_id: int, columns: tuple[Column, ...]) -> Markup:
    """One gradebook row's cells as HTML, built in one pass: 13,500 cells through template
    filters cost hundreds of thousands of small allocations (and their garbage collection).
    Only numbers and ids go into the markup, so nothing needs escaping."""
    base = f"/courses/{int(course_id)}/staff/"
    parts = []
    for cell, column in zip(row.cells, columns, strict=True):
        if cell.submission_id is None and not cell.submitted:
            parts.append('<td class="e">–</td>')
            continue
        on = [m for m in MARKS if getattr(cell, m[0])]
        classes = " ".join(m[1] for m in on)
        target = (f"submissions/{int(cell.submission_id)}" if cell.submission_id is not None
                  else f"students/{int(row.user_id)}/assignments/{int(column.id)}")
        shown = "" if cell.points is None and cell.evaluating else fmt_points(cell.points)
        parts.append(f'<td class="{classes}"><a href="{base}{target}">{shown}'
                     f"{''.join(m[2] for m in on)}</a></td>")
    return Markup("".join(parts))


# A gradebook cell's marks: (Cell field, CSS class, the mark: a letter for the eye, words
# for screen readers). Colour is never the only cue.
MARKS = tuple((field, css, f'<span class="mk" aria-hidden="true">{letter}</span>'
                           f'<span class="sr"> {words}</span>')
              for field, css, letter, words in (
                  ("evaluating", "cell-r", "…", "evaluating"),
                  ("late", "cell-l", "L", "late"),
                  ("second", "cell-s", "S", "between the deadlines"),
                  ("overridden", "cell-o", "O", "overridden"),
                  ("accepted", "cell-a", "A", "accepted")))


def exam_needed(standing: Standing, rules: CourseRules) -> list[tuple[str, int]]:
    """For each grade, the fewest exam points that reach it, by asking the course's own rule
    (`core.standing.totals`) about every possible exam result."""
    out = []
    for wanted in (1, 2, 3):
        for exam in range(rules.exam_max + 1):
            got = totals(rules, standing.non_bonus, standing.bonus, False, exam,
                         standing.community).grade
            if got is not None and got <= wanted:
                out.append((str(wanted), exam))
                break
    return out


SORT_KEYS = ("name", "non_bonus", "bonus", "surplus", "exam_total", "grade")


def _sort_key(key: str):  # type: ignore[no-untyped-def]
    if key == "name":
        return lambda r: r.name.casefold()
    if key == "grade":
        return lambda r: (r.standing.grade is None, r.standing.grade or 0)
    if key.startswith("a"):
        index = int(key[1:])
        return lambda r: -1.0 if r.cells[index].points is None else r.cells[index].points
    return lambda r: getattr(r.standing, key) or 0.0


def arrange(view: GradebookView, q: str, sort: str, desc: bool, only: str) -> GradebookView:
    """Search, filter and sort the gradebook rows (presentation only)."""
    rows: list[GradebookRow] = list(view.rows)
    if q:
        needle = q.casefold()
        rows = [r for r in rows if needle in r.name.casefold() or needle in r.uuid]
    if only:
        rows = list(filter(row_filter(view, only), rows))
    valid = sort in SORT_KEYS or (
        sort.startswith("a") and sort[1:].isdigit() and int(sort[1:]) < len(view.columns)
    )
    if not valid:
        sort = "name"
    rows.sort(key=_sort_key(sort), reverse=desc)
    return GradebookView(
        course=view.course, rules=view.rules, columns=view.columns, rows=tuple(rows),
        total_students=view.total_students, q=q, sort=sort, descending=desc, only=only,
        now=view.now,
    )


FILTERS = (("", "everyone"), ("passed", "passed practicals"), ("failing", "not passed yet"),
           ("at_risk", "at risk: below the pace to the pass line"),
           ("missing", "missing a past assignment"))


def row_filter(view: GradebookView, only: str) -> Callable[[GradebookRow], bool]:
    """The gradebook's "show" filter, as a test of one row (the pace from `core.pace`)."""
    if only == "passed":
        return lambda r: r.standing.passed
    if only == "failing":
        return lambda r: not r.standing.passed
    past = [i for i, c in enumerate(view.columns)
            if view.now is not None and c.deadline is not None and c.deadline < view.now
            and c.published]
    if only == "at_risk":
        due = sum(view.columns[i].points_max for i in past)
        offered = sum(c.points_max for c in view.columns if c.published)
        return lambda r: behind_pace(r.standing.non_bonus, view.rules.pass_points, due, offered)
    if only == "missing":
        return lambda r: any(r.cells[i].submission_id is None and not r.cells[i].submitted
                             for i in past)
    return lambda r: True
