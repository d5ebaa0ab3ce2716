"""The rows of `StandingSummary`: per student and assignment, the counting solution's
points, bonus, solved flag and deadline window, and the best on-time ranking metrics.

`summary_statement` is the submission-level half of the standing's pipeline: eligible
submissions with their extension and latest override (`_eligible`) -> their deadline
window, maximum and bonus factor (`_timed`) -> points per submission (`_points`) ->
numbered in the counting order (`_counted`) -> one row per student and assignment.
`api.db.summary` stores its rows on every write; `api.db.standing.course` reads them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    Index,
    Select,
    and_,
    case,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from api.db.enums import AdjustmentKind, EvaluationStatus
from api.db.models import Adjustment, Evaluation, Extension, Submission
from api.db.standing.expressions import (
    AIDS,
    COURSE,
    UIDS,
    course_assignments,
    epoch_seconds,
    fenced,
    floor_int,
    int_div,
    real_div,
)
from core.scoring import POINTS_EPS, THRESHOLD_EPS

STANDING_INDEX = Index(
    "ix_evaluations_standing",
    Evaluation.id,
    Evaluation.status,
    Evaluation.score,
    Evaluation.metric,
    Evaluation.metric_private,
)
"""`summary_statement` joins submissions to their current evaluations and reads only these
columns (a whole course at a time when summaries are rebuilt): with this covering index
neither engine touches the evaluation rows, whose stored reports make the table about ten
times larger than the index. Declared here, on the
``evaluations`` table (`api.db.models.import_all_models` collects it); created by the
migration ``2026_11_25_2040_standing`` and by `create_standing_indexes`."""


def create_standing_indexes(connection: Connection) -> None:
    """Create `STANDING_INDEX` when missing (for schemas made by ``create_all``)."""
    STANDING_INDEX.create(connection, checkfirst=True)


@cache
def summary_statement(dialect: str, *, by_user: bool) -> Select[Any]:
    """Rows of `StandingSummary` computed from the submissions, for `api.db.summary`.

    Parameters: ``course_id``, ``aids`` (assignment ids, a list) and, when ``by_user``,
    ``uids`` (user ids, a list): only those students' rows are computed. Columns in the
    order of `SUMMARY_COLUMNS`.
    """
    asg = course_assignments(dialect, only=AIDS)
    scored = _scored_submissions(dialect, asg, users=UIDS if by_user else None)
    s = scored.c
    first = s.rn == 1
    return select(
        s.user_id,
        s.aid,
        COURSE,
        func.max(case((first, s.pts))),
        func.max(case((first, s.solved))) == 1,
        func.max(case((first, s.bonus))),
        func.max(s.on_time_metric),
        func.min(s.on_time_metric),
        func.max(case((first, s.window))),
    ).group_by(s.user_id, s.aid)


SUMMARY_COLUMNS = (
    "user_id",
    "assignment_id",
    "course_id",
    "points",
    "solved",
    "bonus",
    "best_high",
    "best_low",
    "deadline_window",
)


def _scored_submissions(dialect: str, asg: Any, *, users: Any = None) -> Any:
    """Eligible submissions with points, bonus and on-time metric (one row each)."""
    timed = _timed(_eligible(dialect, asg, users), dialect)
    return _counted(_points(timed.c, dialect), dialect)


def _extensions() -> tuple[Any, Any]:
    """The largest course-wide and per-assignment extension of each student (CTEs)."""
    ext_course = (
        select(Extension.user_id, func.max(Extension.extra_seconds).label("s"))
        .where(Extension.course_id == COURSE, Extension.assignment_id.is_(None))
        .group_by(Extension.user_id)
        .cte("ext_course")
    )
    ext_asg = (
        select(
            Extension.user_id, Extension.assignment_id, func.max(Extension.extra_seconds).label("s")
        )
        .where(Extension.course_id == COURSE, Extension.assignment_id.is_not(None))
        .group_by(Extension.user_id, Extension.assignment_id)
        .cte("ext_asg")
    )
    return ext_course, ext_asg


def _latest_overrides() -> Any:
    """The latest override of each submission (no later one exists): an equi-join on
    submission_id that both engines can index, unlike a filtered window function."""
    later = aliased(Adjustment)
    newer_exists = (
        select(later.id)
        .where(
            later.submission_id == Adjustment.submission_id,
            later.kind == AdjustmentKind.OVERRIDE.value,
            or_(
                later.created_at > Adjustment.created_at,
                and_(later.created_at == Adjustment.created_at, later.id > Adjustment.id),
            ),
        )
        .exists()
    )
    return (
        select(Adjustment.submission_id, Adjustment.points)
        .where(
            Adjustment.course_id == COURSE,
            Adjustment.kind == AdjustmentKind.OVERRIDE.value,
            not_(newer_exists),
        )
        .subquery("overrides")
    )


def _eligible(dialect: str, asg: Any, users: Any) -> Any:
    """Eligible submissions (done, accepted or overridden) with their assignment's columns,
    epoch seconds, the student's extension and the latest override."""
    ext_course, ext_asg = _extensions()
    overrides = _latest_overrides()
    e1 = func.coalesce(ext_course.c.s, 0)
    e2 = func.coalesce(ext_asg.c.s, 0)
    done = Evaluation.status == EvaluationStatus.DONE.value
    joined = (
        select(
            Submission.id.label("sid"),
            Submission.user_id,
            Submission.accepted,
            asg,
            epoch_seconds(Submission.submitted_at, dialect).label("t_s"),
            case((e1 > e2, e1), else_=e2).label("ext_s"),
            case((done, 1), else_=0).label("done"),
            Evaluation.score,
            Evaluation.metric,
            Evaluation.metric_private,
            overrides.c.points.label("override"),
        )
        .select_from(Submission)
        .join(asg, asg.c.aid == Submission.assignment_id)
        .outerjoin(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .outerjoin(overrides, overrides.c.submission_id == Submission.id)
        .outerjoin(ext_course, ext_course.c.user_id == Submission.user_id)
        .outerjoin(
            ext_asg,
            and_(
                ext_asg.c.user_id == Submission.user_id,
                ext_asg.c.assignment_id == Submission.assignment_id,
            ),
        )
        .where(or_(done, Submission.accepted, overrides.c.points.is_not(None)))
    )
    if users is not None:
        joined = joined.where(Submission.user_id.in_(users))
    return fenced(joined, dialect).subquery("base")


def _timed(base: Any, dialect: str) -> Any:
    """Each submission's deadline window, maximum points and exact bonus factor."""
    b = base.c
    first_x = b.first_s + b.ext_s
    second_x = b.second_s + b.ext_s
    late = b.t_s > func.coalesce(b.second_s, b.first_s) + b.ext_s
    gone = or_(b.second_s.is_(None), b.t_s > second_x)  # (tested after "on time") late
    span = b.second_s - b.first_s
    max_at = case(
        (b.t_s <= first_x, b.points),
        (gone, 0),
        (
            b.linear,
            b.second_points + int_div((b.points - b.second_points) * (second_x - b.t_s), span),
        ),
        else_=b.second_points,
    )
    # The exact factor of the bonus, num / den (core.deadlines.bonus_share).
    has_points = b.points > 0
    num = case(
        (b.t_s <= first_x, 1),
        (not_(b.linear), case((has_points, b.second_points), else_=0)),
        (has_points, b.second_points * span + (b.points - b.second_points) * (second_x - b.t_s)),
        else_=second_x - b.t_s,
    )
    den = case(
        (b.t_s <= first_x, 1),
        (not_(b.linear), case((has_points, b.points), else_=1)),
        (has_points, b.points * span),
        else_=span,
    )
    return fenced(
        select(
            base,
            max_at.label("max_at"),
            case((late, 1), else_=0).label("late"),
            # `core.deadlines.DeadlineWindow` of the submission (on time, between, late).
            case((b.t_s <= first_x, 0), (late, 2), else_=1).label("window"),
            num.label("num"),
            den.label("den"),
        ),
        dialect,
    ).subquery("timed")


def _points(t: Any, dialect: str) -> Any:
    """Each eligible submission's points, bonus, own-kind points and solved flag."""
    meets = t.score >= t.threshold - THRESHOLD_EPS
    hib = t.higher_is_better
    reaches = or_(
        and_(hib, t.metric >= t.metric_threshold), and_(not_(hib), t.metric <= t.metric_threshold)
    )
    beats = or_(
        and_(hib, t.metric > t.extra_threshold), and_(not_(hib), t.metric < t.extra_threshold)
    )
    computed = case(
        (t.done == 0, 0),
        (t.is_comp, case((reaches, t.max_at), else_=0)),
        (meets, floor_int(t.score * t.max_at + POINTS_EPS, dialect)),
        else_=0,
    )
    on_time = t.t_s <= t.first_s + t.ext_s
    bonus_ok = and_(t.done == 1, not_(t.is_comp), t.bonus_points > 0, t.late == 0, meets)
    cap = real_div(t.bonus_points * t.num, t.den)
    extra_ok = and_(t.done == 1, t.is_comp, on_time, t.metric.is_not(None), beats)
    bonus = case(
        (bonus_ok, floor_int(t.score * cap + POINTS_EPS, dialect)),
        (extra_ok, t.extra_bonus),
        else_=0,
    )
    reached = case(
        (or_(t.done == 0, t.late == 1), 0),
        (t.is_comp, case((reaches, 1), else_=0)),
        (t.score >= t.solve_score - THRESHOLD_EPS, 1),
        else_=0,
    )
    bonus_only = t.points == 0
    overridden = t.override.is_not(None)
    pts = case((and_(overridden, not_(bonus_only)), t.override), else_=computed)
    bonus = case((and_(overridden, bonus_only), t.override), else_=bonus)
    solved = case((overridden, case((t.override > 0, 1), else_=0)), else_=reached)
    return fenced(
        select(
            t.sid,
            t.user_id,
            t.aid,
            t.accepted,
            t.t_s,
            pts.label("pts"),
            bonus.label("bonus"),
            solved.label("solved"),
            # `core.competition.rank_metric` of on-time results that reach the threshold.
            case((and_(t.done == 1, t.is_comp, on_time, reaches),
                  func.coalesce(t.metric_private, t.metric))).label("on_time_metric"),
            bonus_only.label("bonus_only"),
            t.window,
        ),
        dialect,
    ).subquery("points")


def _counted(points: Any, dialect: str) -> Any:
    """The scored submissions numbered in the counting order (``rn == 1`` counts)."""
    p = points.c
    own = case((p.bonus_only, p.bonus), else_=p.pts)
    rn = func.row_number().over(
        partition_by=(p.user_id, p.aid),
        order_by=(p.accepted.desc(), own.desc(), p.t_s.desc(), p.sid.desc()),
    )
    return select(
        p.user_id,
        p.aid,
        p.pts,
        p.bonus,
        p.solved,
        p.on_time_metric,
        p.window,
        rn.label("rn"),
    ).subquery("scored")
