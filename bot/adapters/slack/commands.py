"""Parsing `/rapport …` text into a request; no I/O, so every form is easy to test.

Slack sends user mentions escaped as `<@U123|name>` (or `<@U123>`) when the command has
`should_escape: true`, which the manifest sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.engine.model import Pace
from bot.service.members import parse_pause

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

USAGE = "\n".join(
    (
        "*How to use /rapport*",
        "• `/rapport start @someone` starts a round with them (add `daily` for one prompt a day)",
        "• `/rapport start @a @b` pairs two other people (team leads)",
        "• `/rapport status` shows your rounds and settings",
        "• `/rapport stop` leaves every round you're in",
        "• `/rapport pause 2w` takes a break (`3d`, `2w`; `pause off` ends it)",
        "• `/rapport optout` / `/rapport optin` stops or allows new rounds with you",
        "• `/rapport timezone Europe/Berlin` sets your time zone for daily prompts",
        "• `/rapport help` explains how rounds work",
    )
)


@dataclass(frozen=True)
class Start:
    user_ids: tuple[str, ...]
    pace: Pace


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class OptOut:
    opted_out: bool


@dataclass(frozen=True)
class Pause:
    duration: timedelta | None  # None ends a pause


@dataclass(frozen=True)
class Timezone:
    name: str


@dataclass(frozen=True)
class Usage:
    """Unknown or malformed: explain what went wrong, then the usage text."""

    problem: str

    @property
    def text(self) -> str:
        return f"{self.problem}\n\n{USAGE}" if self.problem else USAGE


Request = Start | Status | Stop | Help | OptOut | Pause | Timezone | Usage


def parse(text: str) -> Request:
    words = text.split()
    if not words:
        return Usage("")
    verb, args = words[0].lower(), words[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        return Usage(f"I don't know `{_shown(words[0])}`.")
    return parser(args)


def _shown(word: str) -> str:
    return word.replace("`", "")[:40]


def _start(args: list[str]) -> Request:
    user_ids = tuple(dict.fromkeys(MENTION.findall(" ".join(args))))
    rest = [a.lower() for a in MENTION.sub(" ", " ".join(args)).split()]
    if not 1 <= len(user_ids) <= 2:
        return Usage(
            "Mention one person to start a round with (for example `/rapport start @sam`)."
        )
    unknown = [w for w in rest if w not in ("daily", "live")]
    if unknown:
        return Usage(f"I didn't understand `{_shown(unknown[0])}` after the mentions.")
    pace = Pace.DAILY if "daily" in rest else Pace.LIVE
    return Start(user_ids, pace)


def _pause(args: list[str]) -> Request:
    if len(args) == 1 and args[0].lower() in ("off", "end", "stop"):
        return Pause(None)
    duration = parse_pause(" ".join(args)) if args else None
    if duration is None:
        return Usage("Tell me how long to pause, like `/rapport pause 3d` or `/rapport pause 2w`.")
    return Pause(duration)


def _timezone(args: list[str]) -> Request:
    if len(args) != 1:
        return Usage("Give one time zone name, like `/rapport timezone Europe/Berlin`.")
    return Timezone(args[0])


def _no_args(request: Request) -> Callable[[list[str]], Request]:
    def parse_none(args: list[str]) -> Request:
        return request if not args else Usage("That command takes no extra words.")

    return parse_none


_PARSERS: dict[str, Callable[[list[str]], Request]] = {
    "start": _start,
    "status": _no_args(Status()),
    "stop": _no_args(Stop()),
    "leave": _no_args(Stop()),
    "help": _no_args(Help()),
    "optout": _no_args(OptOut(True)),
    "optin": _no_args(OptOut(False)),
    "pause": _pause,
    "timezone": _timezone,
}
