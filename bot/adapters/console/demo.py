"""`rapport demo`: one real round in the terminal against a clearly labelled demo partner.

Everything runs through the real service, outbox and dispatcher on a throwaway SQLite file; only
the chat platform is replaced by the terminal. `--auto` plays your side too and exits 0 when the
round completes (CI runs it as a smoke test).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console

from bot.adapters.console.sender import ConsoleSender
from bot.bootstrap import Rapport, build
from bot.config import Settings
from bot.engine.model import (
    Accept,
    Command,
    Decline,
    DeliveryKind,
    Leave,
    Rate,
    Stay,
    SubmitAnswer,
    Swap,
)
from bot.identity import Member
from bot.messages import HELP_TEXT, RATING_QUESTION
from bot.service.ports import OutgoingMessage

YOU = Member("console", "demo", "you")
SAM = Member("console", "demo", "sam")
PARTNER_NAME = "Sam (demo partner)"
WAIT_SECONDS = 30.0
ENDINGS = {
    DeliveryKind.DECLINED,
    DeliveryKind.PARTNER_LEFT,
    DeliveryKind.LEFT,
    DeliveryKind.EXPIRED,
}

# Two canned answers per layer, written for this demo; picked by the prompt's place in its layer.
SAM_ANSWERS = {
    1: (
        "A long walk with a podcast, then something warm to eat. Simple wins.",
        "Probably the little bakery by the station. I know the staff by name now.",
    ),
    2: (
        "I like knowing the why before the how. Once I see the point I can go for hours.",
        "Short notes beat long meetings for me. I think better when I can reread things.",
    ),
    3: (
        "Being someone people can count on. I'm proudest when a plan I helped make just works.",
        "Learning in public. Asking the obvious question has saved my teams more than once.",
    ),
    4: (
        "We both light up talking about learning new things. That felt like a match.",
        "You made it easy to be honest. I'd like to hear more about your quiet mornings.",
    ),
}
YOUR_AUTO_ANSWERS = {
    1: (
        "Coffee on the balcony before anyone else is up. That quiet half hour sets my day.",
        "A shelf of paperbacks I keep meaning to sort and never do.",
    ),
    2: (
        "I work best with a short list and long stretches without meetings.",
        "Face to face for the hard parts, writing for the details, so nothing gets lost.",
    ),
    3: (
        "Curiosity. I'd rather ask a naive question than pretend I understood.",
        "Leaving things a bit better than I found them, code and kitchens alike.",
    ),
    4: (
        "How easy it was to talk. I'd like to hear more about that plan that just worked.",
        "We both care about doing things properly. That's a good start for working together.",
    ),
}


def canned(answers: dict[int, tuple[str, str]], prompt: OutgoingMessage) -> str:
    choices = answers[int(prompt.data["layer"])]
    return choices[(int(prompt.data["number_in_layer"]) - 1) % len(choices)]


Player = Callable[[OutgoingMessage], Awaitable[list[Command]]]


class DemoPartner:
    """Sam answers every prompt: first on odd steps, after you on even ones (so you see both)."""

    def __init__(self, app: Rapport, inbox: asyncio.Queue[OutgoingMessage]) -> None:
        self.app = app
        self.inbox = inbox
        self.waiting: dict[int, OutgoingMessage] = {}
        self.you_answered_steps: set[int] = set()

    async def run(self) -> None:
        while True:
            message = await self.inbox.get()
            if message.kind is not DeliveryKind.PROMPT:
                continue
            step = int(message.data["step"])
            if step % 2 or step in self.you_answered_steps:
                await self._answer(message)
            else:
                self.waiting[step] = message

    async def you_answered(self, step: int) -> None:
        self.you_answered_steps.add(step)
        message = self.waiting.pop(step, None)
        if message is not None:
            await self._answer(message)

    async def _answer(self, prompt: OutgoingMessage) -> None:
        assert prompt.round_id is not None
        text = canned(SAM_ANSWERS, prompt)
        step = int(prompt.data["step"])
        await self.app.service.act(prompt.round_id, SubmitAnswer(SAM.key, text, step))


def auto_player(console: Console) -> Player:
    """Plays your side: swaps the first prompt, stays at layer 2, answers the rest, rates 6."""
    swapped = False

    async def play(message: OutgoingMessage) -> list[Command]:
        nonlocal swapped
        kind, data = message.kind, message.data
        if kind is DeliveryKind.INVITATION:
            console.print("[dim]you › Accept[/dim]")
            return [Accept(YOU.key)]
        if kind is DeliveryKind.COMPLETED:
            console.print("[dim]you › 6[/dim]")
            return [Rate(YOU.key, 6)]
        if kind is not DeliveryKind.PROMPT:
            return []
        if not swapped:
            swapped = True
            console.print("[dim]you › /swap[/dim]")
            return [Swap(YOU.key, int(data["step"]))]
        commands: list[Command] = []
        if data["reason"] == "deeper" and int(data["layer"]) == 2:
            console.print("[dim]you › /stay[/dim]")
            commands.append(Stay(YOU.key))
        text = canned(YOUR_AUTO_ANSWERS, message)
        console.print(f"[dim]you › {text}[/dim]")
        return [*commands, SubmitAnswer(YOU.key, text, int(data["step"]))]

    return play


def human_player(console: Console) -> Player:
    """Asks the person at the keyboard; /swap, /stay, /leave and /help work at any prompt."""

    async def ask(question: str) -> str:
        return (await asyncio.to_thread(console.input, f"[bold]{question}[/bold] › ")).strip()

    async def play(message: OutgoingMessage) -> list[Command]:
        kind, data = message.kind, message.data
        if kind is DeliveryKind.INVITATION:
            reply = await ask("Accept? (y/n)")
            return [Accept(YOU.key) if reply.lower().startswith("y") else Decline(YOU.key)]
        if kind is DeliveryKind.COMPLETED:
            reply = await ask(f"{RATING_QUESTION} Enter 1-7, or nothing to skip")
            return [Rate(YOU.key, int(reply))] if reply.isdigit() else []
        if kind is not DeliveryKind.PROMPT:
            return []
        while True:
            reply = await ask("Your answer (or /swap, /stay, /leave, /help)")
            step = int(data["step"])
            if reply == "/help":
                console.print(HELP_TEXT)
                continue
            special = {
                "/swap": Swap(YOU.key, step),
                "/stay": Stay(YOU.key),
                "/leave": Leave(YOU.key),
            }
            if reply in special:
                return [special[reply]]
            return [SubmitAnswer(YOU.key, reply, step)]

    return play


async def play_round(app: Rapport, sender: ConsoleSender, player: Player, console: Console) -> int:
    partner = DemoPartner(app, sender.inbox(SAM.key))
    partner_task = asyncio.create_task(partner.run())
    inbox = sender.inbox(YOU.key)
    try:
        started = await app.service.start_round([SAM, YOU], initiator=SAM)
        if not started.ok:
            console.print(f"[red]{started.message}[/red]")
            return 1
        while True:
            message = await asyncio.wait_for(inbox.get(), WAIT_SECONDS)
            if message.kind in ENDINGS:
                return 0
            await _play(app, message, player, partner, console)
            if message.kind is DeliveryKind.COMPLETED:
                return 0
    except TimeoutError:
        console.print("[red]The demo stalled: no message arrived in time.[/red]")
        return 1
    finally:
        partner_task.cancel()


async def _play(
    app: Rapport, message: OutgoingMessage, player: Player, partner: DemoPartner, console: Console
) -> None:
    assert message.round_id is not None
    for command in await player(message):
        outcome = await app.service.act(message.round_id, command)
        if not outcome.ok:
            console.print(f"[yellow]{outcome.message}[/yellow]")
            # a refused answer (empty, too long) asks again rather than moving on
            await _play(app, message, player, partner, console)
            return
        if outcome.message:
            console.print(f"[green]{outcome.message}[/green]")
        if isinstance(command, SubmitAnswer) and command.step is not None:
            await partner.you_answered(command.step)


async def run_demo(settings: Settings, console: Console, *, auto: bool) -> int:
    console.rule("[bold]Rapport demo[/bold]")
    console.print(
        f"You'll play one member. Your partner is [bold]{PARTNER_NAME}[/bold], "
        "a scripted demo member answering from a small canned set.\n"
    )
    with tempfile.TemporaryDirectory(prefix="rapport-demo-") as tmp:
        demo_settings = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}",
                "tick_seconds": 5.0,
            }
        )
        sender = ConsoleSender(console, {YOU.key: "You", SAM.key: PARTNER_NAME}, {YOU.key})
        app = build(demo_settings, senders={"console": sender}, rates_per_second={"console": 50})
        await app.start()
        try:
            player = auto_player(console) if auto else human_player(console)
            return await play_round(app, sender, player, console)
        finally:
            await app.stop()
