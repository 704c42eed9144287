"""What the service needs from a platform adapter to deliver a message."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.engine.model import DeliveryKind
from bot.identity import Member


@dataclass(frozen=True)
class OutgoingMessage:
    outbox_id: int
    member: Member
    kind: DeliveryKind
    data: Mapping[str, Any]
    round_id: str | None
    dm_channel_id: str | None
    # another dispatcher claimed this row and its lease ran out (that process may have died
    # mid-send): the platform may already have it, so a sender that can check should
    maybe_sent: bool = False


class TransientSendError(Exception):
    """Try again later (rate limit, timeout, 5xx); `retry_after` is what the platform asked."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class MaybeSentError(TransientSendError):
    """The request may have reached the platform (timeout, connection lost, 5xx after sending).

    The dispatcher must not post it blindly again: the next attempt carries `maybe_sent`, and
    the sender first checks whether the platform already has it (Slack: the DM's history and
    message metadata; Discord: the nonce)."""


class PermanentSendError(Exception):
    """Retrying cannot help (DMs closed, user gone); recorded as failed with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    async def send(self, message: OutgoingMessage) -> str:
        """Deliver the message and return the platform's message id."""
        ...


@dataclass(frozen=True)
class ChannelMember:
    user_id: str
    is_bot: bool = False
    is_lead: bool = False


class ChannelDirectory(Protocol):
    """Lists a channel's members for a scheduled session (platform API calls)."""

    async def channel_members(self, workspace_id: str, channel_id: str) -> list[ChannelMember]: ...


def settle(waiters: Iterable[asyncio.Future[None]], error: BaseException | None = None) -> None:
    """Wake everyone waiting on a shared (coalesced) write, with its error if it failed."""
    for waiter in waiters:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)
