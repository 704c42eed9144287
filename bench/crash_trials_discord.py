"""Crash trials on Discord: real `rapport run` processes against the fake Discord, SIGKILLed at
random moments, under random REST faults, with members who behave like people.

Each trial starts one `rapport run` (Discord only, SQLite file) against a FakeDiscord in this
process (REST + gateway on port 0) with `--fault-rate` of the bot's REST calls failing: half
5xx (half of those after the message was stored), half 429. Pairs of members start a round
with `/rapport start`, accept, and answer each prompt by the modal or by a DM, at random; a
member who saw no reaction for `--patience` seconds does it again (a click that got no answer
is clicked again, a DM is typed again). The process is SIGKILLed `--kills` times at random
moments and restarted at once (DMs typed meanwhile are stored by the fake, never delivered).

Printed, from what the members received: answers acknowledged (a modal Discord got a response
for, or a DM typed), lost (acknowledged, never in a reveal), duplicated deliveries by kind (the
same delivery reference twice, or the same prompt or reveal twice), leaks (a reveal to someone
who hadn't answered), stalls (rounds not complete at the end) and the wait from an
acknowledged answer to the first reaction (p50 / p95 / max).

    python -m bench.crash_trials_discord --trials 5 --kills 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.rapport import (
    TINY_BANK,
    SentMessage,
    command_interaction,
    control,
    custom_ids,
    embed_texts,
    kind_of,
)

ROOT = Path(__file__).resolve().parents[1]
GUILD_ID = 1_500_000_000_000_000_001
CHANNEL_ID = 1_500_000_000_000_000_101
FAULTED = [
    "POST /channels/{id}/messages",
    "PATCH /channels/{id}/messages/{mid}",
    "GET /channels/{id}/messages",
    "POST /users/@me/channels",
    "POST /interactions/{iid}/{token}/callback",
    "POST /webhooks/{app}/{token}",
    "PATCH /webhooks/{app}/{token}/messages/{mid}",
]
PROMPTS_PER_ROUND = 2  # per layer, two layers


@dataclass
class Answer:
    user: str
    text: str
    tried_at: float = 0.0
    acked_at: float | None = None
    reacted_at: float | None = None


@dataclass
class Tally:
    acked: int = 0
    lost: int = 0
    duplicated: Counter[str] = field(default_factory=Counter)
    leaks: int = 0
    stalls: int = 0
    kills: int = 0
    waits: list[float] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.acked += other.acked
        self.lost += other.lost
        self.duplicated.update(other.duplicated)
        self.leaks += other.leaks
        self.stalls += other.stalls
        self.kills += other.kills
        self.waits += other.waits
        self.faults.update(other.faults)


class Bot:
    """The `rapport run` subprocess, killed and restarted on demand."""

    def __init__(self, fake: FakeDiscord, db: Path) -> None:
        self.fake, self.db = fake, db
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(
            PYTHONPATH=str(ROOT),
            RAPPORT_DATABASE_URL=f"sqlite+aiosqlite:///{self.db}",
            RAPPORT_QUESTIONS_DIR=str(TINY_BANK.parent),
            RAPPORT_DEFAULT_BANK="tiny",
            RAPPORT_MAX_LAYER="2",
            RAPPORT_PROMPTS_PER_LAYER=str(PROMPTS_PER_ROUND),
            DISCORD_TOKEN=self.fake.token,
            DISCORD_API_URL=self.fake.api_url,
            DISCORD_GATEWAY_URL=self.fake.gateway_url,
            RAPPORT_DISCORD_GUILD_READY_TIMEOUT="0.1",
            RAPPORT_DISCORD_INVITE_WAIT="1",
            RAPPORT_OUTBOX_LEASE_SECONDS="3",
            RAPPORT_TICK_SECONDS="1",
            RAPPORT_HTTP_PORT="0",
            RAPPORT_LOG_LEVEL="WARNING",
        )
        for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
            env.pop(name, None)
        identified = len(self.fake.identifies)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.db.parent, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await self.fake.wait_until(lambda: len(self.fake.identifies) > identified, timeout=30)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    @property
    def connected(self) -> bool:
        return self.process is not None and self.process.returncode is None


class Member:
    """One simulated person: accepts, answers by modal or DM, retries when nothing happens."""

    def __init__(self, trial: Trial, user: p.Payload, rng: random.Random) -> None:
        self.trial, self.user, self.rng = trial, user, rng
        self.id = user["id"]
        self.answers: dict[str, Answer] = {}  # by prompt custom id
        self.clicked: dict[str, float] = {}  # when a control was last pressed

    def dms(self) -> list[SentMessage]:
        return self.trial.fake.messages_to(self.id)

    async def live(self, partner: Member | None) -> None:
        started = 0.0
        while not self.trial.over:
            dms = self.dms()
            kinds = [kind_of(m) for m in dms]
            if "completed" in kinds or "declined" in kinds:
                return
            now = time.time()
            if partner is not None and "invitation_accepted" not in kinds:
                if now - started > self.trial.patience and not partner.dms():
                    started = now
                    await self._start_with(partner)
            elif "invitation" in kinds and "prompt" not in kinds:
                invitation = dms[kinds.index("invitation")]
                if now - self.clicked.get(invitation.id, 0.0) > self.trial.patience:
                    self.clicked[invitation.id] = now
                    await self._act_on(invitation, "accept")
            elif "prompt" in kinds:
                await self._answer([m for m in dms if kind_of(m) == "prompt"][-1])
            await asyncio.sleep(self.rng.uniform(0.2, 0.6))  # a person's pace, not a wait

    async def _start_with(self, partner: Member) -> None:
        general = self.trial.fake.channel(CHANNEL_ID) or {}
        options = [p.user_option("member", partner.id)]
        resolved = p.resolved([partner.user], guild_members=True)
        await self.trial.push(
            command_interaction(self.user, general, "start", options, resolved=resolved)
        )

    async def _act_on(self, message: SentMessage, action: str) -> str | None:
        channel = self.trial.fake.channel(message.channel_id or "") or {}
        click = p.button_click(
            control(message, action),
            user=self.user,
            channel=channel,
            message_payload=message.payload,
        )
        if not await self.trial.push(click):
            return None
        await asyncio.sleep(0.3)
        return str(click["id"])

    async def _answer(self, prompt: SentMessage) -> None:
        key = control(prompt, "answer")
        answer = self.answers.get(key)
        if answer is not None and (answer.reacted_at or self._reacted(prompt, answer)):
            return
        if answer is not None and time.time() - answer.tried_at < self.trial.patience:
            return  # give it time before trying again
        text = answer.text if answer else f"{self.id[-4:]} on {key[-12:]}: {self.rng.random():.6f}"
        answer = answer or Answer(self.id, text)
        self.answers[key] = answer
        answer.tried_at = time.time()
        if self.rng.random() < 0.5:
            await self.trial.fake.user_writes(self.user, text)
            answer.acked_at = answer.acked_at or time.time()
        elif await self._by_modal(prompt, text):
            answer.acked_at = answer.acked_at or time.time()

    async def _by_modal(self, prompt: SentMessage, text: str) -> bool:
        click_id = await self._act_on(prompt, "answer")
        if click_id is None:
            return False
        modal = next(iter(self.trial.fake.interaction_callbacks(click_id, callback_type=9)), None)
        if modal is None or modal.data is None:
            return False
        channel = self.trial.fake.channel(prompt.channel_id or "") or {}
        submit = p.modal_submit(
            modal.data["custom_id"], p.modal_answers(modal.data, {"answer": text}),
            user=self.user, channel=channel, message_payload=prompt.payload,
        )  # fmt: skip
        if not await self.trial.push(submit):
            return False
        await asyncio.sleep(0.5)  # Discord's client shows success once the response came
        return bool(self.trial.fake.interaction_callbacks(submit["id"]))

    def _reacted(self, prompt: SentMessage, answer: Answer) -> bool:
        later = [m for m in self.dms() if int(m.id) > int(prompt.id)]
        if any(kind_of(m) in ("answer_held", "reveal", "prompt") for m in later):
            answer.reacted_at = time.time()
        return answer.reacted_at is not None


class Trial:
    def __init__(self, number: int, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed * 1000 + number)
        self.args = args
        self.patience = args.patience
        self.over = False
        people = [
            p.user(1_600_000_000_000_000_001 + n, f"member{n}") for n in range(2 * args.pairs)
        ]
        general = p.text_channel(CHANNEL_ID, GUILD_ID, "general")
        self.guild = p.guild(
            GUILD_ID, "Trials", owner_id=people[0]["id"],
            members=[p.member(u) for u in people], channels=[general],
        )  # fmt: skip
        self.people = people
        self.fake = FakeDiscord(guilds=[self.guild], users=people)
        self.bot: Bot | None = None

    async def push(self, interaction: p.Payload) -> bool:
        """Deliver an interaction if a bot is connected (else the member's click just fails)."""
        try:
            await self.fake.push_event("INTERACTION_CREATE", interaction)
        except (RuntimeError, ConnectionError):
            return False
        return True

    async def run(self) -> Tally:
        tally = Tally()
        with tempfile.TemporaryDirectory() as tmp:
            await self.fake.start()
            chaos = self.fake.set_chaos(
                FAULTED,
                server_errors=self.args.fault_rate / 2,
                rate_limits=self.args.fault_rate / 2,
                stored=0.5,
                seed=self.rng.randrange(2**31),
            )
            self.bot = Bot(self.fake, Path(tmp) / "rapport.db")
            await self.bot.start()
            members = [Member(self, u, random.Random(self.rng.random())) for u in self.people]
            lives = [
                asyncio.create_task(m.live(members[i + 1] if i % 2 == 0 else None))
                for i, m in enumerate(members)
            ]
            tally.kills = await self._kill_now_and_then()
            done, pending = await asyncio.wait(lives, timeout=self.args.settle)
            self.over = True
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                task.result()
            await self.bot.kill()
            self._judge(members, tally)
            tally.faults.update(chaos.injected)
            await self.fake.stop()
        return tally

    async def _kill_now_and_then(self) -> int:
        assert self.bot is not None
        kills = 0
        while kills < self.args.kills:
            await asyncio.sleep(self.rng.uniform(0.3, 2.5))  # a random moment to die
            await self.bot.kill()
            kills += 1
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))  # members go on while it is down
            await self.bot.start()
        return kills

    def _judge(self, members: list[Member], tally: Tally) -> None:
        revealed = {
            m.id: " ".join(" ".join(embed_texts(d)) for d in m.dms() if kind_of(d) == "reveal")
            for m in members
        }
        for i, member in enumerate(members):
            partner = members[i + 1 if i % 2 == 0 else i - 1]
            for answer in member.answers.values():
                if answer.acked_at is None:
                    continue
                tally.acked += 1
                tally.lost += answer.text not in revealed[partner.id]
                after = [t for t in map(_sent_at, member.dms()) if t >= answer.acked_at]
                if after:  # the first message the member got after answering
                    tally.waits.append(min(after) - answer.acked_at)
            self._count_duplicates(member, tally)
            for reveal in (d for d in member.dms() if kind_of(d) == "reveal"):
                mine = [a.text for a in member.answers.values()]
                tally.leaks += not any(t in " ".join(embed_texts(reveal)) for t in mine)
            if i % 2 == 0 and "completed" not in [kind_of(d) for d in member.dms()]:
                tally.stalls += 1

    @staticmethod
    def _count_duplicates(member: Member, tally: Tally) -> None:
        dms = member.dms()
        refs = Counter(str((d.embeds or [{}])[-1].get("footer", {}).get("text")) for d in dms)
        seen: Counter[tuple[str, str]] = Counter()
        for d in dms:
            kind = kind_of(d)
            if refs[str((d.embeds or [{}])[-1].get("footer", {}).get("text"))] > 1:
                tally.duplicated[f"{kind} (same delivery)"] += 1
            if kind == "prompt":
                seen[(kind, str(custom_ids(d.body.get("components") or [])[:1]))] += 1
            elif kind in ("reveal", "invitation", "completed", "invitation_accepted"):
                seen[(kind, embed_texts(d)[0])] += 1
        for (kind, _), count in seen.items():
            if count > 1:
                tally.duplicated[kind] += count - 1


def _sent_at(message: SentMessage) -> float:
    """Wall-clock time of a message, from its snowflake id."""
    return ((int(message.id) >> 22) + p.DISCORD_EPOCH_MS) / 1000


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    total = Tally()
    for number in range(args.trials):
        tally = await Trial(number, args).run()
        print(
            f"trial {number + 1}: kills {tally.kills}, acked {tally.acked}, lost {tally.lost}, "
            f"duplicated {dict(tally.duplicated)}, leaks {tally.leaks}, stalls {tally.stalls}",
            flush=True,
        )
        total.add(tally)
    waits = total.waits
    print(
        f"\n{args.trials} trials, {total.kills} SIGKILLs, REST faults {dict(total.faults)}\n"
        f"answers acked {total.acked}, lost {total.lost}, "
        f"duplicated {sum(total.duplicated.values())} {dict(total.duplicated)}, "
        f"leaks {total.leaks}, stalls {total.stalls}\n"
        f"wait for a reaction: p50 {percentile(waits, 0.5):.1f} s, "
        f"p95 {percentile(waits, 0.95):.1f} s, max {max(waits, default=0):.1f} s "
        f"(median {statistics.median(waits) if waits else 0:.1f} s over {len(waits)})"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs per trial")
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--patience", type=float, default=8.0, help="seconds before a retry")
    parser.add_argument("--settle", type=float, default=90.0, help="seconds to finish after")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
