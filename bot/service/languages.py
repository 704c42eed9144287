"""Which language a member reads: their own choice (`/rapport language de`), else the language
their platform reports (Discord: the interaction's locale; Slack: `users.info`), else their
workspace's default language, else English.

`language_of` is on the hot path (every ack and every delivery is rendered for its reader), so
nothing here costs a query per message:

- a member's stored languages are cached like the workspace settings; after `cache_seconds` the
  cached value still answers at once while it is read again in the background;
- the members not cached yet are read together: whoever asks while a read runs joins the next
  one, a single statement for up to `READ_BATCH` members (a burst of 2,000 new readers is a
  handful of queries, not 2,000 connections' worth);
- a language a platform reports (an interaction's locale, Slack's `users.info`) is known at once
  in this process and written behind, many members in one transaction;
- a platform lookup keeps an interaction waiting for at most the lookup budget.

A change made in this process shows at once; another process sees it within `cache_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, SOURCE_LANGUAGE, normalise
from bot.identity import Member
from bot.service.batched_reads import BatchedReads
from bot.service.rounds import Outcome
from bot.service.workspaces import WorkspaceSettingsService
from bot.store import repository as repo
from bot.store.database import Database

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0
READ_BATCH = 500  # members read in one statement
LOOKUP_BUDGET_SECONDS = 0.8  # how long an interaction waits for the platform's locale
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
        lookup_budget_seconds: float = LOOKUP_BUDGET_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.workspaces = workspaces
        # per platform: ask the platform for a member's locale (Slack's users.info), once
        self.lookups: dict[str, LocaleLookup] = {}
        self._ttl = timedelta(seconds=cache_seconds)
        self.lookup_budget = lookup_budget_seconds
        self._cache: dict[str, tuple[datetime, str | None, str | None]] = {}
        self._looked_up: set[str] = set()
        self._reads: BatchedReads[str, tuple[str | None, str | None]] = BatchedReads(
            self._read_many, self._kept, READ_BATCH
        )
        self._unsaved: dict[str, tuple[Member, str]] = {}
        self._saver: asyncio.Task[None] | None = None
        self._asking: set[asyncio.Task[str | None]] = set()
        self._looking: set[asyncio.Task[LanguageView]] = set()

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

    def look_up_soon(self, member: Member) -> None:
        """Ask the platform in the background about a member nothing is known of yet, for
        whoever answers them next (a message that can't wait for it reads the default)."""
        if member.key in self._looked_up or member.platform not in self.lookups:
            return
        cached = self._cache.get(member.key)
        if cached is not None and (cached[1] or cached[2]):
            return
        asking = asyncio.create_task(self.view(member))
        self._looking.add(asking)
        asking.add_done_callback(self._looking.discard)

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
            self._remember_platform(member, language)

    # --- storage ----------------------------------------------------------------------------

    async def settled(self) -> None:
        """Wait until every platform lookup under way has answered and what the platforms
        reported is written (at shutdown, and in tests)."""
        await asyncio.gather(*self._looking, *self._asking, return_exceptions=True)
        while self._saver is not None and not self._saver.done():
            await asyncio.shield(self._saver)

    async def stop(self) -> None:
        """At shutdown: stop asking platforms, then write what they already told us."""
        for asking in [*self._looking, *self._asking]:
            asking.cancel()
        await self.settled()

    async def _stored(self, member: Member) -> tuple[str | None, str | None]:
        cached = self._cache.get(member.key)
        if cached is not None:
            if cached[0] <= self.clock.now() and not self._reads.reading(member.key):
                self._reads.start(member.key)  # stale: answer with it now, read it again
            return cached[1], cached[2]
        return await self._reads.get(member.key) or (None, None)

    async def _read_many(self, keys: list[str]) -> dict[str, tuple[str | None, str | None]]:
        async with self.db.read() as conn:
            return await repo.member_languages(conn, keys)

    def _kept(
        self, key: str, stored: tuple[str | None, str | None] | None
    ) -> tuple[str | None, str | None]:
        chosen, platform = stored or (None, None)
        # a language observed while the read ran is newer than what the read saw
        platform = self._unsaved.get(key, (None, platform))[1]
        self._cache[key] = (self.clock.now() + self._ttl, chosen, platform)
        return chosen, platform

    async def _store(self, member: Member, **values: str | None) -> None:
        await self.settled()  # what platforms reported is written first: the read after sees it
        async with self.db.transaction() as conn:
            await repo.upsert_member(conn, member, self.clock.now(), **values)
        self._cache.pop(member.key, None)

    def _remember_platform(self, member: Member, language: str) -> None:
        """Known at once in this process; written with whatever else was observed meanwhile, so
        an interaction never waits for (or queues behind) a write of its reader's locale."""
        cached = self._cache.get(member.key)
        chosen = cached[1] if cached else None
        expires = cached[0] if cached else self.clock.now() + self._ttl
        self._cache[member.key] = (expires, chosen, language)
        self._unsaved[member.key] = (member, language)
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_observed())

    async def _save_observed(self) -> None:
        while self._unsaved:
            observed = dict(self._unsaved.values())
            try:
                async with self.db.transaction() as conn:
                    await repo.set_platform_languages(conn, observed, self.clock.now())
            except Exception:  # a locale is asked for again another time
                log.warning("could not store %d members' platform languages", len(observed))
                self._unsaved.clear()
                return
            for member, language in observed.items():
                if self._unsaved.get(member.key) == (member, language):
                    del self._unsaved[member.key]

    async def _look_up(self, member: Member) -> str | None:
        """Ask the platform once per process for a member whose language nobody stored yet.

        The caller waits at most the lookup budget (an interaction's answer must not wait
        on a slow or rate-limited platform): later, the member's next message is in it."""
        lookup = self.lookups.get(member.platform)
        if lookup is None or member.key in self._looked_up or member.is_channel:
            return None
        self._looked_up.add(member.key)
        asking = asyncio.create_task(self._ask_platform(lookup, member))
        self._asking.add(asking)
        asking.add_done_callback(self._asking.discard)
        try:
            async with asyncio.timeout(self.lookup_budget):
                return await asyncio.shield(asking)
        except TimeoutError:
            return None

    async def _ask_platform(self, lookup: LocaleLookup, member: Member) -> str | None:
        language = normalise(await lookup(member))
        if language is not None:
            self._remember_platform(member, language)
        return language
