"""Which language a member reads: their own choice (`/rapport language de`), else the language
their platform reports (Discord: the interaction's locale; Slack: `users.info`), else their
workspace's default language, else English.

`language_of` is on the hot path (every delivery is rendered for its reader), so a member's
stored languages are cached like the workspace settings: a member's first message in a process
waits for one read; after `cache_seconds` the cached value still answers at once while it is read
again in the background, so no message waits for the database; a change made in this process
shows at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.clock import Clock
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, SOURCE_LANGUAGE, normalise
from bot.identity import Member
from bot.service.rounds import Outcome
from bot.service.workspaces import WorkspaceSettingsService
from bot.store import repository as repo
from bot.store.database import Database
from bot.store.tables import members

CACHE_SECONDS = 60.0
# `/rapport language auto` drops the member's choice: the platform's language applies again
AUTOMATIC = ("auto", "default", "reset")
LocaleLookup = Callable[[Member], Awaitable[str | None]]


@dataclass(frozen=True)
class LanguageView:
    """What a member reads, and where it comes from (for `/rapport status` and App Home)."""

    language: str
    chosen: str | None = None
    platform: str | None = None

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES[self.language]


class MemberLanguages:
    """The one resolver of a member's language; adapters may add a platform locale lookup."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        workspaces: WorkspaceSettingsService,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.workspaces = workspaces
        # per platform: ask the platform for a member's locale (Slack's users.info), once
        self.lookups: dict[str, LocaleLookup] = {}
        self._ttl = timedelta(seconds=cache_seconds)
        self._cache: dict[str, tuple[datetime, str | None, str | None]] = {}
        self._looked_up: set[str] = set()
        self._reading: dict[str, asyncio.Future[tuple[str | None, str | None]]] = {}

    async def language_of(self, member: Member, *, ask_platform: bool = True) -> str:
        """The member's language. A delivery passes `ask_platform=False`: a fan-out must not cost
        a rate-limited platform call per recipient, so a member the platform never told us about
        (no interaction, not invited by /rapport start) reads the workspace's default."""
        return (await self.view(member, ask_platform=ask_platform)).language

    async def view(self, member: Member, *, ask_platform: bool = True) -> LanguageView:
        chosen, platform = await self._stored(member)
        if chosen is None and platform is None and ask_platform:
            platform = await self._look_up(member)
        workspace = normalise((await self.workspaces.settings_of(member.workspace)).language)
        return LanguageView(chosen or platform or workspace or SOURCE_LANGUAGE, chosen, platform)

    async def choose(self, member: Member, code: str) -> Outcome:
        """The member's own choice; `auto` goes back to the platform's language."""
        wanted = code.strip()
        if wanted.lower() in AUTOMATIC:
            await self._store(member, language=None)
            view = await self.view(member)
            return Outcome(
                True, N_("Done: I'll follow your platform's language ({name}).", name=view.name)
            )
        language = normalise(wanted) if wanted else None
        if language is None:
            return Outcome(
                False,
                N_(
                    "I don't speak '{code}' yet. Choose one of {languages}, or auto.",
                    code=wanted,
                    languages=", ".join(LANGUAGES),
                ),
                code="bad_language",
            )
        await self._store(member, language=language)
        return Outcome(
            True, N_("Done: Rapport speaks {name} with you now.", name=LANGUAGE_NAMES[language])
        )

    async def observe(self, member: Member, locale: str | None) -> None:
        """The locale the platform reported with an interaction; stored only when it changed."""
        language = normalise(locale)
        if language is None:
            return
        _chosen, platform = await self._stored(member)
        if platform != language:
            await self._store(member, platform_language=language)

    # --- storage ----------------------------------------------------------------------------

    async def _stored(self, member: Member) -> tuple[str | None, str | None]:
        cached = self._cache.get(member.key)
        if cached is not None:
            if cached[0] <= self.clock.now() and member.key not in self._reading:
                self._refresh(member)  # stale: answer with it now, read it again meanwhile
            return cached[1], cached[2]
        # one read per member however many of their messages arrive while it runs
        if member.key not in self._reading:
            self._refresh(member)
        return await asyncio.shield(self._reading[member.key])

    def _refresh(self, member: Member) -> None:
        reading = asyncio.ensure_future(self._read(member))
        self._reading[member.key] = reading
        reading.add_done_callback(lambda _done: self._reading.pop(member.key, None))

    async def _read(self, member: Member) -> tuple[str | None, str | None]:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(members.c.language, members.c.platform_language).where(
                        members.c.member_key == member.key
                    )
                )
            ).first()
        chosen, platform = (row.language, row.platform_language) if row else (None, None)
        self._cache[member.key] = (self.clock.now() + self._ttl, chosen, platform)
        return chosen, platform

    async def _store(self, member: Member, **values: str | None) -> None:
        async with self.db.transaction() as conn:
            await repo.upsert_member(conn, member, self.clock.now(), **values)
        self._cache.pop(member.key, None)

    async def _look_up(self, member: Member) -> str | None:
        """Ask the platform once per process for a member whose language nobody stored yet."""
        lookup = self.lookups.get(member.platform)
        if lookup is None or member.key in self._looked_up or member.is_channel:
            return None
        self._looked_up.add(member.key)
        language = normalise(await lookup(member))
        if language is not None:
            await self._store(member, platform_language=language)
        return language
