"""The /rapport commands against FakeDiscord: leads and everyone else, the service's own
messages for bad input, and exactly one (ephemeral) callback for every command."""

from __future__ import annotations

import pytest

from bot.identity import Member
from bot.service.schedules import LEAD_ONLY
from tests.adapters.discord.conftest import BotStarter
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import DiscordRapport, kind_of

NO_PERMISSIONS = "0"
LEAD_ROLE_ID = 1_700_000_000_000_000_001


def schedule_options(world: DiscordWorld, **override: object) -> list[p.Payload]:
    values: dict[str, object] = {"every": 1, "day": "mon", "time": "10:00", "tz": "Europe/Berlin"}
    values.update(override)
    options = [p.channel_option("channel", world.general["id"])]
    for name, value in values.items():
        if isinstance(value, int):
            options.append(p.integer_option(name, value))
        else:
            options.append(p.string_option(name, str(value)))
    return options


async def schedule(
    bot: DiscordRapport,
    world: DiscordWorld,
    user: p.Payload,
    *,
    permissions: str,
    **override: object,
) -> p.Payload:
    return await bot.command(
        user,
        world.general,
        "add",
        schedule_options(world, **override),
        group="schedule",
        resolved=p.resolved(channels=[world.general]),
        permissions=permissions,
    )


# --- leads -------------------------------------------------------------------------------------


async def test_non_leads_are_refused_every_lead_command_and_nothing_changes(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    lead = await schedule(bot, discord_world, discord_world.alice, permissions=p.ALL_PERMISSIONS)
    schedule_id = bot.reply(lead).split()[1].rstrip(":")
    bob, general = discord_world.bob, discord_world.general

    refused = [await schedule(bot, discord_world, bob, permissions=NO_PERMISSIONS)]
    for name, options in [
        ("list", []),
        ("pause", [p.string_option("id", schedule_id)]),
        ("resume", [p.string_option("id", schedule_id)]),
        ("remove", [p.string_option("id", schedule_id)]),
        ("run-now", [p.string_option("id", schedule_id)]),
    ]:
        refused.append(
            await bot.command(
                bob, general, name, options, group="schedule", permissions=NO_PERMISSIONS
            )
        )
    stats = await bot.command(bob, general, "stats", permissions=NO_PERMISSIONS)
    pair = await bot.command(
        bob,
        general,
        "start",
        [
            p.user_option("member", discord_world.alice["id"]),
            p.user_option("second_member", discord_world.carol["id"]),
        ],
        resolved=p.resolved([discord_world.alice, discord_world.carol], guild_members=True),
        permissions=NO_PERMISSIONS,
    )

    assert [bot.reply(i) for i in refused] == [LEAD_ONLY] * 6
    assert bot.reply(stats) == "Only team leads can see stats."
    assert bot.reply(pair).startswith("Only team leads")
    [view] = await bot.core.schedules.list_for("discord", str(discord_world.guild_id))
    assert (view.id, view.status) == (schedule_id, "active")
    assert fake_discord.messages_in(general["id"]) == []  # no session ran
    assert (
        await bot.core.service.summaries(
            Member("discord", general["guild_id"], discord_world.alice["id"])
        )
        == []
    )
    assert all(c.ephemeral for c in fake_discord.callbacks)


async def test_the_configured_lead_role_makes_a_lead(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    guild = fake_discord.guilds[str(discord_world.guild_id)]
    guild["roles"].append(p.role(LEAD_ROLE_ID, "Team lead"))
    bot = await start_bot(RAPPORT_DISCORD_LEAD_ROLE="Team lead")

    listed = await bot.command(
        discord_world.bob,
        discord_world.general,
        "list",
        group="schedule",
        permissions=NO_PERMISSIONS,
        member={"roles": [str(LEAD_ROLE_ID)]},
    )
    assert bot.reply(listed).startswith("No schedules yet")


async def test_a_lead_pairs_two_other_people(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    bob, carol = discord_world.bob, discord_world.carol
    pair = await bot.command(
        discord_world.alice,
        discord_world.general,
        "start",
        [
            p.user_option("member", bob["id"]),
            p.user_option("second_member", carol["id"]),
            p.string_option("pace", "daily"),
        ],
        resolved=p.resolved([bob, carol], guild_members=True),
    )
    assert bot.reply(pair).startswith(f"Paired <@{bob['id']}> and <@{carol['id']}>")
    for user in (bob, carol):
        [invitation] = await bot.wait_dms(user["id"], 1)
        assert kind_of(invitation) == "invitation"
        assert "one prompt a day" in invitation.embeds[0]["description"]
    assert bot.dms(discord_world.alice["id"]) == []


# --- the service's messages for bad input ------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"tz": "Mars/Olympus"}, "tz:Mars/Olympus isn't a time zone I know"),
        ({"time": "25:00"}, "time:25:00 isn't a 24-hour time"),
        ({"depth": 7}, "depth:7 must be a layer from 1 to 4"),
        ({"every": 9}, "every:9 must be a number of weeks from 1 to 4"),
        ({"bank": "nope"}, "bank:nope isn't installed"),
    ],
)
async def test_a_bad_schedule_gets_the_services_message_naming_the_problem(
    start_bot: BotStarter,
    discord_world: DiscordWorld,
    override: dict[str, object],
    problem: str,
) -> None:
    bot = await start_bot()
    added = await schedule(
        bot, discord_world, discord_world.alice, permissions=p.ALL_PERMISSIONS, **override
    )
    assert bot.reply(added).startswith(problem)
    assert await bot.core.schedules.list_for("discord", str(discord_world.guild_id)) == []


async def test_a_lead_pauses_resumes_and_removes_a_schedule(
    start_bot: BotStarter, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    added = await schedule(bot, discord_world, discord_world.alice, permissions=p.ALL_PERMISSIONS)
    schedule_id = bot.reply(added).split()[1].rstrip(":")
    replies = []
    for action in ("pause", "resume", "remove"):
        done = await bot.command(
            discord_world.alice,
            discord_world.general,
            action,
            [p.string_option("id", schedule_id)],
            group="schedule",
        )
        replies.append(bot.reply(done))
    assert replies == [
        f"Schedule {schedule_id} is now paused.",
        f"Schedule {schedule_id} is now active.",
        f"Schedule {schedule_id} is now removed.",
    ]
    assert await bot.core.schedules.list_for("discord", str(discord_world.guild_id)) == []


# --- every command is answered once ------------------------------------------------------------


async def test_every_command_gets_exactly_one_ephemeral_callback(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    alice, general = discord_world.alice, discord_world.general
    bob_option = [p.user_option("member", discord_world.bob["id"])]
    bob_resolved = p.resolved([discord_world.bob], guild_members=True)
    cases: list[tuple[str, list[p.Payload], p.Payload | None, str]] = [
        ("help", [], None, "Rapport runs short getting-to-know-you rounds"),
        ("status", [], None, "You're not in any round right now"),
        ("optout", [], None, "You've opted out"),
        ("optin", [], None, "Welcome back"),
        ("pause", [p.string_option("duration", "soon")], None, "Tell me how long to pause"),
        ("pause", [p.string_option("duration", "2w")], None, "Paused until"),
        ("pause", [p.string_option("duration", "off")], None, "Your pause is over"),
        ("timezone", [p.string_option("name", "Mars/Olympus")], None, "'Mars/Olympus' isn't"),
        ("timezone", [p.string_option("name", "Europe/Berlin")], None, "Got it"),
        ("avoid", bob_option, bob_resolved, "Noted."),
        ("stats", [], None, "Figures are shown only for at least 5 people"),
        (
            "start",
            [p.user_option("member", alice["id"])],
            p.resolved([alice], guild_members=True),
            "A round needs someone else",
        ),
        ("start", bob_option, bob_resolved, "Invitation sent"),
        ("start", bob_option, bob_resolved, "You already have a round going together"),
        ("status", [], None, f"• With <@{discord_world.bob['id']}>: layer 1 of 2"),
        ("stop", [], None, "You've left 1 round"),
    ]
    pushed = []
    for name, options, resolved, expected in cases:
        interaction = await bot.command(alice, general, name, options, resolved=resolved)
        pushed.append(interaction)
        assert bot.reply(interaction).startswith(expected) or expected in bot.reply(interaction), (
            name
        )

    for interaction in pushed:
        [callback] = fake_discord.interaction_callbacks(interaction["id"])
        assert callback.ephemeral and callback.type in (4, 5)
    assert len(fake_discord.callbacks) == len(pushed)


async def test_a_bot_cannot_be_invited(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    rapport = fake_discord.bot
    start = await bot.command(
        discord_world.alice,
        discord_world.general,
        "start",
        [p.user_option("member", rapport["id"])],
        resolved=p.resolved([rapport], guild_members=True),
    )
    assert "is a bot" in bot.reply(start)


async def test_time_zone_names_are_autocompleted(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    focused = {**p.string_option("name", "berl"), "focused": True}
    interaction = p.slash_command(
        "rapport",
        user=discord_world.alice,
        channel=discord_world.general,
        options=[p.subcommand("timezone", [focused])],
        command_guild_id=discord_world.guild_id,
    )
    interaction["type"] = p.AUTOCOMPLETE
    await bot.push(interaction, handled=False)
    [callback] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(interaction["id"])
    )
    assert callback.type == 8 and callback.data is not None
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in callback.data["choices"]


async def test_an_option_discord_py_cannot_resolve_still_gets_an_answer(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    unknown = p.text_channel(1_900_000_000_000_000_001, discord_world.guild_id, "gone")
    interaction = p.slash_command(
        "rapport",
        user=discord_world.alice,
        channel=discord_world.general,
        options=[p.subcommand("stats", [p.channel_option("channel", unknown["id"])])],
        resolved_data=p.resolved(channels=[unknown]),
        command_guild_id=discord_world.guild_id,
    )
    await bot.push(interaction, handled=False)
    [callback] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(interaction["id"])
    )
    assert callback.ephemeral and "I couldn't use that" in str(callback.data)
