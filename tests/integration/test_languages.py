"""A member's language on a real database: their choice > their platform's locale > the
workspace's default > English, cached so rendering a delivery costs no query."""

from __future__ import annotations

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
def _queries(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
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
        await languages.language_of(ANA)
    assert seen  # read again after the cache's lifetime: another process may have changed it
