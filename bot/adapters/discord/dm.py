"""A plain reply in the DM with Rapport answers the prompt that waits for that member.

A Discord DM belongs to no server, so the service looks at the user's open rounds in every
server (`RoundService.answer_from_user_dm`). The held confirmation or the reveal arrives through
the outbox; only a refusal is answered here.
"""

from __future__ import annotations

import discord

from bot.adapters.discord import wire
from bot.adapters.discord.activity import Activity
from bot.adapters.discord.render import NO_MENTIONS
from bot.bootstrap import Rapport
from bot.i18n import N_
from bot.i18n.translate import _

TEXT_ONLY = N_("I can only take typed answers here; attachments and stickers aren't shared.")
REPLY_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def is_dm_from_a_person(message: discord.Message, me: discord.abc.User | None) -> bool:
    return (
        message.guild is None
        and not message.author.bot
        and (me is None or message.author.id != me.id)
        and message.type in REPLY_TYPES
    )


class DmAnswers:
    def __init__(self, rapport: Rapport, activity: Activity | None = None) -> None:
        self.service = rapport.service
        self.activity = activity or Activity()

    async def on_message(self, message: discord.Message, me: discord.abc.User | None) -> None:
        if not is_dm_from_a_person(message, me):
            return
        async with self.activity.track():
            await self._answer(message)

    async def _answer(self, message: discord.Message) -> None:
        if not message.content.strip():
            if message.attachments or message.stickers:
                await message.channel.send(_(TEXT_ONLY), allowed_mentions=NO_MENTIONS)
            return
        outcome = await self.service.answer_from_user_dm(
            wire.PLATFORM, str(message.author.id), message.content, wire.message_key(message)
        )
        if not (outcome.ok or outcome.duplicate):
            await message.channel.send(_(outcome.message), allowed_mentions=NO_MENTIONS)
