"""Sam, the demo partner: plays every part of a round so that you see each of its rules.

Sam answers every prompt with an answer written for it, except in `BRIEF_LAYER`, where Sam is
brief on purpose so that the balance guard holds the round and asks you both whether to go
deeper. Sam always chooses deeper there, so your choice decides. After a reveal Sam asks a
follow-up on every other one you ask about and passes on the others, so you see both the
exchange and the kind note that the round goes on; Sam answers the follow-ups you ask briefly,
and always chooses to keep going together, so that choice is yours as well.
"""

from __future__ import annotations

import asyncio

from bot.adapters.console.answers import (
    SAM_FOLLOW_UP_ANSWER,
    answers_for,
    bank_prompt,
    brief_answer,
    sam_question,
)
from bot.bootstrap import Rapport
from bot.engine.model import (
    AskFollowUp,
    ChooseDepth,
    Command,
    DeliveryKind,
    KeepGoing,
    SkipFollowUp,
    SubmitAnswer,
)
from bot.identity import Member
from bot.service.ports import OutgoingMessage

SAM = Member("console", "demo", "sam")
PARTNER_NAME = "Sam (demo partner)"
BRIEF_LAYER = 1  # the first layer: a partner who needs a little time to warm up

StepKey = tuple[str, int]  # (round id, step number): a kept-going round numbers steps anew


def fitting_answer(app: Rapport, prompt: OutgoingMessage, choice: int = 0) -> str:
    """An answer to this PROMPT delivery; `choice` picks among the fitting ones (0 = best)."""
    data = prompt.data
    options = answers_for(bank_prompt(app.banks, data), int(data["layer"]))
    return options[min(choice, len(options) - 1)]


def sam_answer(app: Rapport, prompt: OutgoingMessage) -> str:
    """Sam's answer to this PROMPT delivery: a short one in `BRIEF_LAYER`, else the best fit."""
    data = prompt.data
    if int(data["layer"]) == BRIEF_LAYER:
        return brief_answer(int(data["number_in_layer"]))
    return fitting_answer(app, prompt)


class DemoPartner:
    """Sam answers first on odd steps and after you on even ones (so you see both)."""

    def __init__(self, app: Rapport, inbox: asyncio.Queue[OutgoingMessage]) -> None:
        self.app = app
        self.inbox = inbox
        self.waiting: dict[StepKey, OutgoingMessage] = {}
        self.you_answered_steps: set[StepKey] = set()
        self.follow_ups_asked = 0  # follow-ups you asked; Sam asks back on every other one

    async def run(self) -> None:
        while True:
            await self.receive(await self.inbox.get())

    async def receive(self, message: OutgoingMessage) -> None:
        kind = message.kind
        if kind is DeliveryKind.PROMPT:
            await self._prompt(message)
        elif kind is DeliveryKind.FOLLOW_UP_QUESTIONS:
            step = int(message.data["step"])
            await self.act(message, SubmitAnswer(SAM.key, SAM_FOLLOW_UP_ANSWER, step))
        elif kind is DeliveryKind.CHECK_IN:
            await self.act(message, ChooseDepth(SAM.key, deeper=True))
        elif kind is DeliveryKind.COMPLETED and message.data.get("keep_going"):
            await self.act(message, KeepGoing(SAM.key))

    async def you_answered(self, prompt: OutgoingMessage, step: int) -> None:
        assert prompt.round_id is not None
        key = (prompt.round_id, step)
        self.you_answered_steps.add(key)
        message = self.waiting.pop(key, None)
        if message is not None:
            await self._answer(message)

    async def you_asked(self, reveal: OutgoingMessage, step: int) -> None:
        """You asked a follow-up on this reveal: Sam asks one back, or passes this time."""
        self.follow_ups_asked += 1
        command: Command = (
            AskFollowUp(SAM.key, sam_question(int(reveal.data["layer"])), step)
            if self.follow_ups_asked % 2
            else SkipFollowUp(SAM.key, step)
        )
        await self.act(reveal, command)

    async def _prompt(self, message: OutgoingMessage) -> None:
        assert message.round_id is not None
        key = (message.round_id, int(message.data["step"]))
        if key[1] % 2 or key in self.you_answered_steps:
            await self._answer(message)
        else:
            self.waiting[key] = message

    async def _answer(self, prompt: OutgoingMessage) -> None:
        step = int(prompt.data["step"])
        await self.act(prompt, SubmitAnswer(SAM.key, sam_answer(self.app, prompt), step))

    async def act(self, message: OutgoingMessage, command: Command) -> None:
        """Sam's reply to `message` (every member gets the round's messages with its id)."""
        assert message.round_id is not None
        await self.app.service.act(message.round_id, command)
