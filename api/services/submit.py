"""Accepting a submission: validate everything, store files by hash, commit the submission
and its queued evaluation, and return the job to publish (after the commit)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    AssignmentKind,
    Blob,
    Course,
    Enrollment,
    Evaluation,
    EvaluationKind,
    EvaluationStatus,
    Submission,
    SubmissionFile,
    User,
    sha256_hex,
    utcnow,
)
from api.services import quotas, uploads
from api.services.jobs import Job, job_for
from api.services.usage import over_gpu_budget
from api.settings import Settings
from core.errors import BadInput, Conflict
from core.submission import UploadLimits
from core.text import plural


def limits(settings: Settings) -> UploadLimits:
    """Upload limits from the settings."""
    return UploadLimits(settings.max_files, settings.max_upload_bytes, settings.max_zip_ratio)


def check_team(session: Session, course: Course, uuids: list[str]) -> None:
    """Every listed team member must be enrolled in the course."""
    if not uuids:
        return
    enrolled = set(session.scalars(
        select(User.uuid).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, User.uuid.in_(uuids))
    ))
    missing = [u for u in uuids if u not in enrolled]
    if missing:
        raise BadInput(f"team member(s) {', '.join(missing)} are not enrolled in this course; "
                       "list your teammates' ids from their profile pages")


def store_blob_race_free(session: Session, content: bytes) -> str:
    """Insert a blob unless present, safe against concurrent identical uploads."""
    digest = sha256_hex(content)
    dialect = session.get_bind().dialect.name
    values = {"sha256": digest, "size": len(content), "content": content}
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(Blob).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(Blob).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - other engines are not supported
        if session.get(Blob, digest) is None:
            session.add(Blob(**values))
        return digest
    session.execute(statement)
    return digest


class Staged(NamedTuple):
    """A validated submission added to the session (flushed, not committed)."""

    submission: Submission
    evaluation: Evaluation
    files: list[str]
    """The stored paths, sorted."""
    jobs: list[Job]


def stage(
    session: Session,
    user: User,
    assignment: Assignment,
    parts: list[tuple[str, bytes]],
    settings: Settings,
    now: datetime | None = None,
) -> Staged:
    """Validate a submission and add it, its files and a queued evaluation to the session
    (flushed, uncommitted): the caller commits, then publishes the jobs. Raises on refusal
    before anything is written."""
    now = now or utcnow()  # the server clock decides lateness
    if over_gpu_budget(session, assignment, user.id, settings.gpu_budget_s):  # issue 17
        raise Conflict(f"you have used your GPU time for this assignment "
                       f"({plural(settings.gpu_budget_s, 'GPU-second')}); "
                       "ask the teachers for more")
    files = uploads.collect_files(parts, limits(settings))
    team: list[str] = []
    if assignment.kind == AssignmentKind.COMPETITION.value:
        main = uploads.competition_files(files)
    else:
        main = uploads.main_file(files)
        course = session.get(Course, assignment.course_id)
        assert course is not None
        team = uploads.team_uuids(files[main], course.max_team_size)
        check_team(session, course, team)
    # After the checks of the files (no lock held while parsing), before any write:
    # quota, one pending run and max_submissions, under the uploader's row lock.
    quotas.enforce(session, assignment, user.id, now)
    submission = Submission(assignment_id=assignment.id, user_id=user.id, submitted_at=now,
                            main_file=main, team_uuids=" ".join(team) or None)
    # The submission and its first, current evaluation in one flush (the current one is
    # set by a second UPDATE of the same flush: the two rows refer to each other).
    evaluation = Evaluation(submission=submission, package_version=assignment.package_version,
                            attempt=1, status=EvaluationStatus.QUEUED.value,
                            kind=EvaluationKind.NORMAL.value, retries=0, queued_at=now)
    submission.current_evaluation = evaluation
    session.add(submission)
    session.flush()
    paths = sorted(files)
    rows = [{"submission_id": submission.id, "path": path,
             "blob_sha256": store_blob_race_free(session, files[path])} for path in paths]
    session.execute(insert(SubmissionFile), rows)  # one statement, no objects to track
    jobs = [job_for(session, evaluation, settings, files)]
    return Staged(submission, evaluation, paths, jobs)


def submit(
    session: Session,
    user: User,
    assignment: Assignment,
    parts: list[tuple[str, bytes]],
    settings: Settings,
    now: datetime | None = None,
) -> tuple[Submission, list[Job]]:
    """Validate and store a submission with a queued evaluation; nothing stored on refusal."""
    staged = stage(session, user, assignment, parts, settings, now)
    session.commit()
    return staged.submission, staged.jobs
