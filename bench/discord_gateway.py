"""Answers per second and ack latency through the Discord gateway adapter.

    .venv/bin/python -m bench.discord_gateway [--members 200] [--answers 10] [--warm-up 200]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/rapport_bench]
        [--repeat 3] [--profile FILE]

The Discord twin of `bench.slack_http` (part 1). The Discord side - the fake REST API and
gateway (tests/fakes/discord) and the simulated members - runs in this process; each app under
test runs in a child process, logged into its own fake, so its CPU is its own. 200 members are
each in `--answers` (10) rounds with different partners: 1,000 rounds are seeded in the
database with their first prompt waiting. A member answers through the Answer modal: a
MODAL_SUBMIT interaction with the custom id Rapport's modal carries (`rapport:modal:{round}:
{step}`), opened from the prompt in their DM, dispatched over the gateway. The ack is the
interaction callback (`POST /interactions/{id}/{token}/callback`) the fake receives; a member
waits for it before its next answer. Every app gets the same 2,000 submissions, after 200
warm-up answers in rounds of their own (one-time work - discord.py's first REST calls,
compiling statements - is not what is measured).

* ceiling: a bare discord.py `Client` whose `on_interaction` only defers (the deferred update
  Rapport sends for a modal, callback type 6); the members submit back to back.
* throughput (target: at least 0.6 x the ceiling's rate): Rapport - the real core and
  `DiscordRuntime` with production settings (outbox at Discord's production pacing) - on
  SQLite, then PostgreSQL when a URL is given; the members submit back to back. Answers/s
  counts from the first dispatch to the moment the last answer was handled (its handler
  returned: committed, acked, the prompt settled); the answers in the database are counted
  afterwards and must equal the submissions.
* ack latency (target: p99 < 100 ms): the same submissions offered at a fixed rate, half the
  ceiling's, to the bare client and to Rapport. Latency is the time from the gateway dispatch
  to the callback's arrival at the fake. At saturation it would only be concurrency /
  throughput (Little's law), so it is judged at a stated load.

The 2-core machine this runs on is shared by the Discord side and the app, so single runs vary:
everything runs `--repeat` times and the medians are judged (the `ratio` and `p99 ack` lines).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.common import (
    PRODUCTION_SHAPE,
    WARM_UP_MEMBERS,
    App,
    Run,
    Workload,
    child_settings,
    fresh_seeded,
    latency_header,
    latency_row,
    medians,
    member_rounds,
    numbered,
    offer,
    serve_cpu_until_stop,
    serve_measured,
    table,
    throughput_header,
    throughput_row,
    waiting_step,
)
from bot.adapters.discord import wire
from tests.fakes.discord import FakeDiscord, RecordedRequest
from tests.fakes.discord import payloads as p

GUILD_ID = 1_600_000_000_000_000_001
CHANNEL_ID = 1_600_000_000_000_000_101
FIRST_MEMBER = 1_610_000_000_000_000_000
FIRST_WARM_UP = 1_620_000_000_000_000_000
WORKSPACE = f"{wire.PLATFORM}:{GUILD_ID}"
APP_SETTINGS = {
    **PRODUCTION_SHAPE,
    "RAPPORT_LOG_LEVEL": "INFO",
    "RAPPORT_HTTP_PORT": "0",
    # discord.py waits this long for more GUILD_CREATEs after READY: start-up only
    "RAPPORT_DISCORD_GUILD_READY_TIMEOUT": "0.1",
}
ACK_TIMEOUT = 10.0  # seconds a member waits for the callback before counting it missing
DEFERRED_UPDATE = 6


def member_key(user_id: str) -> str:
    return f"{WORKSPACE}:{user_id}"


def members_of(count: int, first: int = FIRST_MEMBER) -> list[str]:
    return [str(first + n) for n in range(count)]


# ================================================================ the apps under test


def serve_app(kind: str, config: dict[str, Any], pipe: Connection) -> None:
    """Child process: Rapport (kind "rapport") or the bare discord.py client ("bare"), until
    told to stop."""
    asyncio.run(_serve_rapport(config, pipe) if kind == "rapport" else _serve_bare(config, pipe))


async def _serve_bare(config: dict[str, Any], pipe: Connection) -> None:
    import discord
    import yarl

    discord.http.Route.BASE = config["api_url"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config["gateway_url"])
    intents = discord.Intents.none()  # what Rapport asks for, but message content
    intents.guilds = intents.dm_messages = intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.1, chunk_guilds_at_startup=False)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # a modal submit: the deferred update (type 6)

    await client.login(config["token"])
    connected = asyncio.create_task(client.connect(reconnect=True))
    await client.wait_until_ready()
    pipe.send({"ready": True})
    await serve_cpu_until_stop(pipe)
    await client.close()
    await connected


async def _serve_rapport(config: dict[str, Any], pipe: Connection) -> None:
    from bot.adapters.discord.runtime import DiscordRuntime
    from bot.bootstrap import build

    settings, log_file = child_settings(
        config,
        DISCORD_TOKEN=config["token"],
        DISCORD_API_URL=config["api_url"],
        DISCORD_GATEWAY_URL=config["gateway_url"],
        **APP_SETTINGS,
    )
    runtime = DiscordRuntime(settings)
    rapport = build(  # production pacing: no rates given
        settings, senders={"discord": runtime.sender}, directories={"discord": runtime.directory}
    )
    await rapport.start()
    await runtime.start(rapport)
    assert runtime.catch_up is not None
    await runtime.catch_up.wait_passes(1, timeout=120)  # the READY pass is not measured
    await serve_measured(rapport, runtime.activity, {"ready": True}, config, pipe)
    await runtime.stop()
    await rapport.stop()
    log_file.close()


# ================================================================ the Discord side


class Members:
    """The simulated members on one fake: their submissions, and when each ack arrived."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.users = {u["id"]: u for u in fake.users.values()}
        self._waiting: dict[str, asyncio.Future[tuple[float, int]]] = {}
        fake.on_request.append(self._arrived)

    def _arrived(self, request: RecordedRequest) -> None:
        if request.method != "POST" or not request.path.endswith("/callback"):
            return
        waiting = self._waiting.pop(request.path.split("/")[2], None)
        if waiting is not None and not waiting.done():
            waiting.set_result((time.perf_counter(), request.status))

    async def submit(self, interaction: p.Payload) -> tuple[float, bool]:
        """Dispatch the interaction; (seconds until its callback arrived, acknowledged)."""
        arrived = asyncio.get_running_loop().create_future()
        self._waiting[interaction["id"]] = arrived
        started = time.perf_counter()
        await self.fake.push_event("INTERACTION_CREATE", interaction)
        try:
            at, status = await asyncio.wait_for(arrived, ACK_TIMEOUT)
        except TimeoutError:
            self._waiting.pop(interaction["id"], None)
            return ACK_TIMEOUT, False
        return at - started, 200 <= status < 300

    def answer_plans(self, rounds: dict[str, tuple[str, str]], step: int) -> list[list[p.Payload]]:
        """Each member's Answer-modal submissions to the waiting prompt of each of its rounds,
        in a shuffled order, each opened from that prompt in the member's DM."""
        plans = []
        for user_id, mine in member_rounds(rounds):
            user = self.users[user_id]
            channel = self.fake.dm_channel_for(user_id)
            plan = []
            for round_id in mine:
                target = wire.Target(round_id, step)
                prompt = p.message(
                    channel["id"],
                    self.fake.bot,
                    components=[p.action_row(p.button(wire.custom_id("answer", target)))],
                )
                text = p.label_text_input(wire.ANSWER_INPUT_ID, f"answer to {round_id}")
                plan.append(
                    p.modal_submit(
                        wire.modal_id(target),
                        [text],
                        user=user,
                        channel=channel,
                        message_payload=prompt,
                    )
                )
            plans.append(plan)
        return plans

    async def offer(self, plans: Sequence[list[p.Payload]], rate: float | None) -> Run:
        return await offer(plans, self.submit, rate)


def new_fake(users: Sequence[str]) -> FakeDiscord:
    """A fake Discord with one server that every member (and the bot) is in."""
    people = [p.user(u, f"member{u[-6:]}") for u in users]
    channel = p.text_channel(CHANNEL_ID, GUILD_ID, "general")
    guild = p.guild(
        GUILD_ID,
        "Rapport Bench",
        owner_id=people[0]["id"],
        members=[p.member(u) for u in people],
        channels=[channel],
    )
    return FakeDiscord(guilds=[guild], users=people)


def fake_config(fake: FakeDiscord) -> dict[str, Any]:
    return {"api_url": fake.api_url, "gateway_url": fake.gateway_url, "token": fake.token}


def fake_problems(name: str, fake: FakeDiscord, submissions: int) -> None:
    """Stop on a fake's own error; every submission answered by exactly one callback."""
    if fake.server_errors:
        raise SystemExit(f"{name}: the fake Discord failed: {fake.server_errors[:3]}")
    acked = {c.interaction_id for c in fake.callbacks}
    if len(fake.callbacks) != len(acked) or len(acked) > submissions:
        raise SystemExit(f"{name}: {len(fake.callbacks)} callbacks for {submissions} answers")


# ================================================================ the measurements


async def measure(args: argparse.Namespace, workdir: Path) -> dict[str, list[tuple[str, ...]]]:
    """One run: the ceiling, then Rapport on each database; rows for the two tables."""
    tables: dict[str, list[tuple[str, ...]]] = {"throughput": [], "latency": [], "stored": []}
    warm = members_of(args.warm_up, FIRST_WARM_UP)
    work = Workload.build(members_of(args.members), warm, args.answers)
    step = waiting_step()
    warm_ups, answers = work.answers(warm_up=True), work.answers()

    async def bare(rate: float | None) -> Run:
        async with new_fake(work.users) as fake:
            members = Members(fake)
            app = App(serve_app, "bare", fake_config(fake))
            await app.start()
            await members.offer(members.answer_plans(work.warm_up, step), None)
            plans = members.answer_plans(work.measured, step)
            await app.cpu_since_last()
            run = await members.offer(plans, rate)
            run.app_cpu = await app.cpu_since_last()
            await app.stop()
            fake_problems("bare client", fake, warm_ups + answers)
            return run

    ceiling = await bare(None)
    offered = ceiling.rate / 2
    tables["throughput"].append(
        throughput_row("bare discord.py client (ceiling)", ceiling, None, ceiling.rate)
    )
    tables["latency"].append(latency_row("bare discord.py client", await bare(offered), None))

    backends = [("SQLite", f"sqlite+aiosqlite:///{workdir / '{}.db'}")]
    if args.postgres_url:
        backends.append(("PostgreSQL", args.postgres_url))
    for name, url_template in backends:
        for scenario in ("throughput", "latency"):
            database_url = url_template.format(scenario)
            await fresh_seeded(database_url, work, member_key, WORKSPACE)
            async with new_fake(work.users) as fake:
                members = Members(fake)
                config = {
                    **fake_config(fake),
                    "database_url": database_url,
                    "log_path": str(workdir / f"{name}.{scenario}.log"),
                    "warm_up": warm_ups,
                    "answers": answers,
                    "profile": f"{args.profile}.{name}.{scenario}" if args.profile else None,
                }
                app = App(serve_app, "rapport", config)
                await app.start()
                await members.offer(members.answer_plans(work.warm_up, step), None)
                plans = members.answer_plans(work.measured, step)
                await app.warmed()
                run = await members.offer(plans, None if scenario == "throughput" else offered)
                report = await app.stop()
                fake_problems(f"Rapport, {name}", fake, warm_ups + answers)
            # each answer stored exactly once: counted, and the run goes on either way so that
            # a shortfall is reported beside the figures
            stored = report["answered"]
            verdict = "yes" if stored == answers + warm_ups else "NO"
            tables["stored"].append(
                (f"Rapport, {name}", scenario, f"{answers + warm_ups}", f"{stored}", verdict)
            )
            report["answered"] -= warm_ups
            if scenario == "throughput":
                run.ended = report["done_at"]  # the last answer handled
                tables["throughput"].append(
                    throughput_row(f"Rapport, {name}", run, report, ceiling.rate)
                )
            else:
                tables["latency"].append(latency_row(f"Rapport, {name}", run, report))
    tables["offered"] = [(f"{offered:.1f}",)]
    return tables


async def main_async(args: argparse.Namespace) -> dict[str, list[tuple[str, ...]]]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        runs = []
        for n in range(args.repeat):
            runs.append(await measure(args, workdir))
            print(f"run {n + 1} of {args.repeat} measured", file=sys.stderr, flush=True)
            for name in ("throughput", "latency", "stored"):
                for row in runs[-1][name]:
                    print(f"  run {n + 1} {name}: " + " | ".join(row), file=sys.stderr, flush=True)
    tables = {name: numbered(runs, name) for name in ("throughput", "latency")}
    once = all(row[-1] == "yes" for run in runs for row in run["stored"])
    answers = args.members * args.answers
    print(
        f"{args.members} members, {args.answers} modal answers each ({answers} in all), "
        f"over the Discord gateway, {args.repeat} runs"
    )
    print("\nThroughput, members submitting back to back (target: ratio >= 0.6)")
    table(throughput_header("Discord"), tables["throughput"])
    offered = ", ".join(row[0] for run in runs for row in run["offered"])
    print(
        f"\nAck latency with answers offered at half the ceiling's rate of the same run "
        f"({offered} answers/s; target: p99 < 100 ms)"
    )
    table(latency_header("Discord", "not acked"), tables["latency"])
    print("\nMedians over the runs")
    judged = medians(tables["throughput"], tables["latency"])
    table(("app", "ratio (target >= 0.6)", "p99 ms (target < 100)"), judged)
    tables["stored"] = numbered(runs, "stored")
    print("\nAnswers in the database, warm-up included (each must be stored exactly once)")
    table(("run", "app", "scenario", "submitted", "stored", "exactly once"), tables["stored"])
    print()
    for app, ratio, p99 in judged:
        if app.startswith("Rapport"):
            database = app.removeprefix("Rapport, ")
            print(f"ratio {ratio}  (Rapport on {database} / bare client, median of runs)")
            print(f"p99 ack {float(p99):.0f} ms  (Rapport on {database}, median of runs)")
    print(f"stored exactly once: {'yes' if once else 'NO'} (every run, every database)")
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--answers", type=int, default=10, help="answers per member (even)")
    parser.add_argument(
        "--warm-up", type=int, default=WARM_UP_MEMBERS, help="members in warm-up rounds (even)"
    )
    parser.add_argument(
        "--postgres-url",
        help="also measure on this PostgreSQL database (it is dropped and recreated)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of every measurement")
    parser.add_argument("--workdir", help="keep the databases and the apps' logs here")
    parser.add_argument(
        "--profile", help="cProfile each Rapport app process to FILE.<database>.<scenario>"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
