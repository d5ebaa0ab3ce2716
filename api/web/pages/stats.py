"""Per-assignment statistics for staff: points (the standing query's), when students
submitted, verdicts, test times and memory, as (label, count) bars."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from api.db import Enrollment, Evaluation, EvaluationStatus, Role, Submission, TestResult, utcnow
from api.db.standing.course import course_standings
from api.web.pages.context import Pages, course_assignment, member_link, staff_member
from api.web.views import AssignmentStats, Viewer
from core.verdicts import Verdict

HOUR_BUCKETS = ("> 7 days before", "1-7 days before", "1-24 h before", "< 1 h before",
                "after the deadline")


def verdict_mix(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Verdict counts under their human labels (`core.verdicts`' short texts), most
    frequent first."""
    def label(code: str) -> str:
        try:
            return Verdict(code).short_text
        except ValueError:
            return code.replace("_", " ").lower()

    return tuple((label(v), n) for v, n in counts.most_common())


def hours_bucket(hours: float) -> str:
    if hours < 0:
        return HOUR_BUCKETS[4]
    if hours < 1:
        return HOUR_BUCKETS[3]
    if hours < 24:
        return HOUR_BUCKETS[2]
    return HOUR_BUCKETS[1] if hours < 168 else HOUR_BUCKETS[0]


def buckets(values: list[float], edges: tuple[float, ...],
            unit: str) -> tuple[tuple[str, int], ...]:
    out = []
    low = 0.0
    for edge in edges:
        out.append((f"{low:g}-{edge:g} {unit}", sum(1 for v in values if low <= v < edge)))
        low = edge
    out.append((f">= {low:g} {unit}", sum(1 for v in values if v >= low)))
    return tuple((k, n) for k, n in out if n)


def stats(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int) -> AssignmentStats:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        a = course_assignment(session, course_id, assignment_id)
        students = session.scalar(select(func.count(Enrollment.id)).where(
            Enrollment.course_id == course_id, Enrollment.role == Role.STUDENT)) or 0
        results = [r for s in course_standings(session, course_id, utcnow())
                   for r in s.assignments if r.assignment_id == a.id]
        submitted = session.scalar(select(func.count(func.distinct(Submission.user_id)))
                                   .where(Submission.assignment_id == a.id)) or 0
        points = Counter(f"{r.points:g}" for r in results)
        if submitted > len(results):
            points["0"] += submitted - len(results)
        times = session.scalars(select(Submission.submitted_at).where(
            Submission.assignment_id == a.id)).all()
        hours = Counter(hours_bucket((a.first_deadline - t).total_seconds() / 3600)
                        for t in times)
        tests = session.execute(
            select(TestResult.verdict, TestResult.time_s, TestResult.memory_mib)
            .join(Evaluation, Evaluation.id == TestResult.evaluation_id)
            .join(Submission, Submission.current_evaluation_id == Evaluation.id)
            .where(Submission.assignment_id == a.id,
                   # not a running one's provisional tests
                   Evaluation.status == EvaluationStatus.DONE)).all()
        return AssignmentStats(
            member_link(found), a.id, a.name, students, submitted,
            sum(1 for r in results if r.solved), tuple(sorted(points.items())),
            tuple((k, hours[k]) for k in HOUR_BUCKETS if hours[k]),
            verdict_mix(Counter(v for v, _, _ in tests)),
            buckets([t for _, t, _ in tests if t is not None], (1, 5, 10, 60), "s"),
            buckets([m for _, _, m in tests if m is not None], (256, 512, 1024, 1536), "MiB"),
        )
