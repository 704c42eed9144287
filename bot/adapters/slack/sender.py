"""Delivers outbox messages as Slack DMs (`chat.postMessage` to each member's DM channel).

Channel recipients (a scheduled session's summary) are posted to that channel directly.

The DM channel id is stored per member: `conversations.open` (Tier 3) runs once per member,
only when neither the outbox row nor this process knows the channel. Slack errors become the
outbox's `TransientSendError` (retry later) or `PermanentSendError` (give up, record why).

Each call uses the token of the member's workspace (`WorkspaceClients`); a message for a
workspace that removed Rapport is given up (`PermanentSendError("not_installed")`).

Every message carries its outbox id in Slack message metadata. A post whose outcome is unknown
(timed out, connection lost, 5xx after the request left) raises `MaybeSentError`; the outbox
then retries it with `maybe_sent`, as it does a row reclaimed after a process died mid-send.
Before posting such a row to a DM, the sender looks in the DM's recent history for that outbox
id, so a message Slack already has is recorded as sent instead of being posted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.charts import upload_chart
from bot.adapters.slack.installations import NotInstalled, WorkspaceClients, clients_of
from bot.adapters.slack.wire import mention
from bot.engine.model import DeliveryKind
from bot.i18n import N_
from bot.i18n.translate import _, reading
from bot.identity import Member
from bot.messages.deliveries import render
from bot.messages.model import Names
from bot.reports import chart
from bot.service.languages import MemberLanguages
from bot.service.members import MemberDirectory
from bot.service.ports import (
    MaybeSentError,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
    settle,
)

log = logging.getLogger(__name__)

# kinds that relay what members wrote, under their names
RELAYING = frozenset(
    {DeliveryKind.REVEAL, DeliveryKind.FOLLOW_UP_QUESTIONS, DeliveryKind.FOLLOW_UP_REVEAL}
)

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
PARTNER = N_("Your partner")
METADATA_EVENT = "rapport_delivery"
HISTORY_LOOKBACK = 50  # recent DM messages searched for a possibly-posted delivery


# the connection was never made: the request did not leave
NOT_SENT_ERRORS = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


def send_error(err: Exception, *, posting: bool = False) -> TransientSendError | PermanentSendError:
    """Map a slack_sdk / network failure to the outbox's retry decision.

    `posting`: the failed call was the post itself, so a failure after the request left may
    mean Slack has the message (`MaybeSentError`); a refusal (429) or a failed connect does not.
    """
    if isinstance(err, SlackApiError):
        error = str(err.response.get("error") or "unknown_error")
        status = err.response.status_code
        if status == 429 or error == "ratelimited":
            return TransientSendError(error, _retry_after(err.response.headers))
        if error in TRANSIENT_ERRORS or status >= 500:
            return MaybeSentError(error) if posting else TransientSendError(error)
        return PermanentSendError(error)
    if posting and not isinstance(err, NOT_SENT_ERRORS):
        return MaybeSentError(type(err).__name__)
    return TransientSendError(type(err).__name__)


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


def delivery_metadata(message: OutgoingMessage) -> dict[str, Any]:
    """Slack message metadata naming the outbox row (no personal data)."""
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"outbox_id": message.outbox_id, "kind": message.kind.value},
    }


NETWORK_ERRORS = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


class SlackSender:
    """`Sender` for the outbox; `bind(members)` once the core exists (`SlackRuntime.start`)."""

    def __init__(
        self, client: AsyncWebClient | WorkspaceClients, members: MemberDirectory | None = None
    ) -> None:
        self.clients = clients_of(client)
        self.members = members
        self.languages: MemberLanguages | None = None
        self._channels: dict[str, str] = {}
        self._display_names: dict[str, str] = {}
        self._unsaved: list[tuple[Member, str, asyncio.Future[None]]] = []
        self._saver: asyncio.Task[None] | None = None

    def bind(self, members: MemberDirectory, languages: MemberLanguages | None = None) -> None:
        self.members, self.languages = members, languages

    async def send(self, message: OutgoingMessage) -> str:
        try:
            client = await self.clients.client_for(message.member.workspace_id)
        except NotInstalled as err:
            raise PermanentSendError("not_installed") from err
        try:
            channel = await self._channel(client, message)
            posted = None
            if message.maybe_sent and not message.member.is_channel:
                posted = await self._already_posted(client, channel, message)
            payload = None if posted is not None else await self._payload(message)
        except NETWORK_ERRORS as err:
            raise send_error(err) from err
        if posted is not None:
            log.info("delivery %s was already posted; not posting it again", posted[1])
            ts = posted[0]
        else:
            assert payload is not None
            ts = await self._post(client, channel, message, payload)
        await self._attach_chart(client, channel, message)
        return ts

    async def _post(
        self,
        client: AsyncWebClient,
        channel: str,
        message: OutgoingMessage,
        payload: dict[str, Any],
    ) -> str:
        try:
            response = await client.chat_postMessage(
                channel=channel,
                unfurl_links=False,
                unfurl_media=False,
                metadata=delivery_metadata(message),
                **payload,
            )
        except NETWORK_ERRORS as err:
            raise send_error(err, posting=True) from err
        return str(response["ts"])

    async def _attach_chart(
        self, client: AsyncWebClient, channel: str, message: OutgoingMessage
    ) -> None:
        """A report's chart follows its text. If the upload may be retried, the delivery is
        retried as maybe-sent: its text is found in the DM and only the chart goes again."""
        with reading(await self._language(message)):  # the chart's labels, like its text
            attached = await chart.for_delivery(message.kind, message.data)
            if attached is None:
                return
            try:
                await upload_chart(client, channel, attached)
            except NETWORK_ERRORS as err:
                mapped = send_error(err)
                if isinstance(mapped, PermanentSendError):  # the text arrived; say so in the log
                    log.warning("delivery %s: its chart was refused: %s", message.outbox_id, mapped)
                    return
                raise MaybeSentError(f"chart upload: {mapped.reason}") from err

    async def _already_posted(
        self, client: AsyncWebClient, channel: str, message: OutgoingMessage
    ) -> tuple[str, int] | None:
        """(ts, outbox id) of this delivery if it is among the DM's recent messages."""
        history = await client.conversations_history(
            channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
        wanted = delivery_metadata(message)
        for posted in history.get("messages") or []:
            if posted.get("metadata") == wanted and posted.get("ts"):
                return str(posted["ts"]), message.outbox_id
        return None

    # --- the DM channel ---------------------------------------------------------------------

    async def _channel(self, client: AsyncWebClient, message: OutgoingMessage) -> str:
        if message.member.is_channel:  # a session summary goes to the schedule's channel
            return message.member.channel_id
        key = message.member.key
        known = message.dm_channel_id or self._channels.get(key)
        if known:
            self._channels[key] = known
            return known
        if self.members is None:
            raise TransientSendError("slack adapter not started yet", retry_after=1.0)
        opened = await client.conversations_open(users=message.member.user_id)
        channel = str(opened["channel"]["id"])
        await self._remember_channel(message.member, channel)
        self._channels[key] = channel
        return channel

    async def _remember_channel(self, member: Member, channel: str) -> None:
        """Store a member's DM channel id; returns once it is committed.

        Ids opened while an earlier batch is being stored share the next transaction, so a
        fan-out to thousands of new members doesn't cost a transaction per member.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unsaved.append((member, channel, done))
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_channels())
        await done

    async def _save_channels(self) -> None:
        assert self.members is not None
        while self._unsaved:
            batch, self._unsaved = self._unsaved, []
            try:
                await self.members.remember_dm_channels((m, c) for m, c, _ in batch)
            except Exception as err:
                settle((done for *_, done in batch), err)
                continue
            settle(done for *_, done in batch)

    # --- the content ------------------------------------------------------------------------

    async def _payload(self, message: OutgoingMessage) -> dict[str, Any]:
        slots = blocks.NameSlots()
        with reading(await self._language(message)):  # rendered at send time, for the recipient
            rendered = render(message.kind, message.data, Names(slots.name_of, message.member.key))
            names = await self._names(message.kind, slots.keys)
            step = message.data.get("step")
            return blocks.message(
                rendered,
                kind=message.kind.value,
                fill=lambda text: slots.fill(text, names),
                round_id=message.round_id or message.data.get("round_id"),
                step=int(step) if step is not None else None,
            )

    async def _language(self, message: OutgoingMessage) -> str | None:
        """The recipient's language (None: English, before `bind`)."""
        if self.languages is None:
            return None
        return await self.languages.language_of(message.member, ask_platform=False)

    async def _names(self, kind: DeliveryKind, keys: list[str]) -> dict[str, str]:
        """Mentions, except where content is relayed: its headings must never ping anyone."""
        if kind not in RELAYING:
            return {key: mention(key) for key in keys}
        return {key: blocks.escape(await self.display_name(key)) for key in keys}

    async def display_name(self, member_key: str) -> str:
        """A member's Slack display name (`users.info`, cached for this process); "Your
        partner" in the current reader's language when Slack doesn't say."""
        if member_key not in self._display_names:
            self._display_names[member_key] = await self._lookup_name(member_key)
        return self._display_names[member_key] or _(PARTNER)

    async def locale_of(self, member: Member) -> str | None:
        """The member's Slack locale (`users.info` with `include_locale`), None if unknown."""
        try:
            client = await self.clients.client_for(member.workspace_id)
            user = (await client.users_info(user=member.user_id, include_locale=True))["user"]
        except NotInstalled:
            return None
        except SlackApiError as err:
            log.warning("users.info %s failed: %s", member.user_id, err.response.get("error"))
            return None
        except (*NETWORK_ERRORS, RuntimeError) as err:  # RuntimeError: the session closed (stop)
            # best effort: this delivery reads the workspace's language instead
            log.info("users.info %s (locale) failed for now: %r", member.user_id, err)
            return None
        locale = user.get("locale")
        return str(locale) if locale else None

    async def _lookup_name(self, member_key: str) -> str:
        """The name Slack gives, or "" (remembered too: readers of any language share it)."""
        member = Member.from_key(member_key)
        user_id = member.user_id
        try:
            client = await self.clients.client_for(member.workspace_id)
            user = (await client.users_info(user=user_id))["user"]
        except NotInstalled:
            return ""
        except SlackApiError as err:
            log.warning("users.info %s failed: %s", user_id, err.response.get("error"))
            return ""
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("name")
        return str(name or "")
