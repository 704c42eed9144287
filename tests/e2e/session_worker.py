"""A real process that runs a due 200-member session; the kill test starts it and SIGKILLs it.

Usage: python -m tests.e2e.session_worker DB_PATH
Prints one line per round it starts, so the test knows when it is half-way.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.bootstrap import build
from bot.config import Settings
from bot.identity import Member
from bot.questions.loader import load_bank
from bot.service import schedules as schedules_module
from bot.service.ports import ChannelMember
from bot.store.tables import schedules
from tests.fakes.directory import FakeDirectory

MEMBERS = 200
# the kill must land between chunks: 100 groups in chunks of 32 (START_CHUNK is 128 now)
schedules_module.START_CHUNK = 32
BANK = Path(__file__).parents[1] / "fixtures" / "banks" / "tiny.yaml"


class _PrintStarts(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if "now invited" in record.getMessage():
            print("started", flush=True)


async def main(db_path: str) -> None:
    settings = Settings(
        RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{db_path}", RAPPORT_DEFAULT_BANK="tiny"
    )
    directory = FakeDirectory()
    directory.put("T1", "C1", [ChannelMember(f"u{i:03d}") for i in range(MEMBERS)])
    bank = load_bank(BANK)
    app = build(settings, senders={}, directories={"test": directory}, banks={"tiny": bank})
    await app.db.upgrade()
    async with app.db.transaction() as conn:
        has_schedule = await conn.execute(sa.select(sa.func.count()).select_from(schedules))
        first_run = has_schedule.scalar() == 0
    if first_run:
        lead = Member("test", "T1", "u000")
        outcome = await app.schedules.add(
            lead, True, "C1", "every:1 day:mon time:10:00 tz:UTC pace:live"
        )
        async with app.db.transaction() as conn:  # make it due a minute ago
            await conn.execute(
                schedules.update().values(
                    next_run_at=app.service.clock.now() - timedelta(minutes=1)
                )
            )
        assert outcome.ok
    await app.schedules.run_due()
    print("done", flush=True)
    await app.db.dispose()


if __name__ == "__main__":
    handler = _PrintStarts()
    logging.getLogger("bot.service.rounds").addHandler(handler)
    logging.getLogger("bot.service.rounds").setLevel(logging.INFO)
    asyncio.run(main(sys.argv[1]))
