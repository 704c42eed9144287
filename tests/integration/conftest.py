"""Store-backed fixtures: every test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FakeClock
from bot.config import Settings
from bot.questions.loader import load_bank
from bot.service.rounds import RoundService
from bot.service.workspaces import WorkspaceSettings
from bot.store.database import Database

FIXTURE_BANK = Path(__file__).parents[1] / "fixtures" / "banks" / "tiny.yaml"
POSTGRES_URL = os.environ.get("RAPPORT_TEST_POSTGRES_URL")


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not POSTGRES_URL, reason="RAPPORT_TEST_POSTGRES_URL not set"),
            ],
        ),
    ]
)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        assert POSTGRES_URL is not None
        await _reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'rapport.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(RAPPORT_DATABASE_URL=database_url, RAPPORT_DEFAULT_BANK="tiny")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tiny_banks() -> dict:
    bank = load_bank(FIXTURE_BANK)
    return {bank.name: bank}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
def service(db: Database, tiny_banks: dict, clock: FakeClock) -> RoundService:
    # rounds here test other rules; follow-ups have tests of their own (test_reciprocity)
    defaults = WorkspaceSettings(default_bank="tiny", follow_ups=False)
    return RoundService(db, tiny_banks, clock, defaults)
