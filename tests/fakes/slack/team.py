"""A team channel on the fake: people, bots and the odd account a directory must leave out."""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.slack.blocks import kind_of

from .harness import ALICE, BOB, CAROL, SlackHarness
from .server import FakeSlack

TEAM_CHANNEL = "C0TEAM"
OTHER_BOT = "U0HELPERBOT"
DEACTIVATED = "U0GONE"
SLACKBOT = "USLACKBOT"
# seven people: Alice (a workspace admin, so a lead), Bob, Carol and four more
TEAM = (ALICE, BOB, CAROL, "U0DAN", "U0ERIN", "U0FRANK", "U0GRACE")
SCHEDULE_OPTIONS = "every:1 day:mon time:10:00 tz:Europe/Berlin pace:live"


def add_team(
    fake: FakeSlack, people: Sequence[str] = TEAM, channel: str = TEAM_CHANNEL
) -> list[str]:
    """`channel` with `people`, Rapport's own bot user, another bot, Slackbot and a deactivated
    account; returns every member id Slack lists for it."""
    for user_id in people:
        if user_id not in fake.users:
            fake.add_user(user_id, name=user_id.removeprefix("U0").lower())
    fake.add_user(OTHER_BOT, name="standup-bot", is_bot=True, bot_id="B0HELPER")
    fake.add_user(DEACTIVATED, name="gone", deleted=True)
    listed = [*people, fake.bot_user_id, OTHER_BOT, SLACKBOT, DEACTIVATED]
    fake.add_channel(channel, listed)
    return listed


def channel_ref(channel: str = TEAM_CHANNEL, name: str = "team") -> str:
    """A channel as Slack escapes it in a slash command's text."""
    return f"<#{channel}|{name}>"


def schedule_id_of(reply: dict[str, object]) -> str:
    """The id in "Scheduled 1a2b3c4d: first session …"."""
    text = str(reply["text"])
    assert text.startswith("Scheduled "), text
    return text.split()[1].rstrip(":")


def invitations(slack: SlackHarness, user_id: str) -> int:
    return sum(1 for m in slack.dms(user_id) if kind_of(m) == "invitation")


def summaries(fake: FakeSlack, channel: str = TEAM_CHANNEL) -> list[dict[str, object]]:
    return [m for m in fake.posted_messages(channel) if kind_of(m) == "session_summary"]
