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
)
from api.services.views import competition_of, deadlines_of, extension_s
from api.web.views import AssignmentStats, LeaderRow, QueuePanel, Viewer
from core.competition import best_metric, rank_metric, ranks, reaches
from core.deadlines import epoch_s, timing
from core.errors import NotFound
from core.manifest import Manifest
from core.verdicts import Verdict

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource


def leaderboard(session: Session, assignment: Assignment, user_id: int,
                now: datetime) -> tuple[tuple[LeaderRow, ...], bool]:
    """A competition's anonymous leaderboard (the viewer's own line marked) and whether
    it is the final one.

    Until the first deadline (with the viewer's extension: a student who may still
    submit for the ranking never sees private figures) each student's best **public**
    metric of their on-time results; afterwards the final ranking of the rank bonus
    (`core.standing.best_on_time_metric`): the best private metric of the results that
    reach the threshold on the whole set, those students first.
    """
    competition = competition_of(assignment)
    if competition is None:
        return (), False
    rows = session.execute(
        select(Submission.user_id, Submission.submitted_at, Evaluation.metric,
               Evaluation.metric_public, Evaluation.metric_private)
        .join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .where(Submission.assignment_id == assignment.id, Evaluation.status == "done",
               Evaluation.metric.is_not(None))).all()
    deadlines = deadlines_of(assignment)
    final = epoch_s(now) > epoch_s(deadlines.first) + extension_s(session, assignment, user_id)
    exts: dict[int, int] = {}
    shown: dict[int, list[float]] = {}
    reached: dict[int, list[float]] = {}
    for uid, at, whole, public, private in rows:
        if uid not in exts:
            exts[uid] = extension_s(session, assignment, uid)
        if not timing(deadlines, at, exts[uid]).on_time:
            continue
        figure = rank_metric(whole, private) if final else public
        if figure is None:
            continue  # graded before the split: no public figure to show
        shown.setdefault(uid, []).append(figure)
        if whole is not None and reaches(whole, competition):
            reached.setdefault(uid, []).append(figure)
    best = {uid: m for uid, ms in (reached | {u: v for u, v in shown.items()
                                               if u not in reached}).items()
            if (m := best_metric(ms, competition)) is not None}
    ahead = {uid: best[uid] for uid in reached}
    rank_of = ranks(ahead, competition)
    behind = ranks({uid: m for uid, m in best.items() if uid not in reached}, competition)
    rank_of |= {uid: len(ahead) + rank for uid, rank in behind.items()}
    board = sorted((LeaderRow(rank_of[u], best[u], u in reached, u == user_id) for u in best),
                   key=lambda r: (r.rank, not r.me))
    return tuple(board), final


def public_share(manifest: Manifest | None) -> str:
    """The public part's share of a competition's test set, for the pages (``"30 %"``)."""
    if manifest is None or manifest.competition is None:
        return ""
    return f"{100 * manifest.competition.public_fraction:.3g} %"


class PanelPages:
    """Queue panel and statistics (a mixin of `SqlPageSource`)."""

    def queue_panel(self: SqlPageSource, viewer: Viewer, course_id: int,
                    now: datetime) -> QueuePanel:
        with self.sessions() as session:
            self._staff(session, viewer, course_id)  # another course's jobs are not shown
            mine = select(Submission.id).join(Assignment, Assignment.id
                                              == Submission.assignment_id).where(
                Assignment.course_id == course_id)
            of_course = Evaluation.submission_id.in_(mine)
            counts = dict(session.execute(select(Evaluation.status, func.count(Evaluation.id))
                                          .where(of_course).group_by(Evaluation.status)).all())
            oldest = session.scalar(select(func.min(Evaluation.queued_at)).where(
                Evaluation.status == "queued", of_course))
            workers = session.execute(
                select(Evaluation.worker, func.max(Evaluation.started_at))
                .where(Evaluation.worker.is_not(None), of_course,
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
            from api.db.standing.course import course_standings

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

