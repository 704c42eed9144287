"""A member's language on a real database: their choice > their platform's locale > the
workspace's default > English, cached so rendering a delivery costs no query."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from bot.clock import FakeClock
from bot.identity import Member
from bot.service.languages import MemberLanguages
from bot.service.rounds import RoundService
from bot.store.database import Database

ANA = Member("test", "T1", "ana")
LEAD = Member("test", "T1", "lead")


def _languages(db: Database, clock: FakeClock, service: RoundService) -> MemberLanguages:
    return MemberLanguages(db, clock, service.workspaces)


@contextmanager
def _queries(db: Database, kinds: tuple[str, ...] = ("SELECT",)) -> Iterator[list[str]]:
    """The statements of these kinds run meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(kinds):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_english_then_the_workspace_then_the_platform_then_the_choice(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    languages = _languages(db, clock, service)
    assert await languages.language_of(ANA) == "en"

    changed = await service.workspaces.change(LEAD, True, {"language": "fr"})
    assert changed.ok, changed.message
    assert await languages.language_of(ANA) == "fr"  # the workspace's default

    await languages.observe(ANA, "de-DE")
    assert (await languages.view(ANA)).platform == "de"
    assert await languages.language_of(ANA) == "de"  # her platform's locale

    chosen = await languages.choose(ANA, "pt-br")
    assert chosen.ok and "Português" in chosen.message
    assert await languages.language_of(ANA) == "pt-BR"  # her own choice
    await languages.observe(ANA, "es-419")
    assert await languages.language_of(ANA) == "pt-BR"  # a choice beats the platform

    back = await languages.choose(ANA, "auto")
    assert back.ok and await languages.language_of(ANA) == "es"


async def test_an_unknown_language_is_refused_kindly_and_changes_nothing(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    languages = _languages(db, clock, service)
    await languages.choose(ANA, "fr")
    refused = await languages.choose(ANA, "klingon")
    assert not refused.ok and refused.code == "bad_language"
    assert "'klingon'" in refused.message and "pt-BR" in refused.message
    assert await languages.language_of(ANA) == "fr"


async def test_an_unsupported_platform_locale_is_ignored(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    languages = _languages(db, clock, service)
    await languages.observe(ANA, "ja")
    assert (await languages.view(ANA)).platform is None


async def test_the_platform_is_asked_once_per_member_and_the_answer_kept(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    asked: list[Member] = []

    async def slack_locale(member: Member) -> str | None:
        asked.append(member)
        return "fr-FR"

    languages = _languages(db, clock, service)
    languages.lookups["test"] = slack_locale
    assert await languages.language_of(ANA) == "fr"
    assert await languages.language_of(ANA) == "fr"
    assert asked == [ANA]
    await languages.settled()
    later = _languages(db, clock, service)  # another process reads what was stored
    assert await later.language_of(ANA) == "fr"


async def test_rendering_many_deliveries_costs_no_query_until_the_cache_expires(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    languages = _languages(db, clock, service)
    await languages.choose(ANA, "de")
    assert await languages.language_of(ANA) == "de"
    with _queries(db) as seen:
        for _ in range(50):
            assert await languages.language_of(ANA) == "de"
    assert seen == []
    clock.advance(timedelta(minutes=5))
    with _queries(db) as seen:
        assert await languages.language_of(ANA) == "de"  # at once, from the stale entry
        async with asyncio.timeout(5):  # read again: another process may have changed it
            while not any("platform_language" in q for q in seen):
                await asyncio.sleep(0)


async def test_many_new_readers_at_once_are_read_in_one_statement(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    writer = _languages(db, clock, service)
    people = [Member("test", "T1", f"u{n}") for n in range(300)]
    for person in people[:3]:
        await writer.choose(person, "fr")
    languages = _languages(db, clock, service)  # a fresh process: nobody cached
    with _queries(db) as seen:
        found = await asyncio.gather(*(languages.language_of(p) for p in people))
    assert found[:3] == ["fr"] * 3 and set(found[3:]) == {"en"}
    member_reads = [q for q in seen if "platform_language" in q]
    assert len(member_reads) == 1, member_reads


async def test_reported_languages_are_known_at_once_and_written_together(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    languages = _languages(db, clock, service)
    people = [Member("test", "T1", f"p{n}") for n in range(40)]
    await languages.observe(people[0], "de")  # stored already: an update, not an insert
    await languages.settled()
    with _queries(db, ("INSERT", "UPDATE")) as writes:
        await asyncio.gather(*(languages.observe(p, "es-ES") for p in people))
        assert {await languages.language_of(p) for p in people} == {"es"}  # before any write
        await languages.settled()
    assert len(writes) <= 2, writes  # one upsert, twice at most
    later = _languages(db, clock, service)
    assert {await later.language_of(p) for p in people} == {"es"}


async def test_a_slow_platform_lookup_never_holds_an_interaction_past_its_budget(
    db: Database, clock: FakeClock, service: RoundService
) -> None:
    answer = asyncio.Event()

    async def slow_locale(member: Member) -> str | None:
        await answer.wait()
        return "fr-FR"

    languages = MemberLanguages(db, clock, service.workspaces, lookup_budget_seconds=0.01)
    languages.lookups["test"] = slow_locale
    assert await languages.language_of(ANA) == "en"  # the workspace's default, for now
    answer.set()
    await languages.settled()  # the lookup that went on answered, and what it learnt is written
    assert await languages.language_of(ANA) == "fr"
    assert await _languages(db, clock, service).language_of(ANA) == "fr"
