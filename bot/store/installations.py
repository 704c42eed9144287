"""Queries for the Slack workspaces that installed Rapport and for OAuth states in flight.

Rows hold the bot token as ciphertext; encrypting and decrypting is the caller's (the service
holds the `TokenCipher`), so nothing here ever sees a token in the clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import slack_installations, slack_oauth_states


async def save_installation(conn: AsyncConnection, row: Mapping[str, Any]) -> None:
    """Insert or replace the workspace's installation (a reinstall replaces the token)."""
    table = slack_installations
    await conn.execute(table.delete().where(table.c.team_id == row["team_id"]))
    await conn.execute(table.insert(), [dict(row)])


async def find_installation(conn: AsyncConnection, team_id: str) -> sa.Row[Any] | None:
    table = slack_installations
    return (await conn.execute(sa.select(table).where(table.c.team_id == team_id))).first()


async def delete_installation(conn: AsyncConnection, team_id: str) -> bool:
    """Forget the workspace's tokens; True if there were any."""
    table = slack_installations
    deleted = await conn.execute(table.delete().where(table.c.team_id == team_id))
    return bool(deleted.rowcount)


async def stored_tokens(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(team id, encrypted token) of every installation, for re-encryption under a new key."""
    table = slack_installations
    rows = await conn.execute(sa.select(table.c.team_id, table.c.bot_token))
    return [(row.team_id, row.bot_token) for row in rows]


async def replace_token(conn: AsyncConnection, team_id: str, encrypted: str) -> None:
    table = slack_installations
    await conn.execute(table.update().where(table.c.team_id == team_id).values(bot_token=encrypted))


async def add_state(conn: AsyncConnection, state: str, expire_at: datetime, now: datetime) -> None:
    """Record a new state, dropping the expired ones (abandoned install attempts)."""
    table = slack_oauth_states
    await conn.execute(table.delete().where(table.c.expire_at <= now))
    await conn.execute(table.insert(), [{"state": state, "expire_at": expire_at}])


async def consume_state(conn: AsyncConnection, state: str, now: datetime) -> bool:
    """Delete the state if it is known and unexpired; True only the first time."""
    table = slack_oauth_states
    deleted = await conn.execute(
        table.delete().where(table.c.state == state, table.c.expire_at > now)
    )
    return bool(deleted.rowcount)
