"""A team owns its Rapport on Slack: settings and its own questions, managed in chat by leads.

The real core and slack-bolt app against FakeSlack, in Socket Mode and HTTP mode. Alice is a
workspace admin (a lead), Bob is not. "Nothing changed" is checked in the database.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.adapters.slack import team_blocks as tb
from bot.engine.model import Pace
from bot.identity import Member
from bot.store.tables import workspace_prompts, workspace_settings_history
from tests.fakes.slack.forms import opened_modal, submit_form
from tests.fakes.slack.harness import ALICE, BOB, CAROL, SlackHarness
from tests.fakes.slack.payloads import Inbound

from .conftest import RapportStarter
from .test_lead_commands import count


def _member(slack: SlackHarness, user: str) -> Member:
    return Member("slack", slack.fake.team_id, user)


QUESTION = "What small ritual makes a Monday feel lighter, and how did it start?"


async def _open(slack: SlackHarness, text: str, user: str) -> dict:
    before = len(slack.fake.calls_to("views.open"))
    await slack.handled(slack.fake.payloads.slash_command(text, user_id=user))
    return await opened_modal(slack, before)


async def _submit(slack: SlackHarness, form: Inbound) -> dict:
    """Submit a form; the answer to Slack (errors, or the view it turns into)."""
    return await slack.deliver(form) or {}


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_a_lead_changes_depth_and_pace_and_the_next_start_follows(
    start_rapport: RapportStarter, mode: str
) -> None:
    slack = await start_rapport(mode)
    modal = await _open(slack, "settings", ALICE)
    assert modal["title"]["text"] == "Team settings"
    changes = {tb.SETTING_BLOCK.format("depth"): "4", tb.SETTING_BLOCK.format("pace"): "daily"}
    answer = await _submit(slack, submit_form(slack, modal, ALICE, changes))
    assert answer["response_action"] == "update"
    assert "Depth cap: 2 → 4" in str(answer["view"])

    reply = await slack.command(f"start <@{BOB}>", ALICE)
    assert "Invitation sent" in reply["text"]
    (summary,) = await slack.rapport.service.summaries(_member(slack, ALICE))
    state = await slack.rapport.service.load(summary.round_id)
    assert state is not None
    assert state.settings.max_layer == 4 and state.settings.pace is Pace.DAILY

    history = await slack.command("settings history", ALICE)
    assert f"<@{ALICE}> depth: 2 → 4" in history["text"]


async def test_a_member_who_is_not_a_lead_only_sees_the_settings(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    shown = await slack.command("settings", BOB)
    assert "Depth cap: *2*" in shown["text"] and "Only team leads can change them" in shown["text"]
    refused = await slack.command("settings depth 4", BOB)
    assert "Only team leads" in refused["text"]
    assert "Only team leads" in (await slack.command("settings history", BOB))["text"]
    assert await count(slack, workspace_settings_history) == 0


async def test_a_forged_settings_submission_from_a_member_changes_nothing(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    modal = await _open(slack, "settings", ALICE)
    forged = submit_form(slack, modal, BOB, {tb.SETTING_BLOCK.format("depth"): "4"})
    answer = await _submit(slack, forged)
    assert "Only team leads" in str(answer)
    assert await count(slack, workspace_settings_history) == 0


async def test_an_invalid_value_points_at_its_field_and_changes_nothing(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    modal = await _open(slack, "settings", ALICE)
    bad = {tb.SETTING_BLOCK.format("quiet"): "late", tb.SETTING_BLOCK.format("depth"): "4"}
    answer = await _submit(slack, submit_form(slack, modal, ALICE, bad))
    assert answer["response_action"] == "errors"
    message = answer["errors"][tb.SETTING_BLOCK.format("quiet")]
    assert message.startswith("Quiet hours must be two times like 21:00-08:00")
    typed = await slack.command("settings reminders 9", ALICE)
    assert "Reminders at most must be a whole number from 0 to 3" in typed["text"]
    assert await count(slack, workspace_settings_history) == 0


async def test_a_member_suggests_a_lead_approves_and_a_round_can_draw_it(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    modal = await _open(slack, "questions suggest", BOB)
    form = {tb.LAYER_BLOCK: "1", tb.TOPIC_BLOCK: "rituals", tb.TEXT_BLOCK: QUESTION}
    answer = await _submit(slack, submit_form(slack, modal, BOB, form))
    assert answer["response_action"] == "update", answer
    assert "waiting for a lead" in str(answer["view"])

    review = await slack.command("questions review", ALICE)
    assert QUESTION in str(review["blocks"]) and BOB not in str(review["blocks"])
    message = {**review, "channel": slack.fake.dm_channel(ALICE), "ts": "1.0"}
    button = next(
        e
        for b in review["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == tb.QUESTION_APPROVE
    )
    click = slack.fake.payloads.button_click(
        action_id=button["action_id"],
        value=button["value"],
        user_id=ALICE,
        channel_id=message["channel"],
        message_ts=message["ts"],
        block_id="review",
        message=message,
    )
    await slack.deliver(click)
    await slack.wait_dms(BOB, 1)
    assert "Your question was added" in str(slack.dms(BOB)[-1])

    team = await slack.rapport.service.questions.listing(_member(slack, ALICE).workspace)
    assert [(t.prompt.text, t.status) for t in team] == [(QUESTION, "active")]


async def test_a_question_that_fails_lint_is_refused_in_the_form(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    modal = await _open(slack, "questions add", ALICE)
    form = {tb.LAYER_BLOCK: "1", tb.TOPIC_BLOCK: "rituals", tb.TEXT_BLOCK: "Tell me a story."}
    answer = await _submit(slack, submit_form(slack, modal, ALICE, form))
    assert answer["response_action"] == "errors"
    assert "must end with exactly one '?'" in answer["errors"][tb.TEXT_BLOCK]
    assert await count(slack, workspace_prompts) == 0
    refused = await slack.command("questions add", BOB)
    assert "Only team leads can add questions" in refused["text"]
    assert "Only team leads" in (await slack.command("questions review", CAROL))["text"]


async def test_a_lead_exports_the_teams_questions_as_a_yaml_file(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    modal = await _open(slack, "questions add", ALICE)
    form = {tb.LAYER_BLOCK: "2", tb.TOPIC_BLOCK: "rituals", tb.TEXT_BLOCK: QUESTION}
    await _submit(slack, submit_form(slack, modal, ALICE, form))
    reply = await slack.command("questions export", ALICE)
    assert "YAML file" in reply["text"]
    (completed,) = [c for c in slack.fake.calls_to("files.completeUploadExternal") if c.ok]
    (shared,) = completed.response["files"]
    assert shared["channels"] == [slack.fake.dm_channel(ALICE)]
    assert shared["name"] == "team.yaml"  # a bank file is named after its bank
    content = slack.fake.files[shared["id"]]["content"].decode()
    assert "bank: team" in content and QUESTION in content


async def test_removing_an_unknown_or_forged_question_id_changes_nothing(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()
    reply = await slack.command("questions remove wp-1-small-joys-11", ALICE)
    assert "no active question 'wp-1-small-joys-11'" in reply["text"]
    assert await count(slack, workspace_prompts, sa.true()) == 0


async def test_app_homes_edit_button_opens_the_settings_for_a_lead_only(
    start_rapport: RapportStarter,
) -> None:
    slack = await start_rapport()

    def edit_click(user: str) -> Inbound:
        return slack.fake.payloads.button_click(
            action_id=tb.SETTINGS_EDIT,
            value="edit",
            user_id=user,
            channel_id=slack.fake.dm_channel(user),
            message_ts="1.0",
            block_id="team_settings_actions",
            message={"blocks": []},
        )

    before = len(slack.fake.calls_to("views.open"))
    await slack.deliver(edit_click(BOB))
    await slack.deliver(edit_click(ALICE))
    modal = await opened_modal(slack, before)
    assert modal["callback_id"] == tb.SETTINGS_CALLBACK
    assert len(slack.fake.calls_to("views.open")) == before + 1  # Bob's click opened nothing
