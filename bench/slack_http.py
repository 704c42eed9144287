"""Answers per second and ack latency through the Slack HTTP adapter; start-up with 100k rounds.

    .venv/bin/python -m bench.slack_http [--members 200] [--answers 10]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/rapport_bench]
        [--repeat 3] [--rounds 100000] [--skip-startup] [--profile FILE]

Part 1, the adapter under load. The Slack side - the fake Web API (tests/fakes/slack) and the
simulated members - runs in this process; each app under test runs in a child process, in Slack
HTTP mode, so its CPU is its own. 200 members are each in `--answers` (10) rounds with different
partners: 1,000 rounds are seeded in the database with their first prompt waiting. A member
answers through the Answer modal: a signed `view_submission` POSTed to `/slack/events`, naming
the round and step as Rapport's modal does. Every app gets the same 2,000 submissions, after
200 warm-up answers in rounds of their own (one-time work - the first `auth.test`, compiling
statements - is not what is measured).

* ceiling: a bare slack-bolt `AsyncApp` whose modal listener only acks; the 200 members post
  back to back.
* throughput (target: at least 0.5 x the ceiling's rate): Rapport - the real core and
  `SlackRuntime` with production settings (the outbox paced at Slack's 20 messages/s) - on
  SQLite, then PostgreSQL when a URL is given; the members post back to back. Answers/s counts
  from the first POST to the moment the last answer was committed (its listener returned after
  the service's transaction); the answers in the database are counted afterwards.
* ack latency (target: p99 < 100 ms): the same submissions offered at a fixed rate, half the
  ceiling's (the load the throughput target names), to the bare app and to Rapport. Latency is
  the time from POST to the HTTP answer. It is judged at a stated load because at saturation it
  is only concurrency / throughput (Little's law): 200 back-to-back posters give the bare app
  itself a p99 of several hundred ms.
* conversation (a figure, no target): 200 members in 100 rounds answer by plain DM reply, each
  waiting until its next prompt reaches its DM on the fake before answering again, with the
  outbox raised to 10,000 messages/s. Each counted answer went through the ack, the service's
  transaction, the reveal and the next prompt through the outbox and Web API.

The 2-core machine this runs on is shared by the Slack side and the app, so single runs vary by
±15 %: the throughput and latency measurements run `--repeat` times (the conversation once), and
the medians are judged against the targets.

Part 2, start-up: 100,000 active rounds are bulk-inserted (one engine-made state as a template),
then `rapport run` (HTTP mode, against the fake) is started as a real process: the time until
`/healthz` answers, and its resident memory (VmRSS) once it is up and has ticked. Targets:
< 3 s and < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.adapters.slack import wire
from bot.adapters.slack.blocks import kind_of
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.payloads import Inbound
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
CONVERSATION_RATE = 10_000.0  # messages/s: Slack's pacing must not hide the adapter


def members_of(count: int) -> list[str]:
    return [f"U{n:08d}" for n in range(count)]


def member_key(user_id: str) -> str:
    return f"slack:{TEAM}:{user_id}"


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

    @app.view(wire.ANSWER_CALLBACK)
    async def only_ack(ack: Any) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    application = web.Application()
    application.router.add_post("/slack/events", events)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    pipe.send({"url": f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"})
    while True:
        cpu, wall = time.process_time(), time.perf_counter()
        message = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
        pipe.send({"cpu": busy})
        if message == "stop":
            break
    await runner.cleanup()


async def _serve_rapport(config: dict[str, Any], pipe: Connection) -> None:
    from bot.adapters.slack.runtime import SlackRuntime
    from bot.bootstrap import build
    from bot.config import Settings
    from bot.ops.logging import configure_logging
    from bot.runner import settle_garbage_collector

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
    rate = config.get("rate")
    rapport = build(
        settings,
        senders={"slack": runtime.sender},
        directories={"slack": runtime.directory},
        rates_per_second={"slack": rate} if rate else None,  # None: production pacing
    )
    await rapport.start()
    await runtime.start(rapport)
    if config.get("start_pairs"):
        await _start_pairs(rapport, config["members"])
    settle_garbage_collector()  # as `rapport run` does once started
    statements: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements[sql.split(None, 1)[0].upper()] += 1

    sa.event.listen(rapport.db.engine.sync_engine, "before_cursor_execute", count)
    activity = runtime.handlers.activity  # type: ignore[union-attr]
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
    pipe.send({"url": f"{runtime.http_url}/slack/events"})
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
    pipe.send(
        {
            "answered": await _answers_stored(rapport),
            "cpu": busy,
            "done_at": finished,
            "statements": dict(statements),
        }
    )
    await runtime.stop()
    await rapport.stop()
    log_file.close()


async def _start_pairs(rapport: Any, members: int) -> None:
    """The conversation scenario: members 0+1, 2+3, ... each start a round and accept it."""
    from bot.engine.model import Accept
    from bot.identity import Member

    people = [Member("slack", TEAM, u) for u in members_of(members)]
    for a, b in zip(people[::2], people[1::2], strict=True):
        started = await rapport.service.start_round([a, b], initiator=a)
        assert started.ok and started.round_id, started.message
        accepted = await rapport.service.act(started.round_id, Accept(b.key))
        assert accepted.ok, accepted.message


async def _answers_stored(rapport: Any) -> int:
    from bot.store import repository as repo
    from bot.store.tables import rounds

    answered = 0
    async with rapport.db.transaction() as conn:
        for raw in await conn.scalars(sa.select(rounds.c.state)):
            state = repo.decode_state(raw)
            answered += sum(len(r.answers) for r in state.history)
            answered += len(state.current.answers) if state.current else 0
    return answered


class App:
    """An app child process and the pipe to it."""

    def __init__(self, kind: str, config: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=serve_app, args=(kind, config, theirs), daemon=True)

    async def start(self) -> str:
        self.process.start()
        ready = await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)
        return str(ready["url"])

    async def cpu_since_last(self) -> float:
        """The app's share of a core since it started or was last asked."""
        self.pipe.send("measure")
        report = await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)
        return float(report["cpu"])

    async def warmed(self) -> None:
        """Returns once the app committed every warm-up answer."""
        self.pipe.send("warmed?")
        await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)

    async def stop(self) -> dict[str, Any]:
        self.pipe.send("stop")
        report = await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 30)
        return dict(report)


# ================================================================ the Slack side


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


async def post_all(
    fake: FakeSlack, url: str, plans: Sequence[list[Inbound]], rate: float | None
) -> Run:
    """Each plan is one member's posts, in order: back to back (rate None) or, all members
    interleaved, one post every 1/rate seconds whatever the answers take (an open loop)."""
    latencies: list[float] = []
    failures = 0

    async def post(inbound: Inbound) -> None:
        nonlocal failures
        started = time.perf_counter()
        reply = await fake.post_to_app(url, inbound)
        latencies.append(time.perf_counter() - started)
        failures += reply.status != 200

    async def member(plan: list[Inbound]) -> None:
        for inbound in plan:
            await post(inbound)

    async def offered(at: float, inbound: Inbound) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))  # the arrival schedule
        await post(inbound)

    began, cpu, postgres = time.monotonic(), time.process_time(), _postgres_cpu_seconds()
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
        (_postgres_cpu_seconds() - postgres) / wall,
    )


def _postgres_cpu_seconds() -> float:
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


WARM_UP_MEMBERS = 200


@dataclass
class Workload:
    """The seeded rounds (round id -> two user ids): measured, and warm-up ones answered first,
    so that one-time work (the first `auth.test`, statement compilation) is not measured."""

    measured: dict[str, tuple[str, str]]
    warm_up: dict[str, tuple[str, str]]

    @classmethod
    def build(cls, members: int, per_member: int) -> Workload:
        """Each member is in `per_member` rounds with as many different partners (member i
        with i±1 … i±per_member/2, around a circle); warm-up members are in one round each."""
        assert per_member % 2 == 0 and per_member < members, "an even count below --members"
        users = members_of(members)
        pairs = [
            (i, (i + d) % members) for d in range(1, per_member // 2 + 1) for i in range(members)
        ]
        warm = [f"W{n:08d}" for n in range(WARM_UP_MEMBERS)]
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


def answer_plans(
    fake: FakeSlack, rounds: dict[str, tuple[str, str]], step: int
) -> list[list[Inbound]]:
    """Each member's modal answers to the waiting prompt of each of its rounds, in a shuffled
    order: fresh submissions (new view ids) every time."""
    rounds_of: dict[str, list[str]] = {}
    for round_id, pair in rounds.items():
        for user_id in pair:
            rounds_of.setdefault(user_id, []).append(round_id)
    shuffle = random.Random(7)
    plans = []
    for user_id, mine in sorted(rounds_of.items()):
        shuffle.shuffle(mine)
        channel = fake.dm_channel(user_id)
        plans.append(
            [
                fake.payloads.view_submission(
                    callback_id=wire.ANSWER_CALLBACK,
                    values={wire.ANSWER_BLOCK: {wire.ANSWER_INPUT: f"answer to {r} by {user_id}"}},
                    user_id=user_id,
                    private_metadata=wire.ModalMeta(r, step, channel).encode(),
                )
                for r in mine
            ]
        )
    return plans


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


async def converse(fake: FakeSlack, url: str, members: int, answers: int, prompts: Prompts) -> Run:
    """Every member answers by DM `answers` times, each time once its next prompt arrived."""
    latencies: list[float] = []
    failures = 0

    async def member(user_id: str) -> None:
        nonlocal failures
        channel = fake.dm_channel(user_id)
        for n in range(answers):
            await prompts.wait(channel, n + 1)
            inbound = fake.payloads.im_message(
                f"answer {n} from {user_id}", user_id=user_id, channel_id=channel
            )
            started = time.perf_counter()
            reply = await fake.post_to_app(url, inbound)
            latencies.append(time.perf_counter() - started)
            failures += reply.status != 200

    people = members_of(members)
    for user_id in people:  # the first prompt reached everyone
        await prompts.wait(fake.dm_channel(user_id), 1)
    began = time.monotonic()
    await asyncio.gather(*(member(u) for u in people))
    return Run(began, time.monotonic(), latencies, failures)


# ================================================================ the measurements


async def measure(
    args: argparse.Namespace, workdir: Path, conversation: bool
) -> dict[str, list[tuple[str, ...]]]:
    tables: dict[str, list[tuple[str, ...]]] = {"throughput": [], "latency": [], "conversation": []}
    work = Workload.build(args.members, args.answers)
    step = template_state().current.number  # the seeded rounds' waiting prompt
    async with FakeSlack(default_users=False) as fake:
        fake.add_user(fake.bot_user_id, name="rapport", is_bot=True, bot_id=fake.bot_id)
        for user_id in work.users:
            fake.add_user(user_id, name=user_id.lower(), tz="UTC")
        base = {
            "api_url": fake.api_url,
            "bot_token": fake.bot_token,
            "signing_secret": fake.signing_secret,
            "members": args.members,
        }
        backends = [("SQLite", f"sqlite+aiosqlite:///{workdir / '{}.db'}")]
        if args.postgres_url:
            backends.append(("PostgreSQL", args.postgres_url))

        bare = App("bare", base)
        url = await bare.start()
        await post_all(fake, url, answer_plans(fake, work.warm_up, step), None)
        plans = answer_plans(fake, work.measured, step)
        await bare.cpu_since_last()
        ceiling = await post_all(fake, url, plans, None)
        ceiling.app_cpu = await bare.cpu_since_last()
        offered = ceiling.rate / 2
        plans = answer_plans(fake, work.measured, step)
        await bare.cpu_since_last()
        bare_at_load = await post_all(fake, url, plans, offered)
        bare_at_load.app_cpu = await bare.cpu_since_last()
        await bare.stop()
        tables["throughput"].append(
            _throughput_row("bare slack-bolt app (ceiling)", ceiling, None, ceiling.rate)
        )
        tables["latency"].append(_latency_row("bare slack-bolt app", bare_at_load, None))

        for name, url_template in backends:
            for scenario in ("throughput", "latency"):
                database_url = url_template.format(scenario)
                await _fresh_seeded(database_url, work)
                config = _child(args, workdir, name, scenario, database_url)
                app = App("rapport", {**base, **config, "warm_up": work.answers(warm_up=True)})
                url = await app.start()
                await post_all(fake, url, answer_plans(fake, work.warm_up, step), None)
                plans = answer_plans(fake, work.measured, step)
                await app.warmed()
                rate = None if scenario == "throughput" else offered
                run = await post_all(fake, url, plans, rate)
                report = await app.stop()
                _check(name, scenario, report, work.answers() + work.answers(warm_up=True))
                report["answered"] -= work.answers(warm_up=True)
                if scenario == "throughput":
                    run.ended = report["done_at"]  # the last answer committed
                    tables["throughput"].append(
                        _throughput_row(f"Rapport, {name}", run, report, ceiling.rate)
                    )
                else:
                    tables["latency"].append(_latency_row(f"Rapport, {name}", run, report))

            if not conversation:
                continue
            database_url = url_template.format("conversation")
            await _emptied(database_url)
            prompts = Prompts()
            fake.on_call.append(prompts)
            app = App(
                "rapport",
                {
                    **base,
                    **_child(args, workdir, name, "conversation", database_url),
                    "warm_up": 0,
                    "rate": CONVERSATION_RATE,
                    "start_pairs": True,
                },
            )
            url = await app.start()
            await app.warmed()
            calls_before = len(fake.calls)
            run = await converse(fake, url, args.members, args.answers, prompts)
            report = await app.stop()
            fake.on_call.remove(prompts)
            _check(name, "conversation", report, args.members * args.answers)
            posts = sum(1 for c in fake.calls[calls_before:] if c.method == "chat.postMessage")
            tables["conversation"].append(
                _conversation_row(f"Rapport, {name}", run, report, ceiling.rate, posts)
            )
    tables["offered"] = [(f"{offered:.0f}",)]
    return tables


def _child(
    args: argparse.Namespace, workdir: Path, name: str, scenario: str, database_url: str
) -> dict[str, Any]:
    profile = f"{args.profile}.{name}.{scenario}" if args.profile else None
    return {
        "database_url": database_url,
        "log_path": str(workdir / f"{name}.{scenario}.log"),
        "answers": args.members * args.answers,
        "profile": profile,
    }


async def _fresh_seeded(database_url: str, work: Workload) -> None:
    """An empty database with the workload's rounds seeded."""
    await _emptied(database_url)
    rounds = {**work.warm_up, **work.measured}
    await seed_rounds(
        database_url, {r: (member_key(a), member_key(b)) for r, (a, b) in rounds.items()}
    )


def _check(name: str, scenario: str, report: dict[str, Any], expected: int) -> None:
    if report["answered"] != expected:
        raise SystemExit(f"{name} {scenario}: {report['answered']} answers stored, not {expected}")


def _throughput_row(
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


def _latency_row(label: str, run: Run, report: dict[str, Any] | None) -> tuple[str, ...]:
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


def _conversation_row(
    label: str, run: Run, report: dict[str, Any], ceiling: float, posts: int
) -> tuple[str, ...]:
    answers = len(run.latencies)
    return (
        label,
        f"{answers}",
        f"{report['answered']}",
        f"{run.rate:.1f}",
        f"{run.rate / ceiling:.2f}",
        f"{statistics.median(run.latencies) * 1000:.1f}",
        f"{run.p(99) * 1000:.1f}",
        f"{report['cpu']:.0%}",
        f"{posts / answers:.2f}",
    )


# ================================================================ start-up with 100k rounds


TEMPLATE_MEMBERS = (member_key("UAAAAAAAAA"), member_key("UBBBBBBBBB"))
TEMPLATE_ROUND = "R" * 16


def template_state() -> Any:
    """One engine-made active round (invited, accepted, first prompt waiting)."""
    from bot.engine.model import Accept, RoundSettings
    from bot.engine.rules import decide, start_round
    from bot.questions.loader import load_banks

    bank = load_banks([ROOT / "questions"])["workplace"]
    now = datetime.now(UTC)
    a, b = TEMPLATE_MEMBERS
    state = start_round(
        round_id=TEMPLATE_ROUND,
        members=[a, b],
        settings=RoundSettings(bank="workplace"),
        now=now,
        seed=7,
        initiator=a,
    ).state
    return decide(state, Accept(b), now, bank).state


async def seed_rounds(database_url: str, pairs: dict[str, tuple[str, str]]) -> float:
    """Bulk-insert an active round per (round id -> two member keys), each a copy of
    `template_state()`; returns the seconds it took."""
    from bot.store import repository as repo
    from bot.store.database import Database
    from bot.store.tables import round_members, rounds

    db = Database(database_url)
    await db.upgrade()
    state = template_state()
    template, due_at, now = repo.encode_state(state), state.due_at, state.created_at
    a, b = TEMPLATE_MEMBERS
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
                    "workspace": f"slack:{TEAM}",
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


_RECREATED: set[str] = set()


async def _emptied(database_url: str) -> None:
    """A new SQLite file; PostgreSQL recreated the first time, then its tables truncated (a
    DROP DATABASE makes the server checkpoint, which would land in the next measurement)."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif database_url not in _RECREATED:
        await _recreate(database_url)
        _RECREATED.add(database_url)
    else:
        from bot.store.tables import metadata

        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await engine.dispose()


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
            pairs = {
                f"seed{n:012d}": (member_key(f"UA{n:08d}"), member_key(f"UB{n:08d}"))
                for n in range(args.rounds)
            }
            seeded = await seed_rounds(url, pairs)
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
        runs = [await measure(args, workdir, conversation=n == 0) for n in range(args.repeat)]
        tables = {
            name: [(f"{n + 1}", *row) for n, run in enumerate(runs) for row in run[name]]
            for name in ("throughput", "latency", "conversation")
        }
        answers = args.members * args.answers
        print(
            f"{args.members} members, {args.answers} modal answers each ({answers} in all), "
            f"Slack HTTP mode, {args.repeat} runs"
        )
        print("\nThroughput, members posting back to back (target: ratio >= 0.5)")
        _table(
            (
                "run",
                "app",
                "posts",
                "answers stored",
                "answers/s",
                "ratio",
                "app CPU",
                "Slack side CPU",
                "SQL per answer",
            ),
            tables["throughput"],
        )
        print(
            "\nAck latency with answers offered at half the ceiling's rate of the same run "
            "(target: p99 < 100 ms)"
        )
        _table(
            (
                "run",
                "app",
                "posts",
                "answers/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "non-200",
                "app CPU",
                "Slack side CPU",
                "PostgreSQL CPU",
            ),
            tables["latency"],
        )
        print("\nMedians over the runs")
        _table(
            ("app", "ratio (target >= 0.5)", "p99 ms (target < 100)"),
            _medians(tables["throughput"], tables["latency"]),
        )
        print(
            f"\nConversation (run 1): DM answers, each after the next prompt arrived; outbox at "
            f"{CONVERSATION_RATE:,.0f} msg/s (no target)"
        )
        _table(
            (
                "run",
                "app",
                "answers",
                "stored",
                "answers/s",
                "ratio",
                "p50 ms",
                "p99 ms",
                "app CPU",
                "posts per answer",
            ),
            tables["conversation"],
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


def _medians(
    throughput: list[tuple[str, ...]], latency: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    """Per app: the median throughput ratio and the median p99 ack over the runs."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--answers", type=int, default=10, help="answers per member (even)")
    parser.add_argument(
        "--postgres-url",
        help="also measure on this PostgreSQL database (it is dropped and recreated)",
    )
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the throughput and latency measurements"
    )
    parser.add_argument(
        "--profile", help="cProfile each Rapport app process to FILE.<database>.<scenario>"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
