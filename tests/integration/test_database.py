"""The store's transactions: a read never queues behind the one SQLite writer."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.store.database import Database, WriterTurns
from bot.store.tables import members


async def test_a_read_runs_while_a_write_transaction_is_open(db: Database) -> None:
    async with db.transaction() as writer:  # on SQLite: holds the writer (BEGIN IMMEDIATE)
        await writer.execute(sa.select(members.c.member_key).limit(1))
        async with asyncio.timeout(2), db.read() as reader:  # would wait forever behind it
            count = await reader.scalar(sa.select(sa.func.count()).select_from(members))
    assert count == 0


async def test_writers_take_turns_so_an_ack_waits_for_at_most_one_background_write() -> None:
    turns = WriterTurns()
    order: list[str] = []
    running = asyncio.Event()
    release = asyncio.Event()

    async def write(name: str, urgent: bool) -> None:
        async with turns.turn(urgent):
            order.append(name)
            if name == "first":
                running.set()
                await release.wait()

    first = asyncio.create_task(write("first", False))
    await running.wait()
    queued = [asyncio.create_task(write(f"background {n}", False)) for n in range(3)]
    queued += [asyncio.create_task(write(f"commit {n}", True)) for n in range(2)]
    await asyncio.sleep(0)  # every writer is queued behind the first
    release.set()
    await asyncio.gather(first, *queued)
    assert order == [
        "first",
        "commit 0",  # the background writer went last: a commit goes next
        "background 0",
        "commit 1",
        "background 1",
        "background 2",  # no commit waiting: background work goes on in its order
    ]


async def test_a_writer_that_gives_up_waiting_passes_its_turn_on() -> None:
    turns = WriterTurns()
    async with turns.turn(False):
        waiting = asyncio.create_task(turns.turn(True).__aenter__())
        await asyncio.sleep(0)
        waiting.cancel()
    async with asyncio.timeout(2), turns.turn(False):  # nobody holds it
        pass
