"""Leads' commands, App Home schedules, avoid, stats and data rights on Slack.

The real core and slack-bolt app against FakeSlack. Leads are workspace admins/owners
(`users.info`) or ids in RAPPORT_SLACK_LEADS; Alice is an admin on the fake, Bob is not.
"Nothing changed" is checked in the database and in what the fake recorded.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapters.slack.wire import FORGET_CANCEL, FORGET_CONFIRM, SCHEDULE_ACTIONS
from bot.identity import Member
from bot.ops.logging import LIBRARY_CAPS, configure_logging
from bot.store.tables import avoid_pairs, members, outbox, rounds, schedules
from tests.fakes.slack.harness import ALICE, BOB, CAROL, SlackHarness
from tests.fakes.slack.server import DEFAULT_CHANNEL
from tests.fakes.slack.team import (
    SCHEDULE_OPTIONS,
    add_team,
    channel_ref,
    invitations,
    schedule_id_of,
)

from .conftest import RapportStarter
from .test_slack_adapter import active_round

GENERAL = channel_ref(DEFAULT_CHANNEL, "general")
LEAD_ONLY = "Only team leads can manage schedules"


def member(slack: SlackHarness, user_id: str) -> Member:
    return Member("slack", slack.fake.team_id, user_id)


async def count(slack: SlackHarness, table: sa.Table, *where: Any) -> int:
    async with slack.rapport.db.transaction() as conn:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await conn.execute(query)).scalar_one())


async def add_schedule(slack: SlackHarness, channel: str = GENERAL, user: str = ALICE) -> str:
    return schedule_id_of(await slack.command(f"schedule add {channel} {SCHEDULE_OPTIONS}", user))


async def status_of(slack: SlackHarness, schedule_id: str) -> str:
    async with slack.rapport.db.transaction() as conn:
        query = sa.select(schedules.c.status).where(schedules.c.id == schedule_id)
        return str(await conn.scalar(query))


# ============================================================ permissions


async def test_non_leads_are_refused_and_nothing_changes(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    schedule_id = await add_schedule(slack)
    listings = len(slack.fake.calls_to("conversations.members"))

    for text in (
        f"schedule add {GENERAL} {SCHEDULE_OPTIONS}",
        "schedule list",
        f"schedule pause {schedule_id}",
        f"schedule remove {schedule_id}",
        f"schedule run-now {schedule_id}",
    ):
        reply = await slack.command(text, user=BOB)
        assert reply["response_type"] == "ephemeral" and LEAD_ONLY in reply["text"], text
    stats = await slack.command("stats", user=BOB)
    assert stats["text"] == "Only team leads can see stats."

    assert await count(slack, schedules) == 1 and await status_of(slack, schedule_id) == "active"
    assert await count(slack, rounds) == 0 and await count(slack, outbox) == 0
    assert len(slack.fake.calls_to("conversations.members")) == listings


async def test_configured_leads_may_manage_schedules(start_rapport: RapportStarter) -> None:
    slack = await start_rapport(RAPPORT_SLACK_LEADS=f"{BOB}, U0SOMEONE")
    schedule_id = await add_schedule(slack, user=BOB)
    reply = await slack.command("schedule list", user=BOB)
    assert schedule_id in reply["text"] and f"<#{DEFAULT_CHANNEL}>" in reply["text"]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("every:1 day:mon time:10:00 tz:Mars/Olympus_Mons", "tz:Mars/Olympus_Mons isn't a time"),
        ("every:1 day:mon time:25:00 tz:Europe/Berlin", "time:25:00 isn't a 24-hour time"),
        ("every:1 day:mon time:10:00 tz:Europe/Berlin depth:7", "depth:7 must be a layer from 1"),
        ("every:9 day:mon time:10:00 tz:Europe/Berlin", "every:9 must be a number of weeks"),
        ("every:1 day:someday time:10:00 tz:Europe/Berlin", "day:someday isn't a weekday"),
        ("every:1 day:mon time:10:00", "Missing tz"),
        ("every:1 day:mon time:10:00 tz:UTC bank:nope", "bank:nope isn't installed"),
    ],
)
async def test_invalid_schedules_are_explained(
    start_rapport: RapportStarter, options: str, problem: str
) -> None:
    slack = await start_rapport()
    reply = await slack.command(f"schedule add {GENERAL} {options}")
    assert problem in reply["text"]
    assert await count(slack, schedules) == 0


async def test_schedule_add_needs_a_channel_the_bot_is_in(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    slack.fake.add_channel("C0NOBOT", [ALICE, BOB])
    missing = await slack.command(f"schedule add {SCHEDULE_OPTIONS}")
    assert "Start with the channel" in missing["text"]
    not_in = await slack.command(f"schedule add {channel_ref('C0NOBOT', 'x')} {SCHEDULE_OPTIONS}")
    assert "I'm not in <#C0NOBOT>" in not_in["text"]
    unknown = await slack.command(f"schedule add {channel_ref('C0SECRET', '')} {SCHEDULE_OPTIONS}")
    assert "I can't see <#C0SECRET>" in unknown["text"]
    assert await count(slack, schedules) == 0


# ============================================================== schedules


async def test_pause_resume_remove_and_list(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    schedule_id = await add_schedule(slack)
    listed = (await slack.command("schedule list"))["text"]
    assert f"`{schedule_id}` <#{DEFAULT_CHANNEL}>" in listed and "every week on Mon 10:00" in listed
    assert "active" in listed and "next Monday 09 March 10:00 Europe/Berlin" in listed

    paused = await slack.command(f"schedule pause {schedule_id}")
    assert paused["text"] == f"Schedule {schedule_id} is now paused."
    assert slack.rapport.scheduler.scheduler.get_job(f"session-{schedule_id}") is None
    await slack.command(f"schedule resume {schedule_id}")
    assert await status_of(slack, schedule_id) == "active"
    assert slack.rapport.scheduler.scheduler.get_job(f"session-{schedule_id}") is not None
    await slack.command(f"schedule remove {schedule_id}")
    assert "No schedules yet" in (await slack.command("schedule list"))["text"]
    unknown = await slack.command("schedule run-now nosuchid")
    assert "There's no schedule nosuchid here." in unknown["text"]


async def test_app_home_lists_schedules_with_buttons_for_leads(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    schedule_id = await add_schedule(slack)
    await open_home(slack, ALICE)
    assert buttons(slack, ALICE, schedule_id) == ["pause", "remove"]

    await click_home(slack, ALICE, schedule_id, "pause")
    assert await status_of(slack, schedule_id) == "paused"
    assert buttons(slack, ALICE, schedule_id) == ["resume", "remove"]  # Home re-published
    assert f"Schedule {schedule_id} is now paused." in home_text(slack, ALICE)

    await click_home(slack, ALICE, schedule_id, "resume")
    assert buttons(slack, ALICE, schedule_id) == ["pause", "remove"]
    await click_home(slack, ALICE, schedule_id, "remove")
    assert await status_of(slack, schedule_id) == "removed"
    assert buttons(slack, ALICE, schedule_id) == [] and "No schedules yet" in home_text(
        slack, ALICE
    )

    await open_home(slack, BOB)  # not a lead: no schedules, and a forged click changes nothing
    assert "Schedules" not in home_text(slack, BOB)
    await click_home(slack, BOB, schedule_id, "resume")
    assert await status_of(slack, schedule_id) == "removed"
    assert LEAD_ONLY in home_text(slack, BOB)


async def open_home(slack: SlackHarness, user: str) -> None:
    channel = slack.fake.dm_channel(user)
    await slack.handled(slack.fake.payloads.app_home_opened(user_id=user, channel_id=channel))


async def click_home(slack: SlackHarness, user: str, schedule_id: str, verb: str) -> None:
    action_id = next(a for a, v in SCHEDULE_ACTIONS.items() if v == verb)
    published = len(slack.fake.calls_to("views.publish"))
    action = {"type": "button", "action_id": action_id, "value": schedule_id}
    payload = slack.fake.payloads.block_actions(
        {**action, "block_id": f"schedule_{schedule_id}"},
        user_id=user,
        channel_id=slack.fake.dm_channel(user),
        message_ts="0",
    )
    payload.payload["container"] = {"type": "view", "view_id": "V0HOME"}
    await slack.handled(payload)
    await slack.fake.wait_for(lambda: len(slack.fake.calls_to("views.publish")) > published)


def home_text(slack: SlackHarness, user: str) -> str:
    texts = []
    for block in slack.fake.home_views[user]["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [e.get("text", "") for e in block.get("elements", []) if "type" in e]
    return "\n".join(str(t) for t in texts)


def buttons(slack: SlackHarness, user: str, schedule_id: str) -> list[str]:
    for block in slack.fake.home_views[user]["blocks"]:
        if block.get("block_id") == f"schedule_{schedule_id}":
            return [SCHEDULE_ACTIONS[e["action_id"]] for e in block["elements"]]
    return []


# ================================================================== avoid


async def test_avoid_is_private_and_honoured_by_sessions(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    four = (ALICE, BOB, CAROL, "U0DAN")
    add_team(slack.fake, four)
    responses_before = len(slack.fake.responses())

    reply = await slack.command(f"avoid <@{BOB}|bob>", user=ALICE)
    assert "won't pair you two" in reply["text"] and "won't be told" in reply["text"]
    assert len(slack.fake.responses()) == responses_before + 1  # only Alice's own reply
    assert slack.dms(BOB) == [] and slack.fake.ephemerals == []
    assert BOB not in slack.fake.home_views
    assert await count(slack, avoid_pairs) == 1
    yourself = await slack.command(f"avoid <@{ALICE}|alice>", user=ALICE)
    assert "You can't avoid yourself." in yourself["text"]

    schedule_id = await add_schedule(slack, channel_ref())
    await slack.command(f"schedule run-now {schedule_id}")
    await slack.fake.wait_for(lambda: all(invitations(slack, u) == 1 for u in four))
    async with slack.rapport.db.transaction() as conn:
        groups = [json.loads(s)["members"] for s in await conn.scalars(sa.select(rounds.c.state))]
    alice, bob = member(slack, ALICE).key, member(slack, BOB).key
    assert len(groups) == 2 and not any({alice, bob} <= set(g) for g in groups)
    to_bob = json.dumps([*slack.dms(BOB), *slack.fake.responses()[responses_before + 2 :]])
    assert "avoid" not in to_bob.lower()


# ================================================================== stats


async def test_stats_are_for_leads_and_hidden_for_small_groups(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    await active_round(slack)
    small = await slack.command("stats")
    assert "at least 5 people" in small["text"] and "3 more needed" in small["text"]
    assert slack.fake.files == {}  # nothing to draw for two people

    add_team(slack.fake)
    schedule_id = await add_schedule(slack, channel_ref())
    await slack.command(f"schedule run-now {schedule_id}")
    team = await slack.command(f"stats {channel_ref()}")
    assert team["text"].startswith("Last 30 days · 7 people · 3 rounds, 0 completed")
    assert "sent the chart to our DM" in team["text"]
    [chart] = slack.fake.files.values()  # uploaded into the lead's DM, with its alt text
    assert chart["channels"] == [slack.fake.dm_channel(ALICE)]
    assert chart["content"].startswith(b"\x89PNG") and chart["name"] == "rapport-stats.png"
    assert chart["alt_txt"].startswith("Rapport figures for 7 people")
    assert chart["initial_comment"] == team["text"].splitlines()[0]
    general = await slack.command(f"stats {GENERAL}")  # no session in #general: nobody to count
    assert "at least 5 people" in general["text"]
    assert (await slack.command(f"stats {channel_ref()}", user=BOB))["text"] == (
        "Only team leads can see stats."
    )
    assert (await slack.command("stats digest on", user=BOB))["text"] == (
        "Only team leads can see stats."
    )
    assert len(slack.fake.files) == 1  # a non-lead got nothing


async def test_a_lead_switches_the_monthly_digest_on_and_off(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    assert "Monthly digest on" in (await slack.command("stats digest on"))["text"]
    assert "Monthly digest off" in (await slack.command("stats digest off"))["text"]
    assert "Use `/rapport stats digest on`" in (await slack.command("stats digest maybe"))["text"]


# ============================================================= data rights


async def test_forget_me_asks_first_then_deletes_everything(start_rapport: RapportStarter) -> None:
    slack = await start_rapport()
    await active_round(slack)
    await slack.handled(slack.dm("Bob's private answer", BOB))
    await slack.command("timezone Europe/Paris", user=BOB)
    await slack.command(f"avoid <@{CAROL}|carol>", user=BOB)
    bob = member(slack, BOB)

    question = await slack.command("forget-me", user=BOB)
    assert "can't be undone" in str(question["blocks"])
    assert [e["action_id"] for e in question["blocks"][-1]["elements"]] == [
        FORGET_CONFIRM,
        FORGET_CANCEL,
    ]
    assert (await slack.rapport.privacy.export(bob))["rounds"]  # nothing deleted yet

    cancelled = await answer_question(slack, BOB, FORGET_CANCEL, value=BOB)
    assert cancelled == {"text": "Nothing was deleted.", "replace_original": True}
    assert (await slack.rapport.privacy.export(bob))["settings"] is not None

    meddling = await answer_question(slack, CAROL, FORGET_CONFIRM, value=BOB)
    assert "meant for someone else" in meddling["text"]
    assert (await slack.rapport.privacy.export(bob))["settings"] is not None

    done = await answer_question(slack, BOB, FORGET_CONFIRM, value=BOB)
    assert done["replace_original"] is True and "deleted everything" in done["text"]
    exported = await slack.rapport.privacy.export(bob)
    assert exported["settings"] is None and exported["rounds"] == []
    assert exported["avoiding"] == []
    assert await count(slack, members, members.c.member_key == bob.key) == 0
    async with slack.rapport.db.transaction() as conn:
        states = list(await conn.scalars(sa.select(rounds.c.state)))
    assert all(bob.key not in s and "Bob's private answer" not in s for s in states)
    await slack.wait_dms(ALICE, 3)  # Alice is told kindly that her partner left
    assert slack.kinds(ALICE)[-1] == "partner_left"


async def answer_question(slack: SlackHarness, user: str, action_id: str, value: str) -> Any:
    before = len(slack.fake.responses())
    click = slack.fake.payloads.button_click(
        action_id=action_id,
        value=value,
        user_id=user,
        channel_id=DEFAULT_CHANNEL,
        message_ts="1700000000.000001",
        block_id="rapport_forget",
    )
    click.payload["container"]["is_ephemeral"] = True
    await slack.handled(click)
    return (await slack.fake.wait_for(lambda: slack.fake.responses()[before:]))[0]


MARKER = "quokka-lantern"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Rapport's production logging at DEBUG into a buffer; restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_CAPS}
    output = io.StringIO()
    configure_logging("DEBUG", stream=output, json_lines=True)
    yield output
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


async def test_export_dms_a_json_file_with_only_your_own_answers(
    start_rapport: RapportStarter, log_output: io.StringIO
) -> None:
    slack = await start_rapport()
    await active_round(slack)
    await slack.handled(slack.dm(f"Alice {MARKER} answer", ALICE))
    await slack.handled(slack.dm(f"Bob {MARKER} answer", BOB))
    await slack.wait_dms(ALICE, 4)

    reply = await slack.command("export", user=ALICE)
    assert "sent you a file" in reply["text"]
    (completed,) = [c for c in slack.fake.calls_to("files.completeUploadExternal") if c.ok]
    (shared,) = completed.response["files"]
    assert shared["channels"] == [slack.fake.dm_channel(ALICE)]
    assert shared["name"].startswith("rapport-export-") and shared["name"].endswith(".json")
    data = json.loads(slack.fake.files[shared["id"]]["content"])
    assert data["member"]["user_id"] == ALICE
    (exported,) = data["rounds"]
    assert [a["answer"] for a in exported["your_answers"]] == [f"Alice {MARKER} answer"]
    assert f"Bob {MARKER}" not in json.dumps(data)

    logged = log_output.getvalue()
    assert "now active" in logged  # the capture saw the round
    assert MARKER not in logged and "your_answers" not in logged
