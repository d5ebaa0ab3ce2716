"""A competition's anonymous leaderboard: public figures until the (viewer's) first
deadline, the final ranking of the rank bonus afterwards (`core.competition`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission
from api.services.views import competition_of, deadlines_of, extension_s
from core.competition import best_metric, rank_metric, ranks, reaches
from core.deadlines import epoch_s, timing


@dataclass(frozen=True)
class LeaderRow:
    """One anonymous line of a competition's leaderboard."""

    rank: int
    metric: float
    reached: bool  # the threshold that gives the non-bonus points
    me: bool


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
        .where(Submission.assignment_id == assignment.id,
               Evaluation.status == EvaluationStatus.DONE,
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
