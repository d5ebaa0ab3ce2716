"""Staff pages of the real page source: each action calls the service function the REST
API calls (`api.services.staff`, `regrade`, `pipeline`), so the rules, checks and
audit records are the same whichever way staff act."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from api import schemas
from api.db import (
    Adjustment,
    Assignment,
    AuditLog,
    Evaluation,
    Extension,
    StandingSummary,
    Submission,
    User,
)
from api.db.service_models import RegradeSet
from api.deps import Membership
from api.services import pipeline, regrade, staff
from api.services.views import deadlines_of, grading_of
from api.web.present import state_words
from api.web.sql_pairs import evaluating_pairs, extension_for_user, pair_key
from api.web.views import (
    Cell,
    Column,
    GradebookRow,
    GradebookView,
    RegradeChange,
    RegradeView,
    Viewer,
)
from core.counting import Attempt, Grading, counting_solution, is_eligible, score_graded
from core.deadlines import DeadlineWindow, extension_for, max_points_at
from core.deadlines import Extension as CoreExtension
from core.errors import BadInput, Conflict, NotFound
from core.scoring import points_for

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource


NO_CELL = Cell(None)
BULK_PAIRS = 500
# Cells are immutable and mostly alike: sharing them keeps a 300 x 45 gradebook from
# allocating (and garbage-collecting) 13,500 objects per request.
cell = lru_cache(maxsize=4096)(Cell)


def _body(model: type[Any], **fields: Any) -> Any:
    """A service request body from form fields; its validation errors are the user's."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise BadInput(problems) from None


def _int_points(value: float | None, what: str = "Points") -> int:
    if value is None or value != int(value):
        raise BadInput(f"{what} must be a whole number.")
    return int(value)


class StaffPages:
    """The staff half of `SqlPageSource` (a mixin: it uses the source's helpers)."""

    def _staff(self: SqlPageSource, session: Session, viewer: Viewer,
               course_id: int) -> Membership:
        member = self._member(session, viewer, course_id)
        if not member.is_staff:
            raise NotFound("no such page")
        return member

    # gradebook ---------------------------------------------------------------------
    def _marks(self, session: Session, course_id: int,
               only: int | None = None) -> dict[int, Cell]:
        """Per (student, assignment) with submissions: the marks of the counted solution.

        Lateness (late, between the deadlines) is the deadline window the standing's SQL
        summary keeps for the counted solution (`StandingSummary.deadline_window`, the
        property-tested twin of `core.counting`). Override and accept marks come from
        `core.counting`, run only on pairs with an accepted or overridden submission (no
        other counted solution can carry them); other cells link to a route that finds the
        counted submission when clicked."""
        assignments = {a.id: a for a in session.scalars(
            select(Assignment).where(Assignment.course_id == course_id))}
        extensions: dict[int, list[CoreExtension]] = defaultdict(list)
        for ext in session.scalars(select(Extension).where(Extension.course_id == course_id)):
            extensions[ext.user_id].append(CoreExtension(ext.extra_seconds, ext.assignment_id))
        overridden = {tuple(r) for r in session.execute(
            select(Adjustment.user_id, Adjustment.assignment_id).where(
                Adjustment.course_id == course_id, Adjustment.kind == "override")).all()}
        pairs = (select(Submission.user_id, Submission.assignment_id)
                 .join(Assignment, Assignment.id == Submission.assignment_id)
                 .where(Assignment.course_id == course_id))
        if only is not None:
            pairs = pairs.where(Submission.assignment_id == only)
        marks: dict[int, Cell] = {
            pair_key(uid, aid): NO_CELL for uid, aid in session.execute(pairs.distinct()).all()}
        accepted = session.execute(pairs.where(Submission.accepted.is_(True)).distinct()).all()
        slow = {(uid, aid) for uid, aid in accepted} | {
            (uid, aid) for uid, aid in overridden if pair_key(uid, aid) in marks}
        slow = [(uid, aid, extension_for(extensions.get(uid, []), aid)) for uid, aid in slow]
        attempts = self._attempts(session, [(uid, aid) for uid, aid, _ in slow], course_id)
        rules = {aid: grading_of(a) for aid, a in assignments.items()}
        for uid, aid, ext in slow:
            m = self._mark(assignments[aid], attempts.get((uid, aid), []), ext, rules[aid])
            marks[pair_key(uid, aid)] = cell(m.points, False, m.overridden, m.accepted,
                                             m.submission_id)
        for uid, aid, window in session.execute(_windows(course_id, only)).all():
            m = marks.get(pair_key(uid, aid), NO_CELL)
            late, second = window == DeadlineWindow.LATE, window == DeadlineWindow.SECOND
            marks[pair_key(uid, aid)] = cell(m.points, late, m.overridden, m.accepted,
                                             m.submission_id, False, False, second)
        return marks

    @staticmethod
    def _attempts(session: Session, pairs: list[tuple[int, int]], course_id: int | None = None
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
                   Adjustment.kind == "override", Adjustment.submission_id.is_not(None))
            .order_by(Adjustment.created_at, Adjustment.id)).all():
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
        for sid, uid, aid, at, accepted, status, score, metric in session.execute(query).all():
            if whole and (uid, aid) not in wanted:
                continue
            done = status == "done"
            out[uid, aid].append(Attempt(sid, at, done, score if done else None,
                                         metric if done else None, accepted,
                                         overrides.get(sid)))
        return out

    @staticmethod
    def _counted(assignment: Assignment, attempts: list[Attempt], ext: int,
                 grading: Grading | None = None) -> Any:
        grading = grading or grading_of(assignment)
        scored = [score_graded(t, grading, ext) for t in attempts]
        return counting_solution(s for s in scored if is_eligible(s.attempt))

    def _mark(self, assignment: Assignment, attempts: list[Attempt], ext: int,
              rules: Grading | None = None) -> Cell:
        best = self._counted(assignment, attempts, ext, rules)
        return Cell(best.points if best else None, late=bool(best and best.late),
                    overridden=bool(best and best.attempt.override is not None),
                    accepted=bool(best and best.attempt.accepted),
                    submission_id=best.attempt.id if best else None)

    def counted_submission(self: SqlPageSource, viewer: Viewer, course_id: int,
                           user_id: int, assignment_id: int) -> int:
        """The submission that counts for a student (else their newest), for a cell link."""
        with self.sessions() as session:
            self._staff(session, viewer, course_id)
            a = session.get(Assignment, assignment_id)
            if a is None or a.course_id != course_id:
                raise NotFound("no such assignment")
            attempts = self._attempts(session, [(user_id, a.id)]).get((user_id, a.id), [])
            best = self._counted(a, attempts,
                                 extension_for_user(session, course_id, user_id, a.id))
            if best is not None:
                return best.attempt.id
            newest = session.scalar(select(Submission.id).where(
                Submission.assignment_id == a.id, Submission.user_id == user_id)
                .order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(1))
            if newest is None:
                raise NotFound("no submission")
            return newest

    def gradebook(self: SqlPageSource, viewer: Viewer, course_id: int,
                  now: datetime) -> GradebookView:
        from api.db.standing.course import course_standings
        from api.web.sql_source import exam_and_community, rules_of, standing_of

        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            assignments = session.scalars(select(Assignment).where(
                Assignment.course_id == course_id)
                .order_by(Assignment.first_deadline, Assignment.id)).all()
            columns = tuple(Column(a.id, a.name, a.points, a.bonus_points,
                                   a.shown_to_students(now), a.first_deadline)
                            for a in assignments)
            standings = {s.student_id: s for s in course_standings(session, course_id, now)}
            users = {u.id: u for u in session.scalars(select(User).where(
                User.id.in_(list(standings))))}
            exam, community = exam_and_community(session, course_id)
            marks = self._marks(session, course_id)
            running = evaluating_pairs(session, course_id)
            rows = []
            for uid, s in standings.items():
                counted = {r.assignment_id: r.points for r in s.assignments}
                cells = []
                for c in columns:
                    key = pair_key(uid, c.id)
                    mark = marks.get(key)
                    if mark is None:
                        cells.append(NO_CELL)
                    elif running.get(key) is False:
                        # Only evaluations still running: nothing counts yet, no "0".
                        cells.append(cell(None, False, False, False, None, True, True))
                    else:  # the points shown are the standing query's own
                        cells.append(cell(counted.get(c.id, 0), mark.late, mark.overridden,
                                          mark.accepted, mark.submission_id, True,
                                          key in running, mark.second))
                user = users[uid]
                rows.append(GradebookRow(uid, user.display_name or user.username, user.uuid,
                                         tuple(cells),
                                         standing_of(s, exam.get(uid), community.get(uid, 0))))
            return GradebookView(self.link(member.course, member.role), rules_of(member.course),
                                 columns, tuple(rows), len(rows), now=now)

    def gradebook_csv(self: SqlPageSource, viewer: Viewer, course_id: int,
                      now: datetime) -> str:
        view = self.gradebook(viewer, course_id, now)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "uuid", *(c.name for c in view.columns), "non_bonus",
                         "bonus", "passed", "surplus", "exam", "community", "exam_total",
                         "grade"])
        for r in view.rows:
            s = r.standing
            writer.writerow([r.name, r.uuid, *("" if c.points is None else c.points
                                               for c in r.cells),
                             s.non_bonus, s.bonus, int(s.passed), s.surplus,
                             "" if s.exam_points is None else s.exam_points, s.community,
                             "" if s.exam_total is None else s.exam_total, s.grade or ""])
        return out.getvalue()

    # actions -----------------------------------------------------------------------
    def _course_of_submission(self: SqlPageSource, session: Session, viewer: Viewer,
                              submission_id: int) -> tuple[Membership, Submission]:
        submission = session.get(Submission, submission_id)
        assignment = session.get(Assignment, submission.assignment_id) if submission else None
        if submission is None or assignment is None:
            raise NotFound("no such submission")
        return self._staff(session, viewer, assignment.course_id), submission

    def adjust(self: SqlPageSource, viewer: Viewer, submission_id: int, kind: str,
               points: float | None, reason: str) -> None:
        with self.sessions() as session:
            member, submission = self._course_of_submission(session, viewer, submission_id)
            body = _body(schemas.AdjustmentCreate,
                kind=kind, submission_id=submission.id, user_id=submission.user_id,
                assignment_id=submission.assignment_id, reason=reason,
                points=0 if kind == "accept" else _int_points(points))
            staff.adjust(session, member.course, body, viewer.user_id)

    def rerun(self: SqlPageSource, viewer: Viewer, submission_id: int, reason: str) -> None:
        with self.sessions() as session:
            member, submission = self._course_of_submission(session, viewer, submission_id)
            evaluation = (session.get(Evaluation, submission.current_evaluation_id)
                          if submission.current_evaluation_id else None)
            if evaluation is None:
                raise NotFound("the submission has no evaluation to re-run")
            if evaluation.status in ("queued", "running"):
                raise Conflict("the submission is being graded; wait for the result")
            session.add(AuditLog.record("submission.rerun", actor_id=viewer.user_id,
                                        course_id=member.course.id, object_type="submission",
                                        object_id=submission.id, reason=reason))
            self.dispatch(pipeline.rerun(session, evaluation, self.settings))

    def _regrade_row(self: SqlPageSource, session: Session, viewer: Viewer, course_id: int,
                     assignment_id: int) -> tuple[Membership, Assignment, RegradeSet | None]:
        member = self._staff(session, viewer, course_id)
        assignment = session.get(Assignment, assignment_id)
        if assignment is None or assignment.course_id != course_id:
            raise NotFound("no such assignment")
        row = session.scalar(select(RegradeSet).where(RegradeSet.assignment_id == assignment_id)
                             .order_by(RegradeSet.id.desc()).limit(1))
        return member, assignment, row

    def regrade(self: SqlPageSource, viewer: Viewer, course_id: int,
                assignment_id: int) -> RegradeView:
        with self.sessions() as session:
            member, a, row = self._regrade_row(session, viewer, course_id, assignment_id)
            link = self.link(member.course, member.role)
            if row is None:
                return RegradeView(link, a.id, a.name, None, "none", 0, 0)
            items = regrade.diff(session, row)
            pending = sum(i.new_status in ("queued", "running") for i in items)
            state = row.status if row.status != "open" else ("running" if pending else "ready")
            names = {u.id: u.display_name or u.username for u in session.scalars(
                select(User).where(User.id.in_([i.user_id for i in items])))}
            changes = []
            for i in items:
                if not i.changed or state == "running":
                    continue
                sub = session.get(Submission, i.submission_id)
                assert sub is not None
                cap = max_points_at(deadlines_of(a), sub.submitted_at)
                old = points_for(i.old_score, cap, a.threshold) if i.old_score is not None else None
                new = points_for(i.new_score, cap, a.threshold) if i.new_score is not None else None
                changes.append(RegradeChange(
                    names.get(i.user_id, "?"), i.submission_id, old, new,
                    f"{state_words(i.old_status)} ({_pct(i.old_score)})",
                    f"{state_words(i.new_status)} ({_pct(i.new_score)})"))
            return RegradeView(link, a.id, a.name, row.id, state, len(items) - pending,
                               len(items), tuple(changes))

    def regrade_start(self: SqlPageSource, viewer: Viewer, course_id: int,
                      assignment_id: int, reason: str) -> None:
        with self.sessions() as session:
            _, a, row = self._regrade_row(session, viewer, course_id, assignment_id)
            if row is not None and row.status == "open":
                raise Conflict("a regrade of this assignment is open: apply or discard it first")
            _, jobs = regrade.start_regrade(session, a, self.settings, author_id=viewer.user_id,
                                            reason=reason)
            self.dispatch(jobs)

    def regrade_finish(self: SqlPageSource, viewer: Viewer, course_id: int,
                       assignment_id: int, apply: bool, reason: str) -> None:
        with self.sessions() as session:
            _, _, row = self._regrade_row(session, viewer, course_id, assignment_id)
            if row is None:
                raise Conflict("there is no regrade to apply or discard")
            regrade.close(session, row, apply=apply, author_id=viewer.user_id, reason=reason)

    def set_exam(self: SqlPageSource, viewer: Viewer, course_id: int, user_id: int,
                 exam_points: float | None, community: float | None, reason: str) -> None:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            if exam_points is not None:
                points = _int_points(exam_points, "Exam points")
                if points < 0:
                    raise BadInput("Exam points must be >= 0.")
                body = _body(schemas.ExamCreate, user_id=user_id, points=points, reason=reason)
                staff.set_exam(session, member.course, body, viewer.user_id)
            if community is not None:
                points = _int_points(community, "Community points")
                if points < 0:
                    raise BadInput("Community points must be >= 0.")
                staff.add_community(session, member.course, _body(schemas.CommunityCreate,
                    user_id=user_id, points=points, reason=reason), viewer.user_id)

    def set_extension(self: SqlPageSource, viewer: Viewer, course_id: int, assignment_id: int,
                      user_id: int, until: datetime, reason: str) -> None:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            a = session.get(Assignment, assignment_id)
            if a is None or a.course_id != course_id:
                raise NotFound("no such assignment")
            # Rounded up: a deadline stored with seconds or microseconds must not turn the
            # entered 23:59 into 23:58:59.5 (shown as 23:58).
            extra = math.ceil((until - a.first_deadline).total_seconds())
            if extra <= 0:
                raise BadInput("The new deadline must be after the assignment's first deadline.")
            staff.add_extension(session, member.course, _body(schemas.ExtensionCreate,
                user_id=user_id, assignment_id=a.id, extra_seconds=extra, reason=reason),
                viewer.user_id)


def _windows(course_id: int, only: int | None) -> Select[int, int, int]:
    """(student, assignment, `DeadlineWindow`) of the counted solutions received after the
    first deadline, from the standing summaries."""
    query = select(StandingSummary.user_id, StandingSummary.assignment_id,
                   StandingSummary.deadline_window).where(
        StandingSummary.course_id == course_id,
        StandingSummary.deadline_window > DeadlineWindow.ON_TIME)
    if only is not None:
        query = query.where(StandingSummary.assignment_id == only)
    return query


def _pct(score: float | None) -> str:
    return "–" if score is None else f"{100 * score:.0f} %"
