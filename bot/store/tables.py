"""The schema. Round state is one JSON document per round; columns exist only where we query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


metadata = sa.MetaData()

rounds = sa.Table(
    "rounds",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("due_at", UTCDateTime(), nullable=True, index=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("workspace", sa.String(200), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("ended_at", UTCDateTime(), nullable=True, index=True),
    sa.Column("schedule_id", sa.String(32), nullable=True, index=True),
    # when retention removed the answer texts from `state` (None: not yet, or kept)
    sa.Column("answers_purged_at", UTCDateTime(), nullable=True),
    sa.Index("ix_rounds_retention", "answers_purged_at", "ended_at"),
)

round_members = sa.Table(
    "round_members",
    metadata,
    sa.Column(
        "round_id", sa.String(32), sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("member_key", sa.String(200), primary_key=True),
    sa.Column("open", sa.Boolean, nullable=False, default=True),
    sa.Index("ix_round_members_member_open", "member_key", "open"),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("member_key", sa.String(200), primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("workspace_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("dm_channel_id", sa.String(64), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    sa.Column("opted_out", sa.Boolean, nullable=False, default=False),
    sa.Column("paused_until", UTCDateTime(), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # the language the member chose (`/rapport language`), and the one their platform reports
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("platform_language", sa.String(16), nullable=True),
)

pair_prompts = sa.Table(
    "pair_prompts",
    metadata,
    sa.Column("pair_key", sa.String(420), primary_key=True),
    sa.Column("prompt_id", sa.String(80), primary_key=True),
)

processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("event_key", sa.String(200), primary_key=True),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("member_key", sa.String(200), nullable=False),
    sa.Column("round_id", sa.String(32), nullable=True, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("not_before", UTCDateTime(), nullable=True),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("message_id", sa.String(64), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    # an attempt's outcome is unknown (timeout, connection lost, 5xx after the request left):
    # the platform may have it, so the next attempt checks before posting again
    sa.Column("maybe_sent", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_member", "member_key", "status"),
)

# Partial indexes over the unsent rows only: the dispatcher's claim query and its "an earlier
# message to this member is still in flight" check stay fast however many rows were sent.
_UNSENT = outbox.c.status.in_(("pending", "sending"))
sa.Index("ix_outbox_unsent", outbox.c.id, postgresql_where=_UNSENT, sqlite_where=_UNSENT)
sa.Index(
    "ix_outbox_unsent_member",
    outbox.c.member_key,
    outbox.c.id,
    postgresql_where=_UNSENT,
    sqlite_where=_UNSENT,
)

schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("workspace_id", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("every_weeks", sa.Integer, nullable=False),
    sa.Column("weekday", sa.Integer, nullable=False),
    sa.Column("time_of_day", sa.String(5), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("max_layer", sa.Integer, nullable=True),  # None: the workspace's cap
    sa.Column("bank", sa.String(64), nullable=True),
    sa.Column("pace", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("next_run_at", UTCDateTime(), nullable=True, index=True),
    sa.Column("last_run_at", UTCDateTime(), nullable=True),
    sa.Column("last_skip_at", UTCDateTime(), nullable=True),
    sa.Column("last_skip_reason", sa.Text, nullable=True),
    sa.Index("ix_schedules_workspace", "platform", "workspace_id"),
)

schedule_sessions = sa.Table(
    "schedule_sessions",
    metadata,
    sa.Column("schedule_id", sa.String(32), primary_key=True),
    sa.Column("occurrence", UTCDateTime(), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("members_count", sa.Integer, nullable=False, default=0),
    sa.Column("groups_count", sa.Integer, nullable=False, default=0),
)

session_groups = sa.Table(
    "session_groups",
    metadata,
    sa.Column("schedule_id", sa.String(32), primary_key=True),
    sa.Column("occurrence", UTCDateTime(), primary_key=True),
    sa.Column("group_no", sa.Integer, primary_key=True),
    sa.Column("member_keys", sa.Text, nullable=False),
    sa.Column("round_id", sa.String(32), nullable=True),
)

avoid_pairs = sa.Table(
    "avoid_pairs",
    metadata,
    sa.Column("member_key", sa.String(200), primary_key=True),
    sa.Column("avoided_key", sa.String(200), primary_key=True),
)

# --- workspaces own their settings and questions ----------------------------------------------

workspace_settings = sa.Table(
    "workspace_settings",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),  # "slack:T123", "discord:456"
    # only the settings a lead changed, as JSON; the rest follow the environment's defaults
    sa.Column("values", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

workspace_settings_history = sa.Table(
    "workspace_settings_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),  # the lead's member key
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("setting", sa.String(64), nullable=False),
    sa.Column("old", sa.Text, nullable=True),
    sa.Column("new", sa.Text, nullable=True),
    sa.Index("ix_workspace_settings_history", "workspace", "id"),
)

workspace_prompts = sa.Table(
    "workspace_prompts",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("prompt_id", sa.String(80), primary_key=True),
    sa.Column("layer", sa.Integer, nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("example", sa.Text, nullable=True),
    sa.Column("hierarchy_safe", sa.Boolean, nullable=False, default=True),
    # active (drawn), pending (a member's suggestion), declined, retired (kept so rounds that
    # asked it can still show it)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("suggested_by", sa.String(200), nullable=True),  # only to tell them the outcome
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Index("ix_workspace_prompts_status", "workspace", "status"),
)

# --- Slack workspaces that installed Rapport with "Add to Slack" (OAuth v2) ---------------------

slack_installations = sa.Table(
    "slack_installations",
    metadata,
    sa.Column("team_id", sa.String(64), primary_key=True),  # one installation per workspace
    sa.Column("enterprise_id", sa.String(64), nullable=True),
    sa.Column("app_id", sa.String(64), nullable=True),
    sa.Column("team_name", sa.String(200), nullable=True),
    sa.Column("bot_user_id", sa.String(64), nullable=False),
    sa.Column("bot_id", sa.String(64), nullable=False),
    sa.Column("bot_scopes", sa.Text, nullable=False),
    sa.Column("bot_token", sa.Text, nullable=False),  # Fernet ciphertext (bot.store.token_cipher)
    sa.Column("installer_user_id", sa.String(64), nullable=True),
    sa.Column("installed_at", UTCDateTime(), nullable=False),
)

# the `state` of install flows under way: each is consumed once, before it expires
slack_oauth_states = sa.Table(
    "slack_oauth_states",
    metadata,
    sa.Column("state", sa.String(64), primary_key=True),
    sa.Column("expire_at", UTCDateTime(), nullable=False, index=True),
)

# --- leads' reports ---------------------------------------------------------------------------

lead_reports = sa.Table(
    "lead_reports",
    metadata,
    # "session:<schedule>:<occurrence>", "follow_up:<schedule>:<occurrence>",
    # "digest:<lead key>:<YYYY-MM>": one report per thing reported on, however often the tick runs
    sa.Column("ref", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # session | follow_up | digest
    sa.Column("lead_key", sa.String(200), nullable=False),  # who gets it
    sa.Column("schedule_id", sa.String(32), nullable=True),
    sa.Column("occurrence", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending | done
    sa.Column("due_at", UTCDateTime(), nullable=False),
    # content-free counts captured when the session was paired (who was left out and why)
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("done_at", UTCDateTime(), nullable=True),
    sa.Index("ix_lead_reports_due", "status", "due_at"),
    sa.Index("ix_lead_reports_lead", "lead_key", "kind"),
)
