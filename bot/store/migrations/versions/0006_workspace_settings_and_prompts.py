"""workspace settings, their history, each workspace's own prompts; schedules may follow the
workspace's depth

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        sa.Column("workspace", sa.String(200), primary_key=True),
        sa.Column("values", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "workspace_settings_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("setting", sa.String(64), nullable=False),
        sa.Column("old", sa.Text, nullable=True),
        sa.Column("new", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_workspace_settings_history", "workspace_settings_history", ["workspace", "id"]
    )
    op.create_table(
        "workspace_prompts",
        sa.Column("workspace", sa.String(200), primary_key=True),
        sa.Column("prompt_id", sa.String(80), primary_key=True),
        sa.Column("layer", sa.Integer, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("example", sa.Text, nullable=True),
        sa.Column("hierarchy_safe", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("suggested_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_workspace_prompts_status", "workspace_prompts", ["workspace", "status"])
    # a schedule without its own depth follows the workspace's cap at each session
    with op.batch_alter_table("schedules") as batch_op:
        batch_op.alter_column("max_layer", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE schedules SET max_layer = 3 WHERE max_layer IS NULL")
    with op.batch_alter_table("schedules") as batch_op:
        batch_op.alter_column("max_layer", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_workspace_prompts_status", table_name="workspace_prompts")
    op.drop_table("workspace_prompts")
    op.drop_index("ix_workspace_settings_history", table_name="workspace_settings_history")
    op.drop_table("workspace_settings_history")
    op.drop_table("workspace_settings")
