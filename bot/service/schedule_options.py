"""`/rapport schedule add`'s options: `every:2 day:mon time:10:00 tz:Europe/Berlin ...` read
into a `ScheduleRequest`, or refused with a `Rejected` that names the problem (pure: no I/O).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.engine.model import Rejected
from bot.engine.presets import PACE_WORDS, PaceChoice, parse_pace
from bot.engine.recurrence import WEEKDAYS
from bot.engine.timing import is_valid_zone
from bot.i18n import N_

USAGE = N_(
    "Usage: /rapport schedule add #channel every:<1-4 weeks> day:<mon-sun> time:<HH:MM> "
    "tz:<Area/City> [depth:<1-4>] [bank:<name>] [pace:live|daily|gentle|standard|open]"
)


@dataclass(frozen=True)
class ScheduleRequest:
    every_weeks: int
    weekday: int
    at: time
    timezone: str
    depth: int | None  # None: the workspace's depth cap when each session runs
    bank: str | None  # None: the workspace's bank
    pace: PaceChoice


def parse_schedule(text: str) -> ScheduleRequest:
    """Parse `every:2 day:mon time:10:00 tz:Europe/Berlin ...`; Rejected names the problem."""
    fields: dict[str, str] = {}
    for token in text.split():
        key, sep, value = token.partition(":")
        if not sep or not value:
            raise Rejected(
                "bad_schedule",
                N_("I didn't understand '{token}'. {usage}", token=token, usage=USAGE),
            )
        fields[key.lower()] = value
    unknown = set(fields) - {"every", "day", "time", "tz", "depth", "bank", "pace"}
    if unknown:
        raise Rejected(
            "bad_schedule",
            N_(
                "Unknown option {options}. {usage}", options=", ".join(sorted(unknown)), usage=USAGE
            ),
        )
    missing = [k for k in ("every", "day", "time", "tz") if k not in fields]
    if missing:
        raise Rejected(
            "bad_schedule",
            N_("Missing {options}. {usage}", options=", ".join(missing), usage=USAGE),
        )
    return ScheduleRequest(
        every_weeks=_parse_every(fields["every"]),
        weekday=_parse_day(fields["day"]),
        at=parse_time(fields["time"]),
        timezone=_parse_zone(fields["tz"]),
        depth=_parse_depth(fields.get("depth")),
        bank=fields.get("bank"),
        pace=_parse_pace(fields.get("pace", "daily")),
    )


def _parse_every(value: str) -> int:
    number = value.lower().removesuffix("weeks").removesuffix("week").removesuffix("w")
    if not number.isdigit() or not 1 <= int(number) <= 4:
        raise Rejected(
            "bad_every", N_("every:{value} must be a number of weeks from 1 to 4.", value=value)
        )
    return int(number)


def _parse_day(value: str) -> int:
    prefix = value[:3].lower()
    if prefix not in WEEKDAYS:
        raise Rejected(
            "bad_day", N_("day:{value} isn't a weekday. Use mon, tue, ... sun.", value=value)
        )
    return WEEKDAYS.index(prefix)


def parse_time(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Rejected("bad_time", N_("time:{value} isn't a 24-hour time like 09:30.", value=value))
    return time(int(match.group(1)), int(match.group(2)))


def _parse_zone(value: str) -> str:
    if not is_valid_zone(value):
        raise Rejected(
            "bad_zone", N_("tz:{value} isn't a time zone I know. Try Europe/Berlin.", value=value)
        )
    return value


def _parse_depth(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 4:
        raise Rejected("bad_depth", N_("depth:{value} must be a layer from 1 to 4.", value=value))
    return int(value)


def _parse_pace(value: str) -> PaceChoice:
    choice = parse_pace(value)
    if choice is None:
        raise Rejected(
            "bad_pace",
            N_("pace:{value} must be one of {paces}.", value=value, paces=", ".join(PACE_WORDS)),
        )
    return choice
