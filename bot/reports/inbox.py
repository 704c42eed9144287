"""`/rapport inbox`: a private way in for members Rapport couldn't DM (Discord 50007).

What a member is owed is read back from the store: their pending invitation and current prompt
(from the round's state, shown as the outbox queued them), and every reveal whose delivery was
refused. Only the member themself sees it (an ephemeral reply), so answers still reach only
the round's members. A reveal shown here counts as delivered and isn't shown again.

A scheduled session's invitation that Discord refuses for good no longer calls the round off
(`waits_for_inbox`): the member is named in the channel (content-free) and can accept here.
A round someone started by slash command is still called off, and its starter told at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.engine.model import DeliveryKind, RoundState, RoundStatus
from bot.identity import Member
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import outbox, rounds

SHOWN_IN_INBOX = "inbox"  # the message id a reveal shown by /rapport inbox is marked sent with


@dataclass(frozen=True)
class InboxItem:
    kind: DeliveryKind
    data: Mapping[str, Any]
    round_id: str
    outbox_id: int  # the delivery this stands for


class InboxService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def items(self, member: Member) -> list[InboxItem]:
        """The member's pending invitations and prompts, then the reveals they haven't seen."""
        async with self.db.transaction() as conn:
            states = await repo.load_states(conn, await repo.open_round_ids(conn, member.key))
            waiting = [await _waiting(conn, member.key, state) for state in states]
            reveals = await _rows(
                conn, member.key, DeliveryKind.REVEAL, outbox.c.status == "failed"
            )
        found = [item for item in waiting if item is not None]
        return found + [_item(row) for row in reveals]

    async def mark_seen(self, items: Sequence[InboxItem]) -> None:
        """Reveals the member was shown count as delivered."""
        ids = [i.outbox_id for i in items if i.kind is DeliveryKind.REVEAL]
        if not ids:
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(ids), outbox.c.status == "failed")
                .values(status="sent", message_id=SHOWN_IN_INBOX, sent_at=self.clock.now())
            )

    async def waits_for_inbox(self, round_id: str) -> bool:
        """A scheduled session's round waits for a member it couldn't invite by DM."""
        async with self.db.transaction() as conn:
            schedule_id = (
                await conn.execute(sa.select(rounds.c.schedule_id).where(rounds.c.id == round_id))
            ).scalar()
        return schedule_id is not None


async def _waiting(conn: AsyncConnection, member_key: str, state: RoundState) -> InboxItem | None:
    """The invitation the member hasn't answered, or the prompt waiting for their answer."""
    if state.status is RoundStatus.INVITED and member_key not in state.accepted:
        rows = await _rows(conn, member_key, DeliveryKind.INVITATION, outbox.c.round_id == state.id)
        return _item(rows[-1]) if rows else None
    current = state.current
    if state.status is not RoundStatus.ACTIVE or current is None or member_key in current.answers:
        return None
    rows = await _rows(conn, member_key, DeliveryKind.PROMPT, outbox.c.round_id == state.id)
    prompts = [row for row in rows if json.loads(row.payload).get("step") == current.number]
    return _item(prompts[-1]) if prompts else None


async def _rows(
    conn: AsyncConnection, member_key: str, kind: DeliveryKind, *where: sa.ColumnElement[bool]
) -> list[Any]:
    query = (
        sa.select(outbox.c.id, outbox.c.round_id, outbox.c.kind, outbox.c.payload)
        .where(outbox.c.member_key == member_key, outbox.c.kind == kind.value, *where)
        .order_by(outbox.c.id)
    )
    return list(await conn.execute(query))


def _item(row: Any) -> InboxItem:
    return InboxItem(DeliveryKind(row.kind), json.loads(row.payload), str(row.round_id), row.id)
