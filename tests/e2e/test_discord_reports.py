"""Leads' reports on Discord, with the real discord.py client against FakeDiscord: a session of
nine people (one opted out, one with DMs closed: 50007) plus another bot gives the lead a report
of counts; the member Discord refused is named in the channel and gets everything through
`/rapport inbox`; a week later (the fake clock) the follow-up comes with a chart; `/rapport
stats` attaches a chart; a member who isn't a lead gets none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.test_discord_session import LEAD, OTHER_BOT, PEOPLE, TEAM, schedule_team, team_guild
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, custom_ids, embed_texts, running
from tests.fakes.discord.server import SentMessage

CLOSED, OPTED_OUT, MEMBER = PEOPLE[3], PEOPLE[8], PEOPLE[1]
NO_PERMISSIONS = "0"
NAMES = [person["username"] for person in PEOPLE]


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[DiscordRapport]:
    async with running(
        guilds=[team_guild(PEOPLE)], users=[*PEOPLE, OTHER_BOT], db_path=tmp_path / "rapport.db"
    ) as harness:
        yield harness


def titled(messages: list[SentMessage], prefix: str) -> list[SentMessage]:
    return [m for m in messages if str((m.embeds or [{}])[0].get("title", "")).startswith(prefix)]


def shown_control(message: SentMessage, action: str) -> str:
    """The custom id of `action` on the message as it is now (an edited, deferred reply)."""
    [found] = [c for c in custom_ids(message.components) if f":{action}:" in c]
    return found


async def press(bot: DiscordRapport, user: p.Payload, message: SentMessage, action: str) -> None:
    click = p.button_click(
        shown_control(message, action), user=user, channel=TEAM, message_payload=message.payload
    )
    await bot.push(click)


def text_of(message: SentMessage) -> str:
    return "\n".join([str(message.embeds[0].get("title")), *embed_texts(message)])


async def run_the_session(bot: DiscordRapport) -> str:
    """OPTED_OUT has opted out, CLOSED's DMs refuse the bot; the lead runs a session now."""
    await bot.command(OPTED_OUT, TEAM, "optout")
    closed_dm = bot.fake.dm_channel_for(CLOSED["id"])["id"]
    bot.fake.fail_next(f"POST /channels/{closed_dm}/messages", 403, p.CANNOT_SEND_TO_USER, times=50)
    schedule_id = await schedule_team(bot)
    run = await bot.command(
        LEAD, TEAM, "run-now", [p.string_option("id", schedule_id)], group="schedule"
    )
    assert bot.reply(run).startswith("4 groups started")
    for person in PEOPLE[:8]:
        if person is not CLOSED:
            await bot.wait_dms(person["id"], 1)
    await bot.core.dispatcher.drain()  # the refused invitation is recorded too
    await bot.core.tick()  # the report's deadline: the session is done, its invitations settled
    return schedule_id


async def test_the_lead_gets_a_session_report_and_a_follow_up_with_a_chart(
    bot: DiscordRapport,
) -> None:
    schedule_id = await run_the_session(bot)
    [report] = await bot.fake.wait_until(lambda: titled(bot.dms(LEAD["id"]), "Session report"))
    text = text_of(report)
    # the channel lists nine people, another bot and Rapport itself
    assert "11 members found in the channel · 8 paired in 4 pairs and 0 trios" in text
    assert "Left out: 1 opted out · 0 paused · 2 bots · 0 with no partner possible" in text
    assert "Invitations: 7 delivered · 1 failed (1 with DMs closed" in text
    assert not any(name in text for name in NAMES)

    # the channel hears only who couldn't be reached, content-free
    notices = await bot.fake.wait_until(
        lambda: titled(bot.fake.messages_in(TEAM["id"]), "Some invitations")
    )
    assert f"I couldn't DM <@{CLOSED['id']}>: open DMs from this server" in text_of(notices[0])
    assert notices[0].allowed_mentions == {"parse": []}

    listed = bot.reply(await bot.command(LEAD, TEAM, "list", group="schedule"))
    assert "4 pairs, 0 trios · 7 of 8 invitations delivered, 1 with DMs closed" in listed

    # a week later (the schedule paused, so no new session fires meanwhile)
    await bot.command(LEAD, TEAM, "pause", [p.string_option("id", schedule_id)], group="schedule")
    bot.clock.advance(timedelta(days=6, hours=23))
    await bot.core.tick()
    assert titled(bot.dms(LEAD["id"]), "How the session went") == []
    bot.clock.advance(timedelta(hours=1))
    await bot.core.tick()
    [follow_up] = await bot.fake.wait_until(
        lambda: titled(bot.dms(LEAD["id"]), "How the session went")
    )
    assert "0 of 4 groups accepted · 0 rounds completed" in text_of(follow_up)
    [image] = follow_up.files
    assert image.filename == "rapport-stats.png" and image.data.startswith(b"\x89PNG")
    [attached] = follow_up.body["attachments"]
    assert attached["description"].startswith("Rapport figures for 8 people")
    assert not any(name.encode() in image.data for name in NAMES)


async def test_a_member_whose_dms_are_closed_takes_part_through_the_inbox(
    bot: DiscordRapport,
) -> None:
    await run_the_session(bot)
    inbox = await bot.command(CLOSED, TEAM, "inbox")
    [callback] = bot.fake.interaction_callbacks(inbox["id"])
    assert callback.ephemeral
    shown = bot.replied_message(inbox)
    assert "only you can see this" in shown.content
    assert text_of(shown).startswith("You're invited to a Rapport round")

    round_id = shown_control(shown, "accept").split(":")[2]
    await press(bot, CLOSED, shown, "accept")
    state = await bot.core.service.load(round_id)
    assert state is not None
    partner = next(m for m in state.members if not m.endswith(str(CLOSED["id"])))
    [invitation] = bot.dms(partner.rsplit(":", 1)[1])
    await bot.click(next(u for u in PEOPLE if str(u["id"]) in partner), invitation, "accept")
    await bot.core.dispatcher.drain()

    again = await bot.command(CLOSED, TEAM, "inbox")
    prompt = bot.replied_message(again)
    for action in ("swap", "stay", "leave"):
        assert shown_control(prompt, action)
    answer = p.button_click(
        shown_control(prompt, "answer"), user=CLOSED, channel=TEAM, message_payload=prompt.payload
    )
    await bot.push(answer)
    [modal] = bot.fake.interaction_callbacks(answer["id"])
    await bot.submit_modal(CLOSED, modal, {"answer": "An answer typed in the inbox"}, prompt)
    state = await bot.core.service.load(round_id)
    assert state is not None and state.current is not None
    assert str(CLOSED["id"]) in " ".join(state.current.answers)


async def test_stats_attach_a_chart_for_a_lead_and_nothing_for_anyone_else(
    bot: DiscordRapport,
) -> None:
    await run_the_session(bot)
    stats = await bot.command(LEAD, TEAM, "stats")
    reply = bot.replied_message(stats)
    assert reply.content.startswith("Last 30 days · 8 people · 4 rounds, 0 completed")
    [image] = reply.files
    assert image.data.startswith(b"\x89PNG") and image.filename == "rapport-stats.png"

    for options in ([], [p.string_option("digest", "on")]):
        refused = await bot.command(MEMBER, TEAM, "stats", options, permissions=NO_PERMISSIONS)
        assert bot.reply(refused) == "Only team leads can see stats."
        assert bot.replied_message(refused).files == []
    digest = await bot.command(LEAD, TEAM, "stats", [p.string_option("digest", "on")])
    assert bot.reply(digest).startswith("Monthly digest on")
