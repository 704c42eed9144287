"""Which Discord server a round belongs to, for clicks and forms in a DM (they carry no guild):
read from the round's row, many rounds in one statement, and remembered."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from bot.adapters.discord.servers import RoundServers
from bot.identity import Member
from bot.service.rounds import RoundService
from bot.store.database import Database


async def test_rounds_asked_about_together_are_read_in_one_statement(
    db: Database, service: RoundService
) -> None:
    round_ids = []
    for n in range(30):
        pair = [Member("discord", "4242", f"{n}1"), Member("discord", "4242", f"{n}2")]
        started = await service.start_round(pair, initiator=pair[0])
        assert started.ok and started.round_id
        round_ids.append(started.round_id)
    servers = RoundServers(service)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        found = await asyncio.gather(*(servers.member(r, 99) for r in [*round_ids, "nope"]))
        again = await servers.member(round_ids[0], 7)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert found[:-1] == [Member("discord", "4242", "99")] * 30
    assert found[-1] is None  # an unknown (or forged) round id
    assert again == Member("discord", "4242", "7")
    assert len([s for s in seen if "FROM rounds" in s]) == 1, seen
