"""Answers per second through the service on SQLite, beside the raw aiosqlite ceiling.

    .venv/bin/python bench/engine.py [--rounds 200] [--answers 2000]

The ceiling is the rate of single-row INSERT transactions on a bare aiosqlite connection with the
same pragmas (WAL, synchronous=NORMAL, BEGIN IMMEDIATE), measured in the same run on the same disk.
The members of all rounds answer concurrently, as they would on a busy workspace; the service's
group commit lets answers that arrive together share one transaction. Target: at least 1/3.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiosqlite

from bot.clock import SystemClock
from bot.engine.model import Accept, SubmitAnswer
from bot.identity import Member
from bot.questions.loader import load_bank
from bot.service.rounds import RoundService
from bot.service.workspaces import WorkspaceSettings
from bot.store.database import Database

BANK = Path(__file__).resolve().parents[1] / "questions" / "workplace.yaml"


async def ceiling(path: Path, count: int) -> float:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
            await conn.execute(f"PRAGMA {pragma}")
        await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        start = time.perf_counter()
        for i in range(count):
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("INSERT INTO t (body) VALUES (?)", (f"row {i}",))
            await conn.execute("COMMIT")
        return count / (time.perf_counter() - start)


async def service_rate(path: Path, rounds: int, answers: int) -> float:
    bank = load_bank(BANK)
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    defaults = WorkspaceSettings(default_bank=bank.name, max_layer=4, prompts_per_layer=50)
    service = RoundService(db, {bank.name: bank}, SystemClock(), defaults)
    pairs = []
    for i in range(rounds):
        a, b = Member("bench", "W", f"a{i}"), Member("bench", "W", f"b{i}")
        started = await service.start_round([a, b], initiator=a)
        assert started.round_id, started.message
        await service.act(started.round_id, Accept(b.key))
        pairs.append((started.round_id, a, b))
    start = time.perf_counter()
    done = 0
    while done < answers:
        # every member of every round answers the current prompt at about the same time
        wave = [(round_id, m) for round_id, a, b in pairs for m in (a, b)][: answers - done]
        outcomes = await asyncio.gather(
            *(
                service.act(round_id, SubmitAnswer(m.key, "a short answer"), f"evt-{done + i}")
                for i, (round_id, m) in enumerate(wave)
            )
        )
        assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok][:3]
        done += len(wave)
    rate = done / (time.perf_counter() - start)
    await db.dispose()
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--answers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = await ceiling(Path(tmp) / "ceiling.db", args.answers)
        service = await service_rate(Path(tmp) / "service.db", args.rounds, args.answers)
    print(f"raw aiosqlite insert transactions/s : {raw:10.0f}")
    print(f"service answers/s (SQLite)          : {service:10.0f}")
    print(f"ratio                               : {service / raw:10.2f}  (target >= 0.33)")


if __name__ == "__main__":
    asyncio.run(main())
