"""Leader election: the scheduler tick runs in exactly one process.

On PostgreSQL every process may run adapters and the outbox dispatcher, but only the *leader* runs
the scheduler's work (due follow-ups, recurring sessions, retention). The leader holds a
session-level advisory lock (`pg_try_advisory_lock`) on a dedicated connection. A process that
isn't leader tries again every `retry_seconds`. When the leader dies its connection drops, the
server releases the lock, and another process takes it at its next try. TCP keepalives on the
lock connection bound how long a silently vanished leader (a dead machine, not just a dead
process) keeps the lock: about 25 s.

Being leader twice for a moment is harmless: every round update checks the row's version, so the
same due round can't be advanced twice. The lock keeps the work from being done N times.

On SQLite there is one process: it is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bot.store.database import Database

log = logging.getLogger(__name__)

LOCK_NAME = "rapport:scheduler"
DEFAULT_RETRY_SECONDS = 5.0
# the server drops a silent peer after idle + interval * count seconds
KEEPALIVE_SETTINGS = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 5,
    "tcp_keepalives_count": 3,
}


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership(Protocol):
    """Who runs the scheduler's work. `confirm()` re-checks (or tries to take) the lead."""

    @property
    def is_leader(self) -> bool: ...

    async def confirm(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class AlwaysLeader:
    """A single process (SQLite): always the leader."""

    is_leader = True

    async def confirm(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class AdvisoryLockLeader:
    """Holds a PostgreSQL session-level advisory lock on its own connection while leading."""

    def __init__(
        self,
        url: str,
        *,
        name: str = LOCK_NAME,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        check_timeout: float = 5.0,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.key = lock_key(name)
        self.retry_seconds = retry_seconds
        self.check_timeout = check_timeout
        self.backend_pid: int | None = None  # the lock connection's server process
        self._on_change = on_change
        self._engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._conn: AsyncConnection | None = None
        self._leader = False
        self._busy = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def is_leader(self) -> bool:
        return self._leader

    async def start(self) -> None:
        """Try once now, then keep trying (or checking) in the background."""
        self._stopping.clear()
        await self.confirm()
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.retry_seconds)
            if not self._stopping.is_set():
                await self.confirm()

    async def confirm(self) -> bool:
        """Leader: check the lock connection is alive. Not leader: try to take the lock."""
        async with self._busy:
            try:
                held = await asyncio.wait_for(self._check_or_acquire(), self.check_timeout)
            except Exception as err:  # a dead connection means the lock is gone too
                log.warning("leader lock connection failed: %s", type(err).__name__)
                await self._drop_connection()
                held = False
            self._set_leader(held)
            return held

    async def _check_or_acquire(self) -> bool:
        conn = self._conn or await self._connect()
        if self._leader:
            await conn.execute(text("SELECT 1"))
            return True
        query = text("SELECT pg_try_advisory_lock(:key)")
        return bool(await conn.scalar(query, {"key": self.key}))

    async def _connect(self) -> AsyncConnection:
        conn = await self._engine.connect()
        try:
            for setting, value in KEEPALIVE_SETTINGS.items():
                await conn.execute(text(f"SET {setting} = {int(value)}"))
            await conn.execute(text("SET application_name = 'rapport-leader'"))
            self.backend_pid = int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        return conn

    async def _drop_connection(self) -> None:
        conn, self._conn, self.backend_pid = self._conn, None, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()

    def _set_leader(self, held: bool) -> None:
        if held == self._leader:
            return
        self._leader = held
        log.info("%s the scheduler leader", "became" if held else "is no longer")
        if self._on_change is not None:
            self._on_change(held)

    async def stop(self) -> None:
        """Give up the lead (closing the connection releases the lock) and stop trying."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._busy:
            await self._drop_connection()
            self._set_leader(False)
        await self._engine.dispose()


def leadership_for(db: Database, retry_seconds: float = DEFAULT_RETRY_SECONDS) -> Leadership:
    """SQLite: always the leader. PostgreSQL: whoever holds the advisory lock."""
    if db.is_sqlite:
        return AlwaysLeader()
    return AdvisoryLockLeader(db.url, retry_seconds=retry_seconds)
