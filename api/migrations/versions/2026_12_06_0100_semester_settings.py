"""Semester settings: course term and solve score, submission windows, extra bonus, unpublish.

Revision ID: 2026_12_06_0100_semester
Revises: 2026_11_25_2200_summary
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_0100_semester"
down_revision: str | Sequence[str] | None = "2026_11_25_2200_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("term", sa.String(length=32), server_default=sa.text("''"),
                                   nullable=False))
        batch.add_column(sa.Column("solve_score", sa.Double(), server_default=sa.text("1.0"),
                                   nullable=False))
        batch.add_column(sa.Column("window_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("window_hours", sa.Integer(), server_default=sa.text("24"),
                                   nullable=False))
        batch.create_check_constraint("solve_score_range",
                                      "solve_score >= 0 AND solve_score <= 1")
        batch.create_check_constraint("window_limit", "window_limit IS NULL OR window_limit > 0")
        batch.create_check_constraint("window_hours_positive", "window_hours > 0")
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("extra_threshold", sa.Double(), nullable=True))
        batch.add_column(sa.Column("extra_bonus", sa.Integer(), server_default=sa.text("0"),
                                   nullable=False))
        batch.add_column(sa.Column("window_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("window_hours", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("published", sa.Boolean(), server_default=sa.true(),
                                   nullable=False))
        batch.create_check_constraint("extra_bonus_non_negative", "extra_bonus >= 0")
        batch.create_check_constraint("window_limit", "window_limit IS NULL OR window_limit > 0")
        batch.create_check_constraint("window_hours", "window_hours IS NULL OR window_hours > 0")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("assignments") as batch:
        for name in ("window_hours", "window_limit", "extra_bonus_non_negative"):
            batch.drop_constraint(name, type_="check")
        for column in ("published", "window_hours", "window_limit", "extra_bonus",
                       "extra_threshold"):
            batch.drop_column(column)
    with op.batch_alter_table("courses") as batch:
        for name in ("window_hours_positive", "window_limit", "solve_score_range"):
            batch.drop_constraint(name, type_="check")
        for column in ("window_hours", "window_limit", "solve_score", "term"):
            batch.drop_column(column)
