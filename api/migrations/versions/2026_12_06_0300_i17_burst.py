"""Scheduling and accounting of evaluations: held for the dispatcher, CPU and GPU used.

Revision ID: 2026_12_06_i17_burst
Revises: 2026_12_06_i15_staff
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_i17_burst"
down_revision: str | Sequence[str] | None = "2026_12_06_i15_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column("run_cpu_s", sa.Double(), nullable=True))
        batch.add_column(sa.Column("gpu_s", sa.Double(), nullable=True))
        batch.add_column(sa.Column("gpu_peak_mib", sa.Double(), nullable=True))
        batch.create_index("ix_evaluations_held_status", ["held", "status"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_index("ix_evaluations_held_status")
        batch.drop_column("gpu_peak_mib")
        batch.drop_column("gpu_s")
        batch.drop_column("run_cpu_s")
        batch.drop_column("held")
