"""Sam, the demo partner: answers every prompt it is given with an answer written for it."""

from __future__ import annotations

import asyncio

from bot.adapters.console.answers import answers_for, bank_prompt
from bot.bootstrap import Rapport
from bot.engine.model import DeliveryKind, SubmitAnswer
from bot.identity import Member
from bot.service.ports import OutgoingMessage

SAM = Member("console", "demo", "sam")
PARTNER_NAME = "Sam (demo partner)"


def fitting_answer(app: Rapport, prompt: OutgoingMessage, choice: int = 0) -> str:
    """An answer to this PROMPT delivery; `choice` picks among the fitting ones (0 = best)."""
    data = prompt.data
    options = answers_for(bank_prompt(app.banks, data), int(data["layer"]))
    return options[min(choice, len(options) - 1)]


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
        step = int(prompt.data["step"])
        command = SubmitAnswer(SAM.key, fitting_answer(self.app, prompt), step)
        await self.app.service.act(prompt.round_id, command)
