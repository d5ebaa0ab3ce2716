"""A staff re-run replaces the counting evaluation only when it is done.

Revision ID: 2026_12_06_i14_pipeline
Revises: 2026_12_06_i11_rules
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i14_pipeline"
down_revision: str | Sequence[str] | None = "2026_12_06_i11_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("replaces_id")
