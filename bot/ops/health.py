"""The health snapshot behind `/healthz`: database, adapters and the scheduler's tick lag.

Healthy means: the database answers `SELECT 1`, every registered adapter reports it is
connected, and this process's scheduler tick ran recently (`tick lag` = now − the last tick that
finished without error; a process that isn't the leader still ticks, it just has nothing to do).
Adapters register a probe: anything with a boolean `connected` attribute, or a callable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import text

from bot.clock import Clock
from bot.store.database import Database
from bot.version import VERSION

DATABASE_TIMEOUT_SECONDS = 3.0
MIN_TICK_LAG_LIMIT = 90.0


class Connectable(Protocol):
    """What an adapter exposes so health can tell whether it is connected."""

    @property
    def connected(self) -> bool: ...


@dataclass(frozen=True)
class HealthSnapshot:
    database: bool
    adapters: dict[str, bool]
    tick_lag_seconds: float
    tick_lag_limit_seconds: float
    leader: bool
    checked_at: datetime
    errors: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "version": VERSION,
            "database": self.database,
            "adapters": self.adapters,
            "tick_lag_seconds": round(self.tick_lag_seconds, 3),
            "tick_lag_limit_seconds": self.tick_lag_limit_seconds,
            "leader": self.leader,
            "checked_at": self.checked_at.isoformat(),
            "errors": self.errors,
        }


class HealthMonitor:
    """Collects what `/healthz` reports; `Rapport.tick()` calls `tick_succeeded()`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        tick_seconds: float,
        *,
        is_leader: Callable[[], bool] = lambda: True,
        tick_lag_limit: float | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.is_leader = is_leader
        self.tick_lag_limit = tick_lag_limit or max(MIN_TICK_LAG_LIMIT, 3 * tick_seconds)
        self.started_at = clock.now()
        self.last_tick_at: datetime | None = None
        self._adapters: dict[str, Callable[[], bool]] = {}

    def register_adapter(self, name: str, probe: Connectable | Callable[[], bool]) -> None:
        """Report `name` as connected while `probe` says so (a `connected` flag or a callable)."""
        if callable(probe):
            self._adapters[name] = probe
        else:
            self._adapters[name] = lambda: bool(probe.connected)

    def tick_succeeded(self) -> None:
        self.last_tick_at = self.clock.now()

    def tick_lag(self) -> float:
        """Seconds since the last good tick (since start-up before the first one)."""
        since = self.last_tick_at or self.started_at
        return max(0.0, (self.clock.now() - since).total_seconds())

    async def database_ok(self) -> bool:
        try:
            await asyncio.wait_for(self._select_one(), DATABASE_TIMEOUT_SECONDS)
        except Exception:
            return False
        return True

    async def _select_one(self) -> None:
        async with self.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def adapters(self) -> dict[str, bool]:
        states = {}
        for name, probe in self._adapters.items():
            try:
                states[name] = bool(probe())
            except Exception:
                states[name] = False
        return states

    async def snapshot(self) -> HealthSnapshot:
        database, adapters, lag = await self.database_ok(), self.adapters(), self.tick_lag()
        errors = [] if database else ["database unreachable"]
        errors += [f"{name} not connected" for name, ok in adapters.items() if not ok]
        if lag > self.tick_lag_limit:
            errors.append(f"scheduler tick {lag:.0f}s late")
        return HealthSnapshot(
            database=database,
            adapters=adapters,
            tick_lag_seconds=lag,
            tick_lag_limit_seconds=self.tick_lag_limit,
            leader=self.is_leader(),
            checked_at=self.clock.now(),
            errors=errors,
        )
