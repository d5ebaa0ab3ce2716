"""Competitions: public and private metrics of each evaluation.

The public metric (rounded) is what a student sees before the assignment closes; the
private one ranks. The covering standing index gains the private metric; the standing
summaries (they now keep the best private metric of the results that reach the threshold)
are computed again by ``2026_12_06_i15_window``.

Revision ID: 2026_12_06_i11_competition
Revises: 2026_12_06_i14_http
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i11_competition"
down_revision: str | Sequence[str] | None = "2026_12_06_i14_http"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_INDEX = ["id", "status", "score", "metric"]


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("metric_public", sa.Double(), nullable=True))
        batch.add_column(sa.Column("metric_private", sa.Double(), nullable=True))
    op.drop_index("ix_evaluations_standing", table_name="evaluations")
    op.create_index("ix_evaluations_standing", "evaluations", [*OLD_INDEX, "metric_private"])
    # Every course's summaries are computed again by the newest revision that calls
    # `rebuild` (``2026_12_06_i15_window``): it runs today's statement, which reads columns
    # that later revisions add.


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_evaluations_standing", table_name="evaluations")
    op.create_index("ix_evaluations_standing", "evaluations", OLD_INDEX)
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("metric_private")
        batch.drop_column("metric_public")
