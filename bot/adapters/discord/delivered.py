"""Recognising a delivery Discord already has, so a maybe-sent one is never posted twice.

Every message Rapport posts carries its outbox row's reference twice:
- as the nonce, with `enforce_nonce`: for a few minutes Discord answers a repost with the same
  nonce (same channel, same author) with the message it already stored;
- in the footer of its last embed: listing a channel (`GET /channels/{id}/messages`) returns
  embeds but never nonces, so after that window, or after a crash, the DM's recent history
  tells which parts of a delivery are there.

The reference is derived from the row (id, round, kind, member), so it is the same in every
process and differs between databases that reuse outbox ids.
"""

from __future__ import annotations

import hashlib

import discord

from bot.service.ports import OutgoingMessage

HISTORY_LIMIT = 100  # the most recent messages read (one request); a DM is quiet in between
FOOTER_PREFIX = "Rapport · ref "
NONCE_LIMIT = 25  # characters Discord accepts in a nonce


def reference(message: OutgoingMessage) -> str:
    row = f"{message.outbox_id}|{message.round_id}|{message.kind.value}|{message.member.key}"
    return hashlib.blake2b(row.encode(), digest_size=6).hexdigest()


def nonce(ref: str, number: int) -> str:
    return f"r{ref}.{number}"[:NONCE_LIMIT]


def footer(ref: str, number: int) -> str:
    return f"{FOOTER_PREFIX}{ref}.{number}"


def mark(embeds: list[discord.Embed], ref: str, number: int) -> list[discord.Embed]:
    """The embeds with the part's reference in the last one's footer (`render` keeps room)."""
    if embeds:
        embeds[-1].set_footer(text=footer(ref, number))
    return embeds


async def already_posted(
    channel: discord.abc.Messageable, me: int, ref: str, parts: int
) -> list[str]:
    """Ids of the delivery's first parts found in the channel's recent history, in order."""
    found: dict[int, str] = {}
    wanted = {footer(ref, n): n for n in range(parts)}
    async for message in channel.history(limit=HISTORY_LIMIT):
        if message.author.id != me or not message.embeds:
            continue
        number = wanted.get(message.embeds[-1].footer.text or "")
        if number is not None:
            found[number] = str(message.id)
    ids: list[str] = []
    while len(ids) in found:
        ids.append(found[len(ids)])
    return ids
