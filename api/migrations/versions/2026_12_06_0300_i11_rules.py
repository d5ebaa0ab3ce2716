"""Standing summaries hold the counting solution's solved flag instead of its acceptance.

Acceptance no longer solves an assignment (issue 11): the summary row stores ``solved``
(with the course's ``solve_score``), and its bonus is the counting solution's (reduced
between the deadlines; a competition's extra bonus). Every course's rows are computed
again by the newest revision that calls `rebuild` (it runs today's statement, which reads
columns that later revisions add).

Revision ID: 2026_12_06_i11_rules
Revises: 2026_12_06_0100_semester
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i11_rules"
down_revision: str | Sequence[str] | None = "2026_12_06_0100_semester"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("standing_summaries") as batch:
        batch.alter_column("accepted", new_column_name="solved", existing_type=sa.Boolean(),
                           existing_nullable=False)


def downgrade() -> None:
    """Revert this revision (the old rows are computed by the old code on its next write)."""
    with op.batch_alter_table("standing_summaries") as batch:
        batch.alter_column("solved", new_column_name="accepted", existing_type=sa.Boolean(),
                           existing_nullable=False)
