"""What the adapter benchmarks share (`bench.slack_http`, `bench.discord_gateway`).

The app under test runs in a child process (`App`), so its CPU is its own; the platform's fake
and the simulated members run in the bench's process. Rounds are bulk-seeded with their first
prompt waiting (`Workload`, `seed_rounds`), members answer them back to back or at a fixed rate
(`offer`), and Rapport's child reports when the warm-up, then every measured answer, was
committed, and how many answers the database holds afterwards (`serve_measured`). The figures
are printed as Markdown tables (`table`), the medians over the runs judged (`medians`).
"""

from __future__ import annotations

import asyncio
import cProfile
import multiprocessing
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
WARM_UP_MEMBERS = 200
# the prompts of the seeded rounds: as the Slack benchmark has always measured
PRODUCTION_SHAPE = {"RAPPORT_MAX_LAYER": "4", "RAPPORT_PROMPTS_PER_LAYER": "3"}

T = TypeVar("T")


# ================================================================ the app's child process


class App:
    """An app child process (`target(kind, config, pipe)`, a module-level function) and the
    pipe to it."""

    def __init__(
        self, target: Callable[[str, dict[str, Any], Connection], None], kind: str, config: dict
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=target, args=(kind, config, theirs), daemon=True)

    async def start(self) -> dict[str, Any]:
        """Starts the child; what it sent once it was ready to be offered answers."""
        self.process.start()
        return dict(await self._recv())

    async def cpu_since_last(self) -> float:
        """The app's share of a core since it started or was last asked."""
        self.pipe.send("measure")
        return float((await self._recv())["cpu"])

    async def warmed(self) -> None:
        """Returns once the app committed every warm-up answer."""
        self.pipe.send("warmed?")
        await self._recv()

    async def stop(self) -> dict[str, Any]:
        self.pipe.send("stop")
        report = await self._recv()
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 30)
        return dict(report)

    async def _recv(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)


def child_settings(config: dict[str, Any], **settings: Any) -> tuple[Any, Any]:
    """A measured Rapport child's settings (no .env file) and its JSON log file, which the
    child closes when it stops: the same logging as `rapport run`, at INFO."""
    from bot.config import Settings
    from bot.ops.logging import configure_logging

    log_file = open(config["log_path"], "w")  # noqa: SIM115 - open for the child's lifetime
    configure_logging("INFO", stream=log_file, json_lines=True)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        RAPPORT_DATABASE_URL=config["database_url"],
        **settings,
    ), log_file


async def serve_cpu_until_stop(pipe: Connection) -> None:
    """A bare app's side of the pipe: its share of a core on each request, until "stop"."""
    while True:
        cpu, wall = time.process_time(), time.perf_counter()
        message = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
        pipe.send({"cpu": busy})
        if message == "stop":
            break


class Finished(Protocol):
    """An adapter's count of finished handlers (Slack's and Discord's `Activity`)."""

    @property
    def finished(self) -> int: ...

    async def wait_finished(self, count: int, timeout: float = ...) -> None: ...


async def serve_measured(
    rapport: Any,
    activity: Finished,
    ready: dict[str, Any],
    config: dict[str, Any],
    pipe: Connection,
) -> dict[str, Any]:
    """Rapport's side of the pipe, once it is up: sends `ready`, reports when the warm-up was
    committed, then (on "stop") when every measured answer was (`activity` counts them), the
    share of a core used meanwhile, the statements run and the answers stored. Profiles the
    measured part to `config["profile"]` when set. Returns what it reported."""
    from bot.runner import settle_garbage_collector

    settle_garbage_collector()  # as `rapport run` does once started
    statements: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements[sql.split(None, 1)[0].upper()] += 1

    sa.event.listen(rapport.db.engine.sync_engine, "before_cursor_execute", count)
    loop = asyncio.get_running_loop()
    warmed: asyncio.Future[float] = loop.create_future()
    done_at: asyncio.Future[float] = loop.create_future()

    async def watch(first: int) -> None:  # when the warm-up, then every answer, was committed
        await activity.wait_finished(first + config["warm_up"], timeout=3600)
        warmed.set_result(time.monotonic())
        await activity.wait_finished(first + config["warm_up"] + config["answers"], timeout=3600)
        done_at.set_result(time.monotonic())

    watcher = asyncio.create_task(watch(activity.finished))
    profile = cProfile.Profile() if config.get("profile") else None
    pipe.send(ready)
    await loop.run_in_executor(None, pipe.recv)  # "warmed?"
    warm_at = await asyncio.wait_for(warmed, timeout=600)
    statements.clear()  # the measured part: from here until every answer is committed
    if profile:
        profile.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    pipe.send({"at": warm_at})
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    finished = await asyncio.wait_for(done_at, timeout=600)
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    if profile:
        profile.disable()
        profile.dump_stats(config["profile"])
    await watcher
    report = {
        "answered": await answers_stored(rapport),
        "cpu": busy,
        "done_at": finished,
        "statements": dict(statements),
    }
    pipe.send(report)
    return report


async def answers_stored(rapport: Any) -> int:
    """Every answer in every round's state, in the database (an answer stored twice counts
    twice)."""
    from bot.store import repository as repo
    from bot.store.tables import rounds

    answered = 0
    async with rapport.db.transaction() as conn:
        for raw in await conn.scalars(sa.select(rounds.c.state)):
            state = repo.decode_state(raw)
            answered += sum(len(r.answers) for r in state.history)
            answered += len(state.current.answers) if state.current else 0
    return answered


# ================================================================ the members


@dataclass
class Run:
    """What the members saw: when they began and ended posting, and each ack's latency."""

    began: float
    ended: float
    latencies: list[float]
    failures: int
    driver_cpu: float = 0.0  # this process's share of a core while posting (fake included)
    postgres_cpu: float = 0.0  # the local PostgreSQL server's processes, in cores
    app_cpu: float | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / (self.ended - self.began)

    def p(self, percentile: int) -> float:
        if len(self.latencies) < 100:
            return max(self.latencies)
        return statistics.quantiles(self.latencies, n=100)[percentile - 1]


async def offer(
    plans: Sequence[list[T]], send: Callable[[T], Awaitable[tuple[float, bool]]], rate: float | None
) -> Run:
    """Each plan is one member's submissions, in order: back to back (rate None) or, all members
    interleaved, one every 1/rate seconds whatever the answers take (an open loop). `send`
    submits one and returns (its ack's latency in seconds, whether it was acknowledged)."""
    latencies: list[float] = []
    failures = 0

    async def submit(item: T) -> None:
        nonlocal failures
        latency, ok = await send(item)
        latencies.append(latency)
        failures += not ok

    async def member(plan: list[T]) -> None:
        for item in plan:
            await submit(item)

    async def offered(at: float, item: T) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))  # the arrival schedule
        await submit(item)

    began, cpu, postgres = time.monotonic(), time.process_time(), postgres_cpu_seconds()
    if rate is None:
        await asyncio.gather(*(member(plan) for plan in plans))
    else:
        interleaved = [
            plan[k] for k in range(max(map(len, plans))) for plan in plans if k < len(plan)
        ]
        await asyncio.gather(*(offered(began + i / rate, x) for i, x in enumerate(interleaved)))
    ended = time.monotonic()
    wall = ended - began
    return Run(
        began,
        ended,
        latencies,
        failures,
        (time.process_time() - cpu) / wall,
        (postgres_cpu_seconds() - postgres) / wall,
    )


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the local PostgreSQL server's processes (0 if none here)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # the process ended meanwhile
        if fields[0].endswith("(postgres"):
            utime, stime = fields[1].split()[11:13]
            ticks += int(utime) + int(stime)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Workload:
    """The seeded rounds (round id -> two user ids): measured, and warm-up ones answered first,
    so that one-time work (the first platform calls, statement compilation) is not measured."""

    measured: dict[str, tuple[str, str]]
    warm_up: dict[str, tuple[str, str]]

    @classmethod
    def build(cls, users: Sequence[str], warm: Sequence[str], per_member: int) -> Workload:
        """Each of `users` is in `per_member` rounds with as many different partners (member i
        with i±1 … i±per_member/2, around a circle); the `warm` users are in one round each."""
        members = len(users)
        assert per_member % 2 == 0 and per_member < members, "an even count below --members"
        pairs = [
            (i, (i + d) % members) for d in range(1, per_member // 2 + 1) for i in range(members)
        ]
        return cls(
            {f"bench{n:011d}": (users[a], users[b]) for n, (a, b) in enumerate(pairs)},
            {f"warm{n:012d}": (warm[2 * n], warm[2 * n + 1]) for n in range(len(warm) // 2)},
        )

    @property
    def users(self) -> list[str]:
        return sorted(
            {u for rounds in (self.measured, self.warm_up) for p in rounds.values() for u in p}
        )

    def answers(self, warm_up: bool = False) -> int:
        return 2 * len(self.warm_up if warm_up else self.measured)


def member_rounds(rounds: dict[str, tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Each member's rounds among `rounds` (round id -> two user ids), in a shuffled (but
    repeatable) order."""
    mine: dict[str, list[str]] = {}
    for round_id, pair in rounds.items():
        for user_id in pair:
            mine.setdefault(user_id, []).append(round_id)
    shuffle = random.Random(7)
    for user_id in sorted(mine):
        shuffle.shuffle(mine[user_id])
    return sorted(mine.items())


# ================================================================ the database


TEMPLATE_USERS = ("UAAAAAAAAA", "UBBBBBBBBB")
TEMPLATE_ROUND = "R" * 16


def template_state(a: str, b: str) -> Any:
    """One engine-made active round of members `a` and `b` (keys): invited, accepted, first
    prompt waiting."""
    from bot.engine.model import Accept, RoundSettings
    from bot.engine.rules import decide, start_round
    from bot.questions.loader import load_banks

    bank = load_banks([ROOT / "questions"])["workplace"]
    now = datetime.now(UTC)
    state = start_round(
        round_id=TEMPLATE_ROUND,
        members=[a, b],
        settings=RoundSettings(bank="workplace"),
        now=now,
        seed=7,
        initiator=a,
    ).state
    return decide(state, Accept(b), now, bank).state


def waiting_step() -> int:
    """The step of the seeded rounds' waiting prompt."""
    return int(template_state(*(f"slack:T:{u}" for u in TEMPLATE_USERS)).current.number)


async def seed_rounds(
    database_url: str, pairs: dict[str, tuple[str, str]], workspace: str
) -> float:
    """Bulk-insert an active round per (round id -> two member keys of `workspace`, e.g.
    "slack:T0RAPPORT"), each a copy of `template_state()`; returns the seconds it took."""
    from bot.store import repository as repo
    from bot.store.database import Database
    from bot.store.tables import round_members, rounds

    db = Database(database_url)
    await db.upgrade()
    a, b = (f"{workspace}:{u}" for u in TEMPLATE_USERS)
    state = template_state(a, b)
    template, due_at, now = repo.encode_state(state), state.due_at, state.created_at
    started = time.perf_counter()
    items = list(pairs.items())
    chunk = 5000
    for first in range(0, len(items), chunk):
        round_rows, member_rows = [], []
        for round_id, (ka, kb) in items[first : first + chunk]:
            raw = template.replace(TEMPLATE_ROUND, round_id).replace(a, ka).replace(b, kb)
            round_rows.append(
                {
                    "id": round_id,
                    "status": "active",
                    "due_at": due_at,
                    "version": 1,
                    "state": raw,
                    "workspace": workspace,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            member_rows += [{"round_id": round_id, "member_key": k, "open": True} for k in (ka, kb)]
        async with db.transaction() as conn:
            await conn.execute(rounds.insert(), round_rows)
            await conn.execute(round_members.insert(), member_rows)
    seconds = time.perf_counter() - started
    await db.dispose()
    return seconds


async def fresh_seeded(
    database_url: str, work: Workload, key: Callable[[str], str], workspace: str
) -> None:
    """An empty database with the workload's rounds seeded (`key`: a user id's member key)."""
    await emptied(database_url)
    rounds = {**work.warm_up, **work.measured}
    await seed_rounds(
        database_url, {r: (key(a), key(b)) for r, (a, b) in rounds.items()}, workspace
    )


_RECREATED: set[str] = set()


async def emptied(database_url: str) -> None:
    """A new SQLite file; PostgreSQL recreated the first time, then its tables truncated (a
    DROP DATABASE makes the server checkpoint, which would land in the next measurement)."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif database_url not in _RECREATED:
        await recreate(database_url)
        _RECREATED.add(database_url)
    else:
        from bot.store.tables import metadata

        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await engine.dispose()


async def recreate(url: str) -> None:
    parsed = make_url(url)
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f"DROP DATABASE IF EXISTS {parsed.database} WITH (FORCE)"))
        await conn.execute(sa.text(f"CREATE DATABASE {parsed.database}"))
    await admin.dispose()


# ================================================================ the figures


def check(name: str, scenario: str, report: dict[str, Any], expected: int) -> None:
    """Every answer stored exactly once, or the benchmark stops."""
    if report["answered"] != expected:
        raise SystemExit(f"{name} {scenario}: {report['answered']} answers stored, not {expected}")


def throughput_row(
    label: str, run: Run, report: dict[str, Any] | None, ceiling: float
) -> tuple[str, ...]:
    statements = sum(report["statements"].values()) if report else None
    app_cpu = report["cpu"] if report else run.app_cpu
    return (
        label,
        f"{len(run.latencies)}",
        "-" if report is None else f"{report['answered']}",
        f"{run.rate:.1f}",
        f"{run.rate / ceiling:.2f}",
        "-" if app_cpu is None else f"{app_cpu:.0%}",
        f"{run.driver_cpu:.0%}",
        "-" if statements is None else f"{statements / len(run.latencies):.2f}",
    )


def throughput_header(side: str) -> tuple[str, ...]:
    return (
        "run",
        "app",
        "posts",
        "answers stored",
        "answers/s",
        "ratio",
        "app CPU",
        f"{side} side CPU",
        "SQL per answer",
    )


def latency_row(label: str, run: Run, report: dict[str, Any] | None) -> tuple[str, ...]:
    return (
        label,
        f"{len(run.latencies)}",
        f"{run.rate:.1f}",
        f"{statistics.median(run.latencies) * 1000:.1f}",
        f"{run.p(99) * 1000:.1f}",
        f"{max(run.latencies) * 1000:.1f}",
        f"{run.failures}",
        f"{(report['cpu'] if report else run.app_cpu or 0):.0%}",
        f"{run.driver_cpu:.0%}",
        f"{run.postgres_cpu:.0%}",
    )


def latency_header(side: str, failed: str) -> tuple[str, ...]:
    return (
        "run",
        "app",
        "posts",
        "answers/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        failed,
        "app CPU",
        f"{side} side CPU",
        "PostgreSQL CPU",
    )


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A Markdown table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(
            "| " + " | ".join(c.strip().ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )


def numbered(runs: list[dict[str, list[tuple[str, ...]]]], name: str) -> list[tuple[str, ...]]:
    """Table `name` of every run, each row led by its run's number."""
    return [(f"{n + 1}", *row) for n, run in enumerate(runs) for row in run[name]]


def medians(
    throughput: list[tuple[str, ...]], latency: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    """Per app: the median throughput ratio and the median p99 ack over the runs (rows as
    `numbered` gives them)."""
    ratios: dict[str, list[float]] = {}
    p99s: dict[str, list[float]] = {}
    for row in throughput:
        ratios.setdefault(row[1].removesuffix(" (ceiling)"), []).append(float(row[5]))
    for row in latency:
        p99s.setdefault(row[1], []).append(float(row[5]))
    return [
        (
            app,
            f"{statistics.median(ratios[app]):.2f}" if app in ratios else "-",
            f"{statistics.median(p99s[app]):.1f}",
        )
        for app in p99s
    ]
