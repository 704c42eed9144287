"""DiscordRuntime against FakeDiscord: intents, command sync modes, sharding, base URLs, the
channel directory and plain DM replies; plus the runner's wiring and the invite URL."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs, urlparse

import discord
import pytest

from bot.adapters.discord.invite import PERMISSIONS, invite_url
from bot.adapters.discord.runtime import DiscordRuntime, ShardedRapportClient
from bot.cli import main
from bot.config import Settings
from bot.runner import configured_runtimes, directories_of
from bot.service.ports import ChannelMember
from tests.adapters.discord.conftest import BotStarter
from tests.fakes.discord import DiscordWorld, FakeDiscord
from tests.fakes.discord import payloads as p

VIEW_CHANNEL = 1 << 10


# --- connection ----------------------------------------------------------------------------------


async def test_intents_are_the_minimum_and_base_urls_are_restored(
    start_bot: BotStarter, fake_discord: FakeDiscord
) -> None:
    saved = discord.http.Route.BASE
    bot = await start_bot()
    assert fake_discord.api_url == discord.http.Route.BASE
    [identify] = fake_discord.identifies
    wanted = discord.Intents.none()
    wanted.guilds = wanted.dm_messages = wanted.members = True
    assert identify["intents"] == wanted.value  # no message content: DMs carry their text
    assert bot.rt.connected
    await bot.stop()
    assert saved == discord.http.Route.BASE


async def test_the_ready_line_counts_servers_in_words(
    start_bot: BotStarter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.discord.runtime")
    await start_bot()
    ready = [r.getMessage() for r in caplog.records if "ready as" in r.getMessage()]
    assert len(ready) == 1 and ready[0].endswith(" in 1 server"), ready


async def test_message_content_can_be_requested(
    start_bot: BotStarter, fake_discord: FakeDiscord
) -> None:
    await start_bot(RAPPORT_DISCORD_MESSAGE_CONTENT="true")
    assert discord.Intents._from_value(fake_discord.identifies[0]["intents"]).message_content


@pytest.mark.parametrize(
    ("mode", "route"),
    [
        ("guild", "PUT /applications/{app}/guilds/{gid}/commands"),
        ("global", "PUT /applications/{app}/commands"),
        ("none", None),
    ],
)
async def test_commands_are_synced_per_guild_globally_or_not_at_all(
    start_bot: BotStarter, fake_discord: FakeDiscord, mode: str, route: str | None
) -> None:
    await start_bot(RAPPORT_DISCORD_COMMAND_SYNC=mode)
    puts = [r for r in fake_discord.requests if r.method == "PUT"]
    if route is None:
        assert puts == []
        return
    assert [r.path for r in puts] == [r.path for r in fake_discord.requests_matching(route)]
    [put] = puts
    assert [c["name"] for c in put.json] == ["rapport"]
    assert put.json[0]["dm_permission"] is False


async def test_a_global_command_still_answers_in_a_guild(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot(RAPPORT_DISCORD_COMMAND_SYNC="global")
    status = await bot.command(discord_world.alice, discord_world.general, "status")
    assert "not in any round" in bot.reply(status)


@pytest.mark.parametrize(
    ("shards", "shard_ids", "identified"),
    [("auto", None, [0, 1]), ("2", "1", [1, 2])],
)
async def test_sharding_uses_the_auto_sharded_client(
    start_bot: BotStarter,
    fake_discord: FakeDiscord,
    discord_world: DiscordWorld,
    shards: str,
    shard_ids: str | None,
    identified: list[int],
) -> None:
    extra = {"RAPPORT_DISCORD_SHARDS": shards}
    if shard_ids:
        extra["RAPPORT_DISCORD_SHARD_IDS"] = shard_ids
    bot = await start_bot(**extra)
    assert isinstance(bot.rt.client, ShardedRapportClient)
    assert [i["shard"] for i in fake_discord.identifies] == [identified]
    help_ = await bot.command(discord_world.alice, discord_world.general, "help")
    assert "getting-to-know-you" in bot.reply(help_)


@pytest.mark.parametrize(
    ("shards", "ids", "problem"),
    [
        ("many", None, "must be 'auto' or a number"),
        ("auto", "0", "needs a count"),
        ("2", "2", "between 0 and 1"),
    ],
)
def test_bad_shard_settings_are_explained(shards: str, ids: str | None, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):  # pydantic's ValidationError is one
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            RAPPORT_DISCORD_SHARDS=shards,
            RAPPORT_DISCORD_SHARD_IDS=ids,
        )


def test_the_runner_builds_the_core_with_the_discord_directory() -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="t")  # type: ignore[call-arg]
    [runtime] = configured_runtimes(settings)
    assert isinstance(runtime, DiscordRuntime)
    assert directories_of([runtime]) == {"discord": runtime.directory}


# --- the channel directory ----------------------------------------------------------------------


async def test_the_directory_lists_who_can_view_the_channel(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    guild_id = str(discord_world.guild_id)
    hidden = {"id": discord_world.carol["id"], "type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)}
    fake_discord.channel(discord_world.general["id"])["permission_overwrites"].append(hidden)
    bot = await start_bot()

    listed = await bot.rt.directory.channel_members(guild_id, discord_world.general["id"])

    assert sorted(listed, key=lambda m: m.user_id) == sorted(
        [
            ChannelMember(discord_world.alice["id"], is_bot=False, is_lead=True),  # the owner
            ChannelMember(discord_world.bob["id"], is_bot=False, is_lead=False),
            ChannelMember(fake_discord.bot["id"], is_bot=True, is_lead=False),
        ],
        key=lambda m: m.user_id,
    )


async def test_the_directory_reads_a_guild_this_process_does_not_hold_over_rest(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    other = p.guild(
        1_800_000_000_000_000_001,
        "Elsewhere",
        owner_id=discord_world.bob["id"],
        members=[p.member(discord_world.bob), p.member(discord_world.carol)],
        channels=[p.text_channel(1_800_000_000_000_000_101, 1_800_000_000_000_000_001, "x")],
    )
    fake_discord.add_guild(other)  # after READY: another shard's guild for this process

    listed = await bot.rt.directory.channel_members(other["id"], "1800000000000000101")

    assert {(m.user_id, m.is_lead, m.is_bot) for m in listed} == {
        (discord_world.bob["id"], True, False),
        (discord_world.carol["id"], False, False),
        (fake_discord.bot["id"], False, True),
    }


# --- plain DMs -----------------------------------------------------------------------------------


async def test_a_dm_with_no_prompt_waiting_gets_a_kind_reply(
    start_bot: BotStarter, fake_discord: FakeDiscord, discord_world: DiscordWorld
) -> None:
    bot = await start_bot()
    await bot.dm(discord_world.carol, "hello?")
    [reply] = await bot.wait_dms(discord_world.carol["id"], 1)
    assert reply.content.startswith("There's no prompt waiting for your answer")
    assert reply.allowed_mentions == {"parse": []}


# --- the invite URL ------------------------------------------------------------------------------


def test_the_invite_url_has_both_scopes_and_only_the_needed_permissions() -> None:
    url = urlparse(invite_url(123))
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    assert query["client_id"] == ["123"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    wanted = discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        read_message_history=True,
        use_application_commands=True,
    )
    assert granted == wanted == PERMISSIONS
    assert granted.value == 2147568640  # 1<<10 | 1<<11 | 1<<14 | 1<<16 | 1<<31


def test_the_cli_prints_the_invite_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord", "invite-url", "--client-id", "123"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == invite_url(123)


def test_the_cli_explains_what_it_needs_without_an_id_or_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_CLIENT_ID", raising=False)
    monkeypatch.chdir("/")  # no .env here
    assert main(["discord", "invite-url"]) == 2
    assert "--client-id" in capsys.readouterr().out


async def test_the_cli_asks_discord_for_the_id_with_the_token(
    fake_discord: FakeDiscord, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", fake_discord.token)
    monkeypatch.setenv("DISCORD_API_URL", fake_discord.api_url)
    saved = discord.http.Route.BASE
    assert await asyncio.to_thread(main, ["discord", "invite-url"]) == 0
    assert capsys.readouterr().out.strip() == invite_url(fake_discord.application_id)
    assert saved == discord.http.Route.BASE
    assert fake_discord.requests_matching("GET /oauth2/applications/@me")
