"""`Rendered` messages as Discord embeds plus components, within Discord's size limits.

Answers never go into the 2,000-character content field: each answer is its own embed (its
description holds 4,096 characters, so a 3,000-character answer fits whole; longer text is
split across embeds, never cut). One message holds at most 10 embeds and 6,000 characters of
embed text, so a reveal that is larger becomes several messages; the buttons ride on the last.
Everything is sent with `allowed_mentions` none: a relayed `@everyone` or `<@id>` pings nobody.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.adapters.discord.views import build_view
from bot.adapters.discord.wire import Target
from bot.i18n.translate import _
from bot.messages.model import Rendered

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
# Discord's 6,000 characters of embed text per message, less room for the delivery reference
# the sender puts in the last embed's footer (`delivered.footer`)
MESSAGE_EMBED_CHARS = 6000 - 40
EMBEDS_PER_MESSAGE = 10
CONTENT_LIMIT = 2000
COLOUR = discord.Colour(0x5865F2)
SECTION_COLOUR = discord.Colour(0x57F287)
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass
class Part:
    """One Discord message: embeds and, on the last part, the components (and a chart)."""

    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(e) for e in self.embeds)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters that join back to exactly `text`.

    A piece ends after a line break or space when one lies in the second half of the window.
    """
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n"), window.rfind(" ")) + 1
        if cut <= limit // 2:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def embeds_for(rendered: Rendered) -> list[discord.Embed]:
    """The heading embed (title and body), then one embed per section piece."""
    return [
        *_heading(rendered),
        *(e for s in rendered.sections for e in _section(s.heading, s.text)),
    ]


def _heading(rendered: Rendered) -> Iterator[discord.Embed]:
    title, body = rendered.title, "\n\n".join(rendered.body)
    if len(title) > TITLE_LIMIT:  # a long prompt: keep all of it in the description
        title, body = "", f"**{title}**\n\n{body}".strip()
    pieces = split_text(body, DESCRIPTION_LIMIT) if body else [""]
    for number, piece in enumerate(pieces):
        yield discord.Embed(
            title=title if number == 0 and title else None,
            description=piece or None,
            colour=COLOUR,
        )


def _section(heading: str, text: str) -> Iterator[discord.Embed]:
    heading = heading[: TITLE_LIMIT - 12]  # a display name; room for " (continued)"
    for number, piece in enumerate(split_text(text, DESCRIPTION_LIMIT)):
        title = heading if number == 0 else _("{heading} (continued)", heading=heading)
        yield discord.Embed(title=title, description=piece, colour=SECTION_COLOUR)


def pack(embeds: Sequence[discord.Embed]) -> list[Part]:
    """Fill messages up to 10 embeds and 6,000 embed characters each, in order."""
    parts = [Part()]
    for embed in embeds:
        current = parts[-1]
        full = len(current.embeds) >= EMBEDS_PER_MESSAGE
        if current.embeds and (full or current.chars + len(embed) > MESSAGE_EMBED_CHARS):
            parts.append(Part())
        parts[-1].embeds.append(embed)
    return parts


def to_parts(rendered: Rendered, target: Target | None) -> list[Part]:
    """The messages that carry `rendered`; the buttons or rating select go on the last one."""
    parts = pack(embeds_for(rendered))
    if target is not None:
        parts[-1].view = build_view(rendered, target)
    return parts


Reply = str | dict[str, Any]  # a text, or keyword arguments for a message (a view, files)


def reply_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for `edit_original_response`: never pinging anyone."""
    if isinstance(reply, str):
        return text_reply(reply)
    return {**reply, "allowed_mentions": NO_MENTIONS}


def text_reply(text: str) -> dict[str, Any]:
    """Keyword arguments for a plain reply: content when short, embed description when long."""
    if len(text) <= CONTENT_LIMIT:
        return {"content": text, "allowed_mentions": NO_MENTIONS}
    embeds = [
        discord.Embed(description=piece, colour=COLOUR)
        for piece in split_text(text, DESCRIPTION_LIMIT)
    ][:EMBEDS_PER_MESSAGE]
    return {"embeds": embeds, "allowed_mentions": NO_MENTIONS}
