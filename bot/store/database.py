"""The database handle: engine creation, SQLite tuning, migrations and transactions."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADE_LOCK = 0x5241_5050_6462  # "RAPPdb": any fixed key other processes don't use
READ_ONLY = "rapport_read_only"  # execution option of `Database.read` connections


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so writers queue instead of failing late."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a read (`Database.read`) begins deferred: WAL lets it run beside the one writer
        reading = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class WriterTurns:
    """SQLite's one writer, taken in turns by two queues: transactions someone is waiting on (a
    group commit, whose members wait for their ack) and background work (the outbox's claims
    and marks, remembered DM channels, the tick). Each queue is first come, first served; when
    both wait, they alternate, so an ack waits for at most one background transaction beside
    the one running, and background work is never starved however busy the members are."""

    def __init__(self) -> None:
        self._held = False
        self._last_urgent = False
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    @asynccontextmanager
    async def turn(self, urgent: bool) -> AsyncIterator[None]:
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._held and not any(self._waiting.values()):
            self._held, self._last_urgent = True, urgent
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiting[urgent].append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # the turn came just as the waiter gave up: pass it on
            else:
                self._waiting[urgent].remove(granted)
            raise

    def _release(self) -> None:
        for urgent in (not self._last_urgent, self._last_urgent):
            queue = self._waiting[urgent]
            while queue:
                granted = queue.popleft()
                if not granted.done():
                    self._last_urgent = urgent
                    granted.set_result(None)
                    return
        self._held = False


class Database:
    """One engine per process; `transaction()` is the unit of work for the service."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: SQL parameters (answer texts) never reach logs or error messages
        self.engine = create_async_engine(
            url,
            pool_pre_ping=not self.is_sqlite,
            hide_parameters=True,
            connect_args={} if self.is_sqlite else {"prepared_statement_cache_size": 1000},
        )
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        # SQLite has one writer. Queued here, waiting writers wake when the lock is free;
        # queued in SQLite's busy handler instead, they sleep and poll (up to 100 ms a try).
        self._sqlite_writer = WriterTurns() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read-write transaction; `urgent`: someone waits for it (an ack), so on SQLite it
        takes its turn before queued background work (see `WriterTurns`)."""
        if self._sqlite_writer is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._sqlite_writer.turn(urgent), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that only reads: on SQLite it doesn't queue behind the writer (WAL
        readers see the last commit), so a lookup on the ack path never waits for a commit."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                yield conn

    async def upgrade(self) -> int:
        """Apply every Alembic migration not yet applied (idempotent); returns how many ran.

        On PostgreSQL a transaction-level advisory lock serialises processes starting together,
        so the second one finds the schema already at head instead of racing to create it.
        """
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                await conn.execute(lock, {"key": UPGRADE_LOCK})
            return await conn.run_sync(_upgrade_sync)

    async def revisions(self) -> tuple[str | None, str | None]:
        """(the migration the database is at, or None when empty; the latest one shipped)."""
        async with self.engine.connect() as conn:
            current = await conn.run_sync(_current_revision)
        return current, ScriptDirectory.from_config(alembic_config()).get_current_head()

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade_sync(connection: Connection) -> int:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    before = _current_revision(connection)
    command.upgrade(cfg, "head")
    after = _current_revision(connection)
    if after is None or after == before:
        return 0
    script = ScriptDirectory.from_config(cfg)
    return len(list(script.iterate_revisions(after, before or "base")))
