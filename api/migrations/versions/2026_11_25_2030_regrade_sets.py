"""Service tables: staff re-grade sets and their items.

Revision ID: 2026_11_25_2030_svc
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base

revision: str = "2026_11_25_2030_svc"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "regrade_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("package_version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'applied', 'discarded')", name=op.f("ck_regrade_sets_status")
        ),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE",
                                name=op.f("fk_regrade_sets_course_id_courses")),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"], ondelete="CASCADE",
                                name=op.f("fk_regrade_sets_assignment_id_assignments")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_regrade_sets_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regrade_sets")),
    )
    op.create_table(
        "regrade_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regrade_set_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("old_evaluation_id", sa.Integer(), nullable=True),
        sa.Column("new_evaluation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["regrade_set_id"], ["regrade_sets.id"], ondelete="CASCADE",
                                name=op.f("fk_regrade_items_regrade_set_id_regrade_sets")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE",
                                name=op.f("fk_regrade_items_submission_id_submissions")),
        sa.ForeignKeyConstraint(["old_evaluation_id"], ["evaluations.id"], ondelete="SET NULL",
                                name=op.f("fk_regrade_items_old_evaluation_id_evaluations")),
        sa.ForeignKeyConstraint(["new_evaluation_id"], ["evaluations.id"], ondelete="SET NULL",
                                name=op.f("fk_regrade_items_new_evaluation_id_evaluations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regrade_items")),
        sa.UniqueConstraint("regrade_set_id", "submission_id",
                            name=op.f("uq_regrade_items_regrade_set_id_submission_id")),
    )
    op.create_index(op.f("ix_regrade_items_regrade_set_id"), "regrade_items",
                    ["regrade_set_id"], unique=False)
    op.create_index(op.f("ix_regrade_items_new_evaluation_id"), "regrade_items",
                    ["new_evaluation_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_regrade_items_new_evaluation_id"), table_name="regrade_items")
    op.drop_index(op.f("ix_regrade_items_regrade_set_id"), table_name="regrade_items")
    op.drop_table("regrade_items")
    op.drop_table("regrade_sets")
