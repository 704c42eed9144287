"""Who is waiting to answer: the open prompts of one platform's members, with the platform id
of the prompt message each received.

After a reconnect an adapter whose platform replays nothing (Discord, to a new gateway session)
reads each such member's DM after that message, so answers typed while Rapport was down count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.engine.model import DeliveryKind, RoundStatus
from bot.identity import Member
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import members, outbox, round_members, rounds

CHUNK = 500  # round ids per IN (...) list


@dataclass(frozen=True)
class WaitingAnswer:
    member: Member
    round_id: str
    step: int
    prompt_message_id: str  # the last message of the prompt as it was sent to the member
    dm_channel_id: str | None


async def waiting_answers(db: Database, platform: str) -> list[WaitingAnswer]:
    """Members of active rounds on `platform` whose current prompt reached them unanswered."""
    pattern = f"{platform}:%"
    async with db.transaction() as conn:
        round_ids = list(
            await conn.scalars(
                sa.select(rounds.c.id)
                .join(round_members, round_members.c.round_id == rounds.c.id)
                .where(
                    rounds.c.status == RoundStatus.ACTIVE.value,
                    round_members.c.open.is_(True),
                    round_members.c.member_key.like(pattern),
                )
                .distinct()
            )
        )
        states, prompts = [], {}
        for start in range(0, len(round_ids), CHUNK):
            chunk = round_ids[start : start + CHUNK]
            states += await repo.load_states(conn, chunk)
            prompts.update(await _sent_prompts(conn, chunk))
    found = []
    for state in states:
        current = state.current
        if current is None:
            continue
        for key in state.members:
            row = prompts.get((state.id, key, current.number))
            if key in current.answers or row is None or not row.message_id:
                continue
            found.append(
                WaitingAnswer(
                    Member.from_key(key),
                    state.id,
                    current.number,
                    row.message_id,
                    row.dm_channel_id,
                )
            )
    return found


async def _sent_prompts(
    conn: AsyncConnection, round_ids: list[str]
) -> dict[tuple[str, str, int], Row]:
    """The prompt messages delivered in these rounds, by (round, member, step)."""
    sent = await conn.execute(
        sa.select(
            outbox.c.round_id,
            outbox.c.member_key,
            outbox.c.payload,
            outbox.c.message_id,
            members.c.dm_channel_id,
        )
        .select_from(outbox.outerjoin(members, members.c.member_key == outbox.c.member_key))
        .where(
            outbox.c.round_id.in_(round_ids),
            outbox.c.kind == DeliveryKind.PROMPT.value,
            outbox.c.status == "sent",
        )
    )
    return {
        (row.round_id, row.member_key, json.loads(row.payload).get("step")): row for row in sent
    }
