"""A platform sender that records what it was asked to deliver, with injectable failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.engine.model import DeliveryKind
from bot.service.ports import OutgoingMessage, PermanentSendError, TransientSendError


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failures: list[Exception] = []  # raised, in order, before anything is recorded
        self._changed = asyncio.Condition()

    def fail_next(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    async def send(self, message: OutgoingMessage) -> str:
        if self.failures:
            raise self.failures.pop(0)
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()
        return f"msg-{message.outbox_id}"

    def to(self, user_id: str, kind: DeliveryKind | None = None) -> list[OutgoingMessage]:
        return [
            m for m in self.sent if m.member.user_id == user_id and (kind is None or m.kind is kind)
        ]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)


__all__ = ["PermanentSendError", "RecordingSender", "TransientSendError"]
