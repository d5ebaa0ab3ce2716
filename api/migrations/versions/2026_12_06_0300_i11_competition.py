"""Competitions: public and private metrics of each evaluation.

The public metric (rounded) is what a student sees before the assignment closes; the
private one ranks. The covering standing index gains the private metric, and the
standing summaries of every course are computed again (they now keep the best private
metric of the results that reach the threshold).

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
    # Every course's summaries, computed by today's statement (which reads the columns
    # above): the revision that made the summaries leaves existing courses to the last
    # revision that changes their inputs. A later such revision takes this loop over.
    from api.db.summary import rebuild

    connection = op.get_bind()
    for (course_id,) in connection.execute(sa.text("SELECT id FROM courses")):
        rebuild(connection, course_id)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_evaluations_standing", table_name="evaluations")
    op.create_index("ix_evaluations_standing", "evaluations", OLD_INDEX)
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("metric_private")
        batch.drop_column("metric_public")
