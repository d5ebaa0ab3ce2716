"""The staff gradebook: per student, the standing query's points and totals, and per
(student, assignment) the marks of the counted solution (`core.counting`); and the one
CSV writer of it (the pages' download and the REST ``gradebook.csv``).

Late and between-the-deadlines marks are the deadline window that the standing summary
keeps for the counted solution (`StandingSummary.deadline_window`, the property-tested
twin of `core.counting`); overridden/accepted marks come from `core.counting`, run only on
pairs with an accepted or overridden submission (a SQL prefilter); every other pair with
submissions shows the standing query's points.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    AdjustmentKind,
    Assignment,
    CommunityPoints,
    Evaluation,
    EvaluationKind,
    EvaluationStatus,
    ExamResult,
    Extension,
    StandingSummary,
    Submission,
    User,
)
from api.db.standing.course import course_standings
from api.services.pipeline import OPEN
from api.services.views import grading_of
from core.counting import (
    Attempt,
    Grading,
    Scored,
    counting_solution,
    is_eligible,
    score_graded,
)
from core.deadlines import DeadlineWindow, extension_for
from core.deadlines import Extension as CoreExtension
from core.standing import FAILED, StudentStanding

BULK_PAIRS = 500
"""More pairs than this (of one course) are read as the whole course and filtered here."""
GRADE_TEXT = {1: "1", 2: "2", 3: "3", FAILED: "not passed"}
"""A final grade (`core.standing.grade`) in words."""


@dataclass(frozen=True)
class Cell:
    """One gradebook cell: a student's counted points on an assignment."""

    points: float | None
    late: bool = False
    overridden: bool = False
    accepted: bool = False
    submission_id: int | None = None  # None with `submitted`: the link finds the counted one
    submitted: bool = False
    evaluating: bool = False  # a submission of the pair is queued or running
    second: bool = False  # counted solution received between the first and second deadline


NO_CELL = Cell(None)
# Cells are immutable and mostly alike: sharing them keeps a 300 x 45 gradebook from
# allocating (and garbage-collecting) 13,500 objects per request.
cell = lru_cache(maxsize=4096)(Cell)


def pair_key(user_id: int, assignment_id: int) -> int:
    """One int for a (student, assignment) pair: ints are not tracked by the garbage
    collector, 13,500 tuples are."""
    return user_id << 24 | assignment_id


def evaluating_pairs(session: Session, course_id: int) -> dict[int, bool]:
    """(student, assignment) pairs (`pair_key`) with a queued or running evaluation, each
    with whether the pair also has a finished submission (else nothing counts yet)."""
    pairs = session.execute(
        select(Submission.user_id, Submission.assignment_id).distinct()
        .join(Evaluation, Evaluation.submission_id == Submission.id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id, Evaluation.status.in_(OPEN),
               Evaluation.kind == EvaluationKind.NORMAL)).all()
    if not pairs:
        return {}
    done = {pair_key(uid, aid) for uid, aid in session.execute(
        select(Submission.user_id, Submission.assignment_id).distinct()
        .join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .where(tuple_(Submission.user_id, Submission.assignment_id).in_(
            [tuple(p) for p in pairs]), Evaluation.status == EvaluationStatus.DONE)).all()}
    return {pair_key(uid, aid): pair_key(uid, aid) in done for uid, aid in pairs}


def extension_for_user(session: Session, course_id: int, user_id: int,
                       assignment_id: int) -> int:
    """A student's extra seconds on one assignment (`core.deadlines.extension_for`)."""
    exts = [CoreExtension(e.extra_seconds, e.assignment_id) for e in session.scalars(
        select(Extension).where(Extension.course_id == course_id,
                                Extension.user_id == user_id))]
    return extension_for(exts, assignment_id)


def attempts_of(session: Session, pairs: list[tuple[int, int]], course_id: int | None = None
                ) -> dict[tuple[int, int], list[Attempt]]:
    """The attempts (with their latest override) of these (student, assignment) pairs.

    Many pairs of one course (``course_id``) are read as the whole course and filtered
    here: an IN list of thousands of tuples costs more to compile than the rows."""
    out: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    if not pairs:
        return out
    whole = course_id is not None and len(pairs) > BULK_PAIRS
    adj_key = tuple_(Adjustment.user_id, Adjustment.assignment_id)
    overrides: dict[int, int] = {}
    for sid, pts in session.execute(
        select(Adjustment.submission_id, Adjustment.points)
        .where(Adjustment.course_id == course_id if whole else adj_key.in_(pairs),
               Adjustment.kind == AdjustmentKind.OVERRIDE,
               Adjustment.submission_id.is_not(None))
        .order_by(Adjustment.created_at, Adjustment.id)):
        if sid is not None:
            overrides[sid] = pts
    query = (select(Submission.id, Submission.user_id, Submission.assignment_id,
                    Submission.submitted_at, Submission.accepted, Evaluation.status,
                    Evaluation.score, Evaluation.metric)
             .outerjoin(Evaluation, Evaluation.id == Submission.current_evaluation_id))
    if whole:
        query = query.join(Assignment, Assignment.id == Submission.assignment_id).where(
            Assignment.course_id == course_id)
    else:
        query = query.where(tuple_(Submission.user_id, Submission.assignment_id).in_(pairs))
    wanted = set(pairs)
    for sid, uid, aid, at, accepted, status, score, metric in session.execute(query):
        if whole and (uid, aid) not in wanted:
            continue
        done = status == EvaluationStatus.DONE
        out[uid, aid].append(Attempt(sid, at, done, score if done else None,
                                     metric if done else None, accepted,
                                     overrides.get(sid)))
    return out


def counted(assignment: Assignment, attempts: Iterable[Attempt], ext: int,
            grading: Grading | None = None) -> Scored | None:
    """The counting solution among a student's attempts (`core.counting`)."""
    grading = grading or grading_of(assignment)
    scored = [score_graded(t, grading, ext) for t in attempts]
    return counting_solution(s for s in scored if is_eligible(s.attempt))


def mark(best: Scored | None) -> Cell:
    """The cell of a counting solution: its points and its marks."""
    return Cell(best.points if best else None, late=bool(best and best.late),
                overridden=bool(best and best.attempt.override is not None),
                accepted=bool(best and best.attempt.accepted),
                submission_id=best.attempt.id if best else None)


def marks(session: Session, course_id: int, only: int | None = None) -> dict[int, Cell]:
    """Per (student, assignment) with submissions (`pair_key`): the marks of the counted
    solution. Lateness (late, between the deadlines) is the standing summary's deadline
    window (`windows`); override and accept marks come from `core.counting`, run only on
    pairs with an accepted or overridden submission (no other counted solution has them)."""
    assignments = {a.id: a for a in session.scalars(
        select(Assignment).where(Assignment.course_id == course_id))}
    extensions: dict[int, list[CoreExtension]] = defaultdict(list)
    for row in session.scalars(select(Extension).where(Extension.course_id == course_id)):
        extensions[row.user_id].append(CoreExtension(row.extra_seconds, row.assignment_id))
    overridden = {(uid, aid) for uid, aid in session.execute(
        select(Adjustment.user_id, Adjustment.assignment_id).where(
            Adjustment.course_id == course_id, Adjustment.kind == AdjustmentKind.OVERRIDE)
    ) if aid is not None}
    pairs = (select(Submission.user_id, Submission.assignment_id)
             .join(Assignment, Assignment.id == Submission.assignment_id)
             .where(Assignment.course_id == course_id))
    if only is not None:
        pairs = pairs.where(Submission.assignment_id == only)
    found: dict[int, Cell] = {
        pair_key(uid, aid): NO_CELL for uid, aid in session.execute(pairs.distinct())}
    # Candidates for an override or accept mark (a prefilter only: core.counting decides).
    accepted = session.execute(pairs.where(Submission.accepted.is_(True)).distinct()).all()
    slow = set(accepted) | {p for p in overridden if pair_key(*p) in found}
    attempts = attempts_of(session, sorted(slow), course_id)
    rules = {aid: grading_of(a) for aid, a in assignments.items()}
    for uid, aid in slow:
        ext = extension_for(extensions.get(uid, []), aid)
        m = mark(counted(assignments[aid], attempts.get((uid, aid), []), ext, rules[aid]))
        found[pair_key(uid, aid)] = cell(m.points, False, m.overridden, m.accepted,
                                         m.submission_id)
    for uid, aid, window in session.execute(windows(course_id, only)):
        m = found.get(pair_key(uid, aid), NO_CELL)
        late, second = window == DeadlineWindow.LATE, window == DeadlineWindow.SECOND
        found[pair_key(uid, aid)] = cell(m.points, late, m.overridden, m.accepted,
                                         m.submission_id, False, False, second)
    return found


def windows(course_id: int, only: int | None = None) -> Select[int, int, int]:
    """(student, assignment, `DeadlineWindow`) of the counted solutions received after the
    first deadline, from the standing summaries."""
    query = select(StandingSummary.user_id, StandingSummary.assignment_id,
                   StandingSummary.deadline_window).where(
        StandingSummary.course_id == course_id,
        StandingSummary.deadline_window > DeadlineWindow.ON_TIME)
    if only is not None:
        query = query.where(StandingSummary.assignment_id == only)
    return query


def exam_and_community(session: Session,
                       course_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """Per student: the exam points and the community points (before the cap)."""
    exam = dict(session.execute(select(ExamResult.user_id, ExamResult.points).where(
        ExamResult.course_id == course_id)).all())
    community: dict[int, int] = {uid: int(total or 0) for uid, total in session.execute(
        select(CommunityPoints.user_id, func.sum(CommunityPoints.points))
        .where(CommunityPoints.course_id == course_id).group_by(CommunityPoints.user_id)
    )}
    return exam, community


@dataclass(frozen=True)
class Line:
    """A student's line of the gradebook."""

    user: User
    standing: StudentStanding
    exam: int | None
    community: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Gradebook:
    """A course's gradebook: its assignments (the columns) and a line per student."""

    assignments: tuple[Assignment, ...]
    lines: tuple[Line, ...]


def course_gradebook(session: Session, course_id: int, now: datetime) -> Gradebook:
    """The gradebook at ``now``: points are the standing query's own."""
    assignments = tuple(session.scalars(select(Assignment).where(
        Assignment.course_id == course_id)
        .order_by(Assignment.first_deadline, Assignment.id)))
    standings = {s.student_id: s for s in course_standings(session, course_id, now)}
    users = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_(list(standings))))}
    exam, community = exam_and_community(session, course_id)
    found = marks(session, course_id)
    running = evaluating_pairs(session, course_id)
    lines = []
    for uid, s in standings.items():
        points = {r.assignment_id: r.points for r in s.assignments}
        cells = []
        for a in assignments:
            key = pair_key(uid, a.id)
            known = found.get(key)
            if known is None:
                cells.append(NO_CELL)
            elif running.get(key) is False:
                # Only evaluations still running: nothing counts yet, no "0".
                cells.append(cell(None, False, False, False, None, True, True))
            else:
                cells.append(cell(points.get(a.id, 0), known.late, known.overridden,
                                  known.accepted, known.submission_id, True, key in running,
                                  known.second))
        lines.append(Line(users[uid], s, exam.get(uid), community.get(uid, 0), tuple(cells)))
    return Gradebook(assignments, tuple(lines))


def _blank(value: object) -> object:
    return "" if value is None else value


def gradebook_csv(book: Gradebook) -> str:
    """The gradebook as CSV: a line per student, the counted points per assignment (empty:
    nothing counts), the standing's totals, then the username and user id."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "uuid", *(a.name for a in book.assignments), "non_bonus",
                     "bonus", "passed", "surplus", "solved_all", "exam", "community",
                     "exam_total", "grade", "username", "student_id"])
    for line in book.lines:
        s, user = line.standing, line.user
        writer.writerow([user.display_name or user.username, user.uuid,
                         *(_blank(c.points) for c in line.cells),
                         s.non_bonus, s.bonus, int(s.passed), s.surplus, int(s.solved_all),
                         _blank(line.exam), line.community, _blank(s.exam_total),
                         GRADE_TEXT.get(s.grade, "") if s.grade else "", user.username,
                         user.id])
    return out.getvalue()
