"""Standing: a covering index for the submissions -> current evaluation join.

`api.db.standing` joins every submission of a course to its current evaluation and reads
only (status, score, metric). With this index PostgreSQL and SQLite read those from the
index instead of the evaluation rows (which carry the stored report and are about ten
times larger). Keep in sync with `api.db.standing.summary_rows.STANDING_INDEX`.

Revision ID: 2026_11_25_2040_standing
Revises: 2026_11_25_2030_svc
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_25_2040_standing"
down_revision: str | Sequence[str] | None = "2026_11_25_2030_svc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_evaluations_standing", "evaluations", ["id", "status", "score", "metric"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_evaluations_standing", table_name="evaluations")
