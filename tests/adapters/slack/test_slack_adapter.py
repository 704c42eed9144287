"""The Slack adapter on the real core and slack-bolt app, against FakeSlack.

Every test acts like Slack (envelopes or signed POSTs built by the fake's payload factory) and
waits for the listener to finish or for a message to arrive; "nothing changed" is checked
against the outbox and the fake's recorded calls after the listener has finished.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.adapters.slack.blocks import escape, unescape
from bot.adapters.slack.commands import usage
from bot.adapters.slack.wire import ACTION_IDS, ANSWER_BLOCK
from bot.engine.model import MAX_ANSWER_CHARS, DeliveryKind
from bot.identity import Member
from bot.messages.model import Action
from bot.messages.rounds import EXAMPLE_INTRO
from bot.service.ports import OutgoingMessage
from tests.fakes.slack import FakeSlack, find_pings
from tests.fakes.slack.harness import ALICE, BOB, CAROL, SlackHarness, has_control, section_texts

from .conftest import RapportStarter

MODES = pytest.mark.parametrize("mode", ["socket", "http"])


async def invite_bob(slack: SlackHarness, extra: str = "") -> dict[str, Any]:
    await slack.command(f"start <@{BOB}|bob>{extra}")
    await slack.wait_dms(BOB, 1)
    return slack.last(BOB, "invitation")


async def active_round(slack: SlackHarness) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alice started, Bob accepted: returns both first prompts."""
    invitation = await invite_bob(slack)
    await slack.handled(slack.click(BOB, invitation, Action.ACCEPT))
    await slack.wait_dms(ALICE, 2)
    await slack.wait_dms(BOB, 2)
    return slack.last(ALICE, "prompt"), slack.last(BOB, "prompt")


async def alices_answer_modal(
    start_rapport: RapportStarter, mode: str
) -> tuple[SlackHarness, dict[str, Any]]:
    """A round under way and the answer modal Alice opened on her prompt."""
    slack = await start_rapport(mode)
    prompt, _ = await active_round(slack)
    return slack, await slack.open_answer_modal(ALICE, prompt)


def calls(fake: FakeSlack, method: str) -> int:
    return len(fake.calls_to(method))


# ===================================================================== safety


async def test_reveal_escapes_every_dangerous_token(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)
    sneaky = "<!channel> <!here> <!everyone> <@U0CAROL> <#C0GENERAL> <http://x.io|y> & < >"
    await slack.handled(slack.dm(sneaky, ALICE))
    await slack.handled(slack.dm("plain", BOB))
    await slack.wait_dms(BOB, 3)

    reveal = slack.last(BOB, "reveal")
    assert find_pings(reveal) == []
    (shown,) = section_texts(reveal, "answer_0")
    assert unescape(shown) == sneaky and "<" not in shown and ">" not in shown


async def test_long_answer_is_split_and_delivered_whole(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)
    long_answer = ("Fish & chips <3 by the sea. " * 120)[:MAX_ANSWER_CHARS].strip()
    await slack.handled(slack.dm(long_answer, ALICE))
    await slack.handled(slack.dm("short", BOB))
    await slack.wait_dms(BOB, 3)

    chunks = section_texts(slack.last(BOB, "reveal"), "answer_0")
    assert len(chunks) > 1 and all(len(c) <= 3000 for c in chunks)
    assert unescape("".join(chunks)) == long_answer


async def test_answer_modal_shows_the_prompt_within_slack_limits(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    prompt, _ = await active_round(slack)
    modal = await slack.open_answer_modal(ALICE, prompt)

    assert modal["title"]["text"] == "Your answer" and len(modal["title"]["text"]) <= 24
    (field,) = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["element"]["max_length"] == 3000 and field["element"]["multiline"]
    assert section_texts(modal, "prompt") == [f"*{prompt['text']}*"]


@MODES
async def test_empty_modal_answer_is_reported_in_the_modal(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack, modal = await alices_answer_modal(start_rapport, mode)
    before = await slack.outbox_count()

    ack = await slack.handled(slack.submission(ALICE, modal, "   \n "))

    assert ack["response_action"] == "errors"
    assert "empty" in ack["errors"][ANSWER_BLOCK]
    assert await slack.outbox_count() == before


async def test_too_long_dm_answer_gets_a_kind_message(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)
    before = await slack.outbox_count()

    await slack.handled(slack.dm("y" * (MAX_ANSWER_CHARS + 1), ALICE))

    reply = (await slack.wait_dms(ALICE, 3)) and slack.dms(ALICE)[-1]
    assert "3001 characters" in reply["text"] and "Nothing was saved" in reply["text"]
    assert await slack.outbox_count() == before


async def test_dm_without_a_waiting_prompt_is_told_so(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await slack.handled(slack.dm("hello?", CAROL))
    (reply,) = await slack.fake.wait_for(lambda: slack.dms(CAROL))
    assert "no prompt waiting" in reply["text"]


async def test_bot_posts_edits_and_joins_are_ignored(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)
    before = await slack.outbox_count()
    channel = slack.fake.dm_channel(ALICE)
    ignored = [
        {"type": "message", "subtype": "message_changed", "channel": channel, "channel_type": "im",
         "message": {"user": ALICE, "text": "edited"}, "ts": "1.1"},
        {"type": "message", "bot_id": "B0OTHER", "user": "U0OTHER", "text": "beep",
         "channel": channel, "channel_type": "im", "ts": "1.2"},
        {"type": "message", "user": ALICE, "text": "in a channel", "channel": "C0GENERAL",
         "channel_type": "channel", "ts": "1.3"},
    ]  # fmt: skip
    for event in ignored:
        await slack.handled(slack.fake.payloads.event(event))

    assert await slack.outbox_count() == before
    assert len(slack.dms(ALICE)) == 2


# =============================================================== idempotency


async def test_double_click_changes_nothing_the_second_time(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    invitation = await invite_bob(slack)
    click = slack.click(BOB, invitation, Action.ACCEPT)
    again = slack.click(BOB, invitation, Action.ACCEPT)  # same message, a new action_ts
    await slack.handled(click)
    await slack.wait_dms(ALICE, 2)
    before = (await slack.outbox_count(), calls(slack.fake, "chat.update"))

    await slack.handled(again)

    assert (await slack.outbox_count(), calls(slack.fake, "chat.update")) == before
    assert slack.fake.responses()[1:] == []  # only the /rapport reply, no second notice


async def test_stale_prompt_button_changes_nothing(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    alice_prompt, bob_prompt = await active_round(slack)
    bob_stale = slack.click(BOB, bob_prompt, Action.SWAP)
    await slack.handled(slack.click(ALICE, alice_prompt, Action.SWAP))
    await slack.wait_dms(BOB, 3)
    before = await slack.outbox_count()

    await slack.handled(bob_stale)

    assert await slack.outbox_count() == before
    notice = await slack.fake.wait_for(lambda: slack.fake.responses()[1:])
    assert "isn't the current one" in notice[0]["text"]
    assert notice[0]["response_type"] == "ephemeral" and notice[0]["replace_original"] is False
    settled = slack.fake.message(bob_prompt["channel"], bob_prompt["ts"])
    assert not has_control(settled, ACTION_IDS[Action.SWAP])


@MODES
async def test_retried_event_changes_nothing(start_rapport: RapportStarter, mode: str) -> None:
    slack = await start_rapport(mode)
    await active_round(slack)
    answer = slack.dm("Porridge.", ALICE)
    await slack.handled(answer)
    await slack.wait_dms(ALICE, 3)
    before = (await slack.outbox_count(), len(slack.dms(ALICE)))

    await slack.handled(answer, retry_num=1)  # X-Slack-Retry-Num / envelope retry_attempt
    await slack.handled(answer, retry_num=2)

    assert (await slack.outbox_count(), len(slack.dms(ALICE))) == before


async def test_replayed_interaction_envelope_changes_nothing(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    prompt, _ = await active_round(slack)
    swap = slack.click(ALICE, prompt, Action.SWAP)
    await slack.handled(swap)
    await slack.wait_dms(ALICE, 3)
    before = await slack.outbox_count()

    await slack.handled(swap)  # the very same payload, as a replayed envelope

    assert await slack.outbox_count() == before


async def test_outsider_click_changes_nothing(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    invitation = await invite_bob(slack)
    before = (await slack.outbox_count(), calls(slack.fake, "chat.update"))

    await slack.handled(slack.click(CAROL, invitation, Action.ACCEPT))

    assert (await slack.outbox_count(), calls(slack.fake, "chat.update")) == before
    notice = await slack.fake.wait_for(lambda: slack.fake.responses()[1:])
    assert "belongs to other people" in notice[0]["text"]
    assert has_control(
        slack.fake.message(invitation["channel"], invitation["ts"]), "rapport_accept"
    )


@pytest.mark.parametrize(
    "forgery",
    [{"signing_secret": "not-the-secret"}, {"timestamp": int(time.time()) - 6 * 60}],
    ids=["forged", "stale"],
)
async def test_bad_http_signature_gets_401_and_changes_nothing(
    start_rapport: RapportStarter, forgery: dict[str, Any]
) -> None:
    slack = await start_rapport("http")
    await active_round(slack)
    before = (await slack.outbox_count(), len(slack.fake.calls), slack.handlers.activity.finished)

    inbound = slack.dm("Sneaky answer", ALICE)
    reply = await slack.fake.post_to_app(slack.events_url, inbound, **forgery)

    assert reply.status == 401
    after = (await slack.outbox_count(), len(slack.fake.calls), slack.handlers.activity.finished)
    assert after == before


async def test_http_mode_serves_healthz_and_metrics_beside_events(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport("http")
    await slack.rapport.tick()
    await slack.command("status")  # at least one listener's Web API traffic is measured
    assert slack.fake._http is not None
    async with slack.fake._http.get(f"{slack.runtime.http_url}/healthz") as resp:
        health = await resp.json()
        assert resp.status == 200, health
    assert health["status"] == "ok" and health["database"] is True
    assert health["adapters"] == {"slack": True} and health["leader"] is True
    async with slack.fake._http.get(f"{slack.runtime.http_url}/metrics") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    assert 'rapport_platform_api_seconds_count{method="auth.test",platform="slack"}' in text
    assert "rapport_rounds{" in text and "rapport_deliveries{" in text

    await slack.runtime.stop()  # the server is gone: health reports the adapter down
    assert slack.runtime.connected is False
    assert (await slack.rapport.health.snapshot()).adapters == {"slack": False}


async def test_socket_mode_reports_connected_until_stopped(start_rapport: RapportStarter) -> None:
    slack = await start_rapport("socket")
    assert slack.runtime.connected is True
    assert (await slack.rapport.health.snapshot()).healthy
    await slack.runtime.stop()
    assert slack.runtime.connected is False


# ================================================================ commands


@pytest.mark.parametrize("text", ["dance", "", "start", "pause forever"])
async def test_unknown_or_malformed_command_gets_ephemeral_usage(
    start_rapport: RapportStarter, text: str
) -> None:
    slack = await start_rapport()
    reply = await slack.command(text)
    assert reply["response_type"] == "ephemeral" and usage() in reply["text"]
    assert await slack.outbox_count() == 0


async def test_daily_pace_is_asked_for_explicitly(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    invitation = await invite_bob(slack, " daily")
    assert "one prompt a day" in invitation["blocks"][1]["text"]["text"]


async def test_bots_cannot_be_invited(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    reply = await slack.command(f"start <@{slack.fake.bot_user_id}|rapport>")
    assert "is a bot" in reply["text"] and await slack.outbox_count() == 0


async def test_a_lead_pairs_two_others_and_a_member_cannot(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()  # Alice is a workspace admin in the fake
    refused = await slack.command(f"start <@{ALICE}|alice> <@{CAROL}|carol>", user=BOB)
    assert "Only team leads" in refused["text"]

    paired = await slack.command(f"start <@{BOB}|bob> <@{CAROL}|carol>", user=ALICE)
    assert paired["text"].startswith("Paired")
    for user in (BOB, CAROL):
        (invitation,) = await slack.fake.wait_for(lambda u=user: slack.dms(u))
        assert "session paired you" in invitation["blocks"][1]["text"]["text"]
    assert slack.dms(ALICE) == []


async def test_leads_can_also_be_named_in_settings(start_rapport: RapportStarter) -> None:
    slack = await start_rapport(RAPPORT_SLACK_LEADS=f"U0NOBODY, {BOB}")
    paired = await slack.command(f"start <@{ALICE}|alice> <@{CAROL}|carol>", user=BOB)
    assert paired["text"].startswith("Paired")


async def test_status_stop_and_settings_commands(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)

    status = await slack.command("status")
    assert f"With <@{BOB}>" in status["text"] and "your answer is waiting" in status["text"]
    assert "Time zone: Europe/Berlin" in status["text"]  # adopted from users.info
    assert "Paused until" in (await slack.command("pause 2w"))["text"]
    assert "opted out" in (await slack.command("optout"))["text"]
    assert "Welcome back" in (await slack.command("optin"))["text"]
    assert "isn't a time zone" in (await slack.command("timezone Mars/Olympus"))["text"]
    assert "Asia/Tokyo" in (await slack.command("timezone Asia/Tokyo"))["text"]
    assert "left 1 round" in (await slack.command("stop"))["text"]
    await slack.wait_dms(BOB, 3)
    assert slack.kinds(BOB)[-1] == "partner_left"


async def test_paused_member_cannot_be_invited(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await slack.command("pause 1w", user=BOB)
    reply = await slack.command(f"start <@{BOB}|bob>")
    assert "aren't taking part" in reply["text"] and slack.dms(BOB) == []


# ================================================================ App Home


async def test_app_home_shows_where_rounds_stand_without_content(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    await active_round(slack)
    await slack.handled(slack.dm("My secret answer", ALICE))
    for user in (ALICE, BOB):
        channel = slack.fake.dm_channel(user)
        await slack.handled(slack.fake.payloads.app_home_opened(user_id=user, channel_id=channel))

    alice, bob = (_home_text(slack.fake.home_views[u]) for u in (ALICE, BOB))
    assert f"With <@{BOB}>" in alice and "Layer 1 of 2" in alice
    assert "waiting for your partner's answer" in alice
    assert "your answer is waiting" in bob
    assert "My secret answer" not in alice + bob
    assert "Taking part in new rounds: yes" in alice
    assert "Schedules" in alice and "/rapport schedule" in alice  # Alice is an admin
    assert "Schedules" not in bob
    assert "Team settings" in alice and "Depth cap: *2*" in alice and "Edit settings" in alice
    assert "Team settings" not in bob


async def test_messages_tab_does_not_publish_home(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    channel = slack.fake.dm_channel(ALICE)
    event = slack.fake.payloads.app_home_opened(user_id=ALICE, channel_id=channel, tab="messages")
    await slack.handled(event)
    assert slack.fake.home_views == {}


def _home_text(view: dict[str, Any]) -> str:
    texts = []
    for block in view["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text", "")
            texts.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(texts)


# ================================================================ delivery


async def test_dm_channel_is_opened_once_per_member(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)
    for n in range(3):
        await slack.handled(slack.dm(f"answer {n}", ALICE))
        await slack.handled(slack.dm(f"answer {n}", BOB))
        await slack.wait_dms(BOB, 4 + 2 * n)

    assert len(slack.dms(ALICE)) >= 8
    assert slack.fake.conversations_open_count == {BOB: 1, ALICE: 1}
    stored = await slack.rapport.members.dm_channel(Member("slack", slack.fake.team_id, BOB))
    assert stored == slack.fake.dm_channel(BOB)


async def test_rate_limited_post_is_retried_and_delivered(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    slack.fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})

    await invite_bob(slack)

    assert [c.status for c in slack.fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.dms(BOB)) == 1


async def test_session_summary_goes_to_the_channel(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    channel = Member.channel("slack", slack.fake.team_id, "C0GENERAL")
    summary = OutgoingMessage(
        outbox_id=1,
        member=channel,
        kind=DeliveryKind.SESSION_SUMMARY,
        data={"groups": 2, "trios": 0, "unplaced": 0, "next_session": "Monday 09:00"},
        round_id=None,
        dm_channel_id=None,
    )
    ts = await slack.runtime.sender.send(summary)

    posted = slack.fake.message("C0GENERAL", ts)
    assert posted["text"] == "Rapport session started" and "2 pairs started" in str(posted)
    assert slack.fake.conversations_open_count == {}


async def test_see_an_example_answers_only_the_clicker_and_changes_nothing(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    prompt, _ = await active_round(slack)
    (summary,) = await slack.rapport.service.summaries(Member("slack", slack.fake.team_id, ALICE))
    before = await slack.rapport.service.load(summary.round_id)
    assert before is not None and before.current is not None
    example = slack.rapport.banks[before.settings.bank].get(before.current.prompt_id)
    assert example is not None and example.example

    replies, updates = len(slack.fake.responses()), calls(slack.fake, "chat.update")
    await slack.handled(slack.click(ALICE, prompt, Action.EXAMPLE))
    [shown] = await slack.fake.wait_for(lambda: slack.fake.responses()[replies:])
    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is False
    assert shown["text"] == escape(EXAMPLE_INTRO.format(example=example.example))
    assert await slack.rapport.service.load(summary.round_id) == before
    assert calls(slack.fake, "chat.update") == updates  # the prompt keeps its buttons
