"""Your side of the demo round: the person at the keyboard, or `--auto` playing for them.

A player turns one message delivered to you into the commands you give in reply. At a prompt
the person may type a command instead of an answer; a word starting with `/` is never saved
as an answer, and commands are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.console import Console
from rich.text import Text

from bot.adapters.console.keyboard import Keyboard
from bot.adapters.console.wording import (
    ANSWER_QUESTION,
    INVITATION_QUESTION,
    INVITATION_RETRY,
    RATING_ASK,
    RATING_RETRY,
    UNKNOWN_COMMAND,
    console_help,
)
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
from bot.i18n.translate import _
from bot.identity import Member
from bot.messages import example_text
from bot.service.ports import OutgoingMessage

YOU = Member("console", "demo", "you")

Player = Callable[[OutgoingMessage], Awaitable[list[Command]]]
Answers = Callable[[OutgoingMessage], str | None]  # a PROMPT delivery -> an answer, if any


def human_player(console: Console, keyboard: Keyboard, example_of: Answers) -> Player:
    """Asks the person: y/n to the invitation, an answer or a command at a prompt, a rating."""

    async def ask(question: str) -> str:
        return (await keyboard.line(_("[bold]{question}[/bold] › ", question=question))).strip()

    def say(text: str, style: str = "") -> None:
        console.print(Text(text, style=style))  # Text: nothing typed is read as markup

    async def invitation() -> list[Command]:
        while True:
            reply = (await ask(_(INVITATION_QUESTION))).lower()
            if reply in ("y", "yes"):
                return [Accept(YOU.key)]
            if reply in ("n", "no"):
                return [Decline(YOU.key)]
            say(console_help() if reply == "/help" else _(INVITATION_RETRY))

    async def rating() -> list[Command]:
        while True:
            reply = await ask(_(RATING_ASK))  # the question itself is in the message above
            if not reply:
                return []
            if reply.isdigit():
                return [Rate(YOU.key, int(reply))]  # the round itself refuses 0 or 9, kindly
            say(_(RATING_RETRY))

    async def prompt(message: OutgoingMessage) -> list[Command]:
        step = int(message.data["step"])
        commands: dict[str, Command] = {
            "/swap": Swap(YOU.key, step),
            "/stay": Stay(YOU.key),
            "/leave": Leave(YOU.key),
        }
        while True:
            reply = await ask(_(ANSWER_QUESTION))
            if not reply.startswith("/"):
                return [SubmitAnswer(YOU.key, reply, step)]
            word = reply.split()[0]
            name = word.lower()
            if name in commands:
                return [commands[name]]
            if name == "/help":
                say(console_help())
            elif name == "/example":
                say(example_text(example_of(message)), "italic")
            else:
                say(_(UNKNOWN_COMMAND, command=word), "yellow")

    async def play(message: OutgoingMessage) -> list[Command]:
        if message.kind is DeliveryKind.INVITATION:
            return await invitation()
        if message.kind is DeliveryKind.COMPLETED:
            return await rating()
        if message.kind is DeliveryKind.PROMPT:
            return await prompt(message)
        return []

    return play


def auto_player(console: Console, answer: Callable[[OutgoingMessage], str]) -> Player:
    """Plays your side: swaps the first prompt, stays at layer 2, answers the rest, rates 6."""
    swapped = False

    def typed(text: str) -> None:
        console.print(Text(_("you › {text}", text=text), style="dim"))

    async def play(message: OutgoingMessage) -> list[Command]:
        nonlocal swapped
        kind, data = message.kind, message.data
        if kind is DeliveryKind.INVITATION:
            typed("y")
            return [Accept(YOU.key)]
        if kind is DeliveryKind.COMPLETED:
            typed("6")
            return [Rate(YOU.key, 6)]
        if kind is not DeliveryKind.PROMPT:
            return []
        if not swapped:
            swapped = True
            typed("/swap")
            return [Swap(YOU.key, int(data["step"]))]
        commands: list[Command] = []
        if data["reason"] == "deeper" and int(data["layer"]) == 2:
            typed("/stay")
            commands.append(Stay(YOU.key))
        text = answer(message)
        typed(text)
        return [*commands, SubmitAnswer(YOU.key, text, int(data["step"]))]

    return play
