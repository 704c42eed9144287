"""Local-time rules: paced prompts arrive in the morning and nothing lands at night."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_STARTS = time(8, 0)
DAY_ENDS = time(21, 0)
MIN_PACED_GAP = timedelta(hours=8)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _at_local(day: datetime, clock: time, tz: ZoneInfo) -> datetime:
    # combine() on the local date keeps the wall-clock time right across DST changes
    return datetime.combine(day.date(), clock, tzinfo=tz)


def next_morning(now: datetime, tz_name: str | None, hour: int) -> datetime:
    """The first `hour`:00 local that is at least MIN_PACED_GAP after `now`."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    candidate = _at_local(local, time(hour, 0), tz)
    while candidate < now + MIN_PACED_GAP:
        local = local + timedelta(days=1)
        candidate = _at_local(local, time(hour, 0), tz)
    return candidate


def in_quiet_hours(local: time, quiet_from: time, quiet_until: time) -> bool:
    """Whether local wall-clock time is in [quiet_from, quiet_until), which may wrap midnight."""
    if quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= local < quiet_until
    return local >= quiet_from or local < quiet_until


def into_daytime(
    moment: datetime,
    tz_name: str | None,
    quiet_from: time = DAY_ENDS,
    quiet_until: time = DAY_STARTS,
) -> datetime:
    """`moment` if it is outside the member's quiet hours, else when they next end (local)."""
    tz = zone(tz_name)
    local = moment.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), quiet_from, quiet_until):
        return moment
    day = local if local.time() < quiet_until else local + timedelta(days=1)
    return _at_local(day, quiet_until, tz)
