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
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    PRODUCTION_SHAPE,
    WARM_UP_MEMBERS,
    App,
    Run,
    Workload,
    check,
    child_settings,
    emptied,
    fresh_seeded,
    latency_header,
    latency_row,
    medians,
    member_rounds,
    numbered,
    offer,
    recreate,
    seed_rounds,
    serve_cpu_until_stop,
    serve_measured,
    table,
    throughput_header,
    throughput_row,
    waiting_step,
)
from bot.adapters.slack import wire
from bot.adapters.slack.blocks import kind_of
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.payloads import Inbound
from tests.fakes.slack.server import ApiCall

ROOT = Path(__file__).resolve().parents[1]
TEAM = "T0RAPPORT"
WORKSPACE = f"slack:{TEAM}"
APP_SETTINGS = {
    "RAPPORT_SLACK_MODE": "http",
    "RAPPORT_HTTP_PORT": "0",
    **PRODUCTION_SHAPE,
    "RAPPORT_LOG_LEVEL": "INFO",
}
CONVERSATION_RATE = 10_000.0  # messages/s: Slack's pacing must not hide the adapter


def members_of(count: int) -> list[str]:
    return [f"U{n:08d}" for n in range(count)]


def member_key(user_id: str) -> str:
    return f"{WORKSPACE}:{user_id}"


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
    await serve_cpu_until_stop(pipe)
    await runner.cleanup()


async def _serve_rapport(config: dict[str, Any], pipe: Connection) -> None:
    from bot.adapters.slack.runtime import SlackRuntime
    from bot.bootstrap import build

    settings, log_file = child_settings(
        config,
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
    activity = runtime.handlers.activity  # type: ignore[union-attr]
    ready = {"url": f"{runtime.http_url}/slack/events"}
    await serve_measured(rapport, activity, ready, config, pipe)
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


# ================================================================ the Slack side


async def post_all(
    fake: FakeSlack, url: str, plans: Sequence[list[Inbound]], rate: float | None
) -> Run:
    """Each plan is one member's posts, in order: back to back (rate None) or, all members
    interleaved, one post every 1/rate seconds whatever the answers take (an open loop)."""

    async def post(inbound: Inbound) -> tuple[float, bool]:
        started = time.perf_counter()
        reply = await fake.post_to_app(url, inbound)
        return time.perf_counter() - started, reply.status == 200

    return await offer(plans, post, rate)


def answer_plans(
    fake: FakeSlack, rounds: dict[str, tuple[str, str]], step: int
) -> list[list[Inbound]]:
    """Each member's modal answers to the waiting prompt of each of its rounds, in a shuffled
    order: fresh submissions (new view ids) every time."""
    plans = []
    for user_id, mine in member_rounds(rounds):
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
    warm = [f"W{n:08d}" for n in range(WARM_UP_MEMBERS)]
    work = Workload.build(members_of(args.members), warm, args.answers)
    step = waiting_step()
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

        bare = App(serve_app, "bare", base)
        url = (await bare.start())["url"]
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
            throughput_row("bare slack-bolt app (ceiling)", ceiling, None, ceiling.rate)
        )
        tables["latency"].append(latency_row("bare slack-bolt app", bare_at_load, None))

        for name, url_template in backends:
            for scenario in ("throughput", "latency"):
                database_url = url_template.format(scenario)
                await fresh_seeded(database_url, work, member_key, WORKSPACE)
                config = _child(args, workdir, name, scenario, database_url)
                config |= {"warm_up": work.answers(warm_up=True)}
                app = App(serve_app, "rapport", {**base, **config})
                url = (await app.start())["url"]
                await post_all(fake, url, answer_plans(fake, work.warm_up, step), None)
                plans = answer_plans(fake, work.measured, step)
                await app.warmed()
                rate = None if scenario == "throughput" else offered
                run = await post_all(fake, url, plans, rate)
                report = await app.stop()
                check(name, scenario, report, work.answers() + work.answers(warm_up=True))
                report["answered"] -= work.answers(warm_up=True)
                if scenario == "throughput":
                    run.ended = report["done_at"]  # the last answer committed
                    tables["throughput"].append(
                        throughput_row(f"Rapport, {name}", run, report, ceiling.rate)
                    )
                else:
                    tables["latency"].append(latency_row(f"Rapport, {name}", run, report))

            if not conversation:
                continue
            database_url = url_template.format("conversation")
            await emptied(database_url)
            prompts = Prompts()
            fake.on_call.append(prompts)
            app = App(
                serve_app,
                "rapport",
                {
                    **base,
                    **_child(args, workdir, name, "conversation", database_url),
                    "warm_up": 0,
                    "rate": CONVERSATION_RATE,
                    "start_pairs": True,
                },
            )
            url = (await app.start())["url"]
            await app.warmed()
            calls_before = len(fake.calls)
            run = await converse(fake, url, args.members, args.answers, prompts)
            report = await app.stop()
            fake.on_call.remove(prompts)
            check(name, "conversation", report, args.members * args.answers)
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


async def startup_rows(args: argparse.Namespace, workdir: Path) -> list[tuple[str, ...]]:
    rows = []
    backends = [("SQLite", f"sqlite+aiosqlite:///{workdir / 'startup.db'}")]
    if args.postgres_url:
        backends.append(("PostgreSQL", args.postgres_url))
    async with FakeSlack() as fake:
        for name, url in backends:
            if name == "PostgreSQL":
                await recreate(url)
            pairs = {
                f"seed{n:012d}": (member_key(f"UA{n:08d}"), member_key(f"UB{n:08d}"))
                for n in range(args.rounds)
            }
            seeded = await seed_rounds(url, pairs, WORKSPACE)
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


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        runs = [await measure(args, workdir, conversation=n == 0) for n in range(args.repeat)]
        tables = {name: numbered(runs, name) for name in ("throughput", "latency", "conversation")}
        answers = args.members * args.answers
        print(
            f"{args.members} members, {args.answers} modal answers each ({answers} in all), "
            f"Slack HTTP mode, {args.repeat} runs"
        )
        print("\nThroughput, members posting back to back (target: ratio >= 0.5)")
        table(
            throughput_header("Slack"),
            tables["throughput"],
        )
        print(
            "\nAck latency with answers offered at half the ceiling's rate of the same run "
            "(target: p99 < 100 ms)"
        )
        table(
            latency_header("Slack", "non-200"),
            tables["latency"],
        )
        print("\nMedians over the runs")
        table(
            ("app", "ratio (target >= 0.5)", "p99 ms (target < 100)"),
            medians(tables["throughput"], tables["latency"]),
        )
        print(
            f"\nConversation (run 1): DM answers, each after the next prompt arrived; outbox at "
            f"{CONVERSATION_RATE:,.0f} msg/s (no target)"
        )
        table(
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
            table(
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
