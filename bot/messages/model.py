"""The shapes of what Rapport says, before any platform draws them.

A delivery renders to a platform-neutral `Rendered` message: a title, body paragraphs, answer
sections and the `Button`s it offers, each carrying the `Action` a click means. `Names` lets the
adapter show a member its own way (a mention or a display name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.i18n.translate import _


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    ANSWER = "answer"
    SWAP = "swap"
    STAY = "stay"
    LEAVE = "leave"
    RATE = "rate"
    EXAMPLE = "example"  # shows the prompt's example answer; changes nothing
    FOLLOW_UP = "followup"  # opens the follow-up form
    SKIP = "skip"
    DEEPER = "deeper"
    HERE = "here"
    KEEP_GOING = "together"


@dataclass(frozen=True)
class Button:
    action: Action
    label: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Rendered:
    title: str
    body: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    rating: bool = False  # offer the 1-7 closeness rating


@dataclass(frozen=True)
class Names:
    name_of: Callable[[str], str]
    recipient: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def others(self, keys: list[str] | tuple[str, ...]) -> str:
        names = [self.name_of(k) for k in keys if k != self.recipient]
        if len(names) <= 1:
            return "".join(names) or _("your partner")
        return _("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


# what renders one delivery kind: its payload and the reader's names, to a message
Renderer = Callable[[Mapping[str, Any], Names], Rendered]
