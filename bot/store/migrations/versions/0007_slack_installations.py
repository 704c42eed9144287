"""Slack workspaces installed with "Add to Slack" (bot tokens encrypted), and OAuth states

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("enterprise_id", sa.String(64), nullable=True),
        sa.Column("app_id", sa.String(64), nullable=True),
        sa.Column("team_name", sa.String(200), nullable=True),
        sa.Column("bot_user_id", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(64), nullable=False),
        sa.Column("bot_scopes", sa.Text, nullable=False),
        sa.Column("bot_token", sa.Text, nullable=False),
        sa.Column("installer_user_id", sa.String(64), nullable=True),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(64), primary_key=True),
        sa.Column("expire_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_slack_oauth_states_expire_at", "slack_oauth_states", ["expire_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_oauth_states_expire_at", table_name="slack_oauth_states")
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")
