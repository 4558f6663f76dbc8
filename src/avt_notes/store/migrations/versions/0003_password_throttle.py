"""Password throttling counters (shared by every server process); audio damage notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("clinical_sessions") as batch:
        batch.add_column(sa.Column("audio_warning", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clinical_sessions") as batch:
        batch.drop_column("audio_warning")
    op.drop_table("rate_limit_counters")
