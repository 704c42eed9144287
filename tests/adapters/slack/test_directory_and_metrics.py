"""SlackDirectory, the measured Web API client, crash-safe resends and the new command forms.

All against FakeSlack with real slack_sdk clients; nothing is mocked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from yarl import URL

from bot.adapters.slack import commands
from bot.adapters.slack.client import make_client, make_session, method_label
from bot.adapters.slack.directory import SlackDirectory
from bot.adapters.slack.sender import SlackSender
from bot.config import Settings
from bot.engine.model import DeliveryKind
from bot.identity import Member
from bot.service.ports import ChannelMember, OutgoingMessage
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import ALICE, BOB, CAROL
from tests.fakes.slack.team import DEACTIVATED, OTHER_BOT, SLACKBOT, TEAM, TEAM_CHANNEL, add_team

from .conftest import RapportStarter


@pytest.fixture
async def measured(fake_slack: FakeSlack) -> AsyncIterator[SlackDirectory]:
    """A directory on the same measured client `SlackRuntime` builds."""
    session = make_session()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_API_URL=fake_slack.api_url,
    )
    add_team(fake_slack)
    yield SlackDirectory(make_client(settings, session), lead_ids={"U0DAN"}, page_size=3)
    await session.close()


async def test_directory_lists_people_flags_bots_and_leads(measured: SlackDirectory) -> None:
    listed = await measured.channel_members("T0RAPPORT", TEAM_CHANNEL)
    by_id = {m.user_id: m for m in listed}
    assert [m.user_id for m in listed if not m.is_bot] == list(TEAM)
    for not_a_person in ("U0BOT", OTHER_BOT, SLACKBOT, DEACTIVATED):
        assert by_id[not_a_person].is_bot, not_a_person
    assert by_id[ALICE] == ChannelMember(ALICE, is_bot=False, is_lead=True)  # an admin
    assert by_id["U0DAN"].is_lead  # RAPPORT_SLACK_LEADS
    assert not by_id[BOB].is_lead and not by_id[CAROL].is_lead


async def test_directory_pages_and_caches(measured: SlackDirectory, fake_slack: FakeSlack) -> None:
    measured.bulk_threshold = 100
    await measured.channel_members("T0RAPPORT", TEAM_CHANNEL)
    pages = fake_slack.calls_to("conversations.members")
    assert len(pages) == 4  # 11 members, 3 a page
    assert len(fake_slack.calls_to("users.info")) == 11
    await measured.channel_members("T0RAPPORT", TEAM_CHANNEL)
    assert len(fake_slack.calls_to("users.info")) == 11  # cached


async def test_big_channels_read_users_list_instead(
    measured: SlackDirectory, fake_slack: FakeSlack
) -> None:
    measured.bulk_threshold = 5
    listed = await measured.channel_members("T0RAPPORT", TEAM_CHANNEL)
    assert len([m for m in listed if not m.is_bot]) == 7
    assert fake_slack.calls_to("users.info") == [] and fake_slack.calls_to("users.list")


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_api_latency_and_429s_are_measured(
    measured: SlackDirectory, fake_slack: FakeSlack
) -> None:
    limited = _sample("rapport_platform_rate_limited_total", platform="slack")
    info_calls = _sample(
        "rapport_platform_api_seconds_count", platform="slack", method="users.info"
    )
    fake_slack.fail_next("users.info", status=429, headers={"Retry-After": "0"})
    user = await measured.user("T0RAPPORT", BOB)
    assert user is not None and not user.is_bot  # slack_sdk retried after the 429
    assert _sample("rapport_platform_rate_limited_total", platform="slack") == limited + 1
    assert (
        _sample("rapport_platform_api_seconds_count", platform="slack", method="users.info")
        == info_calls + 2
    )


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://slack.com/api/chat.postMessage", "chat.postMessage"),
        ("http://127.0.0.1:9/api/users.info?user=U123", "users.info"),
        ("https://slack.com/api/admin.users.remove", "other"),
        ("https://files.slack.com/upload/v1/ABC123", "files.upload"),
        ("https://slack.com/T123/C456", "other"),
    ],
)
def test_metric_labels_are_method_names_never_ids(url: str, label: str) -> None:
    assert method_label(URL(url)) == label


async def test_a_resend_after_a_crash_never_posts_twice(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    sender: SlackSender = slack.runtime.sender
    bob = Member("slack", slack.fake.team_id, BOB)
    message = OutgoingMessage(41, bob, DeliveryKind.NOT_PAIRED, {}, None, None)
    first = await sender.send(message)
    posts = len(slack.fake.calls_to("chat.postMessage"))

    again = OutgoingMessage(41, bob, DeliveryKind.NOT_PAIRED, {}, None, None, maybe_sent=True)
    assert await sender.send(again) == first  # found in the DM's history: not posted again
    assert len(slack.fake.calls_to("chat.postMessage")) == posts

    other = OutgoingMessage(42, bob, DeliveryKind.NOT_PAIRED, {}, None, None, maybe_sent=True)
    assert await sender.send(other) != first  # never reached Slack: posted now
    assert len(slack.fake.calls_to("chat.postMessage")) == posts + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "schedule add <#C0TEAM|team> every:1 day:mon time:10:00 tz:Europe/Berlin depth:2",
            commands.ScheduleAdd("C0TEAM", "every:1 day:mon time:10:00 tz:Europe/Berlin depth:2"),
        ),
        ("schedule add <#G0PRIV|> every:2", commands.ScheduleAdd("G0PRIV", "every:2")),
        ("schedule list", commands.ScheduleList()),
        ("schedule pause 1a2b3c4d", commands.ScheduleStatus("1a2b3c4d", "pause")),
        ("schedule resume `1a2b3c4d`", commands.ScheduleStatus("1a2b3c4d", "resume")),
        ("schedule remove 1a2b3c4d", commands.ScheduleStatus("1a2b3c4d", "remove")),
        ("schedule run-now 1a2b3c4d", commands.ScheduleRunNow("1a2b3c4d")),
        ("avoid <@U0BOB|bob>", commands.Avoid("U0BOB")),
        ("stats", commands.Stats(None)),
        ("stats <#C0TEAM|team>", commands.Stats("C0TEAM")),
        ("forget-me", commands.ForgetMe()),
        ("export", commands.Export()),
    ],
)
def test_lead_and_data_commands_parse(text: str, expected: commands.Request) -> None:
    assert commands.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "schedule",
        "schedule add #team every:1",  # not escaped: Slack didn't recognise a channel
        "schedule pause",
        "schedule fly 1a2b",
        "avoid",
        "avoid @bob",
        "avoid <@U0BOB> <@U0CAROL>",
        "stats #team",
        "forget-me now",
    ],
)
def test_malformed_lead_and_data_commands_get_usage(text: str) -> None:
    request = commands.parse(text)
    assert isinstance(request, commands.Usage) and request.problem
    assert "/rapport schedule add #channel" in request.text and "forget-me" in request.text
