"""`rapport demo`: one real round in the terminal against a clearly labelled demo partner.

Everything runs through the real service, outbox and dispatcher on a throwaway SQLite file; only
the chat platform is replaced by the terminal. `--auto` plays your side too and exits 0 when the
round completes (CI runs it as a smoke test).

The demo waits only for a message the round's rules send you: a decline tells only the other
member, and staying at a depth sends a notice but leaves the open prompt (or follow-up) yours to
answer. Follow-up questions and the balance guard are on, whatever the environment says, so the
round shows them; a round you both keep going together goes on in the same demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.adapters.console.answers import bank_prompt
from bot.adapters.console.keyboard import Interrupts, Keyboard, Quit, TerminalKeyboard
from bot.adapters.console.partner import PARTNER_NAME, SAM, DemoPartner, fitting_answer
from bot.adapters.console.players import (
    YOU,
    Player,
    auto_player,
    human_player,
    offers_follow_up,
)
from bot.adapters.console.sender import ConsoleSender
from bot.adapters.console.wording import DECLINED_ENDING, NEXT_STEPS, QUIT_ENDING, back_to
from bot.bootstrap import Rapport, build
from bot.config import Settings
from bot.engine.model import (
    AskFollowUp,
    Command,
    Decline,
    DeliveryKind,
    KeepGoing,
    Stay,
    SubmitAnswer,
)
from bot.i18n.translate import _
from bot.service.ports import OutgoingMessage

WAIT_SECONDS = 30.0
ENDINGS = {
    DeliveryKind.DECLINED,
    DeliveryKind.PARTNER_LEFT,
    DeliveryKind.LEFT,
    DeliveryKind.EXPIRED,
}


async def play_round(
    app: Rapport, sender: ConsoleSender, player: Player, console: Console, interrupts: Interrupts
) -> int:
    partner = DemoPartner(app, sender.inbox(SAM.key))
    partner_task = asyncio.create_task(partner.run())
    try:
        started = await app.service.start_round([SAM, YOU], initiator=SAM)
        if not started.ok:
            console.print(Text(started.message, style="red"))
            return 1
        return await _follow(app, sender.inbox(YOU.key), player, partner, console, interrupts)
    except (Quit, EOFError) as ended:  # Ctrl-C, or Ctrl-D / the end of input
        console.print()
        console.print(QUIT_ENDING)
        return ended.exit_code if isinstance(ended, Quit) else 0
    except TimeoutError:
        console.print(Text(_("The demo stalled: no message arrived in time."), style="red"))
        return 1
    finally:
        partner_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await partner_task


async def _follow(
    app: Rapport,
    inbox: asyncio.Queue[OutgoingMessage],
    player: Player,
    partner: DemoPartner,
    console: Console,
    interrupts: Interrupts,
) -> int:
    pending: OutgoingMessage | None = None  # what you still owe a reply to
    while True:
        message = await interrupts.wait(inbox.get(), WAIT_SECONDS)
        if message.kind in ENDINGS:
            _next_steps(console)
            return 0
        if _awaits_you(message):
            pending = message
        elif message.kind is DeliveryKind.STAY and pending is not None:
            # staying answers nothing: what was open is still yours to reply to
            text = back_to(pending.kind, str(pending.data.get("text", "")))
            console.print(Text(text, style="dim"))
            message = pending
        done = await _play(app, message, player, partner, console)
        if any(isinstance(command, Decline) for command in done):
            console.print(DECLINED_ENDING)  # only the other member is told: nothing comes here
            _next_steps(console)
            return 0
        if any(not isinstance(command, Stay) for command in done):
            pending = None
        kept_going = any(isinstance(command, KeepGoing) for command in done)
        if message.kind is DeliveryKind.COMPLETED and not kept_going:
            _next_steps(console)
            return 0


def _awaits_you(message: OutgoingMessage) -> bool:
    """A message you owe a reply to: a prompt, a follow-up offer or question, a check-in."""
    awaiting = (DeliveryKind.PROMPT, DeliveryKind.FOLLOW_UP_QUESTIONS, DeliveryKind.CHECK_IN)
    return message.kind in awaiting or offers_follow_up(message)


async def _play(
    app: Rapport, message: OutgoingMessage, player: Player, partner: DemoPartner, console: Console
) -> list[Command]:
    """Gives the player's commands to the round; a refused one (an empty answer) asks again."""
    assert message.round_id is not None
    done: list[Command] = []
    while True:
        for command in await player(message):
            outcome = await app.service.act(message.round_id, command)
            if not outcome.ok:
                console.print(Text(outcome.message, style="yellow"))
                break
            if outcome.message:
                console.print(Text(outcome.message, style="green"))
            done.append(command)
            if isinstance(command, SubmitAnswer) and command.step is not None:
                await partner.you_answered(message, command.step)
            if isinstance(command, AskFollowUp) and command.step is not None:
                await partner.you_asked(message, command.step)
        else:
            return done


def _next_steps(console: Console) -> None:
    heading, *lines = NEXT_STEPS
    console.print()
    console.print(Text(heading, style="bold"))
    for line in lines:
        console.print(Text(line), soft_wrap=True)


def _player(
    app: Rapport, console: Console, interrupts: Interrupts, keyboard: Keyboard | None, auto: bool
) -> Player:
    if auto:
        return auto_player(console, lambda prompt: fitting_answer(app, prompt, choice=1))

    def example_of(prompt: OutgoingMessage) -> str | None:
        found = bank_prompt(app.banks, prompt.data)
        return found.example if found else None

    keyboard = keyboard or TerminalKeyboard(console, interrupts)
    return human_player(console, keyboard, example_of)


async def run_demo(
    settings: Settings, console: Console, *, auto: bool, keyboard: Keyboard | None = None
) -> int:
    """Plays one round; `keyboard` defaults to the terminal's. 0 when it ended, 130 on Ctrl-C."""
    interrupts = Interrupts()
    with interrupts.catching(), tempfile.TemporaryDirectory(prefix="rapport-demo-") as tmp:
        console.rule(_("[bold]Rapport demo[/bold]"))
        console.print(
            _(
                "You'll play one member. Your partner is [bold]{partner_name}[/bold], a scripted "
                "demo member whose answers were written for each prompt. Type /help at any "
                "prompt for the commands; Ctrl-C ends the demo.\n",
                partner_name=PARTNER_NAME,
            )
        )
        demo_settings = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}",
                "tick_seconds": 5.0,
                # the demo shows these rules even where the operator turned them off
                "follow_ups": True,
                "balance_guard": True,
            }
        )
        sender = ConsoleSender(console, {YOU.key: "You", SAM.key: PARTNER_NAME}, {YOU.key})
        app = build(demo_settings, senders={"console": sender}, rates_per_second={"console": 50})
        await app.start()
        try:
            player = _player(app, console, interrupts, keyboard, auto)
            return await play_round(app, sender, player, console, interrupts)
        finally:
            await app.stop()
