"""Review and sign-off: the clinician's working copy, signed note versions, sign-off metrics.

Signed notes and their metrics are the clinical record and the automation-bias
evidence: triggers make the database itself refuse to update or delete them,
so no code path (and no forgotten route) can overwrite a signed note.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
FROZEN_TABLES = ("signed_notes", "signoff_metrics")
MESSAGE = "signed notes are immutable: record a change as an amendment"


def upgrade() -> None:
    op.create_table(
        "review_drafts",
        sa.Column(
            "session_id",
            sa.String(32),
            sa.ForeignKey("clinical_sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("audio_seconds_played", sa.Float(), nullable=False),
        sa.Column("first_viewed_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "signed_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id", sa.String(32), sa.ForeignKey("clinical_sessions.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("signer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("signer_username", sa.String(64), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("signed_at", UTC_TIME, nullable=False),
        sa.Column("attestation", sa.Text(), nullable=False),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("edits", sa.Text(), nullable=False),
        sa.UniqueConstraint("session_id", "version", name="uq_signed_note_version"),
    )
    op.create_index("ix_signed_notes_session_id", "signed_notes", ["session_id"])
    op.create_table(
        "signoff_metrics",
        sa.Column("note_id", sa.Integer(), sa.ForeignKey("signed_notes.id"), primary_key=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("clinician", sa.String(64), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("accent_group", sa.String(64), nullable=True),
        sa.Column("signed_at", UTC_TIME, nullable=False),
        sa.Column("draft_chars", sa.Integer(), nullable=False),
        sa.Column("signed_chars", sa.Integer(), nullable=False),
        sa.Column("char_distance", sa.Integer(), nullable=False),
        sa.Column("normalised_edit_distance", sa.Float(), nullable=False),
        sa.Column("word_distance", sa.Integer(), nullable=False),
        sa.Column("words_inserted", sa.Integer(), nullable=False),
        sa.Column("words_deleted", sa.Integer(), nullable=False),
        sa.Column("words_substituted", sa.Integer(), nullable=False),
        sa.Column("signed_unchanged", sa.Boolean(), nullable=False),
        sa.Column("review_seconds", sa.Float(), nullable=False),
        sa.Column("audio_seconds_played", sa.Float(), nullable=False),
        sa.Column("flagged_total", sa.Integer(), nullable=False),
        sa.Column("flagged_kept_unedited", sa.Integer(), nullable=False),
        sa.Column("flagged_edited", sa.Integer(), nullable=False),
        sa.Column("flagged_removed", sa.Integer(), nullable=False),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
    )
    op.create_index("ix_signoff_metrics_session_id", "signoff_metrics", ["session_id"])
    _freeze()


def _freeze() -> None:
    """Triggers that refuse UPDATE and DELETE on the signed record."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION avt_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$"
        )
        for table in FROZEN_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION avt_refuse_change()"
            )
        return
    for table in FROZEN_TABLES:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FROZEN_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        op.execute("DROP FUNCTION IF EXISTS avt_refuse_change()")
    for table in ("signoff_metrics", "signed_notes", "review_drafts"):
        op.drop_table(table)
