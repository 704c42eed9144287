"""A whole Slack round between a member reading German and one reading French.

Alice's Slack is in German and Bob's in French (`users.info` with `include_locale`); with marked
test catalogs every string shows whose language it was rendered in. Each sees their own language
throughout, prompts in their language from the translated tiny bank, and the reveal shows both
answers exactly as written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack import wire
from bot.identity import Member
from bot.messages.model import Action
from tests.e2e.test_slack_round import Pair
from tests.fakes.catalogs import TranslatedTexts, german_and_french
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import ALICE, BOB, CAROL, SlackHarness, running, section_texts

LANGUAGE_OF = {ALICE: "de", BOB: "fr"}


@pytest.fixture
def translated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TranslatedTexts]:
    with german_and_french(monkeypatch, tmp_path / "locales") as texts:
        yield texts


@pytest.fixture
async def slack(translated: TranslatedTexts, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with FakeSlack() as fake:
        fake.users[ALICE]["locale"] = "de-DE"
        fake.users[BOB]["locale"] = "fr-FR"
        async with running(fake, "socket", tmp_path) as harness:
            yield harness


def _visible(message: dict[str, Any]) -> list[str]:
    """The title and every body paragraph of a delivery (not relayed answers)."""
    texts = section_texts(message, "body")
    return [message["text"], *"\n".join(texts).split("\n")]


def _in_own_language(slack: SlackHarness, user: str) -> int:
    """Every DM's title and paragraphs are marked with the user's language; how many DMs."""
    mine = f"[{LANGUAGE_OF[user]}]"
    for message, kind in zip(slack.dms(user), slack.kinds(user), strict=True):
        lines = _visible(message)
        if kind in ("prompt", "reminder"):  # the prompt itself comes from the translated bank
            lines = lines[1:] if kind == "prompt" else lines[:-1]
        assert all(mine in line for line in lines if line.strip()), (kind, lines)
    return len(slack.dms(user))


async def test_each_reader_plays_the_round_in_their_own_language(
    slack: SlackHarness, translated: TranslatedTexts
) -> None:
    pair = Pair(slack)
    reply = await slack.command(f"start <@{BOB}|bob>")
    assert reply["text"].startswith("[de] ")  # Alice's Slack speaks German

    await pair.expect(BOB, "invitation")
    invitation = slack.last(BOB, "invitation")
    assert invitation["text"].startswith("[fr] ")
    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    await pair.expect(ALICE, "invitation_accepted", "prompt")
    await pair.expect(BOB, "prompt")

    de, fr = slack.last(ALICE, "prompt"), slack.last(BOB, "prompt")
    assert de["text"] in translated["de"] and fr["text"] in translated["fr"]
    labels = [
        e["text"]["text"] for b in de["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels and all(label.startswith("[de] ") for label in labels)

    modal = await slack.open_answer_modal(ALICE, de)
    assert modal["title"]["text"] == "[de] Your answer"
    assert de["text"] in str(modal["blocks"])  # the form shows her prompt in German

    await pair.step((ALICE, "Müsli, wie immer.", "dm"), (BOB, "Un croissant, évidemment.", "dm"))
    for user, prompt_text in ((ALICE, de["text"]), (BOB, fr["text"])):
        reveal = slack.last(user, "reveal")
        assert reveal["text"].startswith(f"[{LANGUAGE_OF[user]}] ")
        assert prompt_text in section_texts(reveal, "body")[0]
        answers = section_texts(reveal, "answer_0") + section_texts(reveal, "answer_1")
        assert answers == ["Müsli, wie immer.", "Un croissant, évidemment."]  # as written

    for _ in range(3):  # the rest of the round (two layers of two prompts)
        await pair.expect(ALICE, "prompt")
        await pair.expect(BOB, "prompt")
        await pair.step((BOB, "Oui.", "dm"), (ALICE, "Ja.", "dm"))
    await pair.expect(ALICE, "completed")
    await pair.expect(BOB, "completed")
    assert (_in_own_language(slack, ALICE), _in_own_language(slack, BOB)) == (11, 13)


async def test_a_member_chooses_their_language_and_status_shows_it(slack: SlackHarness) -> None:
    shown = await slack.command("language")
    assert "Deutsch" in shown["text"] and shown["text"].startswith("[de] ")
    chosen = await slack.command("language pt-BR")
    assert chosen["text"].startswith("[pt-BR] ") or "Português" in chosen["text"]
    status = await slack.command("status")
    assert "Português (Brasil)" in status["text"]
    refused = await slack.command("language xx")
    assert "'xx'" in refused["text"] and "pt-BR" in refused["text"]
    data = await slack.rapport.privacy.export(wire.member(slack.fake.team_id, ALICE))
    assert data["settings"]["language"] == "pt-BR"
    assert data["settings"]["platform_language"] == "de"
    back = await slack.command("language auto")
    assert "Deutsch" in back["text"]


async def test_an_answer_never_waits_for_slack_to_tell_a_new_members_language(
    slack: SlackHarness,
) -> None:
    """Carol, new to this process, replies in her DM while `users.info` hangs: her message is
    acknowledged at once; once Slack answers, Rapport knows she reads French."""
    slack.fake.users[CAROL]["locale"] = "fr-FR"
    carol = Member("slack", slack.fake.team_id, CAROL)
    slack.handlers.languages.lookup_budget = 60.0  # a command would wait this long for it
    held = slack.fake.hold("users.info")
    try:
        async with asyncio.timeout(5):
            await slack.deliver(slack.dm("Hello?", CAROL))
        assert await slack.handlers.languages.language_of(carol, ask_platform=False) == "en"
    finally:
        held.release()
    await slack.handlers.languages.settled()
    assert await slack.handlers.languages.language_of(carol, ask_platform=False) == "fr"
