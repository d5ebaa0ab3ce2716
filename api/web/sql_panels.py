"""Panels of the real page source: the queue and workers, per-assignment statistics, and a
competition's anonymous leaderboard."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    Enrollment,
    Evaluation,
    EvaluationStatus,
    Submission,
    TestResult,
    User,
)
from api.services import accounts
from api.services.views import competition_of, deadlines_of, extension_s
from api.web.views import AssignmentStats, LeaderRow, QueuePanel, Viewer
from core.competition import best_metric, ranks, reaches
from core.deadlines import timing
from core.errors import NotFound
from core.verdicts import Verdict

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource


def leaderboard(session: Session, assignment: Assignment, user_id: int) -> tuple[LeaderRow, ...]:
    """A competition's ranking by each student's best metric before the last deadline
    (`core.competition`), anonymous but for the viewer's own line."""
    competition = competition_of(assignment)
    if competition is None:
        return ()
    rows = session.execute(
        select(Submission.user_id, Submission.submitted_at, Evaluation.metric)
        .join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .where(Submission.assignment_id == assignment.id, Evaluation.status == "done",
               Evaluation.metric.is_not(None))).all()
    exts: dict[int, int] = {}
    metrics: dict[int, list[float]] = {}
    deadlines = deadlines_of(assignment)
    for uid, at, metric in rows:
        if uid not in exts:
            exts[uid] = extension_s(session, assignment, uid)
        if not timing(deadlines, at, exts[uid]).late:
            metrics.setdefault(uid, []).append(metric)
    best = {uid: m for uid, ms in metrics.items()
            if (m := best_metric(ms, competition)) is not None}
    rank_of = ranks(best, competition)
    return tuple(sorted((LeaderRow(rank_of[u], best[u], reaches(best[u], competition),
                                   u == user_id) for u in best),
                        key=lambda r: (r.rank, not r.me)))


class PanelPages:
    """Queue panel and statistics (a mixin of `SqlPageSource`)."""

    def queue_panel(self: SqlPageSource, viewer: Viewer, now: datetime) -> QueuePanel:
        with self.sessions() as session:
            if not viewer.is_admin and not accounts.is_staff_anywhere(
                    session, session.get(User, viewer.user_id)):
                raise NotFound("no such page")
            counts = dict(session.execute(select(Evaluation.status, func.count(Evaluation.id))
                                          .group_by(Evaluation.status)).all())
            oldest = session.scalar(select(func.min(Evaluation.queued_at)).where(
                Evaluation.status == "queued"))
            workers = session.execute(
                select(Evaluation.worker, func.max(Evaluation.started_at))
                .where(Evaluation.worker.is_not(None),
                       Evaluation.started_at >= now - timedelta(days=1))
                .group_by(Evaluation.worker)).all()
            return QueuePanel(counts.get("queued", 0), counts.get("running", 0),
                              counts.get("system_error", 0), oldest,
                              tuple((w, w.split("@")[0], seen) for w, seen in workers), now)

    def stats(self: SqlPageSource, viewer: Viewer, course_id: int,
              assignment_id: int) -> AssignmentStats:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            a = session.get(Assignment, assignment_id)
            if a is None or a.course_id != course_id:
                raise NotFound("no such assignment")
            students = session.scalar(select(func.count(Enrollment.id)).where(
                Enrollment.course_id == course_id, Enrollment.role == "student")) or 0
            from api.db import utcnow
            from api.db.standing import course_standings

            results = [r for s in course_standings(session, course_id, utcnow())
                       for r in s.assignments if r.assignment_id == a.id]
            submitted = session.scalar(select(func.count(func.distinct(Submission.user_id)))
                                       .where(Submission.assignment_id == a.id)) or 0
            points = Counter(f"{r.points:g}" for r in results)
            if submitted > len(results):
                points["0"] += submitted - len(results)
            times = session.scalars(select(Submission.submitted_at).where(
                Submission.assignment_id == a.id)).all()
            hours = Counter(_hours_bucket((a.first_deadline - t).total_seconds() / 3600)
                            for t in times)
            tests = session.execute(select(TestResult.verdict, TestResult.time_s,
                                           TestResult.memory_mib)
                                    .join(Evaluation, Evaluation.id == TestResult.evaluation_id)
                                    .join(Submission, Submission.current_evaluation_id
                                          == Evaluation.id)
                                    .where(Submission.assignment_id == a.id,
                                           # not a running one's provisional tests
                                           Evaluation.status
                                           == EvaluationStatus.DONE.value)).all()
            return AssignmentStats(
                self.link(member.course, member.role), a.id, a.name, students, submitted,
                sum(1 for r in results if r.solved), tuple(sorted(points.items())),
                tuple((k, hours[k]) for k in HOUR_BUCKETS if hours[k]),
                verdict_mix(Counter(v for v, _, _ in tests)),
                _buckets([t for _, t, _ in tests if t is not None], (1, 5, 10, 60), "s"),
                _buckets([m for _, _, m in tests if m is not None], (256, 512, 1024, 1536),
                         "MiB"),
            )


def verdict_mix(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Verdict counts under their human labels (`core.verdicts`' short texts), most
    frequent first."""
    def label(code: str) -> str:
        try:
            return Verdict(code).short_text
        except ValueError:
            return code.replace("_", " ").lower()

    return tuple((label(v), n) for v, n in counts.most_common())


HOUR_BUCKETS = ("> 7 days before", "1-7 days before", "1-24 h before", "< 1 h before",
                "after the deadline")


def _hours_bucket(hours: float) -> str:
    if hours < 0:
        return HOUR_BUCKETS[4]
    if hours < 1:
        return HOUR_BUCKETS[3]
    if hours < 24:
        return HOUR_BUCKETS[2]
    return HOUR_BUCKETS[1] if hours < 168 else HOUR_BUCKETS[0]


def _buckets(
    values: list[float], edges: tuple[float, ...], unit: str
) -> tuple[tuple[str, int], ...]:
    out = []
    low = 0.0
    for edge in edges:
        out.append((f"{low:g}-{edge:g} {unit}", sum(1 for v in values if low <= v < edge)))
        low = edge
    out.append((f">= {low:g} {unit}", sum(1 for v in values if v >= low)))
    return tuple((k, n) for k, n in out if n)

