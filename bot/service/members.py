"""Member preferences and platform handles: opt-out, pause, time zone and the DM channel id."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.clock import Clock
from bot.engine.timing import is_valid_zone
from bot.i18n import N_
from bot.identity import Member
from bot.service.rounds import Outcome
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import members

_DURATION = re.compile(r"^\s*(\d{1,3})\s*(d|day|days|w|wk|week|weeks)\s*$", re.IGNORECASE)
MAX_PAUSE = timedelta(weeks=52)


def parse_pause(text: str) -> timedelta | None:
    """'3d', '2w', '2 weeks' -> a timedelta; None when it isn't a duration we understand."""
    match = _DURATION.match(text)
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2).lower()
    delta = timedelta(weeks=amount) if unit.startswith("w") else timedelta(days=amount)
    return delta if timedelta(0) < delta <= MAX_PAUSE else None


@dataclass(frozen=True)
class MemberProfile:
    opted_out: bool = False
    paused_until: datetime | None = None  # only while the pause lasts
    timezone: str | None = None
    dm_channel_id: str | None = None


class MemberDirectory:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def _set(self, member: Member, **values: object) -> None:
        async with self.db.transaction() as conn:
            await repo.upsert_member(conn, member, self.clock.now(), **values)

    async def set_opted_out(self, member: Member, opted_out: bool) -> Outcome:
        await self._set(member, opted_out=opted_out)
        if opted_out:
            return Outcome(
                True,
                N_(
                    "You've opted out: nobody can start a round with you. `/rapport optin` brings "
                    "you back any time."
                ),
            )
        return Outcome(True, N_("Welcome back! You can be paired again."))

    async def pause_until(self, member: Member, until: datetime | None) -> Outcome:
        await self._set(member, paused_until=until)
        if until is None:
            return Outcome(True, N_("Your pause is over; you can be paired again."))
        return Outcome(True, N_("Paused until {until}. Enjoy the break!", until=until))

    async def set_timezone(self, member: Member, zone_name: str) -> Outcome:
        if not is_valid_zone(zone_name):
            return Outcome(
                False,
                N_(
                    "'{zone_name}' isn't a time zone I know. Try a name like Europe/Berlin or "
                    "America/New_York.",
                    zone_name=zone_name,
                ),
                code="bad_timezone",
            )
        await self._set(member, timezone=zone_name)
        return Outcome(True, N_("Got it: your time zone is {zone_name}.", zone_name=zone_name))

    async def remember_dm_channel(self, member: Member, channel_id: str) -> None:
        await self._set(member, dm_channel_id=channel_id)

    async def remember_dm_channels(self, channels: Iterable[tuple[Member, str]]) -> None:
        """Several members' DM channel ids in one transaction (a fan-out opens many)."""
        now = self.clock.now()
        rows = {
            member.key: {
                "member_key": member.key,
                "platform": member.platform,
                "workspace_id": member.workspace_id,
                "user_id": member.user_id,
                "dm_channel_id": channel_id,
                "opted_out": False,
                "updated_at": now,
            }
            for member, channel_id in channels
        }
        if not rows:
            return
        async with self.db.transaction() as conn:
            insert = repo.dialect_insert(conn)(members)
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[members.c.member_key],
                    set_={
                        "dm_channel_id": insert.excluded.dm_channel_id,
                        "updated_at": insert.excluded.updated_at,
                    },
                ),
                list(rows.values()),
            )

    async def profile(self, member: Member) -> MemberProfile:
        """The member's settings (defaults when they never changed any)."""
        async with self.db.transaction() as conn:
            row = (await repo.member_rows(conn, [member.key])).get(member.key)
        if row is None:
            return MemberProfile()
        paused = row.paused_until
        if paused is not None and paused <= self.clock.now():
            paused = None
        return MemberProfile(bool(row.opted_out), paused, row.timezone, row.dm_channel_id)

    async def dm_channel(self, member: Member) -> str | None:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(members.c.dm_channel_id).where(members.c.member_key == member.key)
                )
            ).first()
        return row.dm_channel_id if row else None
