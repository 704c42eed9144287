"""Settings from the environment or `.env` (pydantic-settings). `.env.example` lists them all."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_QUESTIONS_DIR = Path(__file__).resolve().parent.parent / "questions"


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
    tick_seconds: float = Field(default=30, gt=0, alias="RAPPORT_TICK_SECONDS")
    log_level: str = Field(default="INFO", alias="RAPPORT_LOG_LEVEL")
    # answers are deleted this many days after their round ended; 0 keeps them
    answer_retention_days: float = Field(default=30, ge=0, alias="RAPPORT_ANSWER_RETENTION_DAYS")

    discord_token: str | None = Field(default=None, alias="DISCORD_TOKEN")
    discord_api_url: str | None = Field(default=None, alias="DISCORD_API_URL")
    discord_gateway_url: str | None = Field(default=None, alias="DISCORD_GATEWAY_URL")

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_mode: Literal["socket", "http"] = Field(default="socket", alias="RAPPORT_SLACK_MODE")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    http_port: int = Field(default=8080, alias="RAPPORT_HTTP_PORT")
    # Slack user ids that may pair other people and manage schedules, besides workspace admins
    slack_leads: str | None = Field(default=None, alias="RAPPORT_SLACK_LEADS")
    # where Slack reaches this app in HTTP mode (the manifest's request URLs), e.g. https://x.org
    public_url: str | None = Field(default=None, alias="RAPPORT_PUBLIC_URL")

    def slack_lead_ids(self) -> frozenset[str]:
        return frozenset(u.strip() for u in (self.slack_leads or "").split(",") if u.strip())

    def question_dirs(self) -> list[Path]:
        dirs = [self.questions_dir]
        if self.extra_questions_dir is not None:
            dirs.append(self.extra_questions_dir)
        return dirs
