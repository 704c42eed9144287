"""Installed workspaces' tokens and OAuth states on both databases; a workspace leaving.

Tokens are stored encrypted and found (cached) in the clear; a state is consumed once and not
after it expired; ending a workspace's rounds queues nothing and leaves other workspaces alone.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.engine.model import RoundStatus
from bot.identity import Member
from bot.service.departures import Departures
from bot.service.installations import InstallationService, Installed
from bot.service.rounds import RoundService
from bot.store.database import Database
from bot.store.tables import outbox, rounds, slack_installations
from bot.store.token_cipher import TokenCipher

TOKEN = "xoxb-1-2-secret"


async def test_tokens_are_encrypted_found_and_forgotten(db: Database, clock: FakeClock) -> None:
    installations = InstallationService(db, TokenCipher(TokenCipher.new_key()), clock)
    await installations.save(Installed("T1", "U0BOT", "B0BOT", TOKEN, ("chat:write",)))
    async with db.transaction() as conn:
        stored = await conn.scalar(sa.select(slack_installations.c.bot_token))
    assert stored and TOKEN not in stored
    found = await installations.find("T1")
    assert found is not None and found.bot_token == TOKEN and TOKEN not in repr(found)
    assert await installations.delete("T1") and await installations.find("T1") is None


async def test_a_state_is_consumed_once_and_expires(db: Database, clock: FakeClock) -> None:
    installations = InstallationService(db, TokenCipher(TokenCipher.new_key()), clock)
    state = await installations.issue_state(timedelta(minutes=10))
    assert await installations.consume_state(state)
    assert not await installations.consume_state(state)
    late = await installations.issue_state(timedelta(minutes=10))
    clock.advance(timedelta(minutes=11))
    assert not await installations.consume_state(late)
    assert not await installations.consume_state("made-up")


async def test_a_workspace_leaving_ends_only_its_rounds(
    db: Database, service: RoundService
) -> None:
    left, stays = ("T1", "T2")
    for team in (left, stays):
        people = [Member("slack", team, u) for u in ("A", "B")]
        assert (await service.start_round(people, initiator=people[0])).ok

    async def nothing() -> None:
        return None

    departure = await Departures(service, nothing).workspace_left("slack", left)
    assert (departure.rounds_ended, departure.messages_cancelled) == (1, 1)  # the invitation
    for team, status in ((left, RoundStatus.LEFT), (stays, RoundStatus.INVITED)):
        assert await _states(service, team) == [status]
    async with db.transaction() as conn:
        pending = await conn.scalars(
            sa.select(outbox.c.member_key).where(outbox.c.status == "pending")
        )
        assert [k.split(":")[1] for k in pending] == [stays]


async def _states(service: RoundService, team: str) -> list[RoundStatus]:
    async with service.db.transaction() as conn:
        rows = await conn.scalars(
            sa.select(rounds.c.status).where(rounds.c.workspace == f"slack:{team}")
        )
        return [RoundStatus(s) for s in rows]
