"""Crash trials through Slack: real `rapport run` processes SIGKILLed while people talk to them.

    .venv/bin/python -m bench.crash_trials_slack [--trials 6] [--kills 9] [--pairs 4] [--seed 1]

The Slack side runs in this process: the fake Web API (tests/fakes/slack) with random faults on
`chat.postMessage` (10 % HTTP 500, 10 % 429 + Retry-After, 5 % carried out then the connection
dropped, 3 % carried out then the answer withheld past the client's timeout, 2 % carried out then
answered 503), and simulated members. Each trial runs `rapport run` in Slack HTTP mode on a
SQLite file and kills it with SIGKILL `--kills` times at random moments - after a random pause,
right after Slack was told "received", or inside a post - restarting it each time.

Members behave like people: the first of each pair types `/rapport start @partner`; the partner
presses Accept; both answer every prompt, half by the Answer modal and half by a plain DM reply.
Slack redelivers an unacknowledged DM event up to three times (as the Events API does) and
never an interactive payload, so a member whose click or form got no answer presses again; a
member who sees no reaction for `STALL_SECONDS` counts a stall and answers again.

Printed, from what members received: answers acked, acked answers lost (never revealed to the
partner), duplicates by kind (the same delivery posted twice, a prompt step asked twice, an
answer revealed twice), leaks (an answer revealed to someone before they answered), prompts
before accept, stalls, and p50 / p95 / max of the wait from an answer to the next message in
that member's DM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.slack.blocks import kind_of
from bot.adapters.slack.sender import METADATA_EVENT
from bot.adapters.slack.wire import ACTION_IDS, ANSWER_BLOCK, ANSWER_CALLBACK, ANSWER_INPUT
from bot.messages.model import Action
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.harness import click_payload, control, has_control
from tests.fakes.slack.payloads import Inbound
from tests.fakes.slack.server import ApiCall, FaultRates

ROOT = Path(__file__).parents[1]
POST_FAULTS = FaultRates(
    server_error=0.10,
    rate_limited=0.10,
    stored_then_dropped=0.05,
    stored_then_withheld=0.03,
    stored_then_error=0.02,
    withheld_seconds=12.0,  # past the client's 10 s timeout
)
PROMPTS = 4  # RAPPORT_MAX_LAYER=2 x 2 prompts per layer
STALL_SECONDS = 60.0
TRIAL_LIMIT = 400.0
CLICK_RETRY_SECONDS = 2.0
FORM_WAIT_SECONDS = 5.0
ANSWER_TEXT = re.compile(r"ans-U0M\d+-[0-9a-f]+-\d+")


@dataclass
class Tally:
    acked: int = 0
    lost: int = 0
    duplicates: Counter[str] = field(default_factory=Counter)
    leaks: int = 0
    early_prompts: int = 0
    stalls: int = 0
    unfinished: int = 0
    kills: int = 0
    waits: list[float] = field(default_factory=list)


class App:
    """`rapport run` in HTTP mode on a fixed port, restarted after every kill."""

    def __init__(self, fake: FakeSlack, db: Path, port: int, cwd: Path) -> None:
        self.fake, self.db, self.port, self.cwd = fake, db, port, cwd
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.pop("DISCORD_TOKEN", None)
        env.update(
            PYTHONPATH=str(ROOT),
            RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{self.db}",
            SLACK_BOT_TOKEN=self.fake.bot_token,
            SLACK_SIGNING_SECRET=self.fake.signing_secret,
            SLACK_API_URL=self.fake.api_url,
            RAPPORT_SLACK_MODE="http",
            RAPPORT_HTTP_PORT=str(self.port),
            RAPPORT_TICK_SECONDS="1",
            RAPPORT_OUTBOX_LEASE_SECONDS="25",
            RAPPORT_MAX_LAYER="2",
            RAPPORT_LOG_LEVEL="WARNING",
        )
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.cwd,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Member:
    """One simulated person: reads their DM on the fake, clicks, answers, measures."""

    def __init__(self, trial: Trial, user_id: str, partner: str, starts: bool) -> None:
        self.trial, self.user_id, self.partner, self.starts = trial, user_id, partner, starts
        self.fake = trial.fake
        self.channel = self.fake.dm_channel(user_id)
        self.answered: dict[tuple[str, int], float] = {}  # (round, step) -> first sent at
        self.accepted_at: float | None = None
        self.done = False

    def dms(self) -> list[dict[str, Any]]:
        return self.fake.posted_messages(self.channel)

    async def post(self, inbound: Inbound) -> bool:
        """An interactive payload or command: True if the app answered 200."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(3):
                reply = await self.fake.post_to_app(self.trial.app.url, inbound)
                return reply.status == 200
        return False

    async def press(self, build: Any) -> None:
        """Press (a fresh payload each time, as Slack sends) until the app answers."""
        while not await self.post(build()):
            await asyncio.sleep(CLICK_RETRY_SECONDS)  # a person pressing again, not a test

    async def run(self) -> None:
        if self.starts:
            payloads = self.fake.payloads
            await self.press(
                lambda: payloads.slash_command(f"start <@{self.partner}|p>", user_id=self.user_id)
            )
        while not self.done:
            await self.step()
            await asyncio.sleep(0.2)  # a person glancing at Slack again

    async def step(self) -> None:
        messages = self.dms()
        kinds = [kind_of(m) for m in messages]
        if "completed" in kinds or "expired" in kinds:
            self.done = True
            return
        invitation = next((m for m in messages if kind_of(m) == "invitation"), None)
        if invitation is not None and self.accepted_at is None:
            current = self.fake.message(self.channel, invitation["ts"])
            if has_control(current, ACTION_IDS[Action.ACCEPT]):
                await self.press(lambda: self.trial.click(self.user_id, current, Action.ACCEPT))
            self.accepted_at = time.monotonic()
            return
        for prompt in (m for m in messages if kind_of(m) == "prompt"):
            target = control(prompt, ACTION_IDS[Action.ANSWER])["value"]
            round_id, _, step = target.partition(":")
            key = (round_id, int(step))
            if key not in self.answered:
                await self.answer(prompt, key, len(messages))
                return

    async def answer(self, prompt: dict[str, Any], key: tuple[str, int], seen: int) -> None:
        text = f"ans-{self.user_id}-{key[0]}-{key[1]}"
        sent_at = time.monotonic()
        self.answered[key] = sent_at
        by_form = self.trial.rng.random() < 0.5 and await self.by_form(prompt, text)
        if not by_form and not await self.by_dm(text):
            self.answered.pop(key)  # Slack gave up redelivering: the member answers again
            return
        self.trial.tally.acked += 1
        self.trial.acked.append((self.user_id, self.partner, text))
        if self.trial.rng.random() < 0.15:
            self.trial.kill_now.set()  # a kill right after an ack
        try:
            await self.fake.wait_for(lambda: len(self.dms()) > seen, STALL_SECONDS)
            self.trial.tally.waits.append(time.monotonic() - sent_at)
        except AssertionError:
            self.trial.tally.stalls += 1  # nothing happened: the member answers again
            self.answered.pop(key)

    async def by_dm(self, text: str) -> bool:
        inbound = self.fake.payloads.im_message(text, user_id=self.user_id, channel_id=self.channel)
        return await self.fake.deliver_event(inbound, url=self.trial.app.url) is not None

    async def by_form(self, prompt: dict[str, Any], text: str) -> bool:
        """Answer, wait for the form, submit (again while it gets no answer); False if the form
        never opened (the member then replies in the DM)."""
        opened = len(self.fake.views)
        current = self.fake.message(self.channel, prompt["ts"])
        if not await self.post(self.trial.click(self.user_id, current, Action.ANSWER)):
            return False
        try:
            view = await self.fake.wait_for(
                lambda: next(
                    (
                        v
                        for v in list(self.fake.views.values())[opened:]
                        if v["user_id"] == self.user_id
                    ),
                    None,
                ),
                FORM_WAIT_SECONDS,
            )
        except AssertionError:
            return False
        submission = self.fake.payloads.view_submission(
            callback_id=ANSWER_CALLBACK,
            values={ANSWER_BLOCK: {ANSWER_INPUT: text}},
            user_id=self.user_id,
            private_metadata=view["private_metadata"],
            view_id=view["id"],
        )
        while not await self.post(submission):
            await asyncio.sleep(CLICK_RETRY_SECONDS)  # the form shows an error: Submit again
        return True


class Trial:
    def __init__(self, fake: FakeSlack, app: App, pairs: int, rng: random.Random) -> None:
        self.fake, self.app, self.rng = fake, app, rng
        self.tally = Tally()
        self.acked: list[tuple[str, str, str]] = []
        self.kill_now = asyncio.Event()
        self.in_post = asyncio.Event()
        users = [f"U0M{n:03d}" for n in range(pairs * 2)]
        for user_id in users:
            fake.add_user(user_id, name=user_id.lower(), tz="UTC")
        self.members = [
            Member(self, users[i + side], users[i + 1 - side], side == 0)
            for i in range(0, len(users), 2)
            for side in (0, 1)
        ]

    def click(self, user: str, message: dict[str, Any], action: Action) -> Inbound:
        return click_payload(self.fake, user, message, action)

    def on_call(self, call: ApiCall) -> None:
        if call.method == "chat.postMessage":
            self.in_post.set()

    async def killer(self, kills: int) -> None:
        for _ in range(kills):
            moment = self.rng.choice(("pause", "after_ack", "in_post"))
            await asyncio.sleep(self.rng.uniform(2.0, 8.0))  # time between crashes
            event = {"after_ack": self.kill_now, "in_post": self.in_post}.get(moment)
            if event is not None:
                event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), 10)
            await self.app.kill()
            self.tally.kills += 1
            await asyncio.sleep(self.rng.uniform(0.2, 2.0))  # down for a moment
            await self.app.start()

    async def run(self, kills: int) -> Tally:
        self.fake.on_call.append(self.on_call)
        await self.app.start()
        await asyncio.sleep(2.0)  # first start-up (migrations); members then start typing
        people = [asyncio.create_task(m.run()) for m in self.members]
        killer = asyncio.create_task(self.killer(kills))
        await asyncio.wait(people, timeout=TRIAL_LIMIT)
        killer.cancel()
        for task in people:
            task.cancel()
        await asyncio.gather(killer, *people, return_exceptions=True)
        await self.app.stop()
        self.fake.on_call.remove(self.on_call)
        self.count()
        return self.tally

    def count(self) -> None:
        tally = self.tally
        tally.unfinished = sum(1 for m in self.members if not m.done)
        for member in self.members:
            messages = member.dms()
            ids = Counter(
                (m["metadata"]["event_payload"]["outbox_id"], kind_of(m))
                for m in messages
                if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT
            )
            for (_, kind), n in ids.items():
                tally.duplicates[str(kind)] += n - 1
            steps = Counter(
                control(m, ACTION_IDS[Action.ANSWER])["value"]
                for m in messages
                if kind_of(m) == "prompt"
            )
            tally.duplicates["prompt step"] += sum(n - 1 for n in steps.values())
            revealed = Counter(
                text
                for m in messages
                if kind_of(m) == "reveal"
                for text in ANSWER_TEXT.findall(str(m))
                if text.startswith(f"ans-{member.partner}-")
            )
            tally.duplicates["revealed answer"] += sum(1 for n in revealed.values() if n > 1)
            self.count_leaks(member, messages)
        revealed_text = {
            m.user_id: " ".join(str(x) for x in m.dms() if kind_of(x) == "reveal")
            for m in self.members
        }
        tally.lost = sum(
            1 for _, partner, text in set(self.acked) if text not in revealed_text[partner]
        )

    def count_leaks(self, member: Member, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if kind_of(message) == "prompt" and member.accepted_at is None and not member.starts:
                self.tally.early_prompts += 1
            if kind_of(message) != "reveal":
                continue
            for (round_id, step), _ in member.answered.items():
                partner_text = f"ans-{member.partner}-{round_id}-{step}"
                own_text = f"ans-{member.user_id}-{round_id}-{step}"
                if partner_text in str(message) and own_text not in str(message):
                    self.tally.leaks += 1


def _report(tallies: list[Tally]) -> None:
    total = Tally()
    for t in tallies:
        total.acked += t.acked
        total.lost += t.lost
        total.duplicates.update(t.duplicates)
        total.leaks += t.leaks
        total.early_prompts += t.early_prompts
        total.stalls += t.stalls
        total.unfinished += t.unfinished
        total.kills += t.kills
        total.waits += t.waits
    waits = sorted(total.waits) or [0.0]
    p95 = waits[min(len(waits) - 1, int(0.95 * len(waits)))]
    print(f"trials: {len(tallies)}  SIGKILLs: {total.kills}")
    print(f"answers acked: {total.acked}  lost: {total.lost}")
    dup = {k: v for k, v in total.duplicates.items() if v}
    print(f"duplicated: {sum(dup.values())} {dup or ''}".rstrip())
    print(f"leaks: {total.leaks}  prompts before accept: {total.early_prompts}")
    print(f"stalls: {total.stalls}  members unfinished: {total.unfinished}")
    print(
        f"wait for a reaction (s): p50 {statistics.median(waits):.2f}  p95 {p95:.2f}  "
        f"max {waits[-1]:.2f}  (n={len(total.waits)})"
    )


async def _main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    tallies = []
    for number in range(args.trials):
        with tempfile.TemporaryDirectory(prefix="rapport-crash-") as tmp:
            async with FakeSlack() as fake:
                fake.inject_faults("chat.postMessage", POST_FAULTS, seed=rng.randrange(2**31))
                app = App(fake, Path(tmp) / "rapport.db", _free_port(), Path(tmp))
                tally = await Trial(fake, app, args.pairs, rng).run(args.kills)
                tallies.append(tally)
                print(
                    f"trial {number + 1}: {tally.kills} kills, {tally.acked} acked, "
                    f"{tally.lost} lost, {sum(tally.duplicates.values())} duplicated, "
                    f"{tally.stalls} stalls, {tally.unfinished} unfinished",
                    flush=True,
                )
    _report(tallies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--kills", type=int, default=9, help="SIGKILLs per trial")
    parser.add_argument("--pairs", type=int, default=4, help="pairs of members per trial")
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
