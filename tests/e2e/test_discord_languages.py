"""A whole Discord round between a member reading German and one reading French.

Alice's Discord is in German and Bob's in French: the locale each interaction carries is
noted, so the DMs Rapport sends later are rendered in each reader's language too. With marked
test catalogs every string shows whose language it was rendered in; prompts come from the tiny
bank's translations; the reveal shows both answers exactly as written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.test_discord_round import Pair
from tests.fakes.catalogs import TranslatedTexts, german_and_french
from tests.fakes.discord import SentMessage, default_world
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, embed_texts, kind_of, running

WORLD = default_world()
ALICE = {**WORLD.alice, "locale": "de"}
BOB = {**WORLD.bob, "locale": "fr"}
LANGUAGE_OF = {ALICE["id"]: "de", BOB["id"]: "fr"}


@pytest.fixture
def translated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TranslatedTexts]:
    with german_and_french(monkeypatch, tmp_path / "locales") as texts:
        yield texts


@pytest.fixture
async def bot(translated: TranslatedTexts, tmp_path: Path) -> AsyncIterator[DiscordRapport]:
    async with running(
        guilds=[WORLD.guild], users=WORLD.users, db_path=tmp_path / "rapport.db"
    ) as harness:
        yield harness


def _marked_lines(message: SentMessage) -> list[str]:
    """A DM's title and paragraphs (a prompt's title is the prompt; answers aren't ours)."""
    first = message.embeds[0]
    kind = kind_of(message)
    lines = [] if kind == "prompt" else [str(first.get("title") or "")]
    lines += [line for line in str(first.get("description") or "").split("\n") if line.strip()]
    return lines


async def test_each_reader_plays_the_round_in_their_own_language(
    bot: DiscordRapport, translated: TranslatedTexts
) -> None:
    pair = Pair(bot)
    general = WORLD.general
    pair.expected = {ALICE["id"]: [], BOB["id"]: []}
    # Bob has used Rapport before: his Discord's language is known before his first DM
    hello = await bot.command(BOB, general, "language")
    assert bot.reply(hello).startswith("[fr] ") and "Français" in bot.reply(hello)

    start = await bot.command(
        ALICE,
        general,
        "start",
        [p.user_option("member", BOB["id"])],
        resolved=p.resolved([BOB], guild_members=True),
    )
    assert bot.reply(start).startswith("[de] ")
    await pair.expect(BOB, "invitation")
    invitation = bot.last(BOB["id"], "invitation")
    await bot.click(BOB, invitation, "accept")
    assert bot.fake._find_message(invitation.id).content == "[fr] ✓ Accepted."
    await pair.expect(ALICE, "invitation_accepted", "prompt")
    await pair.expect(BOB, "prompt")

    de, fr = bot.last(ALICE["id"], "prompt"), bot.last(BOB["id"], "prompt")
    assert de.embeds[0]["title"] in translated["de"]
    assert fr.embeds[0]["title"] in translated["fr"]

    modal, _ = await bot.answer_by_modal(ALICE, de, "Müsli, wie immer.")
    assert modal.data is not None and modal.data["title"].startswith("[de] ")
    assert modal.data["components"][0]["content"] == de.embeds[0]["title"]  # in German
    assert bot.fake._find_message(de.id).content == "[de] ✓ Answered."
    await pair.expect(ALICE, "answer_held")
    await bot.dm(BOB, "Un croissant.")
    await pair.expect(ALICE, "reveal")
    await pair.expect(BOB, "reveal")
    for user, prompt in ((ALICE, de), (BOB, fr)):
        reveal = bot.last(user["id"], "reveal")
        mine = f"[{LANGUAGE_OF[user['id']]}] "
        assert reveal.embeds[0]["title"].startswith(mine)
        assert prompt.embeds[0]["title"] in embed_texts(reveal)[0]  # the prompt, in their words
        assert sorted(embed_texts(reveal)[1:]) == ["Müsli, wie immer.", "Un croissant."]
        headings = [e["title"] for e in reveal.embeds[1:]]
        assert f"{mine}You" in headings  # their own answer's heading, in their language

    for _ in range(3):  # the rest of the round: two layers of two prompts
        await pair.expect(ALICE, "prompt")
        await pair.expect(BOB, "prompt")
        await pair.step((BOB, "Oui.", "dm"), (ALICE, "Ja.", "dm"))
    await pair.expect(ALICE, "completed")
    await pair.expect(BOB, "completed")

    for user in (ALICE, BOB):
        mine = f"[{LANGUAGE_OF[user['id']]}]"
        dms = bot.dms(user["id"])
        assert len(dms) >= 11
        for message in dms:
            assert all(mine in line for line in _marked_lines(message)), _marked_lines(message)


async def test_status_shows_the_language_and_a_choice_overrides_discord(
    bot: DiscordRapport,
) -> None:
    status = await bot.command(ALICE, WORLD.general, "status")
    assert "Deutsch" in bot.reply(status)
    chosen = await bot.command(ALICE, WORLD.general, "language", [p.string_option("code", "es")])
    # no Spanish test catalog: the reply falls back to the English source, never fails
    assert bot.reply(chosen) == "Done: Rapport speaks Español with you now."
    status = await bot.command(ALICE, WORLD.general, "status")
    assert "Español" in bot.reply(status)


async def test_slash_commands_are_registered_with_localised_descriptions(
    bot: DiscordRapport,
) -> None:
    [put] = bot.fake.requests_matching("PUT /applications/{app}/guilds/{gid}/commands")
    [rapport] = put.json
    assert rapport["name"] == "rapport"
    assert not rapport.get("name_localizations")  # names stay English: typed, shared
    assert rapport["description_localizations"] == {
        "de": "[de] Getting-to-know-you rounds",
        "fr": "[fr] Getting-to-know-you rounds",
    }
    options = {o["name"]: o for o in rapport["options"]}
    language = {o["name"]: o for o in options["language"]["options"]}["code"]
    assert language["description_localizations"]["de"].startswith("[de] ")
    [automatic] = [c for c in language["choices"] if c["value"] == "auto"]
    assert automatic["name_localizations"]["fr"] == "[fr] Automatic (Discord's language)"
