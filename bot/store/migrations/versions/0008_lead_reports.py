"""leads' reports: a session's report, its follow-up a week later and monthly digests, each a
deadline the scheduler tick runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_reports",
        sa.Column("ref", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lead_key", sa.String(200), nullable=False),
        sa.Column("schedule_id", sa.String(32), nullable=True),
        sa.Column("occurrence", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_lead_reports_due", "lead_reports", ["status", "due_at"])
    op.create_index("ix_lead_reports_lead", "lead_reports", ["lead_key", "kind"])


def downgrade() -> None:
    op.drop_index("ix_lead_reports_lead", table_name="lead_reports")
    op.drop_index("ix_lead_reports_due", table_name="lead_reports")
    op.drop_table("lead_reports")
