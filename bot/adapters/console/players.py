"""Your side of the demo round: the person at the keyboard, or `--auto` playing for them.

A player turns one message delivered to you into the commands you give in reply. Wherever the
person types, a word starting with `/` is a command, never saved as an answer or a question,
and commands are case-insensitive; the round itself refuses what it can't take (an empty
answer, a follow-up that can't be swapped) with its own kind message, and the demo asks again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from rich.console import Console
from rich.text import Text

from bot.adapters.console.answers import AUTO_FOLLOW_UP_ANSWER, AUTO_QUESTION
from bot.adapters.console.keyboard import Keyboard
from bot.adapters.console.wording import (
    ANSWER_QUESTION,
    CHECK_IN_ASK,
    CHECK_IN_RETRY,
    CONSOLE_HELP,
    FOLLOW_UP_ANSWER_QUESTION,
    FOLLOW_UP_QUESTION,
    INVITATION_QUESTION,
    INVITATION_RETRY,
    KEEP_GOING_ASK,
    KEEP_GOING_RETRY,
    RATING_ASK,
    RATING_RETRY,
    UNKNOWN_COMMAND,
)
from bot.engine.model import (
    Accept,
    AskFollowUp,
    ChooseDepth,
    Command,
    Decline,
    DeliveryKind,
    KeepGoing,
    Leave,
    Rate,
    SkipFollowUp,
    Stay,
    SubmitAnswer,
    Swap,
)
from bot.i18n.translate import _
from bot.identity import Member
from bot.messages.rounds import example_text
from bot.service.ports import OutgoingMessage

YOU = Member("console", "demo", "you")

Player = Callable[[OutgoingMessage], Awaitable[list[Command]]]
Answers = Callable[[OutgoingMessage], str | None]  # a PROMPT delivery -> an answer, if any
# what a reply means: the commands to give, or None to ask again
Reading = Callable[[str], list[Command] | None]

YES, NO = ("y", "yes"), ("n", "no")
DEEPER = ChooseDepth(YOU.key, deeper=True)
HERE = ChooseDepth(YOU.key, deeper=False)


def offers_follow_up(message: OutgoingMessage) -> bool:
    """A reveal after which you may ask a follow-up question."""
    return message.kind is DeliveryKind.REVEAL and bool(message.data.get("follow_up"))


def human_player(console: Console, keyboard: Keyboard, example_of: Answers) -> Player:
    """Asks the person: y/n to the invitation, an answer or a command at a prompt, a follow-up
    question after a reveal, deeper or here at a check-in, a rating and keeping going."""

    def say(text: str, style: str = "") -> None:
        console.print(Text(text, style=style))  # Text: nothing typed is read as markup

    async def read(
        question: str, typed: Reading, commands: Mapping[str, Reading], retry: str = ""
    ) -> list[Command]:
        """Asks until a reply means something: `/word rest` goes to `commands`, the rest to
        `typed`; /help and unknown commands are answered here."""
        while True:
            asked = _("[bold]{question}[/bold] › ", question=question)
            reply = (await keyboard.line(asked)).strip()
            word, _space, rest = reply.partition(" ")
            if not reply.startswith("/"):
                found = typed(reply)
                if found is None and retry:
                    say(retry)
            elif word.lower() == "/help":
                found = None
                say(CONSOLE_HELP)
            elif word.lower() in commands:
                found = commands[word.lower()](rest.strip())
            else:
                found = None
                say(UNKNOWN_COMMAND.format(command=word), "yellow")
            if found is not None:
                return found

    def choice(words: Mapping[str, list[Command]]) -> Reading:
        return lambda reply: words.get(reply.lower())

    def yes_no(yes: list[Command], no: list[Command]) -> Reading:
        return lambda reply: yes if reply.lower() in YES else no if reply.lower() in NO else None

    def leaving(*_args: str) -> list[Command]:
        return [Leave(YOU.key)]

    def staying(*_args: str) -> list[Command]:
        return [Stay(YOU.key)]

    async def invitation() -> list[Command]:
        replies = yes_no([Accept(YOU.key)], [Decline(YOU.key)])
        return await read(INVITATION_QUESTION, replies, {}, INVITATION_RETRY)

    async def prompt(message: OutgoingMessage, question: str) -> list[Command]:
        step = int(message.data["step"])

        def example(_arg: str) -> None:
            say(example_text(example_of(message)), "italic")

        commands: dict[str, Reading] = {
            "/swap": lambda _arg: [Swap(YOU.key, step)],
            "/stay": staying,
            "/leave": leaving,
            "/example": example,
        }
        return await read(question, lambda text: [SubmitAnswer(YOU.key, text, step)], commands)

    async def follow_up(message: OutgoingMessage) -> list[Command]:
        step = int(message.data["step"])

        def asked(text: str) -> list[Command]:
            return [AskFollowUp(YOU.key, text, step)]  # the round refuses an empty one kindly

        def typed(text: str) -> list[Command]:
            return asked(text) if text else [SkipFollowUp(YOU.key, step)]

        commands: dict[str, Reading] = {
            "/ask": asked,
            "/skip": lambda _arg: [SkipFollowUp(YOU.key, step)],
            "/stay": staying,
            "/leave": leaving,
        }
        return await read(FOLLOW_UP_QUESTION, typed, commands)

    async def check_in() -> list[Command]:
        deeper: list[Command] = [DEEPER]
        here: list[Command] = [HERE]
        words = {"d": deeper, "deeper": deeper, "h": here, "here": here}
        commands: dict[str, Reading] = {
            "/deeper": lambda _arg: deeper,
            "/here": lambda _arg: here,
            "/leave": leaving,
        }
        return await read(CHECK_IN_ASK, choice(words), commands, CHECK_IN_RETRY)

    def rated(reply: str) -> list[Command] | None:
        if not reply:
            return []
        # the round itself refuses 0 or 9, kindly
        return [Rate(YOU.key, int(reply))] if reply.isdigit() else None

    async def completed(message: OutgoingMessage) -> list[Command]:
        rating = await read(RATING_ASK, rated, {}, RATING_RETRY)  # the question is shown above
        if not message.data.get("keep_going"):
            return rating
        replies = yes_no([KeepGoing(YOU.key)], [])
        return rating + await read(KEEP_GOING_ASK, replies, {}, KEEP_GOING_RETRY)

    async def play(message: OutgoingMessage) -> list[Command]:
        kind = message.kind
        if kind is DeliveryKind.INVITATION:
            return await invitation()
        if kind is DeliveryKind.PROMPT:
            return await prompt(message, ANSWER_QUESTION)
        if kind is DeliveryKind.FOLLOW_UP_QUESTIONS:
            return await prompt(message, FOLLOW_UP_ANSWER_QUESTION)
        if offers_follow_up(message):
            return await follow_up(message)
        if kind is DeliveryKind.CHECK_IN:
            return await check_in()
        if kind is DeliveryKind.COMPLETED:
            return await completed(message)
        return []

    return play


def auto_player(console: Console, answer: Callable[[OutgoingMessage], str]) -> Player:
    """Plays your side: swaps the first prompt, asks a follow-up after every reveal that offers
    one, chooses deeper at a check-in, stays at layer 2, rates 6 and doesn't keep going."""
    swapped = False

    def typed(*texts: str) -> None:
        for text in texts:
            console.print(Text(_("you › {text}", text=text), style="dim"))

    async def prompt(message: OutgoingMessage) -> list[Command]:
        nonlocal swapped
        data = message.data
        step = int(data["step"])
        if not swapped:
            swapped = True
            typed("/swap")
            return [Swap(YOU.key, step)]
        commands: list[Command] = []
        if data["reason"] == "deeper" and int(data["layer"]) == 2:
            typed("/stay")
            commands.append(Stay(YOU.key))
        text = answer(message)
        typed(text)
        return [*commands, SubmitAnswer(YOU.key, text, step)]

    async def play(message: OutgoingMessage) -> list[Command]:
        kind, data = message.kind, message.data
        if kind is DeliveryKind.INVITATION:
            typed("y")
            return [Accept(YOU.key)]
        if kind is DeliveryKind.PROMPT:
            return await prompt(message)
        if offers_follow_up(message):
            typed(AUTO_QUESTION)
            return [AskFollowUp(YOU.key, AUTO_QUESTION, int(data["step"]))]
        if kind is DeliveryKind.FOLLOW_UP_QUESTIONS:
            typed(AUTO_FOLLOW_UP_ANSWER)
            return [SubmitAnswer(YOU.key, AUTO_FOLLOW_UP_ANSWER, int(data["step"]))]
        if kind is DeliveryKind.CHECK_IN:
            typed("/deeper")
            return [DEEPER]
        if kind is DeliveryKind.COMPLETED:
            # declines to keep going together, so the demo ends by itself
            typed("6", *(("n",) if data.get("keep_going") else ()))
            return [Rate(YOU.key, 6)]
        return []

    return play
