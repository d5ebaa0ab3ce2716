"""Keeping `StandingSummary` equal to what the submissions say, inside every write.

The course standing reads one summary row per student and assignment instead of every
submission (`api.db.standing`). A summary row depends on the student's submissions to the
assignment (time, acceptance, current evaluation), their evaluations (status, score,
metric), overrides of their points, their extensions, and the assignment's settings
(deadlines, points, threshold, bonus, competition metric, extra bonus), and the course's
``solve_score``. Whatever writes one of these marks what it touched, and the summary rows
of everything marked are computed again, from the same SQL
(`api.db.standing.summary_rows.summary_statement`), in the same transaction, just before it
commits:

- ORM writes mark themselves: an ``after_flush`` listener looks at every new, changed and
  deleted `Submission`, `Evaluation`, `Adjustment`, `Extension` and `Assignment`, and at
  a `Course` whose ``solve_score`` changed (all its assignments);
- bulk ``UPDATE`` statements do not pass through the unit of work: their authors call
  `mark_submissions` (the recorder does, when it writes a result);
- data loaded outside the ORM (benchmarks, migrations, imports) calls `rebuild`.

On PostgreSQL two transactions could otherwise compute the same row from snapshots that
each miss the other's write; a transaction-scoped advisory lock per assignment, taken in
ascending order just before the rows are computed, makes the second wait for the first to
commit and then read it. SQLite has one writer at a time anyway.

`stale_rows` compares the stored rows with a fresh computation; the test suite checks it
after every API test, so a write path that forgets to mark is caught.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

from api.db.assignments import Assignment
from api.db.courses import Course, Extension
from api.db.enums import EvaluationStatus
from api.db.grades import Adjustment, StandingSummary
from api.db.standing.summary_rows import SUMMARY_COLUMNS, summary_statement
from api.db.submissions import Evaluation, Submission

PENDING = "autograde.standing_summary"
"""Key of the pending marks in ``Session.info``."""

LOCK_CLASS = 0x5354
"""First key of the advisory locks (``pg_advisory_xact_lock(LOCK_CLASS, assignment id)``)."""

DONE = EvaluationStatus.DONE.value

WHOLE_ASSIGNMENT_AT = 200
"""From this many students of one assignment on, its rows are computed in one go."""


@dataclass
class Marks:
    """What one transaction touched, waiting to be summarised again at commit."""

    assignments: set[int] = field(default_factory=set)
    courses: set[int] = field(default_factory=set)  # every assignment of these courses
    pairs: set[tuple[int, int]] = field(default_factory=set)  # (assignment id, user id)
    submissions: set[int] = field(default_factory=set)
    course_users: set[tuple[int, int]] = field(default_factory=set)  # (course id, user id)
    current_switches: set[int] = field(default_factory=set)  # old and new current evaluations
    switched: dict[int, tuple[int, int]] = field(default_factory=dict)  # submission -> pair
    fresh: set[int] = field(default_factory=set)
    """Evaluations this transaction inserted, not done: nobody else can have finished them
    (a later ORM change to done marks their submission itself)."""

    def __bool__(self) -> bool:
        return bool(self.assignments or self.pairs or self.submissions or self.course_users
                    or self.switched or self.courses)


def _marks(session: Session) -> Marks:
    marks = session.info.get(PENDING)
    if marks is None:
        marks = session.info[PENDING] = Marks()
    return marks


def mark_submissions(session: Session, submission_ids: Iterable[int]) -> None:
    """Mark submissions changed by a statement the unit of work does not see."""
    _marks(session).submissions.update(submission_ids)


def mark_assignment(session: Session, assignment_id: int) -> None:
    """Mark every student of an assignment (e.g. after a bulk change of its settings)."""
    _marks(session).assignments.add(assignment_id)


def _values(obj: Any, name: str) -> set[Any]:
    """The attribute's value and, when this flush changed it, its old one (None included)."""
    history = inspect(obj).attrs[name].history
    values = {*history.added, *history.unchanged, *history.deleted}
    return values or {obj.__dict__.get(name)}


def _only_changed(obj: Any, name: str) -> bool:
    """True when ``name`` is the one column attribute of ``obj`` this flush changed."""
    state = inspect(obj)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    return changed <= {name, "current_evaluation"}


def _note(marks: Marks, obj: Any, *, is_new: bool, deleted: bool = False) -> None:
    """Mark what one flushed object can change."""
    if isinstance(obj, Submission):
        if is_new and not obj.accepted:
            return  # an upload: nothing counts until its evaluation is done
        if not (is_new or deleted) and _only_changed(obj, "current_evaluation_id"):
            # Another evaluation became current: it matters when either one is done (an
            # upload's first queued evaluation does not; a re-grade applied or a re-run does).
            marks.current_switches.update(_values(obj, "current_evaluation_id") - {None})
            marks.switched[obj.id] = (obj.assignment_id, obj.user_id)
            return
        marks.pairs.update(
            (aid, uid)
            for aid in _values(obj, "assignment_id") - {None}
            for uid in _values(obj, "user_id") - {None}
        )
    elif isinstance(obj, Evaluation):
        if DONE in _values(obj, "status"):  # queued or running ones count for nothing
            marks.submissions.update(_values(obj, "submission_id") - {None})
        elif is_new:
            marks.fresh.add(obj.id)
    elif isinstance(obj, Adjustment):
        marks.submissions.update(_values(obj, "submission_id") - {None})
    elif isinstance(obj, Extension):
        aids = _values(obj, "assignment_id")
        for uid in _values(obj, "user_id") - {None}:
            marks.pairs.update((aid, uid) for aid in aids - {None})
            if None in aids:  # course-wide (now or before this flush)
                marks.course_users.add((obj.course_id, uid))
    elif isinstance(obj, Assignment) and not is_new:
        marks.assignments.add(obj.id)
    elif isinstance(obj, Course) and not (is_new or deleted):
        if inspect(obj).attrs["solve_score"].history.has_changes():
            marks.courses.add(obj.id)


def after_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Mark what this flush wrote (``new``/``dirty``/``deleted`` still show it here)."""
    marks = _marks(session)
    for obj in session.new:
        _note(marks, obj, is_new=True)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _note(marks, obj, is_new=False)
    for obj in session.deleted:
        _note(marks, obj, is_new=False, deleted=True)


def before_commit(session: Session) -> None:
    """Flush what is left, then compute the marked summary rows again."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit would flush next anyway; its marks are needed now
    marks = session.info.pop(PENDING, None)
    if marks:
        refresh(session.connection(), marks)


def after_transaction_end(session: Session, transaction: Any) -> None:
    """Forget the marks of a transaction that ended without committing them."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def install() -> None:
    """Register the listeners for every `Session` (idempotent)."""
    for name, listener in (
        ("after_flush", after_flush),
        ("before_commit", before_commit),
        ("after_transaction_end", after_transaction_end),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _pairs(connection: Connection, marks: Marks) -> tuple[set[int], set[tuple[int, int]]]:
    """Whole assignments and (assignment, user) pairs to compute, from the marks."""
    pairs = set(marks.pairs)
    unknown = marks.current_switches - marks.fresh  # an upload's own evaluation is known
    if marks.switched and unknown:
        done = connection.scalar(
            select(func.count()).where(
                Evaluation.id.in_(sorted(unknown)), Evaluation.status == DONE
            )
        )
        if done:
            pairs.update(marks.switched.values())
    if marks.submissions:
        rows = connection.execute(
            select(Submission.assignment_id, Submission.user_id).where(
                Submission.id.in_(sorted(marks.submissions))
            )
        )
        pairs.update((aid, uid) for aid, uid in rows)
    for course_id, user_id in marks.course_users:
        pairs.update((aid, user_id) for aid in _course_assignments(connection, course_id))
    whole = set(marks.assignments)
    for course_id in marks.courses:
        whole.update(_course_assignments(connection, course_id))
    return whole, pairs


def refresh(connection: Connection, marks: Marks) -> None:
    """Compute the summary rows of everything marked again (delete, then insert)."""
    whole, pairs = _pairs(connection, marks)
    users: dict[int, set[int]] = defaultdict(set)
    for aid, uid in pairs:
        if aid not in whole:
            users[aid].add(uid)
    whole |= {aid for aid, uids in users.items() if len(uids) >= WHOLE_ASSIGNMENT_AT}
    aids = sorted(whole | set(users))
    if not aids:
        return
    courses = {
        aid: course_id
        for aid, course_id in connection.execute(
            select(Assignment.id, Assignment.course_id).where(Assignment.id.in_(aids))
        )
    }
    dialect = connection.dialect.name
    if dialect == "postgresql":
        for aid in aids:
            connection.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, aid)))
    for aid in aids:
        course_id = courses.get(aid)
        if course_id is None:  # the assignment was deleted: its rows went with it
            continue
        if aid in whole:
            _write(connection, dialect, course_id, aid, None)
        else:
            _write(connection, dialect, course_id, aid, sorted(users[aid]))


def _write(
    connection: Connection, dialect: str, course_id: int, aid: int, uids: list[int] | None
) -> None:
    """Replace the summary rows of one assignment (all students, or only ``uids``)."""
    gone = delete(StandingSummary).where(StandingSummary.assignment_id == aid)
    params: dict[str, Any] = {"course_id": course_id, "aids": [aid]}
    if uids is not None:
        gone = gone.where(StandingSummary.user_id.in_(uids))
        params["uids"] = uids
    connection.execute(gone)
    rows = summary_statement(dialect, by_user=uids is not None)
    connection.execute(insert(StandingSummary).from_select(SUMMARY_COLUMNS, rows), params)


def _course_assignments(connection: Connection, course_id: int) -> list[int]:
    return sorted(
        connection.scalars(select(Assignment.id).where(Assignment.course_id == course_id))
    )


def rebuild(connection: Connection, course_id: int) -> None:
    """Compute every summary row of a course from scratch (after loads outside the ORM)."""
    aids = _course_assignments(connection, course_id)
    connection.execute(delete(StandingSummary).where(StandingSummary.course_id == course_id))
    if aids:
        rows = summary_statement(connection.dialect.name, by_user=False)
        connection.execute(
            insert(StandingSummary).from_select(SUMMARY_COLUMNS, rows),
            {"course_id": course_id, "aids": aids},
        )


def stale_rows(connection: Connection, course_id: int) -> list[tuple[str, tuple[Any, ...]]]:
    """Rows where the stored summary differs from a fresh computation (``[]``: current).

    Each entry is ``("stored", row)`` or ``("computed", row)`` for a row only on that side.
    """
    aids = _course_assignments(connection, course_id)
    computed: set[tuple[Any, ...]] = set()
    if aids:
        rows = summary_statement(connection.dialect.name, by_user=False)
        params = {"course_id": course_id, "aids": aids}
        computed = {_plain(r) for r in connection.execute(rows, params)}
    table = StandingSummary.__table__
    stored = {
        _plain(r)
        for r in connection.execute(
            select(*(table.c[name] for name in SUMMARY_COLUMNS)).where(
                table.c.course_id == course_id
            )
        )
    }
    return [("stored", r) for r in sorted(stored - computed, key=repr)] + [
        ("computed", r) for r in sorted(computed - stored, key=repr)
    ]


def _plain(row: Any) -> tuple[Any, ...]:
    """A row with booleans as 0/1 (SQLite gives integers where PostgreSQL gives booleans)."""
    return tuple(int(v) if isinstance(v, bool) else v for v in row)


__all__ = [
    "Marks",
    "mark_assignment",
    "mark_submissions",
    "rebuild",
    "refresh",
    "stale_rows",
]
