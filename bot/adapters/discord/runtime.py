"""`DiscordRuntime`: the Discord side of `rapport run`.

One discord.py client (an `AutoShardedClient` when `RAPPORT_DISCORD_SHARDS` is set) carries the
/rapport commands, the DM buttons and modals and plain DM replies; the same client serves the
outbox sender and the channel directory. `DISCORD_API_URL` / `DISCORD_GATEWAY_URL` point it at
another REST base and gateway (tests, proxies).

Intents: guilds (servers, channels, roles), DM messages (plain replies), and the privileged
server members intent (listing a channel's members for sessions). Message content is
privileged and off by default: Discord delivers the text of DMs to the bot without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

import aiohttp
import discord
import yarl

from bot.adapters.discord import wire
from bot.adapters.discord.activity import Activity
from bot.adapters.discord.catch_up import CatchUp
from bot.adapters.discord.commands import CommandHandlers, CommandSync, RapportTree, build_group
from bot.adapters.discord.directory import DiscordDirectory
from bot.adapters.discord.dm import DmAnswers
from bot.adapters.discord.localise import CatalogTranslator
from bot.adapters.discord.sender import DiscordSender, Unreachable
from bot.adapters.discord.team import attach_team, on_team_interaction
from bot.adapters.discord.timeouts import bound_rest_session
from bot.adapters.discord.views import DYNAMIC_ITEMS, ComponentHandlers, unroutable_click
from bot.bootstrap import Rapport
from bot.config import Settings
from bot.engine.model import Decline
from bot.i18n.translate import translator
from bot.identity import Member
from bot.ops.startup_errors import (
    discord_rejected,
    missing_setting,
    platform_unreachable,
    privileged_intents_refused,
)

log = logging.getLogger(__name__)
# logs stay English for operators
counted = translator("en").ngettext

SHUTDOWN_GRACE = 5.0  # seconds in-flight handlers get to finish before the client closes
# a rate limit longer than this is handed to the outbox (which retries later) instead of
# holding a sender task asleep inside discord.py
MAX_RATELIMIT_WAIT = 10.0  # below the sender's POST_TIMEOUT: a 429 is not a maybe-sent post


def intents(settings: Settings) -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True  # servers, channels and roles: permissions, leads, command sync
    wanted.dm_messages = True  # a plain reply in the DM answers the current prompt
    wanted.members = True  # privileged: list a channel's members for scheduled sessions
    wanted.message_content = settings.discord_message_content  # privileged; DMs don't need it
    return wanted


class _Rapport:
    """What the Rapport client adds to discord.py's: the listeners, bound to the core."""

    rapport_components: ComponentHandlers
    rapport_dm: DmAnswers
    rapport_sync: CommandSync
    rapport_catch_up: CatchUp
    user: discord.ClientUser | None

    async def on_ready(self) -> None:
        """A new gateway session (start-up or a reconnect that could not resume)."""
        self.rapport_catch_up.start(cast(discord.Client, self))

    async def on_message(self, message: discord.Message) -> None:
        await self.rapport_dm.on_message(message, self.user)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer and follow-up forms are routed by custom id, so one opened before a restart
        still lands; a click on a control its message doesn't show is refused, not ignored."""
        if unroutable_click(interaction):
            await self.rapport_components.on_unroutable_click(interaction)
        await on_team_interaction(interaction)
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if (target := wire.parse_modal_id(custom_id)) is not None:
            await self.rapport_components.on_answer_submitted(interaction, target)
        elif (target := wire.parse_follow_up_modal_id(custom_id)) is not None:
            await self.rapport_components.on_follow_up_submitted(interaction, target)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.rapport_sync.guild_joined(guild)


class RapportClient(_Rapport, discord.Client):
    pass


class ShardedRapportClient(_Rapport, discord.AutoShardedClient):
    pass


def _unreachable(rapport: Rapport) -> Unreachable:
    """An invitation Discord refused for good: the round ends unstarted (the engine's rule),
    unless a scheduled session started it: then it waits for the member's `/rapport inbox`."""

    async def call_off(round_id: str, member: Member) -> None:
        if await rapport.inbox.waits_for_inbox(round_id):
            return
        key = f"{wire.PLATFORM}:unreachable:{round_id}:{member.user_id}"
        await rapport.service.act(round_id, Decline(member.key, unreachable=True), key)

    return call_off


class DiscordRuntime:
    platform = wire.PLATFORM

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sender = DiscordSender()
        self.directory = DiscordDirectory()
        self.client: discord.Client | None = None
        self.tree: RapportTree | None = None
        self.activity = Activity()
        self.catch_up: CatchUp | None = None
        self._task: asyncio.Task[None] | None = None
        self._saved_urls: tuple[str, yarl.URL] | None = None

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_ready() and not self.client.is_closed()

    async def start(self, rapport: Rapport) -> None:
        if not self.settings.discord_token:
            raise missing_setting("DISCORD_TOKEN", "The Discord adapter")
        self._apply_base_urls()
        client = self._new_client()
        self.tree = RapportTree(client)
        await self.tree.set_translator(CatalogTranslator())
        sync = CommandSync(self.tree, self.settings.discord_command_sync)
        self._bind(client, rapport, sync)
        commands = CommandHandlers(rapport, self.settings, self.sender, self.activity)
        self.tree.add_command(build_group(commands))
        attach_team(client, commands.team)
        await self._login(client, self.settings.discord_token)
        bound_rest_session(client)
        self._task = asyncio.create_task(client.connect(reconnect=True), name="rapport-discord")
        try:
            await self._wait_ready(client, self._task)
        except discord.PrivilegedIntentsRequired:
            raise privileged_intents_refused(self.settings.discord_message_content) from None
        await sync.at_start(list(client.guilds))
        servers = counted("{count} server", "{count} servers", len(client.guilds))
        log.info("discord: ready as %s in %s", client.user, servers)

    @staticmethod
    async def _login(client: discord.Client, token: str) -> None:
        """Discord refusing the token, or being out of reach, at start-up is fatal."""
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise discord_rejected() from None
        except (aiohttp.ClientError, OSError) as err:
            raise platform_unreachable("Discord", "DISCORD_API_URL", err) from None

    def _new_client(self) -> discord.Client:
        sharded, count, ids = self.settings.discord_shard_plan()
        options: dict[str, Any] = {
            "intents": intents(self.settings),
            "guild_ready_timeout": self.settings.discord_guild_ready_timeout,
            "chunk_guilds_at_startup": False,  # members are fetched when a session needs them
            "max_ratelimit_timeout": MAX_RATELIMIT_WAIT,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if not sharded:
            return RapportClient(**options)
        return ShardedRapportClient(shard_count=count, shard_ids=ids, **options)

    def _bind(self, client: discord.Client, rapport: Rapport, sync: CommandSync) -> None:
        extended: Any = client
        extended.rapport_components = ComponentHandlers(rapport, self.activity)
        extended.rapport_dm = DmAnswers(rapport, self.activity)
        extended.rapport_sync = sync
        extended.rapport_catch_up = self.catch_up = CatchUp(rapport, self.sender)
        client.add_dynamic_items(*DYNAMIC_ITEMS)
        self.client = client
        self.sender.bind(client, rapport.members, _unreachable(rapport), rapport.languages)
        self.directory.bind(client, rapport.service.workspaces)

    @staticmethod
    async def _wait_ready(client: discord.Client, task: asyncio.Task[None]) -> None:
        """Until READY and the guilds arrived; a failed connection raises its error."""
        ready = asyncio.ensure_future(client.wait_until_ready())
        await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            return
        ready.cancel()
        task.result()
        raise RuntimeError("the Discord connection ended before it was ready")

    def _apply_base_urls(self) -> None:
        route, ws = discord.http.Route, discord.gateway.DiscordWebSocket
        self._saved_urls = (route.BASE, ws.DEFAULT_GATEWAY)
        if self.settings.discord_api_url:
            route.BASE = self.settings.discord_api_url.rstrip("/")
        if self.settings.discord_gateway_url:
            ws.DEFAULT_GATEWAY = yarl.URL(self.settings.discord_gateway_url)

    async def stop(self) -> None:
        if not await self.activity.wait_idle(SHUTDOWN_GRACE):
            running = counted("{count} handler", "{count} handlers", self.activity.running)
            log.warning("discord: closing with %s still running", running)
        if self.catch_up is not None:
            await self.catch_up.stop()
        await self.sender.unbind(SHUTDOWN_GRACE)
        self.directory.unbind()
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
                await self._task
        self.client, self._task = None, None
        if self._saved_urls is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
                self._saved_urls
            )
            self._saved_urls = None
