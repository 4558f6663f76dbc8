"""Patient language/accent group beside consent; confidence and sentence edits at sign-off.

The group is self-described by the patient and recorded only with their
agreement ("prefer not to say" is stored as NULL). Sign-off metrics gain the
transcript's mean word probability and the share of draft sentences the
clinician changed, so the automation-bias report can compare groups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents") as table:
        table.add_column(sa.Column("patient_language_group", sa.String(64), nullable=True))
    op.add_column("signoff_metrics", sa.Column("transcript_confidence", sa.Float, nullable=True))
    op.add_column("signoff_metrics", sa.Column("sentences_changed_share", sa.Float, nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch
    # copy of signoff_metrics would drop its immutability triggers.
    op.drop_column("signoff_metrics", "sentences_changed_share")
    op.drop_column("signoff_metrics", "transcript_confidence")
    with op.batch_alter_table("consents") as table:
        table.drop_column("patient_language_group")
