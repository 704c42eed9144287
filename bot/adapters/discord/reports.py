"""`/rapport stats [channel] [digest]` (leads: a one-line summary and the chart attached) and
`/rapport inbox` (anyone: what Rapport couldn't bring them by DM), both ephemeral.

The inbox replays the member's pending invitation, current prompt and unseen reveals as the
same embeds and buttons their DMs would have carried (`DiscordSender.parts`), so Accept,
Answer, Swap, Stay and Leave work there exactly as in a DM. The member is always the one who
used the command, in the server they used it in.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.adapters.discord import replies
from bot.adapters.discord.reader import reading_for
from bot.adapters.discord.render import NO_MENTIONS, Part, Reply
from bot.i18n import N_
from bot.i18n.translate import _
from bot.identity import Member
from bot.reports.inbox import InboxItem
from bot.reports.texts import INBOX_EMPTY, INBOX_INTRO
from bot.service.ports import OutgoingMessage

if TYPE_CHECKING:
    from bot.adapters.discord.commands import CommandHandlers

OnOff = Literal["on", "off"]


def add_report_commands(group: app_commands.Group, h: CommandHandlers) -> None:
    @group.command(name="stats", description=N_("Leads: content-free figures and a chart, 30 days"))
    @app_commands.describe(
        channel=N_("Only this channel's scheduled sessions"),
        digest=N_("Leads: a monthly digest by DM, in your daytime (on or off)"),
    )
    async def stats(
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        digest: OnOff | None = None,
    ) -> None:
        await h.respond(
            interaction, lambda: stats_reply(h, interaction, channel, digest), defer_first=True
        )

    @group.command(
        name="inbox", description=N_("Your invitation, prompt and reveals, if DMs failed")
    )
    async def inbox(interaction: discord.Interaction) -> None:
        reader = h.member(interaction)
        async with h.activity.track(), reading_for(h.languages, interaction, reader):
            await show_inbox(h, interaction)


async def stats_reply(
    h: CommandHandlers,
    interaction: discord.Interaction,
    channel: discord.abc.GuildChannel | None,
    digest: OnOff | None,
) -> Reply:
    lead, is_lead = h.member(interaction), await h.is_lead(interaction)
    if digest is not None:
        return _((await h.rapport.reports.set_digest(lead, is_lead, digest == "on")).message)
    reply = await h.rapport.reports.stats(lead, is_lead, str(channel.id) if channel else None)
    if reply.chart is None:
        return reply.text
    image = io.BytesIO(reply.chart.png)
    attachment = discord.File(image, reply.chart.filename, description=reply.chart.alt)
    return {"content": reply.text, "attachments": [attachment]}


async def show_inbox(h: CommandHandlers, interaction: discord.Interaction) -> None:
    """Deferred first (reading may take a moment), then one ephemeral message per item (each
    item in the member's language, as their DM would have been)."""
    deadline = replies.Deadline()
    if not await replies.first_response(
        interaction, deadline, lambda: interaction.response.defer(ephemeral=True, thinking=True)
    ):
        return
    member = h.member(interaction)
    items = await h.rapport.inbox.items(member)
    if not items:
        await replies.quietly(
            "the inbox reply",
            interaction.edit_original_response(
                content=_(INBOX_EMPTY), allowed_mentions=NO_MENTIONS
            ),
        )
        return
    parts = [part for item in items for part in await _parts(h, member.key, item)]
    shown = await replies.quietly(
        "the inbox reply",
        interaction.edit_original_response(
            content=_(INBOX_INTRO),
            embeds=parts[0].embeds,
            view=parts[0].view,
            allowed_mentions=NO_MENTIONS,
        ),
    )
    for part in parts[1:]:
        shown = shown and await replies.quietly("an inbox item", _follow_up(interaction, part))
    if shown:
        await h.rapport.inbox.mark_seen(items)


async def _parts(h: CommandHandlers, member_key: str, item: InboxItem) -> list[Part]:
    message = OutgoingMessage(
        outbox_id=item.outbox_id,
        member=Member.from_key(member_key),
        kind=item.kind,
        data=item.data,
        round_id=item.round_id,
        dm_channel_id=None,
    )
    return await h.sender.parts(message)


async def _follow_up(interaction: discord.Interaction, part: Part) -> None:
    followup = interaction.followup
    if part.view is None:
        await followup.send(embeds=part.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await followup.send(
            embeds=part.embeds, view=part.view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
