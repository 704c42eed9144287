"""The store's transactions: a read never queues behind the one SQLite writer."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.store.database import Database
from bot.store.tables import members


async def test_a_read_runs_while_a_write_transaction_is_open(db: Database) -> None:
    async with db.transaction() as writer:  # on SQLite: holds the writer (BEGIN IMMEDIATE)
        await writer.execute(sa.select(members.c.member_key).limit(1))
        async with asyncio.timeout(2), db.read() as reader:  # would wait forever behind it
            count = await reader.scalar(sa.select(sa.func.count()).select_from(members))
    assert count == 0
