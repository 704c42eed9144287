"""Operator mistakes: one sentence naming the setting and the fix, a non-zero exit, no traceback.

The platform cases run `rapport run`'s runner against the fakes (a rejected Slack bot token,
a rejected app-level token, a rejected Discord token, refused privileged intents); one runs the
real `rapport run` process to show what an operator sees. The settings and database cases run
the CLI in this process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import aiohttp
import discord
import pytest

from bot.cli import main
from bot.config import Settings
from bot.ops.startup_errors import EXIT_OPERATOR_ERROR, OperatorError
from bot.runner import run
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.rapport import rapport_settings
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import harness_settings

ROOT = Path(__file__).parents[2]
QUICK_EXIT_SECONDS = 15.0
POSTGRES_URL = os.environ.get("RAPPORT_TEST_POSTGRES_URL")  # read before `clean_env` clears it


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """No `.env` and no platform tokens from the caller's environment; `set(NAME=value)`."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith(("RAPPORT_", "SLACK_", "DISCORD_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    yield set_env


def one_sentence(capsys: pytest.CaptureFixture[str], setting: str) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    assert setting in lines[0]
    return lines[0]


# ---------------------------------------------------------------- settings and database


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RAPPORT_MAX_LAYER", "7"),
        ("RAPPORT_SLACK_MODE", "carrier-pigeon"),
        ("RAPPORT_DATABASE_URL", "mysql://rapport@db/rapport"),
        ("RAPPORT_DATABASE_URL", "not a url"),
        ("RAPPORT_PUBLIC_URL", "http://rapport.example.org"),
        ("RAPPORT_DISCORD_SHARDS", "many"),
    ],
)
def test_an_invalid_setting_is_named_in_one_sentence(
    clean_env: Callable[..., None], capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    clean_env(**{name: value})
    assert main(["db", "status"]) == EXIT_OPERATOR_ERROR
    line = one_sentence(capsys, name)
    assert "Invalid setting" in line and ".env" in line


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_plain_postgres_urls_mean_asyncpg(scheme: str) -> None:
    url = f"{scheme}://rapport:secret@db.example.org:5432/rapport"
    settings = Settings(_env_file=None, RAPPORT_DATABASE_URL=url)  # type: ignore[call-arg]
    assert (
        settings.database_url == "postgresql+asyncpg://rapport:secret@db.example.org:5432/rapport"
    )


def test_an_unreachable_database_server_is_one_sentence(
    clean_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(RAPPORT_DATABASE_URL="postgresql://rapport:hunter22@127.0.0.1:1/rapport")
    started = time.monotonic()
    assert main(["db", "upgrade"]) == EXIT_OPERATOR_ERROR
    assert time.monotonic() - started < QUICK_EXIT_SECONDS
    line = one_sentence(capsys, "RAPPORT_DATABASE_URL")
    assert "Cannot reach the database" in line and "hunter22" not in line


@pytest.mark.postgres
def test_a_missing_postgres_database_is_one_sentence(
    clean_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    if not POSTGRES_URL:
        pytest.skip("RAPPORT_TEST_POSTGRES_URL is not set")
    clean_env(RAPPORT_DATABASE_URL=POSTGRES_URL.rsplit("/", 1)[0] + "/rapport_no_such_database")
    assert main(["db", "status"]) == EXIT_OPERATOR_ERROR
    assert "rapport_no_such_database" in one_sentence(capsys, "RAPPORT_DATABASE_URL")


def test_an_sqlite_file_in_an_unwritable_place_is_one_sentence(
    clean_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(RAPPORT_DATABASE_URL="sqlite+aiosqlite:////proc/rapport/rapport.db")
    assert main(["db", "upgrade"]) == EXIT_OPERATOR_ERROR
    assert "SQLite" in one_sentence(capsys, "RAPPORT_DATABASE_URL")


def test_run_without_any_platform_says_which_tokens_to_set(
    clean_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == EXIT_OPERATOR_ERROR
    line = one_sentence(capsys, "DISCORD_TOKEN")
    assert "SLACK_BOT_TOKEN" in line


def test_the_http_mode_manifest_needs_a_public_url(
    clean_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(RAPPORT_SLACK_MODE="http")
    assert main(["slack", "manifest"]) == EXIT_OPERATOR_ERROR
    assert "rapport.example.com" not in one_sentence(capsys, "RAPPORT_PUBLIC_URL")


# ---------------------------------------------------------------- platforms rejecting tokens


async def rejected(settings: Settings) -> OperatorError:
    started = time.monotonic()
    with pytest.raises(OperatorError) as caught:
        await asyncio.wait_for(run(settings, stop=asyncio.Event()), QUICK_EXIT_SECONDS)
    assert time.monotonic() - started < QUICK_EXIT_SECONDS
    return caught.value


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_slack_rejecting_the_bot_token_is_fatal(tmp_path: Path, mode: str) -> None:
    async with FakeSlack() as fake:
        settings = harness_settings(fake, mode, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked")  # type: ignore[arg-type]
        err = await rejected(settings)
    assert err.setting == "SLACK_BOT_TOKEN"
    assert "invalid_auth" in str(err) and "xoxb-revoked" not in str(err)


async def test_slack_rejecting_the_app_token_is_fatal_not_retried(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        settings = harness_settings(fake, "socket", tmp_path, SLACK_APP_TOKEN="xapp-1-revoked")
        err = await rejected(settings)
        assert len(fake.calls_to("apps.connections.open")) == 1
        assert fake.connections == 0
    assert err.setting == "SLACK_APP_TOKEN" and "connections:write" in str(err)


async def test_socket_mode_opens_one_connection_with_a_good_app_token(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        settings = harness_settings(fake, "socket", tmp_path)
        stop = asyncio.Event()
        running = asyncio.create_task(run(settings, stop=stop))
        await fake.wait_connected()
        stop.set()
        assert await running == 0
        assert len(fake.calls_to("apps.connections.open")) == 1


async def test_healthz_answers_while_slack_is_still_connecting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        held = fake.hold("apps.connections.open")
        stop = asyncio.Event()
        running = asyncio.create_task(run(harness_settings(fake, "socket", tmp_path), stop=stop))
        await fake.wait_for(lambda: held.waiting)
        # the privacy filter formats records in place, so read the message, not its args
        [port] = [
            int(r.getMessage().rsplit(" port ", 1)[1])
            for r in caplog.records
            if r.getMessage().startswith("ops: /healthz")
        ]
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 503
            assert "slack not connected" in (await response.json())["errors"]
        held.release()
        await fake.wait_connected()
        stop.set()
        assert await running == 0
    started = [r.getMessage() for r in caplog.records if "running: slack" in r.getMessage()]
    assert started == [f"rapport {version('rapport')} running: slack"]


async def test_discord_rejecting_the_token_is_fatal(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        settings = rapport_settings(fake, tmp_path / "r.db", DISCORD_TOKEN="not-the-token")
        err = await rejected(settings)
    assert err.setting == "DISCORD_TOKEN" and "Reset Token" in str(err)


async def test_discord_refusing_the_members_intent_says_where_to_switch_it_on(
    tmp_path: Path,
) -> None:
    allowed = discord.Intents(guilds=True, dm_messages=True).value
    async with FakeDiscord(allowed_intents=allowed) as fake:
        err = await rejected(rapport_settings(fake, tmp_path / "r.db"))
    assert "Server Members Intent" in str(err) and "Developer Portal" in str(err)


@pytest.mark.slow
async def test_rapport_run_with_a_rejected_token_exits_with_one_line(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "RAPPORT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'r.db'}",
            "RAPPORT_HTTP_PORT": "0",
            "SLACK_API_URL": fake.api_url,
            "SLACK_BOT_TOKEN": "xoxb-revoked",
            "SLACK_APP_TOKEN": fake.app_token,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == EXIT_OPERATOR_ERROR
    output = (out + err).decode()
    assert "Traceback" not in output
    [sentence] = [line for line in output.splitlines() if line.startswith("rapport: ")]
    assert "SLACK_BOT_TOKEN" in sentence and "invalid_auth" in sentence
