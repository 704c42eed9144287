"""Delivers to terminal members: prints the message and hands it to whoever plays that member."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.adapters.console.wording import console_body, console_keys
from bot.i18n.translate import _
from bot.messages.deliveries import render
from bot.messages.model import Names, Rendered
from bot.service.ports import OutgoingMessage


def to_panel(rendered: Rendered, recipient: str) -> Panel:
    body = Text()
    for paragraph in console_body(rendered):
        body.append(paragraph + "\n")
    for section in rendered.sections:
        body.append(f"\n{section.heading}\n", style="bold cyan")
        body.append(section.text + "\n")  # Text keeps answers literal: no markup injection
    if keys := console_keys(rendered):
        body.append(f"\n{keys}", style="dim")
    body.rstrip()  # no blank last line inside the panel
    return Panel(
        body,
        title=Text(rendered.title, style="bold"),
        subtitle=_("to {recipient}", recipient=recipient),
        title_align="left",
    )


class ConsoleSender:
    """One inbox per member; the panel is printed only for members a person watches."""

    def __init__(
        self, console: Console, display_names: Mapping[str, str], watched: set[str]
    ) -> None:
        self.console = console
        self.display_names = dict(display_names)
        self.watched = watched
        self.inboxes: dict[str, asyncio.Queue[OutgoingMessage]] = {}
        self._ids = itertools.count(1)

    def inbox(self, member_key: str) -> asyncio.Queue[OutgoingMessage]:
        return self.inboxes.setdefault(member_key, asyncio.Queue())

    def name_of(self, member_key: str) -> str:
        return self.display_names.get(member_key, member_key.rsplit(":", 1)[-1])

    async def send(self, message: OutgoingMessage) -> str:
        key = message.member.key
        if key in self.watched:
            rendered = render(message.kind, message.data, Names(self.name_of, key))
            self.console.print(to_panel(rendered, self.name_of(key)))
        await self.inbox(key).put(message)
        return f"console-{next(self._ids)}"
