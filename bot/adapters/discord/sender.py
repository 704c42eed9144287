"""Delivers outbox messages as Discord DMs (and session summaries in their channel).

A member's DM channel comes from the outbox row or is opened once (`POST /users/@me/channels`)
and stored with `MemberDirectory.remember_dm_channel`. discord.py already waits out short 429s
and retries 5xx itself; whatever still fails becomes the outbox's `TransientSendError` (rate
limits, 40003 "opening DMs too fast", a connection that never opened) or `PermanentSendError`
(50007: the member doesn't accept DMs). A post whose outcome is unknown (a timeout, a dropped
connection, a 5xx: Discord may have stored it) is a `MaybeSentError`; the retry carries
`maybe_sent` and first looks for the delivery in the DM (`delivered`) before posting what is
missing. Invitation outcomes are also kept in `invitations`, so `/rapport start` can tell the
initiator at once when the partner can't be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from bot.adapters.discord import delivered, wire
from bot.adapters.discord.render import NO_MENTIONS, Part, to_parts
from bot.adapters.discord.wire import Target
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
)

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
OPENING_DMS_TOO_FAST = 40003
UNKNOWN_CHANNEL = 10003
PERMANENT_CODES = {
    DMS_CLOSED: "dms_closed",
    10013: "unknown_user",
    UNKNOWN_CHANNEL: "unknown_channel",
    50001: "missing_access",
    50013: "missing_permissions",
}
PARTNER = N_("Your partner")
NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
# one post, discord.py's own retries of 5xx (1 + 3 + 5 + 7 s) and short 429s included; a held
# request must not hold this member's queue for aiohttp's default 300 s
POST_TIMEOUT = 25.0


def send_error(err: Exception) -> TransientSendError | PermanentSendError:
    """Map a discord.py or network failure to the outbox's retry decision."""
    if isinstance(err, discord.RateLimited):
        return TransientSendError("rate_limited", err.retry_after)
    if isinstance(err, discord.HTTPException):
        if err.status == 429:
            return TransientSendError("rate_limited", _retry_after(err))
        if err.code == OPENING_DMS_TOO_FAST:
            return TransientSendError("opening_dms_too_fast")
        if err.status >= 500:
            return TransientSendError(f"http_{err.status}")
        return PermanentSendError(PERMANENT_CODES.get(err.code, f"http_{err.status}_{err.code}"))
    return TransientSendError(type(err).__name__)


def post_error(err: Exception) -> TransientSendError | PermanentSendError:
    """Like `send_error`, for a message post: if the request may have reached Discord, the
    outcome is unknown (`MaybeSentError`) and the retry checks before posting again."""
    if isinstance(err, aiohttp.ClientConnectorError):
        return TransientSendError(type(err).__name__)  # never connected: nothing was sent
    if isinstance(err, discord.DiscordServerError):
        return MaybeSentError(f"http_{err.status}")
    if isinstance(err, NETWORK_ERRORS):
        return MaybeSentError(type(err).__name__)
    return send_error(err)


def _retry_after(err: discord.HTTPException) -> float | None:
    raw = err.response.headers.get("Retry-After") if err.response is not None else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


class InvitationLog:
    """Recent invitation deliveries in this process: (round, member) -> None (sent) or a reason."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._results: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._changed = asyncio.Condition()

    async def record(self, round_id: str, member_key: str, error: str | None) -> None:
        async with self._changed:
            self._results[(round_id, member_key)] = error
            while len(self._results) > self.capacity:
                self._results.popitem(last=False)
            self._changed.notify_all()

    async def wait(
        self, round_id: str, member_keys: list[str], timeout: float
    ) -> dict[str, str | None]:
        """The outcomes known within `timeout` seconds (a missing key: not delivered yet)."""

        def known() -> dict[str, str | None]:
            return {
                k: self._results[(round_id, k)]
                for k in member_keys
                if (round_id, k) in self._results
            }

        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(known()) == len(member_keys))
        except TimeoutError:
            pass
        return known()


Unreachable = Callable[[str, Member], Awaitable[None]]


class DiscordSender:
    """`Sender` for the outbox; `bind` gives it the logged-in client (`DiscordRuntime.start`).

    An invitation that Discord refuses for good (DMs closed) calls `on_unreachable`, which ends
    the round unstarted, so nobody waits for a partner who never got it.
    """

    def __init__(self) -> None:
        self.client: discord.Client | None = None
        self.members: MemberDirectory | None = None
        self.languages: MemberLanguages | None = None
        self.on_unreachable: Unreachable | None = None
        self.invitations = InvitationLog()
        self._channels: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._posted: dict[int, list[str]] = {}  # parts already sent, should a later one fail
        self._in_flight = 0
        self._idle = asyncio.Condition()

    def bind(
        self,
        client: discord.Client,
        members: MemberDirectory,
        on_unreachable: Unreachable,
        languages: MemberLanguages | None = None,
    ) -> None:
        self.client, self.members, self.on_unreachable = client, members, on_unreachable
        self.languages = languages

    async def unbind(self, timeout: float = 5.0) -> None:
        """Refuse new sends (the outbox retries them later) and let those under way finish."""
        self.client = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._idle:
                await self._idle.wait_for(lambda: self._in_flight == 0)

    async def send(self, message: OutgoingMessage) -> str:
        self._in_flight += 1
        try:
            return await self._send(message)
        finally:
            self._in_flight -= 1
            async with self._idle:
                self._idle.notify_all()

    async def _send(self, message: OutgoingMessage) -> str:
        try:
            message_id = await self._deliver(message)
        except (TransientSendError, PermanentSendError) as err:
            await self._failed(message, err)
            raise
        except (discord.DiscordException, *NETWORK_ERRORS) as err:
            mapped = send_error(err)
            await self._failed(message, mapped)
            raise mapped from err
        await self._note_invitation(message, None)
        return message_id

    async def _failed(
        self, message: OutgoingMessage, err: TransientSendError | PermanentSendError
    ) -> None:
        if isinstance(err, PermanentSendError):
            self._posted.pop(message.outbox_id, None)  # never retried: forget its parts
        await self._note_invitation(message, err)

    async def _deliver(self, message: OutgoingMessage) -> str:
        client = self._client()
        parts = await self.parts(message)
        if message.member.is_channel:
            return await self._post(client, message.member.channel_id, parts, message)
        channel_id = await self.dm_channel(message.member, message.dm_channel_id)
        try:
            return await self._post(client, channel_id, parts, message)
        except discord.NotFound as err:
            if err.code != UNKNOWN_CHANNEL:
                raise
            # the stored DM channel is gone: open a fresh one once
            channel_id = await self._open_dm(message.member)
            return await self._post(client, channel_id, parts, message)

    async def _post(
        self, client: discord.Client, channel_id: str, parts: list[Part], message: OutgoingMessage
    ) -> str:
        """Send the parts in order; parts that already went out are skipped.

        Each part carries the delivery's reference as a nonce (with `enforce_nonce`) and in its
        footer. A maybe-sent delivery is first looked up in the channel's history: after a crash
        (or past Discord's nonce window) the parts found there are not posted again.
        """
        channel = client.get_partial_messageable(int(channel_id))
        ref = delivered.reference(message)
        posted = self._posted.setdefault(message.outbox_id, [])
        if message.maybe_sent and client.user is not None:
            found = await delivered.already_posted(channel, client.user.id, ref, len(parts))
            if len(found) > len(posted):
                log.info("delivery %s: %d part(s) already posted", message.outbox_id, len(found))
                posted[:] = found
        for number in range(len(posted), len(parts)):
            part = parts[number]
            try:
                async with asyncio.timeout(POST_TIMEOUT):
                    sent = await channel.send(
                        embeds=delivered.mark(part.embeds, ref, number),
                        view=part.view,
                        allowed_mentions=NO_MENTIONS,
                        nonce=delivered.nonce(ref, number),
                        **({"files": part.files} if part.files else {}),
                    )
            except (discord.DiscordException, *NETWORK_ERRORS) as err:
                if isinstance(err, discord.NotFound):
                    raise
                raise post_error(err) from err
            posted.append(str(sent.id))
        del self._posted[message.outbox_id]
        return posted[-1]

    async def _note_invitation(
        self, message: OutgoingMessage, err: TransientSendError | PermanentSendError | None
    ) -> None:
        if message.kind is not DeliveryKind.INVITATION or message.round_id is None:
            return
        if isinstance(err, TransientSendError):
            return  # it will be retried
        if err is not None and self.on_unreachable is not None:
            await self.on_unreachable(message.round_id, message.member)
        await self.invitations.record(message.round_id, message.member.key, err and err.reason)

    def _client(self) -> discord.Client:
        if self.client is None or self.client.http.token is None:
            raise TransientSendError("discord adapter not started yet", retry_after=1.0)
        return self.client

    # --- the DM channel ---------------------------------------------------------------------

    async def dm_channel(self, member: Member, known: str | None = None) -> str:
        """The member's DM channel id: from the outbox row, this process, or opened once."""
        channel = known or self._channels.get(member.key)
        if channel:
            self._channels[member.key] = channel
            return channel
        return await self._open_dm(member)

    async def _open_dm(self, member: Member) -> str:
        data = await self._client().http.start_private_message(int(member.user_id))
        channel = str(data["id"])
        self._channels[member.key] = channel
        if self.members is not None:
            await self.members.remember_dm_channel(member, channel)
        return channel

    async def can_open_dm(self, member: Member, timeout: float = POST_TIMEOUT) -> bool:
        """False only when Discord refuses a DM channel outright (50007); other failures and
        an answer slower than `timeout` are left to the outbox, which retries."""
        try:
            async with asyncio.timeout(timeout):
                await self.dm_channel(member)
        except discord.HTTPException as err:
            if err.code == DMS_CLOSED:
                return False
            log.info("opening a DM with %s failed for now: %s", member.user_id, err)
        except (TransientSendError, *NETWORK_ERRORS) as err:
            log.info("opening a DM with %s failed for now: %r", member.user_id, err)
        return True

    # --- the content ------------------------------------------------------------------------

    async def parts(self, message: OutgoingMessage) -> list[Part]:
        """The Discord messages a delivery becomes (also for `/rapport inbox`)."""
        name_of = await self._name_function(message)
        language = (
            await self.languages.language_of(message.member, ask_platform=False)
            if self.languages
            else None
        )
        round_id = message.round_id or message.data.get("round_id")
        target = Target(str(round_id), int(message.data.get("step") or 0)) if round_id else None
        with reading(language):  # rendered at send time, in the recipient's language
            rendered = render(message.kind, message.data, Names(name_of, message.member.key))
            parts = to_parts(rendered, target)
            attached = await chart.for_delivery(message.kind, message.data)
        if attached:
            image = io.BytesIO(attached.png)
            parts[-1].files = [discord.File(image, attached.filename, description=attached.alt)]
        return parts

    async def _name_function(self, message: OutgoingMessage) -> Callable[[str], str]:
        """Mentions (which never ping inside embeds), except a reveal's headings: embed titles
        show no mentions, so they get display names."""
        if message.kind is not DeliveryKind.REVEAL:
            return lambda key: f"<@{wire.user_id_of(key)}>"
        keys = [str(a["member"]) for a in message.data.get("answers", [])]
        names = {key: await self.display_name(key) for key in keys}
        return lambda key: names.get(key, _(PARTNER))

    async def display_name(self, member_key: str) -> str:
        """The member's name in their server (nickname first) from discord.py's cache; a user
        outside it (another shard's server) is fetched once and remembered; "Your partner" in
        the current reader's language when Discord doesn't know them."""
        member = Member.from_key(member_key)
        client = self._client()
        guild = client.get_guild(int(member.workspace_id))
        cached = guild.get_member(int(member.user_id)) if guild else None
        user = cached or client.get_user(int(member.user_id))
        if user is not None:
            return user.display_name
        if member_key not in self._names:
            self._names[member_key] = await self._fetch_name(client, int(member.user_id))
        return self._names[member_key] or _(PARTNER)

    @staticmethod
    async def _fetch_name(client: discord.Client, user_id: int) -> str:
        """The name Discord gives, or "" (remembered too: readers of any language share it)."""
        try:
            return (await client.fetch_user(user_id)).display_name
        except discord.HTTPException as err:
            log.warning("user %s not found: %s", user_id, err)
            return ""
