"""A scheduled session for a 10,000-member Slack channel: pairing and invitation fan-out.

    .venv/bin/python -m bench.fanout [--members 10000] [--rate 500] [--database-url URL]
    .venv/bin/python -m bench.fanout --members 100000 --rate 2000 --database-url URL

Rapport's real core and Slack adapter (SlackSender, SlackDirectory, the measured Web API client)
run against the fake Slack server (tests/fakes/slack) holding one channel with `--members`
people plus the bot. The fake runs in a child process, as Slack runs on other machines: its CPU
is not Rapport's. The outbox's rate limit for Slack is `--rate` messages per second.

Two phases, timed separately:

1. engine: `/rapport schedule run-now` for the channel with the outbox dispatcher stopped, so no
   rate-limit wait can hide in it: listing the channel through the Web API (timed on its own),
   pairing, starting one round per group and writing every invitation to the outbox.
2. fan-out: the dispatcher starts; wall time until the last invitation was posted, beside the
   bound the rate limit imposes (messages sent / rate).

Memory: a thread samples this process's VmRSS (/proc/self/status) every 0.2 s from before the
session starts to the last invitation, and VmHWM (the kernel's peak RSS) is read at the end. This
process is Rapport (core, store, Slack adapter, the outbox) plus the bench's own small harness;
the fake Slack and its records live in the child process, so they are not counted. The RSS
before the session starts (interpreter, imports, Rapport built and connected) is shown apart.

Duplicate invitations are counted from the `chat.postMessage` calls the fake recorded (per DM
channel) and must be 0. Targets: engine < 10 s for 10,000 members (< 60 s for 100,000, with
RSS < 300 MB throughout), fan-out wall <= 1.1 x bound.

`--profile FILE` / `--profile-fanout FILE` write a cProfile of either phase (view with pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import tempfile
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

from bot.adapters.slack.blocks import kind_of
from bot.adapters.slack.runtime import SlackRuntime
from bot.bootstrap import build
from bot.config import Settings
from bot.identity import Member
from bot.service.ports import ChannelDirectory, ChannelMember
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.server import ApiCall

CHANNEL = "C0HUGE"
LEAD = "U0LEAD0000"


class TimedDirectory:
    """Wraps the Slack directory to time the Web API listing apart from the engine."""

    def __init__(self, inner: ChannelDirectory) -> None:
        self.inner = inner
        self.seconds = 0.0

    async def channel_members(self, workspace_id: str, channel_id: str) -> list[ChannelMember]:
        started = time.perf_counter()
        try:
            return await self.inner.channel_members(workspace_id, channel_id)
        finally:
            self.seconds += time.perf_counter() - started


def _status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS now, VmHWM the peak so far); 0 off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples this process's RSS in a thread (the event loop may be busy for seconds)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Tally:
    """Counts what the fake posted, per DM channel and kind, as calls are recorded."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.invitations: Counter[str] = Counter()
        self.posts = 0
        self.last_post = 0.0
        self.done = asyncio.Event()

    def __call__(self, call: ApiCall) -> None:
        if call.method != "chat.postMessage" or not call.ok:
            return
        self.posts += 1
        self.last_post = time.monotonic()
        if kind_of(call.response["message"]) == "invitation":
            self.invitations[call.response["channel"]] += 1
            if len(self.invitations) >= self.expected:
                self.done.set()

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.invitations.values() if n > 1)


def serve_fake(members: int, pipe: Connection) -> None:
    """The child process: the fake Slack with the channel; reports the tally when all are in."""
    asyncio.run(_serve_fake(members, pipe))


async def _serve_fake(members: int, pipe: Connection) -> None:
    people = [f"U{n:09d}" for n in range(members - 1)] + [LEAD]
    loop = asyncio.get_running_loop()
    async with FakeSlack(default_users=False) as fake:
        fake.add_user(fake.bot_user_id, name="rapport", is_bot=True, bot_id=fake.bot_id)
        fake.add_user(LEAD, name="lead", is_admin=True)
        for user_id in people[:-1]:
            fake.add_user(user_id, name=user_id.lower(), tz="UTC")
        fake.add_channel(CHANNEL, [*people, fake.bot_user_id])
        tally = Tally(members)
        fake.on_call.append(tally)
        pipe.send(
            {
                "api_url": fake.api_url,
                "team_id": fake.team_id,
                "bot_token": fake.bot_token,
                "signing_secret": fake.signing_secret,
            }
        )
        pipe.send({"cpu": time.process_time()})  # the fake's CPU so far (building the channel)
        await tally.done.wait()
        pipe.send(
            {
                "last_post": tally.last_post,
                "posts": tally.posts,
                "invited": len(tally.invitations),
                "duplicates": tally.duplicates,
                "cpu": time.process_time(),
            }
        )
        await loop.run_in_executor(None, pipe.recv)  # until the bot side has shut down


async def run(
    members: int,
    rate: float,
    database_url: str | None,
    workdir: Path,
    profile: str | None = None,
    profile_fanout: str | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_fake, args=(members, theirs), daemon=True
    )
    server.start()
    fake = await loop.run_in_executor(None, ours.recv)
    fake_cpu_before = (await loop.run_in_executor(None, ours.recv))["cpu"]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        RAPPORT_DATABASE_URL=database_url or f"sqlite+aiosqlite:///{workdir / 'fanout.db'}",
        SLACK_BOT_TOKEN=fake["bot_token"],
        SLACK_SIGNING_SECRET=fake["signing_secret"],
        SLACK_API_URL=fake["api_url"],
        RAPPORT_SLACK_MODE="http",
    )
    runtime = SlackRuntime(settings)
    directory = TimedDirectory(runtime.directory)
    rapport = build(
        settings,
        senders={"slack": runtime.sender},
        directories={"slack": directory},
        rates_per_second={"slack": rate},
    )
    await rapport.db.upgrade()
    await _empty(rapport)
    await rapport.leader.start()
    runtime.sender.bind(rapport.members)
    lead = Member("slack", fake["team_id"], LEAD)
    added = await rapport.schedules.add(
        lead, True, CHANNEL, "every:1 day:mon time:10:00 tz:UTC pace:live"
    )
    assert added.ok and added.code, added.message

    baseline_kb = _status_kb("VmRSS")
    sampler = RssSampler()
    sampler.__enter__()
    profiler = cProfile.Profile() if profile else None
    cpu_started = time.process_time()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = await rapport.schedules.run_now(lead, True, added.code)
    session_seconds = time.perf_counter() - started
    session_cpu = time.process_time() - cpu_started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    queued = await _invitations_queued(rapport)
    engine_sampler_peak = sampler.peak_kb

    fanout_profiler = cProfile.Profile() if profile_fanout else None
    if fanout_profiler is not None:
        fanout_profiler.enable()
    fanout_cpu_started = time.process_time()
    fanout_start = time.monotonic()
    dispatcher = asyncio.create_task(rapport.dispatcher.run_forever())
    result = await asyncio.wait_for(
        loop.run_in_executor(None, ours.recv), timeout=max(120.0, 5 * members / rate)
    )
    wall = result["last_post"] - fanout_start
    fanout_cpu = time.process_time() - fanout_cpu_started
    if fanout_profiler is not None:
        fanout_profiler.disable()
        fanout_profiler.dump_stats(profile_fanout)
    sampler.__exit__()
    engine_peak_kb = engine_sampler_peak
    rapport.dispatcher.stop()
    await dispatcher
    await rapport.leader.stop()
    await rapport.db.dispose()
    await runtime.stop()
    ours.send("stop")
    server.join(timeout=10)

    engine = session_seconds - directory.seconds
    bound = result["posts"] / rate
    backend = "PostgreSQL" if database_url and "postgres" in database_url else "SQLite"
    print(f"fan-out of a {members:,}-member Slack channel on {backend}, outbox rate {rate:g}/s")
    print(f"  load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  session: {report.message}")
    target = 10 if members <= 10_000 else 60
    rows = [
        ("listing the channel (Web API, not engine)", f"{directory.seconds:8.2f} s", ""),
        ("engine: pairing + rounds + outbox writes", f"{engine:8.2f} s", f"target < {target} s"),
        ("engine + listing CPU in the Rapport process", f"{session_cpu:8.2f} s", ""),
        ("invitations queued in the outbox", f"{queued:8d}", ""),
        ("messages posted (chat.postMessage)", f"{result['posts']:8d}", ""),
        ("rate-limit bound (posts / rate)", f"{bound:8.2f} s", ""),
        (
            "fan-out CPU: Rapport process / fake Slack",
            f"{fanout_cpu:8.2f} s",
            f"/ {result['cpu'] - fake_cpu_before:.2f} s (the fake's includes the listing)",
        ),
        ("fan-out wall time", f"{wall:8.2f} s", f"{wall / bound:.3f} x bound (target <= 1.1)"),
        ("RSS before the session (Rapport built)", f"{baseline_kb / 1024:8.1f} MB", ""),
        ("RSS peak during the engine phase", f"{engine_peak_kb / 1024:8.1f} MB", ""),
        (
            "RSS peak, session start to last post",
            f"{sampler.peak_kb / 1024:8.1f} MB",
            f"VmHWM {_status_kb('VmHWM') / 1024:.1f} MB, {sampler.samples} samples "
            "(target < 300 MB)",
        ),
        ("session start to last invitation", f"{session_seconds + wall:8.2f} s", ""),
        ("duplicate invitations", f"{result['duplicates']:8d}", "must be 0"),
        ("people invited", f"{result['invited']:8d}", f"of {members}"),
    ]
    for label, value, note in rows:
        print(f"  {label:<44}{value}  {note}")


async def _empty(rapport: object) -> None:
    """A PostgreSQL database given by URL may hold an earlier run: start from empty tables."""
    from sqlalchemy import text

    db = rapport.db  # type: ignore[attr-defined]
    if db.is_sqlite:
        return
    async with db.transaction() as conn:
        await conn.execute(
            text(
                "TRUNCATE rounds, round_members, outbox, schedules, schedule_sessions, "
                "session_groups, members, processed_events, pair_prompts, avoid_pairs CASCADE"
            )
        )


async def _invitations_queued(rapport: object) -> int:
    import sqlalchemy as sa

    from bot.store.tables import outbox

    async with rapport.db.transaction() as conn:  # type: ignore[attr-defined]
        query = sa.select(sa.func.count()).where(outbox.c.kind == "invitation")
        return int((await conn.execute(query)).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="outbox messages/s for Slack")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--profile", help="write a cProfile of the engine phase to this file")
    parser.add_argument("--profile-fanout", help="write a cProfile of the fan-out to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(
            run(
                args.members,
                args.rate,
                args.database_url,
                Path(tmp),
                args.profile,
                args.profile_fanout,
            )
        )


if __name__ == "__main__":
    main()
