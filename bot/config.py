"""Settings from the environment or `.env` (pydantic-settings). `.env.example` lists them all."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_questions_dir() -> Path:
    """The banks Rapport ships: the copy an installed wheel carries as package data
    (`bot/questions/shipped`, mapped from `questions/` in pyproject.toml), else `questions/`
    beside `bot/` in the source tree (a checkout or an editable install)."""
    packaged = PACKAGE_DIR / "questions" / "shipped"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "questions"


DEFAULT_QUESTIONS_DIR = shipped_questions_dir()
# the async drivers Rapport runs on, and the schemes operators paste that mean one of them
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
DRIVER_ALIASES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/rapport.db", alias="RAPPORT_DATABASE_URL"
    )
    questions_dir: Path = Field(default=DEFAULT_QUESTIONS_DIR, alias="RAPPORT_QUESTIONS_DIR")
    extra_questions_dir: Path | None = Field(default=None, alias="RAPPORT_EXTRA_QUESTIONS_DIR")
    default_bank: str = Field(default="workplace", alias="RAPPORT_DEFAULT_BANK")
    max_layer: int = Field(default=3, ge=1, le=4, alias="RAPPORT_MAX_LAYER")
    prompts_per_layer: int = Field(default=2, ge=1, le=10, alias="RAPPORT_PROMPTS_PER_LAYER")
    reminder_hours: float = Field(default=24, gt=0, alias="RAPPORT_REMINDER_HOURS")
    max_reminders: int = Field(default=2, ge=0, alias="RAPPORT_MAX_REMINDERS")
    expire_days: float = Field(default=7, gt=0, alias="RAPPORT_EXPIRE_DAYS")
    # follow-up questions after a reveal, for workspaces whose leads didn't choose. Off by
    # default: the offer holds the next prompt until everyone asked or someone skipped, so a
    # live round is no longer "next prompt right after a reveal"; leads opt in per workspace
    follow_ups: bool = Field(default=False, alias="RAPPORT_FOLLOW_UPS")
    # the balance check-in before going deeper after a very uneven layer
    balance_guard: bool = Field(default=True, alias="RAPPORT_BALANCE_GUARD")
    tick_seconds: float = Field(default=30, gt=0, alias="RAPPORT_TICK_SECONDS")
    # how long a process holds the outbox rows it claimed; if it dies, another process sends
    # them after this (a sender that can, like Slack's, first checks they didn't already go)
    outbox_lease_seconds: float = Field(default=120, gt=0, alias="RAPPORT_OUTBOX_LEASE_SECONDS")
    log_level: str = Field(default="INFO", alias="RAPPORT_LOG_LEVEL")
    # answers are deleted this many days after their round ended; 0 keeps them
    answer_retention_days: float = Field(default=30, ge=0, alias="RAPPORT_ANSWER_RETENTION_DAYS")
    # a session's lead gets how its rounds went this many days after it ran
    report_follow_up_days: float = Field(default=7, gt=0, alias="RAPPORT_REPORT_FOLLOW_UP_DAYS")

    discord_token: str | None = Field(default=None, alias="DISCORD_TOKEN")
    discord_api_url: str | None = Field(default=None, alias="DISCORD_API_URL")
    discord_gateway_url: str | None = Field(default=None, alias="DISCORD_GATEWAY_URL")
    # the application id, for `rapport discord invite-url` without a token
    discord_client_id: str | None = Field(default=None, alias="DISCORD_CLIENT_ID")
    # unset: one plain connection; "auto": as many shards as Discord recommends; or a number
    discord_shards: str | None = Field(default=None, alias="RAPPORT_DISCORD_SHARDS")
    # the shard ids this process runs ("0,1"), when several processes share the shards
    discord_shard_ids: str | None = Field(default=None, alias="RAPPORT_DISCORD_SHARD_IDS")
    # a role (id or exact name) whose members are leads, besides those with Manage Server
    discord_lead_role: str | None = Field(default=None, alias="RAPPORT_DISCORD_LEAD_ROLE")
    # where /rapport is registered at start-up: each guild (instant), global (for 2,500+
    # guilds; Discord may take a while to show changes) or none (keep what is registered)
    discord_command_sync: Literal["guild", "global", "none"] = Field(
        default="guild", alias="RAPPORT_DISCORD_COMMAND_SYNC"
    )
    # seconds discord.py waits for more GUILD_CREATEs after READY before it calls itself ready
    discord_guild_ready_timeout: float = Field(
        default=2.0, ge=0, alias="RAPPORT_DISCORD_GUILD_READY_TIMEOUT"
    )
    # the privileged Message Content intent; DMs to the bot carry their text without it
    discord_message_content: bool = Field(default=False, alias="RAPPORT_DISCORD_MESSAGE_CONTENT")
    # how long `/rapport start` waits to confirm the invitation reached the partner's DMs
    discord_invite_wait: float = Field(default=10.0, ge=0, alias="RAPPORT_DISCORD_INVITE_WAIT")

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_mode: Literal["socket", "http"] = Field(default="socket", alias="RAPPORT_SLACK_MODE")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    # "Add to Slack" (OAuth v2) for many workspaces, instead of one SLACK_BOT_TOKEN
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    # Fernet key(s) the installed workspaces' bot tokens are encrypted with; a comma-separated
    # list rotates keys: the first encrypts, every one decrypts
    token_key: str | None = Field(default=None, alias="RAPPORT_TOKEN_KEY")
    http_port: int = Field(default=8080, alias="RAPPORT_HTTP_PORT")
    # the interface /healthz, /metrics and /slack/events listen on: this machine only unless
    # told otherwise (the Docker image sets 0.0.0.0; compose publishes on 127.0.0.1)
    http_host: str = Field(default="127.0.0.1", alias="RAPPORT_HTTP_HOST")
    # Slack user ids that may pair other people and manage schedules, besides workspace admins
    slack_leads: str | None = Field(default=None, alias="RAPPORT_SLACK_LEADS")
    # where Slack reaches this app in HTTP mode (the manifest's request URLs), e.g. https://x.org
    public_url: str | None = Field(default=None, alias="RAPPORT_PUBLIC_URL")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """`postgres://…` and `postgresql://…` (as hosting providers print them) mean asyncpg."""
        scheme, sep, rest = url.partition("://")
        if sep and scheme in DRIVER_ALIASES:
            url = f"{DRIVER_ALIASES[scheme]}://{rest}"
        try:
            driver = make_url(url).drivername
        except ArgumentError:
            raise ValueError(
                "is not a database URL; use sqlite+aiosqlite:///path/to/rapport.db or "
                "postgresql+asyncpg://user:password@host:5432/database"
            ) from None
        if driver not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"uses the driver {driver!r}; Rapport runs on {' or '.join(SUPPORTED_DRIVERS)}"
            )
        return url

    @field_validator("public_url")
    @classmethod
    def _https_only(cls, url: str | None) -> str | None:
        """Slack posts only to https request URLs."""
        if url is not None and not url.startswith("https://"):
            raise ValueError("must start with https:// (Slack sends requests only over TLS)")
        return url.rstrip("/") if url else url

    @model_validator(mode="after")
    def _shards_make_sense(self) -> Settings:
        self.discord_shard_plan()
        return self

    @property
    def slack_oauth(self) -> bool:
        """Many workspaces install Rapport with "Add to Slack" (SLACK_CLIENT_ID is set)."""
        return bool(self.slack_client_id)

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token) or self.slack_oauth

    def slack_lead_ids(self) -> frozenset[str]:
        return frozenset(u.strip() for u in (self.slack_leads or "").split(",") if u.strip())

    def discord_shard_plan(self) -> tuple[bool, int | None, list[int] | None]:
        """(sharded, shard count or None for Discord's recommendation, this process's ids)."""
        raw = (self.discord_shards or "").strip().lower()
        ids = [int(i) for i in (self.discord_shard_ids or "").replace(" ", "").split(",") if i]
        if ids and raw in ("", "auto"):
            raise ValueError("RAPPORT_DISCORD_SHARD_IDS needs a count in RAPPORT_DISCORD_SHARDS")
        if not raw:
            return False, None, None
        if raw == "auto":
            return True, None, None
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"RAPPORT_DISCORD_SHARDS must be 'auto' or a number, not {raw!r}")
        count = int(raw)
        if any(not 0 <= i < count for i in ids):
            raise ValueError(f"RAPPORT_DISCORD_SHARD_IDS must be between 0 and {count - 1}")
        return True, count, ids or None

    def question_dirs(self) -> list[Path]:
        dirs = [self.questions_dir]
        if self.extra_questions_dir is not None:
            dirs.append(self.extra_questions_dir)
        return dirs
