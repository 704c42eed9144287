"""Parsing `/rapport …` text into a request; no I/O, so every form is easy to test.

Slack sends user mentions escaped as `<@U123|name>` (or `<@U123>`) and channels as
`<#C123|name>` (`<#C123|>` for a private one) when the command has `should_escape: true`, which
the manifest sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.engine.presets import PACE_WORDS, PaceChoice, parse_pace
from bot.i18n import N_
from bot.i18n.translate import _
from bot.service.members import parse_pause

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
SCHEDULE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SCHEDULE_ADD_EXAMPLE = (
    "`/rapport schedule add #channel every:1 day:mon time:10:00 tz:Europe/Berlin "
    "[depth:3] [bank:workplace] [pace:live|daily|gentle|standard|open]`"
)

USAGE_LINES = (
    N_("*How to use /rapport*"),
    N_(
        "• `/rapport start @someone` starts a round with them (add `pace:gentle`, "
        "`pace:open`, `daily` or `live` to choose the pace)"
    ),
    N_("• `/rapport start @a @b` pairs two other people (team leads)"),
    N_("• `/rapport status` shows your rounds and settings"),
    N_("• `/rapport stop` leaves every round you're in"),
    N_("• `/rapport pause 2w` takes a break (`3d`, `2w`; `pause off` ends it)"),
    N_("• `/rapport optout` / `/rapport optin` stops or allows new rounds with you"),
    N_("• `/rapport timezone Europe/Berlin` sets your time zone for daily prompts"),
    N_(
        "• `/rapport language de` chooses your language (en, de, es, fr, pt-BR; auto follows Slack)"
    ),
    N_(
        "• `/rapport avoid @someone` keeps scheduled sessions from pairing you two "
        "(private: they're never told)"
    ),
    N_("• `/rapport export` sends you a file of everything Rapport stores about you"),
    N_("• `/rapport forget-me` deletes everything Rapport stores about you (asks first)"),
    N_("• `/rapport help` explains how rounds work"),
    N_(
        "• `/rapport settings show` shows your team's settings; `/rapport questions "
        "suggest` suggests a question"
    ),
    N_("*Team leads*"),
    N_("• `/rapport settings` changes the team's settings (depth, pace, reminders, quiet hours…)"),
    N_("• `/rapport questions add|list|review|remove <id>|export` manages your own questions"),
    N_(
        "• {schedule_add_example} pairs the channel's members every 1-4 weeks",
        schedule_add_example=SCHEDULE_ADD_EXAMPLE,
    ),
    N_(
        "• `/rapport schedule list`, `/rapport schedule pause|resume|remove <id>`, "
        "`/rapport schedule run-now <id>`"
    ),
    N_(
        "• `/rapport stats [#channel]` DMs you a chart of content-free figures for the last 30 "
        "days; `/rapport stats digest on|off` a monthly one"
    ),
)


def usage() -> str:
    """How to use /rapport, in the current reader's language."""
    return "\n".join(_(line) for line in USAGE_LINES)


@dataclass(frozen=True)
class Start:
    user_ids: tuple[str, ...]
    pace: PaceChoice | None  # None: the workspace's default pace


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
class Language:
    code: str | None  # None: show the member's language


@dataclass(frozen=True)
class Usage:
    """Unknown or malformed: explain what went wrong, then the usage text."""

    problem: str

    @property
    def text(self) -> str:
        return f"{self.problem}\n\n{usage()}" if self.problem else usage()


@dataclass(frozen=True)
class ScheduleAdd:
    channel_id: str
    options: str  # `every:1 day:mon …`, parsed (and explained when wrong) by the service


@dataclass(frozen=True)
class ScheduleList:
    pass


@dataclass(frozen=True)
class ScheduleStatus:
    schedule_id: str
    action: str  # pause | resume | remove


@dataclass(frozen=True)
class ScheduleRunNow:
    schedule_id: str


@dataclass(frozen=True)
class Avoid:
    user_id: str


@dataclass(frozen=True)
class Stats:
    channel_id: str | None


@dataclass(frozen=True)
class StatsDigest:
    on: bool


@dataclass(frozen=True)
class ForgetMe:
    pass


@dataclass(frozen=True)
class Export:
    pass


@dataclass(frozen=True)
class TeamSettings:
    args: tuple[str, ...]  # show | history | <setting> <value> | nothing (the form)


@dataclass(frozen=True)
class TeamQuestions:
    args: tuple[str, ...]  # add | suggest | list | review | remove <id> | export


Request = (
    Start
    | Status
    | Stop
    | Help
    | OptOut
    | Pause
    | Timezone
    | Language
    | ScheduleAdd
    | ScheduleList
    | ScheduleStatus
    | ScheduleRunNow
    | Avoid
    | Stats
    | StatsDigest
    | ForgetMe
    | Export
    | TeamSettings
    | TeamQuestions
    | Usage
)


def parse(text: str) -> Request:
    words = text.split()
    if not words:
        return Usage("")
    verb, args = words[0].lower(), words[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        return Usage(_("I don't know `{shown}`.", shown=_shown(words[0])))
    return parser(args)


def _shown(word: str) -> str:
    return word.replace("`", "")[:40]


def _start(args: list[str]) -> Request:
    user_ids = tuple(dict.fromkeys(MENTION.findall(" ".join(args))))
    rest = [a.lower() for a in MENTION.sub(" ", " ".join(args)).split()]
    if not 1 <= len(user_ids) <= 2:
        return Usage(
            _("Mention one person to start a round with (for example `/rapport start @sam`).")
        )
    paces = [parse_pace(w.removeprefix("pace:")) for w in rest]
    unknown = [w for w, pace in zip(rest, paces, strict=True) if pace is None]
    if unknown:
        return Usage(
            _(
                "I didn't understand `{shown}` after the mentions. A pace is one of {paces}.",
                shown=_shown(unknown[0]),
                paces=", ".join(f"`pace:{w}`" for w in PACE_WORDS),
            )
        )
    return Start(user_ids, paces[-1] if paces else None)


def _pause(args: list[str]) -> Request:
    if len(args) == 1 and args[0].lower() in ("off", "end", "stop"):
        return Pause(None)
    duration = parse_pause(" ".join(args)) if args else None
    if duration is None:
        return Usage(
            _("Tell me how long to pause, like `/rapport pause 3d` or `/rapport pause 2w`.")
        )
    return Pause(duration)


def _timezone(args: list[str]) -> Request:
    if len(args) != 1:
        return Usage(_("Give one time zone name, like `/rapport timezone Europe/Berlin`."))
    return Timezone(args[0])


def _language(args: list[str]) -> Request:
    if len(args) > 1:
        return Usage(_("Give one language code, like `/rapport language de`."))
    return Language(args[0] if args else None)


def channel_id_of(word: str) -> str | None:
    """`<#C123|general>` (Slack's escape) or a bare channel id -> `C123`."""
    match = CHANNEL.match(word)
    if match:
        return match.group(1)
    return word if CHANNEL_ID.match(word) else None


def _schedule(args: list[str]) -> Request:
    if not args:
        return Usage(_("Tell me what to do with schedules: `add`, `list`, `pause`, `resume`, …"))
    action, rest = args[0].lower(), args[1:]
    if action == "add":
        return _schedule_add(rest)
    if action == "list":
        return ScheduleList() if not rest else Usage(_("`schedule list` takes no extra words."))
    if action in ("pause", "resume", "remove", "run-now", "runnow", "run"):
        if len(rest) != 1 or not SCHEDULE_ID.match(rest[0].strip("`")):
            return Usage(
                _(
                    "Give the schedule's id, like `/rapport schedule {action} 1a2b3c4d` (`/rapport "
                    "schedule list` shows them).",
                    action=action,
                )
            )
        schedule_id = rest[0].strip("`")
        if action in ("pause", "resume", "remove"):
            return ScheduleStatus(schedule_id, action)
        return ScheduleRunNow(schedule_id)
    return Usage(_("I don't know `schedule {shown}`.", shown=_shown(args[0])))


def _schedule_add(args: list[str]) -> Request:
    channel = channel_id_of(args[0]) if args else None
    if channel is None:
        return Usage(
            _(
                "Start with the channel, picked from Slack's suggestions after `#`, for example "
                "{example}",
                example=SCHEDULE_ADD_EXAMPLE,
            )
        )
    return ScheduleAdd(channel, " ".join(args[1:]))


def _avoid(args: list[str]) -> Request:
    users = MENTION.findall(" ".join(args))
    if len(users) != 1 or MENTION.sub(" ", " ".join(args)).split():
        return Usage(_("Mention one person, like `/rapport avoid @sam`. They won't be told."))
    return Avoid(users[0])


def _stats(args: list[str]) -> Request:
    if not args:
        return Stats(None)
    if args[0].lower() == "digest":
        choice = [a.lower() for a in args[1:]]
        if choice not in (["on"], ["off"]):
            return Usage(_("Use `/rapport stats digest on` or `/rapport stats digest off`."))
        return StatsDigest(choice == ["on"])
    channel = channel_id_of(args[0]) if len(args) == 1 else None
    if channel is None:
        return Usage(
            _("Use `/rapport stats`, `/rapport stats #channel` or `/rapport stats digest on|off`.")
        )
    return Stats(channel)


def _no_args(request: Request) -> Callable[[list[str]], Request]:
    def parse_none(args: list[str]) -> Request:
        return request if not args else Usage(_("That command takes no extra words."))

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
    "language": _language,
    "schedule": _schedule,
    "schedules": _schedule,
    "avoid": _avoid,
    "stats": _stats,
    "forget-me": _no_args(ForgetMe()),
    "forgetme": _no_args(ForgetMe()),
    "export": _no_args(Export()),
    "settings": lambda args: TeamSettings(tuple(args)),
    "questions": lambda args: TeamQuestions(tuple(args)),
}
