"""Audit log page: whom and which assignment an entry concerns, and keyset indexes.

The staff audit page (`/courses/{id}/staff/audit`) pages one course's log newest first,
filtered by student, assignment or actor; these indexes make each page an index range
scan, whatever the log's size.

Revision ID: 2026_12_06_i15_staff
Revises: 2026_12_06_i11_competition
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i15_staff"
down_revision: str | Sequence[str] | None = "2026_12_06_i11_competition"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_audit_log_course_id_id": ["course_id", "id"],
    "ix_audit_log_course_id_subject_user_id_id": ["course_id", "subject_user_id", "id"],
    "ix_audit_log_course_id_assignment_id_id": ["course_id", "assignment_id", "id"],
    "ix_audit_log_course_id_actor_id_id": ["course_id", "actor_id", "id"],
}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("subject_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assignment_id", sa.Integer(), nullable=True))
        for name, columns in INDEXES.items():
            batch.create_index(name, columns)
    _backfill()


def _whole(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _backfill() -> None:
    """Earlier entries: whom and which assignment they concern, from their detail (the rule
    of `AuditLog.record`, frozen here as a migration must be)."""
    log = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("object_type", sa.String),
                   sa.column("object_id", sa.String), sa.column("detail_json", sa.Text),
                   sa.column("subject_user_id", sa.Integer),
                   sa.column("assignment_id", sa.Integer))
    conn = op.get_bind()
    for row in conn.execute(sa.select(log.c.id, log.c.object_type, log.c.object_id,
                                      log.c.detail_json)).all():
        try:
            detail = json.loads(row.detail_json or "{}")
        except ValueError:
            continue
        if not isinstance(detail, dict):
            continue
        subject = detail.get("user_id")
        if subject is None and row.object_type == "user":
            subject = row.object_id
        assignment = detail.get("assignment_id")
        if assignment is None and row.object_type in ("assignment", "assignments"):
            assignment = row.object_id
        if _whole(subject) is not None or _whole(assignment) is not None:
            conn.execute(sa.update(log).where(log.c.id == row.id).values(
                subject_user_id=_whole(subject), assignment_id=_whole(assignment)))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("audit_log") as batch:
        for name in INDEXES:
            batch.drop_index(name)
        batch.drop_column("assignment_id")
        batch.drop_column("subject_user_id")
