"""Standing summaries keep the deadline period of the counting solution (issue 15).

``deadline_window`` is `core.deadlines.DeadlineWindow` as an int (0 on time, 1 between
the deadlines, 2 late): the staff gradebook marks lateness from it. Every course's rows are
computed again here, the newest revision that calls `rebuild` (it runs today's statement,
which reads columns that later revisions add; earlier revisions leave it to this one).

Revision ID: 2026_12_06_i15_window
Revises: 2026_12_06_i17_burst
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i15_window"
down_revision: str | Sequence[str] | None = "2026_12_06_i17_burst"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("standing_summaries") as batch:
        batch.add_column(sa.Column("deadline_window", sa.SmallInteger(), server_default="0",
                                   nullable=False))
    from api.db.summary import rebuild

    connection = op.get_bind()
    for (course_id,) in connection.execute(sa.text("SELECT id FROM courses")):
        rebuild(connection, course_id)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("standing_summaries") as batch:
        batch.drop_column("deadline_window")
