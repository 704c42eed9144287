"""A team owns its Rapport on Discord: settings and its own questions, managed in chat by leads.

The real core and discord.py against FakeDiscord. Alice owns the server (Manage Server: a lead),
Bob and Carol have no permissions. "Nothing changed" is checked in the database.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import yaml

from bot.adapters.discord import team_views as tv
from bot.adapters.discord.team import FORM_EXPIRED, HISTORY_LEADS_ONLY
from bot.adapters.discord.views import MISSING_CONTROL
from bot.engine.bank import Prompt
from bot.engine.model import Pace
from bot.identity import Member
from bot.questions.loader import parse_bank_file
from bot.service import team_questions
from bot.service.workspaces import LEAD_ONLY
from bot.store.tables import workspace_prompts, workspace_settings, workspace_settings_history
from tests.adapters.discord.conftest import BotStarter
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, custom_ids

NO_PERMISSIONS = "0"
LEAD_ROLE_ID = 1_700_000_000_000_000_002
QUESTION = "What small ritual makes a Monday feel lighter, and how did it start?"
SUGGESTED = "Which song pulls you back into focus, and what is the story behind it?"
MORE = [
    ("rituals", "How do you celebrate finishing something small, and why that way?"),
    ("music", "What did you last hum without noticing, and where did you pick it up?"),
]
OTHER_GUILD_ID = 1_200_000_000_000_000_002
DAVE = p.user(1_300_000_000_000_000_004, "dave")
ERIN = p.user(1_300_000_000_000_000_005, "erin")
LOUNGE = p.text_channel(1_200_000_000_000_000_102, OTHER_GUILD_ID, "lounge")


def member_of(user: p.Payload, guild_id: int | str) -> Member:
    return Member("discord", str(guild_id), user["id"])


async def settings(
    bot: DiscordRapport,
    user: p.Payload,
    channel: p.Payload,
    name: str,
    *options: p.Payload,
    permissions: str = p.ALL_PERMISSIONS,
    member: p.Payload | None = None,
) -> p.Payload:
    return await bot.command(
        user, channel, name, options, group="settings", permissions=permissions, member=member
    )


async def set_setting(
    bot: DiscordRapport,
    user: p.Payload,
    channel: p.Payload,
    setting: str,
    value: str,
    permissions: str = p.ALL_PERMISSIONS,
    member: p.Payload | None = None,
) -> str:
    options = (p.string_option("setting", setting), p.string_option("value", value))
    done = await settings(
        bot, user, channel, "set", *options, permissions=permissions, member=member
    )
    return bot.reply(done)


async def questions(
    bot: DiscordRapport,
    user: p.Payload,
    channel: p.Payload,
    name: str,
    *options: p.Payload,
    permissions: str = p.ALL_PERMISSIONS,
) -> p.Payload:
    return await bot.command(
        user, channel, name, options, group="questions", permissions=permissions
    )


def draft(layer: int, topic: str, text: str) -> list[p.Payload]:
    return [
        p.integer_option("layer", layer),
        p.string_option("topic", topic),
        p.string_option("text", text),
    ]


async def start(
    bot: DiscordRapport, user: p.Payload, partner: p.Payload, channel: p.Payload
) -> str:
    begun = await bot.command(
        user,
        channel,
        "start",
        [p.user_option("member", partner["id"])],
        resolved=p.resolved([partner], guild_members=True),
    )
    return bot.reply(begun)


async def first_prompt(bot: DiscordRapport, user: p.Payload, partner: p.Payload) -> str:
    """The partner accepts the invitation; the text of the first prompt they get."""
    await bot.fake.wait_until(lambda: "invitation" in bot.kinds(partner["id"]))
    await bot.click(partner, bot.last(partner["id"], "invitation"), "accept")
    await bot.fake.wait_until(lambda: "prompt" in bot.kinds(partner["id"]))
    return str(bot.last(partner["id"], "prompt").embeds[0]["title"])


def add_other_guild(fake: FakeDiscord) -> None:
    """A second server in the same process: Dave (its owner) and Erin in #lounge."""
    fake.add_guild(
        p.guild(
            OTHER_GUILD_ID,
            "Elsewhere",
            owner_id=DAVE["id"],
            members=[p.member(DAVE), p.member(ERIN)],
            channels=[LOUNGE],
        )
    )


# --- settings -----------------------------------------------------------------------------------


async def test_a_lead_changes_depth_and_pace_in_the_editor_and_the_next_start_follows(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob, general = discord_world.alice, discord_world.bob, discord_world.general
    editor = bot.replied_message(await settings(bot, alice, general, "edit"))
    assert editor.flags & 64 and custom_ids(editor.components) == [tv.PICK_ID]
    options = editor.components[0]["components"][0]["options"]
    assert len(options) == 15 and all(len(o["label"]) <= 100 for o in options)

    await bot.restart()  # the editor's controls carry only a setting's name: they still work
    picked = await bot.choose(alice, editor, tv.PICK_ID, ["depth"])
    assert fake_discord.interaction_callbacks(picked["id"])[0].type == 7
    value_select = f"{tv.TEAM}:value:depth"
    assert custom_ids(editor.components) == [tv.PICK_ID, value_select]
    await bot.choose(alice, editor, value_select, ["4"])
    assert "✓ Saved. Depth cap: 2 → 4." in editor.content
    await bot.choose(alice, editor, tv.PICK_ID, ["pace"])
    await bot.choose(alice, editor, f"{tv.TEAM}:value:pace", ["daily"])
    assert "Default pace: live → daily" in editor.content

    picked = await bot.choose(alice, editor, tv.PICK_ID, ["reminder"])  # free text: a form
    [form] = fake_discord.interaction_callbacks(picked["id"])
    assert form.type == 9 and form.data is not None
    assert len(form.data["title"]) <= 45 and form.data["custom_id"] == f"{tv.TEAM}:modal:reminder"
    await bot.restart()  # a form opened before a restart still lands
    await bot.submit_modal(alice, form, {tv.VALUE_INPUT: "12"}, editor)
    assert "Reminder after (hours): 24 → 12" in editor.content

    assert (await start(bot, alice, bob, general)).startswith("Invitation sent")
    [summary] = await bot.core.service.summaries(member_of(alice, discord_world.guild_id))
    state = await bot.core.service.load(summary.round_id)
    assert state is not None
    assert (state.settings.max_layer, state.settings.pace) == (4, Pace.DAILY)
    assert state.settings.reminder_after == timedelta(hours=12)

    history = bot.reply(await settings(bot, alice, general, "history"))
    assert f"<@{alice['id']}> depth: 2 → 4" in history and "pace: live → daily" in history
    shown = bot.reply(await settings(bot, bob, general, "show", permissions=NO_PERMISSIONS))
    assert "• Depth cap: **4**\n" in shown and "• Prompts per layer: **2** (default)" in shown
    assert shown.endswith("Only team leads can change them.")
    assert all(c.ephemeral or c.type in (6, 7, 9) for c in fake_discord.callbacks)


async def test_a_member_who_is_not_a_lead_is_refused_and_nothing_changes(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    bob, general = discord_world.bob, discord_world.general
    assert await set_setting(bot, bob, general, "depth", "4", NO_PERMISSIONS) == LEAD_ONLY
    refused = [
        await settings(bot, bob, general, "edit", permissions=NO_PERMISSIONS),
        await settings(bot, bob, general, "history", permissions=NO_PERMISSIONS),
    ]
    assert [bot.reply(r) for r in refused] == [LEAD_ONLY, HISTORY_LEADS_ONLY]

    # forged clicks and forms: what an editor would send, from someone who was never shown one
    editor = p.message(general["id"], p.DEFAULT_BOT, guild_id=general["guild_id"])
    forged = [
        p.select_choice(tv.PICK_ID, ["quiet"], user=bob, channel=general, permissions="0"),
        p.select_choice(
            f"{tv.TEAM}:value:depth", ["4"], user=bob, channel=general, permissions="0"
        ),
        p.modal_submit(
            f"{tv.TEAM}:modal:quiet",
            [p.label_text_input(tv.VALUE_INPUT, "22:00-07:00")],
            user=bob,
            channel=general,
            message_payload=editor,
            permissions=NO_PERMISSIONS,
        ),
    ]
    for interaction in forged:
        await bot.push(interaction)
        assert bot.reply(interaction) == LEAD_ONLY
    no_message = p.modal_submit(
        f"{tv.TEAM}:modal:quiet",
        [p.label_text_input(tv.VALUE_INPUT, "22:00-07:00")],
        user=discord_world.alice,
        channel=general,
    )
    assert bot.reply(await bot.push(no_message)) == FORM_EXPIRED
    assert await bot.count(workspace_settings_history) == 0
    assert await bot.count(workspace_settings) == 0


async def test_an_invalid_value_names_the_field_and_changes_nothing(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, general = discord_world.alice, discord_world.general
    typed = await set_setting(bot, alice, general, "reminders", "9")
    assert typed == (
        "Reminders at most must be a whole number from 0 to 3 (you gave '9'). Nothing changed."
    )
    editor = bot.replied_message(await settings(bot, alice, general, "edit"))
    before = editor.content
    picked = await bot.choose(alice, editor, tv.PICK_ID, ["quiet"])
    [form] = fake_discord.interaction_callbacks(picked["id"])
    submitted = await bot.submit_modal(alice, form, {tv.VALUE_INPUT: "late"}, editor)
    assert bot.reply(submitted).startswith("Quiet hours must be two times like 21:00-08:00")
    assert editor.content == before  # the editor still shows what is saved
    assert await bot.count(workspace_settings_history) == 0


async def test_the_servers_lead_role_setting_makes_leads(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    guild = fake_discord.guilds[str(discord_world.guild_id)]
    guild["roles"].append(p.role(LEAD_ROLE_ID, "Hosts"))
    bot = await start_bot()
    alice, bob, general = discord_world.alice, discord_world.bob, discord_world.general
    host = {"roles": [str(LEAD_ROLE_ID)]}
    assert await set_setting(bot, bob, general, "depth", "3", "0", host) == LEAD_ONLY

    focused = {**p.string_option("value", "ho"), "focused": True}
    interaction = p.slash_command(
        "rapport",
        user=alice,
        channel=general,
        options=[
            p.subcommand_group(
                "settings",
                [p.subcommand("set", [p.string_option("setting", "lead-role"), focused])],
            )
        ],
        command_guild_id=discord_world.guild_id,
    )
    interaction["type"] = p.AUTOCOMPLETE
    await bot.push(interaction, handled=False)
    [suggested] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(interaction["id"])
    )
    assert suggested.type == 8 and suggested.data is not None
    assert {"name": "Hosts", "value": "Hosts"} in suggested.data["choices"]

    assert (await set_setting(bot, alice, general, "lead-role", "Hosts")).startswith("Saved.")
    changed = await set_setting(bot, bob, general, "depth", "3", "0", host)
    assert changed.startswith("Saved. Depth cap: 2 → 3")
    refused = await set_setting(bot, discord_world.carol, general, "depth", "1", "0")
    assert refused == LEAD_ONLY


async def test_the_value_is_autocompleted_from_the_chosen_settings_choices(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    focused = {**p.string_option("value", ""), "focused": True}
    interaction = p.slash_command(
        "rapport",
        user=discord_world.alice,
        channel=discord_world.general,
        options=[
            p.subcommand_group(
                "settings", [p.subcommand("set", [p.string_option("setting", "pace"), focused])]
            )
        ],
        command_guild_id=discord_world.guild_id,
    )
    interaction["type"] = p.AUTOCOMPLETE
    await bot.push(interaction, handled=False)
    [suggested] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(interaction["id"])
    )
    assert suggested.data == {
        "choices": [
            {"name": p, "value": p} for p in ("live", "daily", "gentle", "standard", "open")
        ]
    }


# --- the team's own questions -------------------------------------------------------------------


async def test_a_lead_adds_a_member_suggests_the_lead_approves_and_a_round_draws_them(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob, carol = discord_world.alice, discord_world.bob, discord_world.carol
    general = discord_world.general
    added = await questions(bot, alice, general, "add", *draft(1, "rituals", QUESTION))
    assert bot.reply(added).startswith("Added team-1-rituals-01.")
    refused = await questions(
        bot, bob, general, "add", *draft(1, "music", SUGGESTED), permissions=NO_PERMISSIONS
    )
    assert bot.reply(refused) == team_questions.LEAD_ONLY
    suggested = await questions(
        bot, bob, general, "suggest", *draft(1, "Music ", SUGGESTED), permissions=NO_PERMISSIONS
    )
    assert "waiting for a lead" in bot.reply(suggested)

    review = bot.replied_message(await questions(bot, alice, general, "review"))
    assert SUGGESTED in review.content and bob["id"] not in review.content
    add_it = f"{tv.TEAM}:review:add:team-1-music-01"
    assert custom_ids(review.components) == [add_it, f"{tv.TEAM}:review:decline:team-1-music-01"]
    await bot.push(
        p.button_click(add_it, user=alice, channel=general, message_payload=review.payload)
    )
    assert "✓ Added team-1-music-01" in review.content
    assert "No suggestions are waiting for review." in review.content
    assert all(edit["allowed_mentions"] == {"parse": []} for edit in review.edits)
    [told] = await bot.wait_dms(bob["id"], 1)
    assert told.embeds[0]["title"] == "Your question was added"
    assert told.allowed_mentions == {"parse": []}

    for topic, text in MORE:
        await questions(bot, alice, general, "add", *draft(1, topic, text))
    listed = bot.reply(await questions(bot, alice, general, "list"))
    assert listed.startswith("**Your team's questions** (4 in use, 0 waiting for review)")
    # the team's own bank alone, one layer deep: every prompt a round draws is the team's
    own = await settings(
        bot,
        alice,
        general,
        "set",
        p.string_option("setting", "questions"),
        p.string_option("value", "own"),
    )
    assert "every layer up to 2 needs at least 4" in bot.reply(own)  # depth 2: layer 2 is empty
    assert (await set_setting(bot, alice, general, "depth", "1")).startswith("Saved.")
    assert (await set_setting(bot, alice, general, "questions", "own")).startswith("Saved.")
    assert (await start(bot, carol, bob, general)).startswith("Invitation sent")
    texts = {QUESTION, SUGGESTED, *(text for _, text in MORE)}
    assert await first_prompt(bot, carol, bob) in texts


async def test_two_servers_in_one_process_never_see_each_others_questions_or_settings(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    add_other_guild(fake_discord)
    bot = await start_bot()
    alice, bob, general = discord_world.alice, discord_world.bob, discord_world.general
    await questions(bot, alice, general, "add", *draft(1, "rituals", QUESTION))
    await questions(bot, bob, general, "suggest", *draft(1, "music", SUGGESTED), permissions="0")
    await set_setting(bot, alice, general, "depth", "4")
    await set_setting(bot, alice, general, "pace", "daily")

    # Dave leads the other server: his clicks act on his own server only
    forged_review = p.button_click(
        f"{tv.TEAM}:review:add:team-1-music-01", user=DAVE, channel=LOUNGE
    )
    await bot.push(forged_review)
    assert "There's no pending question 'team-1-music-01'" in bot.reply(forged_review)
    pending = workspace_prompts.c.status == "pending"
    assert await bot.count(workspace_prompts, pending) == 1
    value = p.select_choice(f"{tv.TEAM}:value:depth", ["1"], user=DAVE, channel=LOUNGE)
    await bot.push(value)
    [callback] = fake_discord.interaction_callbacks(value["id"])
    assert callback.message is not None and "Depth cap: 2 → 1" in callback.message.content
    mine = await bot.core.service.workspaces.settings_of(f"discord:{discord_world.guild_id}")
    theirs = await bot.core.service.workspaces.settings_of(f"discord:{OTHER_GUILD_ID}")
    assert (mine.max_layer, theirs.max_layer) == (4, 1)
    assert bot.reply(await questions(bot, DAVE, LOUNGE, "review")).startswith(
        "No suggestions are waiting"
    )
    export = await questions(bot, DAVE, LOUNGE, "export")
    assert bot.reply(export) == tv.NO_QUESTIONS

    assert (await start(bot, DAVE, ERIN, LOUNGE)).startswith("Invitation sent")
    assert await first_prompt(bot, DAVE, ERIN) not in (QUESTION, SUGGESTED)
    [summary] = await bot.core.service.summaries(member_of(DAVE, OTHER_GUILD_ID))
    state = await bot.core.service.load(summary.round_id)
    assert state is not None and state.current is not None
    assert not state.current.prompt_id.startswith("team-")
    assert (state.settings.max_layer, state.settings.pace) == (1, Pace.LIVE)
    bank = await bot.core.service.questions.bank_for(f"discord:{OTHER_GUILD_ID}", state.settings)
    assert bank is not None and not [q for q in bank.prompts if q.id.startswith("team-")]
    assert bot.dms(bob["id"]) == []  # the suggester was never told anything


async def test_a_click_on_a_control_the_message_does_not_show_changes_nothing(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob, general = discord_world.alice, discord_world.bob, discord_world.general
    await questions(bot, bob, general, "suggest", *draft(1, "music", SUGGESTED), permissions="0")
    elsewhere = p.message(
        general["id"],
        p.DEFAULT_BOT,
        guild_id=general["guild_id"],
        components=[p.action_row(p.button(f"{tv.TEAM}:review:decline:team-1-music-01"))],
    )
    forged = p.button_click(
        f"{tv.TEAM}:review:add:team-1-music-01",
        user=alice,
        channel=general,
        message_payload=elsewhere,
    )
    await bot.push(forged)
    assert bot.reply(forged) == MISSING_CONTROL
    assert await bot.count(workspace_prompts, workspace_prompts.c.status == "pending") == 1


async def test_a_lead_exports_the_teams_questions_as_a_yaml_file(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, general = discord_world.alice, discord_world.general
    extra = [p.string_option("example", "Tea first."), p.boolean_option("hierarchy_safe", False)]
    await questions(bot, alice, general, "add", *draft(2, "rituals", QUESTION), *extra)
    refused = await questions(bot, discord_world.bob, general, "export", permissions="0")
    assert bot.reply(refused).startswith("Only team leads")

    exported = bot.replied_message(await questions(bot, alice, general, "export"))
    assert exported.flags & 64
    [upload] = exported.files
    assert upload.filename == "team.yaml"
    [attachment] = exported.payload["attachments"]
    assert attachment["filename"] == upload.filename
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / upload.filename
        path.write_bytes(upload.data)
        parsed = parse_bank_file(path)
    bank = parsed.bank
    assert parsed.problems == [] and bank is not None
    [prompt] = bank.prompts
    assert (prompt.id, prompt.layer, prompt.text) == ("team-2-rituals-01", 2, QUESTION)
    assert (prompt.hierarchy_safe, prompt.example) == (False, "Tea first.")
    assert yaml.safe_load(upload.data)["bank"] == "team"


async def test_a_lead_removes_a_question_and_an_unknown_id_changes_nothing(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, general = discord_world.alice, discord_world.general
    await questions(bot, alice, general, "add", *draft(1, "rituals", QUESTION))
    unknown = await questions(
        bot, alice, general, "remove", p.string_option("id", "tiny-1-food-01")
    )
    assert "no active question 'tiny-1-food-01'" in bot.reply(unknown)
    removed = await questions(
        bot, alice, general, "remove", p.string_option("id", "team-1-rituals-01")
    )
    assert bot.reply(removed).startswith("Retired team-1-rituals-01")
    assert await bot.count(workspace_prompts, workspace_prompts.c.status == "retired") == 1


async def test_every_form_and_list_stays_within_discords_limits(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    views = await bot.core.service.workspaces.view(f"discord:{discord_world.guild_id}")
    for view in views:
        if tv.picks_from_a_list(view):
            [_, values] = tv.editor_view(views, view).children
            assert 0 < len(values.to_component_dict()["options"]) <= 25
            continue
        form = tv.SettingModal(view).to_dict()
        [label] = form["components"]
        assert len(form["title"]) <= 45 and len(label["label"]) <= 45, form
        assert len(label["description"]) <= 100 and label["component"]["max_length"] <= 100
    picker = tv.editor_view(views).children[0].to_component_dict()
    assert all(len(o["description"]) <= 100 for o in picker["options"])

    pending = [
        team_questions.TeamPrompt(
            Prompt(f"team-1-music-{n:02d}", 1, "music", SUGGESTED), "pending", True
        )
        for n in range(1, 8)
    ]
    reply = tv.review_reply(pending)
    rows = {item.row for item in reply["view"].children}
    assert rows == {0, 1, 2, 3, 4} and len(reply["view"].children) == 10
    assert reply["content"].endswith("2 more wait after these.")


async def test_suggestions_can_be_turned_off_by_a_lead(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, bob, general = discord_world.alice, discord_world.bob, discord_world.general
    assert (await set_setting(bot, alice, general, "suggestions", "off")).startswith("Saved.")
    refused = await questions(bot, bob, general, "suggest", *draft(1, "music", SUGGESTED))
    assert bot.reply(refused) == "Your team's leads have turned question suggestions off."
    assert await bot.count(workspace_prompts) == 0
