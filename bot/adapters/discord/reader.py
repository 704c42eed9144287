"""Who reads a Discord reply, and in which language: the member's own (their choice, else the
locale Discord sends with each interaction, noted here for later DMs, else the server's
default), or the interaction's locale for someone Rapport can't place in a server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from bot.i18n import normalise
from bot.i18n.translate import reading
from bot.identity import Member
from bot.service.languages import MemberLanguages


async def language_for(
    languages: MemberLanguages, interaction: discord.Interaction, member: Member | None
) -> str | None:
    locale = interaction.locale.value if interaction.locale else None
    if member is None:
        return normalise(locale)
    await languages.observe(member, locale)
    return await languages.language_of(member)


@asynccontextmanager
async def reading_for(
    languages: MemberLanguages, interaction: discord.Interaction, member: Member | None
) -> AsyncIterator[None]:
    """Everything said inside answers `interaction` in its reader's language."""
    with reading(await language_for(languages, interaction, member)):
        yield
