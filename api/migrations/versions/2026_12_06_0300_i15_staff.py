"""Audit log page: whom and which assignment an entry concerns, and keyset indexes.

The staff audit page (`/courses/{id}/staff/audit`) pages one course's log newest first,
filtered by student, assignment or actor; these indexes make each page an index range
scan, whatever the log's size.

Revision ID: 2026_12_06_i15_staff
Revises: 2026_12_06_0100_semester
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i15_staff"
down_revision: str | Sequence[str] | None = "2026_12_06_0100_semester"
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


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("audit_log") as batch:
        for name in INDEXES:
            batch.drop_index(name)
        batch.drop_column("assignment_id")
        batch.drop_column("subject_user_id")
