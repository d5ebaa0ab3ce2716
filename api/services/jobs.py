"""What grades an evaluation: a queued attempt (`open_evaluation`) and the message that
grades it (`job_for`), on the queue of its device. The pipeline (`api.services.pipeline`)
records what comes back; the dispatcher (`api.services.dispatch`) decides when a job is
published.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    Evaluation,
    EvaluationKind,
    EvaluationStatus,
    Submission,
    SubmissionFile,
    load_blob,
    utcnow,
)
from api.settings import Settings
from worker.contract import EvaluateRequest

Job = tuple[EvaluateRequest, str]
"""A job to publish after the commit: the message and its queue."""


def queue_for(settings: Settings, device: str) -> str:
    """The evaluation queue of an assignment's device (``any`` runs on CPU workers)."""
    return settings.gpu_queue if device == "gpu" else settings.cpu_queue


def job_for(
    session: Session, evaluation: Evaluation, settings: Settings,
    files: dict[str, bytes] | None = None,
) -> Job:
    """The message that grades ``evaluation``: files (loaded unless given), package, ids."""
    submission = session.get(Submission, evaluation.submission_id)
    assert submission is not None
    assignment = session.get(Assignment, submission.assignment_id)
    assert assignment is not None
    if files is None:
        files = {}
        for row in session.scalars(
            select(SubmissionFile).where(SubmissionFile.submission_id == submission.id)
        ):
            files[row.path] = load_blob(session, row.blob_sha256) or b""
    request = EvaluateRequest(
        evaluation_id=evaluation.id,
        attempt=evaluation.attempt,
        package_name=assignment.package_name,
        package_version=evaluation.package_version,
        device=assignment.device,
        files=EvaluateRequest.encode_files(files),
        record_queue=settings.record_queue,
        lease_s=settings.lease_s,
        max_files=settings.max_files,
        max_bytes=settings.max_upload_bytes,
    )
    return request, queue_for(settings, assignment.device)


def next_attempt(session: Session, submission_id: int) -> int:
    """The attempt number of a submission's next evaluation."""
    last = session.scalar(
        select(func.max(Evaluation.attempt)).where(Evaluation.submission_id == submission_id)
    )
    return (last or 0) + 1


def open_evaluation(
    session: Session,
    submission: Submission,
    package_version: str,
    *,
    kind: str = EvaluationKind.NORMAL.value,
    retries: int = 0,
    make_current: bool = True,
    now: datetime | None = None,
    attempt: int | None = None,
    replaces_id: int | None = None,
) -> Evaluation:
    """Add a queued evaluation (flushed, so it has an id) for ``submission``."""
    evaluation = Evaluation(
        replaces_id=replaces_id,
        submission_id=submission.id,
        package_version=package_version,
        attempt=attempt or next_attempt(session, submission.id),
        status=EvaluationStatus.QUEUED.value,
        kind=kind,
        retries=retries,
        queued_at=now or utcnow(),
    )
    session.add(evaluation)
    session.flush()
    if make_current:
        submission.current_evaluation_id = evaluation.id
    return evaluation
