"""Answers per second and ack latency through the Slack HTTP adapter; start-up with 100k rounds.

    .venv/bin/python -m bench.slack_http [--members 200] [--answers 10]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/rapport_bench]
        [--rounds 100000] [--skip-startup]

Part 1, throughput. The Slack side - the fake Web API (tests/fakes/slack) and 200 simulated
members - runs in this process; the app under test runs in a child process, in Slack HTTP mode:

* Rapport: the real core and `SlackRuntime` (SQLite, then PostgreSQL when a URL is given), with
  100 live rounds between the 200 members. Each member answers its prompt by a plain DM reply
  (a signed `message.im` event POSTed to `/slack/events`), waits for the next prompt to reach
  its DM on the fake, answers again, `--answers` times. So a measured answer went all the way:
  ack, the service's transaction, the reveal and the next prompt through the outbox and Web API.
  The outbox rate limit is raised to 10,000 msg/s so Slack's pacing doesn't hide the adapter.
* the ceiling: a bare slack-bolt `AsyncApp` in the same kind of child process, whose `message`
  listener does nothing; the members POST the same events back to back.

Ack latency is the time from POST to the HTTP answer, per event. Targets: Rapport's answers/s at
least 0.5 x the ceiling's events/s, p99 ack < 100 ms.

Part 2, start-up: 100,000 active rounds are bulk-inserted (one engine-made state as a template),
then `rapport run` (HTTP mode, against the fake) is started as a real process: the time until
`/healthz` answers, and its resident memory (VmRSS) once it is up and has ticked. Targets:
< 3 s and < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.adapters.slack.blocks import kind_of
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.server import ApiCall

ROOT = Path(__file__).resolve().parents[1]
TEAM = "T0RAPPORT"
APP_SETTINGS = {
    "RAPPORT_SLACK_MODE": "http",
    "RAPPORT_HTTP_PORT": "0",
    "RAPPORT_MAX_LAYER": "4",
    "RAPPORT_PROMPTS_PER_LAYER": "3",
    "RAPPORT_LOG_LEVEL": "INFO",
}


def members_of(count: int) -> list[str]:
    return [f"U{n:08d}" for n in range(count)]


# ================================================================ the apps under test


def serve_app(kind: str, config: dict[str, Any], pipe: Connection) -> None:
    """Child process: Rapport (kind "rapport") or the bare bolt app ("bare"), until told to stop."""
    asyncio.run(_serve_rapport(config, pipe) if kind == "rapport" else _serve_bare(config, pipe))


async def _serve_bare(config: dict[str, Any], pipe: Connection) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=config["bot_token"], base_url=config["api_url"])
    app = AsyncApp(client=client, signing_secret=config["signing_secret"])

    @app.event("message")
    async def ignore(event: dict[str, Any]) -> None:
        return None

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    application = web.Application()
    application.router.add_post("/slack/events", events)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    pipe.send({"port": runner.addresses[0][1]})
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    pipe.send({})
    await runner.cleanup()


async def _serve_rapport(config: dict[str, Any], pipe: Connection) -> None:
    from bot.adapters.slack.runtime import SlackRuntime
    from bot.bootstrap import build
    from bot.config import Settings
    from bot.engine.model import Accept
    from bot.identity import Member
    from bot.ops.logging import configure_logging
    from bot.store import repository as repo
    from bot.store.tables import rounds

    log_file = open(config["log_path"], "w")  # noqa: SIM115 - open for the child's lifetime
    configure_logging("INFO", stream=log_file, json_lines=True)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        RAPPORT_DATABASE_URL=config["database_url"],
        SLACK_BOT_TOKEN=config["bot_token"],
        SLACK_SIGNING_SECRET=config["signing_secret"],
        SLACK_API_URL=config["api_url"],
        **APP_SETTINGS,
    )
    runtime = SlackRuntime(settings)
    rapport = build(
        settings,
        senders={"slack": runtime.sender},
        directories={"slack": runtime.directory},
        rates_per_second={"slack": 10_000.0},
    )
    await rapport.start()
    await runtime.start(rapport)
    people = [Member("slack", TEAM, u) for u in members_of(config["members"])]
    pairs = list(zip(people[::2], people[1::2], strict=True))
    for a, b in pairs:
        started = await rapport.service.start_round([a, b], initiator=a)
        assert started.ok and started.round_id, started.message
        accepted = await rapport.service.act(started.round_id, Accept(b.key))
        assert accepted.ok, accepted.message
    pipe.send({"port": runtime._runner.addresses[0][1]})  # type: ignore[union-attr]
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)

    answered = 0
    async with rapport.db.transaction() as conn:
        for raw in await conn.scalars(sa.select(rounds.c.state)):
            state = repo.decode_state(raw)
            answered += sum(len(r.answers) for r in state.history)
            answered += len(state.current.answers) if state.current else 0
    pipe.send({"answered": answered, "cpu": busy})
    await runtime.stop()
    await rapport.stop()
    log_file.close()


class App:
    """An app child process and the pipe to it."""

    def __init__(self, kind: str, config: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=serve_app, args=(kind, config, theirs), daemon=True)

    async def start(self) -> str:
        self.process.start()
        ready = await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)
        return f"http://127.0.0.1:{ready['port']}/slack/events"

    async def stop(self) -> dict[str, Any]:
        self.pipe.send("stop")
        report = await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 30)
        return dict(report)


# ================================================================ the Slack side


class Prompts:
    """Counts the prompts each DM received on the fake; members wait for their next one."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.arrived: dict[str, asyncio.Event] = {}

    def __call__(self, call: ApiCall) -> None:
        ok_post = call.method == "chat.postMessage" and call.ok
        if ok_post and kind_of(call.response["message"]) == "prompt":
            channel = call.response["channel"]
            self.count[channel] += 1
            self.arrived.setdefault(channel, asyncio.Event()).set()

    async def wait(self, channel: str, at_least: int, timeout: float = 60.0) -> None:
        event = self.arrived.setdefault(channel, asyncio.Event())
        async with asyncio.timeout(timeout):
            while self.count[channel] < at_least:
                event.clear()
                await event.wait()


async def drive(
    fake: FakeSlack, url: str, answers: int, prompts: Prompts | None
) -> tuple[float, list[float], int]:
    """Every member answers `answers` times; returns (wall s, ack latencies s, non-200s)."""
    latencies: list[float] = []
    failures = 0

    async def member(user_id: str) -> None:
        nonlocal failures
        channel = fake.dm_channel(user_id)
        for n in range(answers):
            if prompts is not None:
                await prompts.wait(channel, n + 1)
            inbound = fake.payloads.im_message(
                f"answer {n} from {user_id}", user_id=user_id, channel_id=channel
            )
            started = time.perf_counter()
            reply = await fake.post_to_app(url, inbound)
            latencies.append(time.perf_counter() - started)
            failures += reply.status != 200

    people = members_of(len(fake.users) - 1)
    started = time.perf_counter()
    await asyncio.gather(*(member(u) for u in people))
    return time.perf_counter() - started, latencies, failures


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values)


async def throughput(args: argparse.Namespace, workdir: Path) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    async with FakeSlack(default_users=False) as fake:
        fake.add_user(fake.bot_user_id, name="rapport", is_bot=True, bot_id=fake.bot_id)
        for user_id in members_of(args.members):
            fake.add_user(user_id, name=user_id.lower(), tz="UTC")
        prompts = Prompts()
        fake.on_call.append(prompts)
        config = {
            "api_url": fake.api_url,
            "bot_token": fake.bot_token,
            "signing_secret": fake.signing_secret,
            "members": args.members,
        }

        bare = App("bare", config)
        url = await bare.start()
        wall, latencies, failures = await drive(fake, url, args.answers, None)
        await bare.stop()
        ceiling = len(latencies) / wall
        rows.append(
            _row(
                "bare slack-bolt app (ceiling)",
                len(latencies),
                wall,
                latencies,
                failures,
                ceiling,
                None,
            )
        )

        backends = [("SQLite", f"sqlite+aiosqlite:///{workdir / 'http.db'}")]
        if args.postgres_url:
            await _recreate(args.postgres_url)
            backends.append(("PostgreSQL", args.postgres_url))
        for name, database_url in backends:
            prompts.count.clear()
            app = App(
                "rapport",
                {**config, "database_url": database_url, "log_path": str(workdir / f"{name}.log")},
            )
            url = await app.start()
            for user_id in members_of(args.members):  # the first prompt reached everyone
                await prompts.wait(fake.dm_channel(user_id), 1)
            wall, latencies, failures = await drive(fake, url, args.answers, prompts)
            report = await app.stop()
            rows.append(
                _row(
                    f"Rapport, {name}",
                    len(latencies),
                    wall,
                    latencies,
                    failures,
                    ceiling,
                    report["answered"],
                    report["cpu"],
                )
            )
    return rows


def _row(
    label: str,
    events: int,
    wall: float,
    latencies: list[float],
    failures: int,
    ceiling: float,
    answered: int | None,
    cpu: float | None = None,
) -> tuple[str, ...]:
    rate = events / wall
    return (
        label,
        f"{events}",
        "-" if answered is None else f"{answered}",
        f"{rate:8.1f}",
        f"{rate / ceiling:5.2f}",
        f"{statistics.median(latencies) * 1000:6.1f}",
        f"{p99(latencies) * 1000:6.1f}",
        f"{failures}",
        "-" if cpu is None else f"{cpu:.0%}",
    )


# ================================================================ start-up with 100k rounds


async def seed_rounds(database_url: str, count: int) -> float:
    """Bulk-insert `count` active rounds (each a copy of one engine-made state)."""
    from bot.engine.model import Accept, RoundSettings
    from bot.engine.rules import decide, start_round
    from bot.questions.loader import load_banks
    from bot.store import repository as repo
    from bot.store.database import Database
    from bot.store.tables import round_members, rounds

    db = Database(database_url)
    await db.upgrade()
    bank = load_banks([ROOT / "questions"])["workplace"]
    now = datetime.now(UTC)
    a, b, rid = "slack:T0RAPPORT:UAAAAAAAAA", "slack:T0RAPPORT:UBBBBBBBBB", "R" * 16
    state = start_round(
        round_id=rid,
        members=[a, b],
        settings=RoundSettings(bank="workplace"),
        now=now,
        seed=7,
        initiator=a,
    ).state
    state = decide(state, Accept(b), now, bank).state
    template, due_at = repo.encode_state(state), state.due_at
    started = time.perf_counter()
    chunk = 5000
    for first in range(0, count, chunk):
        round_rows, member_rows = [], []
        for n in range(first, min(first + chunk, count)):
            round_id = f"seed{n:012d}"
            ka, kb = f"slack:T0RAPPORT:UA{n:08d}", f"slack:T0RAPPORT:UB{n:08d}"
            raw = template.replace(rid, round_id).replace(a, ka).replace(b, kb)
            round_rows.append(
                {
                    "id": round_id,
                    "status": "active",
                    "due_at": due_at,
                    "version": 1,
                    "state": raw,
                    "workspace": "slack:T0RAPPORT",
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


async def startup(database_url: str, fake: FakeSlack, workdir: Path) -> tuple[float, float, float]:
    """Start `rapport run`; (seconds until /healthz answers, VmRSS MB then, after 3 ticks)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        APP_SETTINGS,
        RAPPORT_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=fake.signing_secret,
        SLACK_API_URL=fake.api_url,
        RAPPORT_TICK_SECONDS="1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DISCORD_TOKEN", None)
    import socket

    with socket.socket() as s:  # a free port for /healthz
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["RAPPORT_HTTP_PORT"] = str(port)
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    up = rss_up = rss_later = 0.0
    async with aiohttp.ClientSession() as http:
        ticks = 0
        while ticks < 3:
            if process.returncode is not None:
                raise RuntimeError("rapport run exited during start-up")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    health = await response.json()
            except aiohttp.ClientError:
                await asyncio.sleep(0.02)  # polling another process until it listens
                continue
            if not up:
                up = time.perf_counter() - started
                rss_up = _rss_mb(process.pid)
                last_lag = health["tick_lag_seconds"]
            elif health["tick_lag_seconds"] < last_lag:
                ticks += 1
            last_lag = health["tick_lag_seconds"]
            await asyncio.sleep(0.2)  # polling the tick lag of another process
        rss_later = _rss_mb(process.pid)
    process.terminate()
    await process.wait()
    return up, rss_up, rss_later


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _recreate(url: str) -> None:
    parsed = make_url(url)
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f"DROP DATABASE IF EXISTS {parsed.database} WITH (FORCE)"))
        await conn.execute(sa.text(f"CREATE DATABASE {parsed.database}"))
    await admin.dispose()


async def startup_rows(args: argparse.Namespace, workdir: Path) -> list[tuple[str, ...]]:
    rows = []
    backends = [("SQLite", f"sqlite+aiosqlite:///{workdir / 'startup.db'}")]
    if args.postgres_url:
        backends.append(("PostgreSQL", args.postgres_url))
    async with FakeSlack() as fake:
        for name, url in backends:
            if name == "PostgreSQL":
                await _recreate(url)
            seeded = await seed_rounds(url, args.rounds)
            up, rss_up, rss_later = await startup(url, fake, workdir)
            rows.append(
                (
                    name,
                    f"{args.rounds:,}",
                    f"{seeded:6.1f}",
                    f"{up:5.2f}",
                    f"{rss_up:6.1f}",
                    f"{rss_later:6.1f}",
                )
            )
    return rows


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(
            "| " + " | ".join(c.strip().ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rows = await throughput(args, workdir)
        print(
            f"{args.members} members, {args.answers} answers each, Slack HTTP mode "
            "(targets: ratio >= 0.5, p99 ack < 100 ms)"
        )
        _table(
            (
                "app",
                "events",
                "answers stored",
                "events/s",
                "ratio",
                "p50 ms",
                "p99 ms",
                "non-200",
                "app CPU",
            ),
            rows,
        )
        if not args.skip_startup:
            print()
            print(
                "`rapport run` start-up with active rounds in the database "
                "(targets: < 3 s, < 150 MB)"
            )
            _table(
                (
                    "database",
                    "active rounds",
                    "seed s",
                    "up in s",
                    "RSS MB at up",
                    "RSS MB after 3 ticks",
                ),
                await startup_rows(args, workdir),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--answers", type=int, default=10, help="answers per member")
    parser.add_argument(
        "--postgres-url",
        help="also measure on this PostgreSQL database (it is dropped and recreated)",
    )
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--skip-startup", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
