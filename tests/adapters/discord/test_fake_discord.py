"""The real discord.py client works against FakeDiscord: gateway, REST, app commands, components,
modals, rate limits and DM errors. No test sleeps to wait; each waits on a condition."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord import (
    ClientStarter,
    DiscordWorld,
    FakeDiscord,
    default_intents,
    new_client,
)
from tests.fakes.discord import payloads as p
from tests.fakes.discord.harness import GUILD_READY_TIMEOUT

WAIT = 5.0


class RecordingClient(discord.Client):
    """A client whose UI callbacks report into queues the test awaits."""

    def __init__(self) -> None:
        super().__init__(intents=default_intents(), guild_ready_timeout=GUILD_READY_TIMEOUT)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()


async def next_event(client: RecordingClient) -> tuple[str, Any]:
    return await asyncio.wait_for(client.events.get(), WAIT)


class AnswerModal(discord.ui.Modal):
    """Replies ephemerally, then reports `("answer", (custom_id, value))`.

    `classic_label` gives the pre-2.6 text input that carries its own label (in an action row).
    """

    def __init__(self, *, title: str, custom_id: str, classic_label: str | None = None) -> None:
        super().__init__(title=title, custom_id=custom_id)
        self.answer = discord.ui.TextInput(
            custom_id="answer",
            label=classic_label,
            style=discord.TextStyle.paragraph,
            max_length=3000,
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Thanks, saved.", ephemeral=True)
        client: RecordingClient = interaction.client  # type: ignore[assignment]
        await client.events.put(("answer", (self.custom_id, self.answer.value)))


def _prompt_modal(round_id: int) -> discord.ui.Modal:
    """A 2.7-style modal: the prompt in a TextDisplay, a paragraph TextInput inside a Label."""
    modal = AnswerModal(title="Your answer", custom_id=f"rapport:modal:{round_id}")
    modal.add_item(discord.ui.TextDisplay("What did you want to be as a child?"))
    modal.add_item(discord.ui.Label(text="Your answer", component=modal.answer))
    return modal


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"rapport:answer:(?P<round>\d+)"
):
    """The adapter's style of button: state lives in the custom_id, survives restarts."""

    def __init__(self, round_id: int) -> None:
        super().__init__(discord.ui.Button(label="Answer", custom_id=f"rapport:answer:{round_id}"))
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        return cls(int(match["round"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(_prompt_modal(self.round_id))


class PaceView(discord.ui.View):
    """A persistent view: a pace select whose callback opens a classic (action-row) modal."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="rapport:pace", options=[discord.SelectOption(label=v) for v in ("live", "daily")]
    )
    async def pace(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        modal = AnswerModal(title="Pace", custom_id="rapport:pace-note", classic_label="Note")
        modal.add_item(modal.answer)
        await interaction.response.send_modal(modal)
        client: RecordingClient = interaction.client  # type: ignore[assignment]
        await client.events.put(("pace", list(select.values)))


# --- connection ------------------------------------------------------------------------------


async def test_client_logs_in_becomes_ready_and_sees_the_guild(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()

    assert client.user is not None and client.user.id == p.APPLICATION_ID
    assert client.application_id == p.APPLICATION_ID
    guild = client.get_guild(discord_world.guild_id)
    assert guild is not None and guild.name == "Rapport Lab" and guild.me is not None
    assert {m.name for m in guild.members} == {"alice", "bob", "carol", "rapport"}
    assert isinstance(guild.get_channel(int(discord_world.general["id"])), discord.TextChannel)
    assert fake_discord.identifies[0]["intents"] == default_intents().value
    assert client.latency != float("inf")  # the heartbeat sent after HELLO was ACKed
    paths = [r.path for r in fake_discord.requests]
    assert paths == ["/users/@me", "/oauth2/applications/@me"]


async def test_reconnect_resumes_the_session_and_events_keep_flowing(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()
    resumed = asyncio.get_running_loop().create_future()
    received: asyncio.Queue[discord.Message] = asyncio.Queue()

    @client.event
    async def on_resumed() -> None:
        resumed.set_result(True)

    @client.event
    async def on_message(message: discord.Message) -> None:
        received.put_nowait(message)

    await fake_discord.request_reconnect()
    await asyncio.wait_for(resumed, WAIT)
    channel = fake_discord.dm_channel_for(discord_world.alice["id"])
    await fake_discord.push_event(
        "MESSAGE_CREATE", p.dm_message(channel, discord_world.alice, "still here?")
    )

    assert (await asyncio.wait_for(received.get(), WAIT)).content == "still here?"
    assert len(fake_discord.identifies) == 1
    assert fake_discord.resumes[0]["session_id"] in fake_discord.sessions
    first, second = fake_discord.gateway_connects
    assert first.startswith("/gateway?v=10&encoding=json")
    assert second.startswith("/gateway/resume?v=10&encoding=json")  # READY's resume_gateway_url


# --- messages --------------------------------------------------------------------------------


async def test_dm_message_reaches_on_message_and_the_reply_is_recorded(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()
    seen = asyncio.get_running_loop().create_future()

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.set_result(message)
        none = discord.AllowedMentions.none()
        await message.channel.send(f"echo: {message.content}", allowed_mentions=none)

    channel = fake_discord.dm_channel_for(discord_world.alice["id"])
    await fake_discord.push_event(
        "MESSAGE_CREATE", p.dm_message(channel, discord_world.alice, "hello")
    )

    [reply] = await fake_discord.wait_until(
        lambda: fake_discord.messages_to(discord_world.alice["id"])
    )
    assert reply.content == "echo: hello"
    assert reply.allowed_mentions is not None and reply.allowed_mentions["parse"] == []
    message: discord.Message = seen.result()
    assert isinstance(message.channel, discord.DMChannel) and message.guild is None
    assert message.author.id == int(discord_world.alice["id"])


async def test_guild_message_arrives_with_a_member_author(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()

    @client.event
    async def on_message(message: discord.Message) -> None:
        assert isinstance(message.author, discord.Member)
        await message.channel.send(f"hi {message.author.display_name}")

    general = discord_world.general
    await fake_discord.push_event(
        "MESSAGE_CREATE", p.guild_message(general, discord_world.bob, "hey")
    )

    [reply] = await fake_discord.wait_until(lambda: fake_discord.messages_in(general["id"]))
    assert reply.content == "hi Bob"
    assert reply.payload["guild_id"] == general["guild_id"]


async def test_a_json_export_is_sent_as_a_dm_attachment(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()
    export = json.dumps({"rounds": [{"id": 1}]}).encode()
    alice = client.get_user(int(discord_world.alice["id"]))
    assert alice is not None

    sent = await alice.send(
        "Your export", file=discord.File(io.BytesIO(export), "rapport-export.json")
    )

    [recorded] = fake_discord.messages_to(alice.id)
    assert recorded.content == "Your export" and recorded.files[0].data == export
    assert recorded.files[0].content_type == "application/json"
    assert sent.attachments[0].filename == "rapport-export.json"
    assert sent.attachments[0].size == len(export)


async def test_message_edit_is_recorded(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()
    alice = client.get_user(int(discord_world.alice["id"]))
    assert alice is not None

    sent = await alice.send("Prompt: what did you want to be as a child?")
    edited = await sent.edit(content="Prompt (answered)", embed=discord.Embed(title="Answered"))

    [recorded] = fake_discord.messages_to(alice.id)
    assert recorded.content == "Prompt (answered)" and recorded.embeds[0]["title"] == "Answered"
    assert [e["content"] for e in recorded.edits] == ["Prompt (answered)"]
    assert edited.edited_at is not None and edited.id == sent.id


async def test_429_on_send_is_retried_and_the_message_arrives(
    fake_discord: FakeDiscord, discord_client: ClientStarter, discord_world: DiscordWorld
) -> None:
    client = await discord_client()
    fake_discord.rate_limit_next("POST /channels/{id}/messages", retry_after=0.05)

    @client.event
    async def on_message(message: discord.Message) -> None:
        await message.channel.send("answer received")

    channel = fake_discord.dm_channel_for(discord_world.alice["id"])
    await fake_discord.push_event(
        "MESSAGE_CREATE", p.dm_message(channel, discord_world.alice, "hi")
    )

    [reply] = await fake_discord.wait_until(
        lambda: fake_discord.messages_to(discord_world.alice["id"])
    )
    assert reply.content == "answer received"
    statuses = [r.status for r in fake_discord.requests_matching("POST /channels/{id}/messages")]
    assert statuses == [429, 200]


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (403, p.CANNOT_SEND_TO_USER, discord.Forbidden),
        (400, p.OPENING_DMS_TOO_FAST, discord.HTTPException),
    ],
    ids=["50007-dms-closed", "40003-dms-too-fast"],
)
async def test_dm_errors_surface_as_http_exceptions_in_the_handler(
    fake_discord: FakeDiscord,
    discord_client: ClientStarter,
    discord_world: DiscordWorld,
    status: int,
    body: dict[str, Any],
    error_type: type[discord.HTTPException],
) -> None:
    client = await discord_client()
    caught = asyncio.get_running_loop().create_future()
    fake_discord.fail_next("POST /channels/{id}/messages", status, body)

    @client.event
    async def on_message(message: discord.Message) -> None:
        bob = client.get_user(int(discord_world.bob["id"]))
        assert bob is not None
        try:
            await bob.send("You are invited to a round")
        except discord.HTTPException as exc:
            caught.set_result(exc)

    channel = fake_discord.dm_channel_for(discord_world.alice["id"])
    await fake_discord.push_event(
        "MESSAGE_CREATE", p.dm_message(channel, discord_world.alice, "go")
    )

    exc = await asyncio.wait_for(caught, WAIT)
    assert type(exc) is error_type and exc.code == body["code"] and exc.status == status
    assert fake_discord.messages_to(discord_world.bob["id"]) == []


# --- application commands ----------------------------------------------------------------------


def _rapport_commands(events: asyncio.Queue[tuple[str, Any]]) -> app_commands.Group:
    """`/rapport start <partner>` and `/rapport schedule add <cadence>`."""
    rapport = app_commands.Group(name="rapport", description="Getting-to-know-you rounds")
    schedule = app_commands.Group(name="schedule", description="Recurring sessions", parent=rapport)

    @rapport.command(name="start", description="Start a round with someone")
    @app_commands.describe(partner="Who to pair with")
    async def start(interaction: discord.Interaction, partner: discord.Member) -> None:
        await interaction.response.send_message(f"Invited {partner.display_name}", ephemeral=True)
        await events.put(("start", (interaction.user, partner)))

    @schedule.command(name="add", description="Schedule sessions")
    async def add(interaction: discord.Interaction, cadence: str) -> None:
        await interaction.response.send_message(f"Scheduled {cadence}", ephemeral=True)
        await events.put(("schedule", cadence))

    return rapport


async def test_commands_over_discords_limits_are_refused_like_discord_does(
    fake_discord: FakeDiscord, discord_world: DiscordWorld, discord_client: ClientStarter
) -> None:
    client = RecordingClient()
    tree = app_commands.CommandTree(client)
    guild = discord.Object(discord_world.guild_id)
    group = app_commands.Group(name="rapport", description="Rounds")

    @group.command(name="start", description="Start")
    @app_commands.choices(n=[app_commands.Choice(name=str(i), value=i) for i in range(26)])
    async def start(interaction: discord.Interaction, n: int) -> None: ...

    tree.add_command(group, guild=guild)
    await discord_client(client)

    with pytest.raises(discord.HTTPException) as refused:
        await tree.sync(guild=guild)
    assert refused.value.status == 400 and refused.value.code == 50035
    assert "In parameter 'n'" in str(refused.value)
    assert "choices: Must be 25 or fewer in length." in str(refused.value)
    assert str(discord_world.guild_id) not in fake_discord.commands


async def test_slash_command_group_is_synced_and_invoked(
    fake_discord: FakeDiscord, discord_world: DiscordWorld, discord_client: ClientStarter
) -> None:
    client = RecordingClient()
    tree = app_commands.CommandTree(client)
    guild = discord.Object(discord_world.guild_id)
    tree.add_command(_rapport_commands(client.events), guild=guild)
    await discord_client(client)

    synced = await tree.sync(guild=guild)

    [put] = fake_discord.requests_matching("PUT /applications/{app}/guilds/{gid}/commands")
    [command] = put.json
    assert command["name"] == "rapport"
    options = {o["name"]: o for o in command["options"]}
    assert (options["start"]["type"], options["schedule"]["type"]) == (1, 2)
    [partner_option] = options["start"]["options"]
    assert (partner_option["name"], partner_option["type"]) == ("partner", 6)
    registered = fake_discord.commands[str(discord_world.guild_id)][0]
    assert synced[0].id == int(registered["id"])

    start = p.slash_command(
        "rapport",
        user=discord_world.alice,
        channel=discord_world.general,
        options=[p.subcommand("start", [p.user_option("partner", discord_world.bob["id"])])],
        resolved_data=p.resolved([discord_world.bob], guild_members=True),
        command_id=registered["id"],
        command_guild_id=discord_world.guild_id,
    )
    await fake_discord.push_event("INTERACTION_CREATE", start)

    kind, (user, partner) = await next_event(client)
    assert kind == "start" and user.id == int(discord_world.alice["id"])
    assert isinstance(partner, discord.Member) and partner.id == int(discord_world.bob["id"])
    [callback] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(start["id"])
    )
    assert (callback.type, callback.flags) == (4, 64)
    assert callback.data is not None and callback.data["content"] == "Invited Bob"

    cadence = p.string_option("cadence", "weekly")
    add = p.slash_command(
        "rapport",
        user=discord_world.alice,
        channel=discord_world.general,
        options=[p.subcommand_group("schedule", [p.subcommand("add", [cadence])])],
        command_id=registered["id"],
        command_guild_id=discord_world.guild_id,
    )
    await fake_discord.push_event("INTERACTION_CREATE", add)
    assert await next_event(client) == ("schedule", "weekly")
    [callback] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(add["id"])
    )
    assert callback.ephemeral


async def test_deferred_command_followup_and_original_edit_use_the_webhook_routes(
    fake_discord: FakeDiscord, discord_world: DiscordWorld, discord_client: ClientStarter
) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    done = asyncio.get_running_loop().create_future()

    @tree.command(name="ping", description="Deferred reply")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        followup = await interaction.followup.send("working on it", ephemeral=True, wait=True)
        await interaction.edit_original_response(content="pong")
        done.set_result(followup)

    await discord_client(client)
    channel = fake_discord.dm_channel_for(discord_world.alice["id"])
    interaction = p.slash_command("ping", user=discord_world.alice, channel=channel)
    await fake_discord.push_event("INTERACTION_CREATE", interaction)

    followup = await asyncio.wait_for(done, WAIT)
    [callback] = fake_discord.interaction_callbacks(interaction["id"])
    assert (callback.type, callback.ephemeral) == (5, True)
    assert callback.message is not None and callback.message.content == "pong"
    [recorded] = fake_discord.followups(interaction["token"])
    assert recorded.content == "working on it" and recorded.flags & 64
    assert followup.id == int(recorded.id)


# --- components and modals ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["dm", "guild"])
async def test_dynamic_button_opens_a_modal_and_the_submit_reaches_on_submit(
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    discord_client: ClientStarter,
    where: str,
) -> None:
    client = RecordingClient()
    client.add_dynamic_items(AnswerButton)
    await discord_client(client)
    alice = discord_world.alice
    channel = fake_discord.dm_channel_for(alice["id"]) if where == "dm" else discord_world.general

    click = p.button_click("rapport:answer:42", user=alice, channel=channel)
    await fake_discord.push_event("INTERACTION_CREATE", click)

    [modal] = await fake_discord.wait_until(lambda: fake_discord.interaction_callbacks(click["id"]))
    assert modal.type == 9 and modal.data is not None
    assert modal.data["custom_id"] == "rapport:modal:42" and modal.data["title"] == "Your answer"
    prompt, label = modal.data["components"]
    assert prompt == {"type": 10, "content": "What did you want to be as a child?"}
    assert label["type"] == 18 and label["label"] == "Your answer"
    assert label["component"] | {"type": 4, "style": 2, "custom_id": "answer"} == label["component"]

    answers = p.modal_answers(modal.data, {"answer": "An astronaut"})
    submit = p.modal_submit(modal.data["custom_id"], answers, user=alice, channel=channel)
    await fake_discord.push_event("INTERACTION_CREATE", submit)

    assert await next_event(client) == ("answer", ("rapport:modal:42", "An astronaut"))
    [thanks] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(submit["id"])
    )
    assert (thanks.type, thanks.ephemeral) == (4, True)


async def test_persistent_select_and_classic_action_row_modal(
    fake_discord: FakeDiscord, discord_world: DiscordWorld, discord_client: ClientStarter
) -> None:
    client = RecordingClient()
    await discord_client(client)
    client.add_view(PaceView())
    general, bob = discord_world.general, discord_world.bob

    choice = p.select_choice("rapport:pace", ["daily"], user=bob, channel=general)
    await fake_discord.push_event("INTERACTION_CREATE", choice)

    assert await next_event(client) == ("pace", ["daily"])
    [modal] = await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(choice["id"])
    )
    assert modal.type == 9 and modal.data is not None
    [row] = modal.data["components"]
    assert row["type"] == 1 and row["components"][0]["label"] == "Note"

    submit = p.modal_submit(
        "rapport:pace-note",
        [p.text_input_row("answer", "mornings suit me")],
        user=bob,
        channel=general,
    )
    await fake_discord.push_event("INTERACTION_CREATE", submit)
    assert await next_event(client) == ("answer", ("rapport:pace-note", "mornings suit me"))


async def test_label_submit_builder_matches_what_discord_py_parses(
    fake_discord: FakeDiscord, discord_world: DiscordWorld, discord_client: ClientStarter
) -> None:
    client = RecordingClient()
    client.add_dynamic_items(AnswerButton)
    await discord_client(client)
    carol = discord_world.carol
    channel = fake_discord.dm_channel_for(carol["id"])
    click = p.button_click("rapport:answer:7", user=carol, channel=channel)
    await fake_discord.push_event("INTERACTION_CREATE", click)
    await fake_discord.wait_until(
        lambda: fake_discord.interaction_callbacks(click["id"], callback_type=9)
    )

    answers = [p.label_text_input("answer", "Gardening")]
    submit = p.modal_submit("rapport:modal:7", answers, user=carol, channel=channel)
    await fake_discord.push_event("INTERACTION_CREATE", submit)

    assert await next_event(client) == ("answer", ("rapport:modal:7", "Gardening"))


# --- REST surface without a gateway ------------------------------------------------------------


async def test_members_channels_and_unknown_routes(
    fake_discord: FakeDiscord, discord_world: DiscordWorld, discord_client: ClientStarter
) -> None:
    client = await discord_client()
    guild = client.get_guild(discord_world.guild_id)
    assert guild is not None

    fetched = [m.id async for m in guild.fetch_members(limit=None)]
    bob = await guild.fetch_member(int(discord_world.bob["id"]))
    carol = await client.fetch_user(int(discord_world.carol["id"]))
    channels = await guild.fetch_channels()
    with pytest.raises(discord.NotFound):
        await client.http.request(discord.http.Route("GET", "/nowhere"))

    assert sorted(fetched) == sorted(m.id for m in guild.members)
    assert bob.name == "bob" and carol.name == "carol" and [c.name for c in channels] == ["general"]
    assert [r.path for r in fake_discord.unhandled] == ["/nowhere"]
    fake_discord.unhandled.clear()


async def test_json_content_type_is_exact_and_auth_is_checked(fake_discord: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake_discord.api_url}/users/@me"
        ok = await session.get(url, headers={"Authorization": f"Bot {p.BOT_TOKEN}"})
        denied = await session.get(url, headers={"Authorization": "Bot nope"})
        async with ok, denied:
            assert ok.status == 200 and ok.headers["Content-Type"] == "application/json"
            assert denied.status == 401
