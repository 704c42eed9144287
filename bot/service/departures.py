"""A workspace removed Rapport (Slack `app_uninstalled`, its bot token revoked): wind it down.

Its open rounds end, its schedules pause (a session under way stops) and the messages still
waiting for it are cancelled. Nobody can be told any more - the platform revoked the tokens
before saying so - so the rounds end without messages. Its settings, questions, schedules and
ended rounds stay (they follow the retention policy like any other), so reinstalling brings the
workspace back as it was; a lead resumes the schedules.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.service.rounds import RoundService
from bot.store import departures as store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Departure:
    rounds_ended: int
    schedules_paused: int
    messages_cancelled: int


class Departures:
    def __init__(
        self, service: RoundService, on_schedules_changed: Callable[[], Awaitable[None]]
    ) -> None:
        self.service = service
        self.on_schedules_changed = on_schedules_changed

    async def workspace_left(self, platform: str, workspace_id: str) -> Departure:
        workspace = f"{platform}:{workspace_id}"
        ended = await self.service.end_workspace_rounds(workspace)
        async with self.service.db.transaction() as conn:
            paused = await store.pause_schedules(conn, platform, workspace_id)
            await store.cancel_unfinished_sessions(conn, platform, workspace_id)
            cancelled = await store.cancel_unsent(conn, workspace)
        if paused:
            await self.on_schedules_changed()
        log.info(
            "%s left: %d rounds ended, %d schedules paused, %d messages cancelled",
            workspace,
            ended,
            paused,
            cancelled,
        )
        return Departure(ended, paused, cancelled)
