"""Standing summaries: one row per (student, assignment), kept current on every write.

The rows of existing courses are computed by the revision that last changed what a row
holds (``2026_12_06_i11_rules``): `api.db.summary.rebuild` is today's code and reads columns
that later revisions add.

Revision ID: 2026_11_25_2200_summary
Revises: 2026_11_25_2100_login
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_25_2200_summary"
down_revision: str | Sequence[str] | None = "2026_11_25_2100_login"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "standing_summaries",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("bonus", sa.Integer(), nullable=False),
        sa.Column("best_high", sa.Double(), nullable=True),
        sa.Column("best_low", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"],
                                name=op.f("fk_standing_summaries_assignment_id_assignments"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"],
                                name=op.f("fk_standing_summaries_course_id_courses"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_standing_summaries_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "assignment_id", name=op.f("pk_standing_summaries")),
    )
    op.create_index(op.f("ix_standing_summaries_course_id_user_id"), "standing_summaries",
                    ["course_id", "user_id"], unique=False)
    # The rows of existing courses are computed by the last revision that changes what
    # the summaries read (see the newest revision that calls `rebuild`): `rebuild` runs today's
    # statement, which reads columns that later revisions add.


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_standing_summaries_course_id_user_id"),
                  table_name="standing_summaries")
    op.drop_table("standing_summaries")
