"""Who is in a Slack channel, for a scheduled session (`ChannelDirectory`).

`conversations.members` lists the channel's user ids (paged). Each id is then looked up once per
process (`users.info`, cached) to tell people from bots - bot users, Slackbot (`USLACKBOT`, which
Slack reports with `is_bot: false`) and deactivated accounts all count as bots here, so they are
never paired - and to mark leads (workspace admins and owners, or `RAPPORT_SLACK_LEADS`).

A big channel would need one `users.info` per member; when more than `bulk_threshold` members
are unknown, the directory pages through `users.list` instead (up to 1000 users a call).
Each call uses the token of the channel's workspace (`WorkspaceClients`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.installations import WorkspaceClients, clients_of
from bot.service.ports import ChannelMember

log = logging.getLogger(__name__)

NOT_A_PERSON = frozenset({"USLACKBOT"})
MEMBERS_PAGE = 1000  # per conversations.members / users.list call
BULK_THRESHOLD = 50
LOOKUP_CONCURRENCY = 8
CACHE_SECONDS = 3600.0  # a promoted admin or a deactivated account shows by the next session


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    is_bot: bool
    is_admin: bool

    @classmethod
    def from_api(cls, user: Mapping[str, Any]) -> SlackUser:
        user_id = str(user.get("id", ""))
        is_bot = bool(
            user.get("is_bot")
            or user.get("is_app_user")
            or user.get("deleted")
            or user_id in NOT_A_PERSON
        )
        is_admin = bool(
            user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
        )
        return cls(user_id, is_bot, is_admin)


class SlackDirectory:
    """`ChannelDirectory` over the Slack Web API, with a per-process user cache."""

    def __init__(
        self,
        client: AsyncWebClient | WorkspaceClients,
        lead_ids: Iterable[str] = (),
        *,
        bulk_threshold: int = BULK_THRESHOLD,
        page_size: int = MEMBERS_PAGE,
    ) -> None:
        self.clients = clients_of(client)
        self.lead_ids = frozenset(lead_ids)
        self.bulk_threshold = bulk_threshold
        self.page_size = page_size
        self._users: dict[str, tuple[SlackUser, float]] = {}

    def cached(self, user_id: str) -> SlackUser | None:
        entry = self._users.get(user_id)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def _remember(self, user: SlackUser) -> None:
        self._users[user.user_id] = (user, time.monotonic() + CACHE_SECONDS)

    async def channel_members(self, workspace_id: str, channel_id: str) -> list[ChannelMember]:
        client = await self.clients.client_for(workspace_id)
        user_ids = await self._member_ids(client, channel_id)
        unknown = [u for u in user_ids if self.cached(u) is None]
        if len(unknown) > self.bulk_threshold:
            await self._load_all_users(client)
            unknown = [u for u in user_ids if self.cached(u) is None]
        await self._look_up(client, unknown)
        members = []
        for user_id in user_ids:
            user = self.cached(user_id)
            if user is None:  # users.info failed: leave them out rather than guess
                continue
            is_lead = user.is_admin or user_id in self.lead_ids
            members.append(ChannelMember(user_id, is_bot=user.is_bot, is_lead=is_lead))
        return members

    async def member_ids(self, workspace_id: str, channel_id: str) -> list[str]:
        """Every member id of the channel, in Slack's order, following the cursor."""
        return await self._member_ids(await self.clients.client_for(workspace_id), channel_id)

    async def bot_user_id(self, workspace_id: str) -> str | None:
        """Rapport's own user id in this workspace."""
        return await self.clients.bot_user_id(workspace_id)

    async def _member_ids(self, client: AsyncWebClient, channel_id: str) -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        while True:
            response = await client.conversations_members(
                channel=channel_id, limit=self.page_size, cursor=cursor
            )
            ids += [str(u) for u in response.get("members") or []]
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return list(dict.fromkeys(ids))

    async def user(self, workspace_id: str, user_id: str) -> SlackUser | None:
        await self._look_up(await self.clients.client_for(workspace_id), [user_id])
        return self.cached(user_id)

    async def _look_up(self, client: AsyncWebClient, user_ids: list[str]) -> None:
        gate = asyncio.Semaphore(LOOKUP_CONCURRENCY)

        async def one(user_id: str) -> None:
            async with gate:
                try:
                    user = (await client.users_info(user=user_id))["user"]
                except SlackApiError as err:
                    log.warning("users.info %s failed: %s", user_id, err.response.get("error"))
                    return
                self._remember(SlackUser.from_api(user))

        await asyncio.gather(*(one(u) for u in user_ids if self.cached(u) is None))

    async def _load_all_users(self, client: AsyncWebClient) -> None:
        cursor: str | None = None
        while True:
            response = await client.users_list(limit=self.page_size, cursor=cursor)
            for user in response.get("members") or []:
                self._remember(SlackUser.from_api(user))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return
