"""What evaluations used: recorded from the worker's `Outcome.extra`, summed for budgets.

The worker measures (`worker.usage`): CPU seconds of the sandboxed runs, and on a GPU the
GPU-seconds and peak GPU memory. The first outcome of an attempt that closed the row
writes them; a duplicate changes nothing. Values are bounded: a number that is not a
finite non-negative float is dropped.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission
from worker.contract import Outcome

FIELDS = ("run_cpu_s", "gpu_s", "gpu_peak_mib")
LIMIT = 1e9


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and 0 <= value < LIMIT else None


def record_usage(session: Session, outcome: Outcome) -> bool:
    """Store the attempt's usage once (after its outcome closed it); True when stored."""
    values = {name: _number(outcome.extra.get(name)) for name in FIELDS}
    values = {name: value for name, value in values.items() if value is not None}
    if not values:
        return False
    result = session.execute(
        update(Evaluation)
        .where(Evaluation.id == outcome.evaluation_id, Evaluation.attempt == outcome.attempt,
               Evaluation.status.not_in((EvaluationStatus.QUEUED.value,
                                         EvaluationStatus.RUNNING.value)),
               Evaluation.run_cpu_s.is_(None), Evaluation.gpu_s.is_(None))
        .values(**values).execution_options(synchronize_session=False))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def gpu_seconds_used(session: Session, user_id: int, assignment_id: int) -> float:
    """GPU-seconds of all a student's evaluations of one assignment."""
    used = session.scalar(
        select(func.coalesce(func.sum(Evaluation.gpu_s), 0.0))
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(Submission.user_id == user_id, Submission.assignment_id == assignment_id))
    return float(used or 0.0)


def over_gpu_budget(session: Session, assignment: Assignment, user_id: int,
                    budget_s: float) -> bool:
    """Whether a student has spent the GPU budget of a GPU assignment (0: no budget)."""
    if budget_s <= 0 or assignment.device != "gpu":
        return False
    return gpu_seconds_used(session, user_id, assignment.id) >= budget_s
