"""Who is in a channel, for a scheduled session: the guild's members who can view it.

Needs the privileged GUILD_MEMBERS intent. A guild this process holds (its shard) is read from
the cache, chunked over the gateway first if needed; another guild (a session run by the leader
process for a shard it doesn't hold) is read over REST.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.discord import wire
from bot.service.ports import ChannelMember
from bot.service.workspaces import WorkspaceSettingsService


class DiscordDirectory:
    """`ChannelDirectory` for the schedule service; `bind` gives it the connected client and
    the workspaces' settings (whose `lead-role` makes leads)."""

    def __init__(self) -> None:
        self.client: discord.Client | None = None
        self.workspaces: WorkspaceSettingsService | None = None

    def bind(self, client: discord.Client, workspaces: WorkspaceSettingsService) -> None:
        self.client = client
        self.workspaces = workspaces

    def unbind(self) -> None:
        self.client = None

    async def channel_members(self, workspace_id: str, channel_id: str) -> list[ChannelMember]:
        if self.client is None or self.workspaces is None:
            raise RuntimeError("the Discord adapter is not connected")
        guild = self.client.get_guild(int(workspace_id))
        if guild is not None:
            channel, members = await self._cached(guild, int(channel_id))
        else:
            channel, members = await self._fetched(int(workspace_id), int(channel_id))
        return [
            await self._entry(m, self.workspaces)
            for m in members
            if channel.permissions_for(m).view_channel
        ]

    async def _cached(
        self, guild: discord.Guild, channel_id: int
    ) -> tuple[discord.abc.GuildChannel, Sequence[discord.Member]]:
        if not guild.chunked:
            await guild.chunk()
        channel = guild.get_channel(channel_id) or await guild.fetch_channel(channel_id)
        return channel, guild.members

    async def _fetched(
        self, guild_id: int, channel_id: int
    ) -> tuple[discord.abc.GuildChannel, Sequence[discord.Member]]:
        assert self.client is not None
        guild = await self.client.fetch_guild(guild_id)
        channel = await guild.fetch_channel(channel_id)
        return channel, [m async for m in guild.fetch_members(limit=None)]

    @staticmethod
    async def _entry(member: discord.Member, workspaces: WorkspaceSettingsService) -> ChannelMember:
        lead = await wire.is_lead(member, member.guild_permissions, workspaces, member.guild.id)
        return ChannelMember(str(member.id), is_bot=member.bot, is_lead=lead)
