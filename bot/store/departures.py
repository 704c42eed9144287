"""Queries for a workspace that removed Rapport: its open rounds, schedules and unsent messages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.repository import _like_literal
from bot.store.tables import outbox, rounds, schedule_sessions, schedules

OPEN_STATUSES = ("invited", "active")


async def open_round_ids_in(conn: AsyncConnection, workspace: str) -> list[str]:
    """The open rounds of a workspace ("slack:T123")."""
    query = (
        sa.select(rounds.c.id)
        .where(rounds.c.workspace == workspace, rounds.c.status.in_(OPEN_STATUSES))
        .order_by(rounds.c.created_at)
    )
    return list((await conn.execute(query)).scalars())


async def pause_schedules(conn: AsyncConnection, platform: str, workspace_id: str) -> int:
    """Pause the workspace's active schedules; returns how many."""
    paused = await conn.execute(
        schedules.update()
        .where(
            schedules.c.platform == platform,
            schedules.c.workspace_id == workspace_id,
            schedules.c.status == "active",
        )
        .values(status="paused")
    )
    return int(paused.rowcount or 0)


async def cancel_unfinished_sessions(
    conn: AsyncConnection, platform: str, workspace_id: str
) -> None:
    """A session under way there can no longer list the channel or invite anyone."""
    of_workspace = sa.select(schedules.c.id).where(
        schedules.c.platform == platform, schedules.c.workspace_id == workspace_id
    )
    await conn.execute(
        schedule_sessions.update()
        .where(
            schedule_sessions.c.schedule_id.in_(of_workspace),
            schedule_sessions.c.status.in_(("claimed", "running")),
        )
        .values(status="cancelled")
    )


async def cancel_unsent(conn: AsyncConnection, workspace: str) -> int:
    """Cancel the messages still waiting to go to the workspace's members and channels."""
    prefix = _like_literal(workspace)
    cancelled = await conn.execute(
        outbox.update()
        .where(outbox.c.status == "pending", outbox.c.member_key.like(f"{prefix}:%", "\\"))
        .values(status="cancelled", error="workspace_left")
    )
    return int(cancelled.rowcount or 0)
