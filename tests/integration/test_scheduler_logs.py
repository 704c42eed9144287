"""Logs an operator can read: at INFO the scheduler's tick is silent; at DEBUG it shows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.service.scheduler import TickScheduler

TICKS = 3


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    saved = root.handlers[:], root.level, scheduler.level
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    scheduler.setLevel(saved[2])


async def _a_few_ticks() -> None:
    ticked = asyncio.Event()
    count = 0

    async def tick() -> None:
        nonlocal count
        count += 1
        if count >= TICKS:
            ticked.set()

    scheduler = TickScheduler(tick, interval_seconds=0.02)
    scheduler.start()
    try:
        await asyncio.wait_for(ticked.wait(), 10)
    finally:
        await scheduler.shutdown()


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
async def test_apscheduler_logs_every_tick_only_at_debug(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    level: str,
    shown: bool,
) -> None:
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("RAPPORT_LOG_LEVEL", level)
    assert main(["slack", "manifest"]) == 0  # the logging set-up every command shares
    capsys.readouterr()
    await _a_few_ticks()
    err = capsys.readouterr().err
    assert ("Running job" in err) is shown
    assert ("executed successfully" in err) is shown
