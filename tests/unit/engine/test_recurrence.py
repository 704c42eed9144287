"""Recurring sessions fire at the same local time on both sides of daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.engine.recurrence import Recurrence


def _fires(rec: Recurrence, start: datetime, count: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(count):
        moment = rec.next_after(moment)
        out.append(moment)
    return out


@pytest.mark.parametrize(
    ("zone_name", "change_day"),
    [
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
    ],
)
def test_weekly_session_keeps_its_local_time_across_dst(zone_name: str, change_day: date) -> None:
    rec = Recurrence(1, 0, time(10, 0), zone_name, anchor=date(2026, 1, 5))
    start = datetime.combine(change_day - timedelta(days=14), time(0), tzinfo=UTC)
    fires = _fires(rec, start, 4)
    local = [f.astimezone(ZoneInfo(zone_name)) for f in fires]
    assert all(t.hour == 10 and t.minute == 0 and t.weekday() == 0 for t in local)
    offsets = {f.utcoffset() for f in local}
    assert len(offsets) == 2, "the series must straddle the change"
    utc_hours = {f.astimezone(UTC).hour for f in fires}
    assert len(utc_hours) == 2


def test_every_two_weeks_counts_from_the_anchor_week() -> None:
    rec = Recurrence(2, 2, time(9, 30), "UTC", anchor=date(2026, 3, 4))  # a Wednesday
    fires = _fires(rec, datetime(2026, 3, 1, tzinfo=UTC), 3)
    assert [f.date() for f in fires] == [date(2026, 3, 4), date(2026, 3, 18), date(2026, 4, 1)]


def test_the_next_occurrence_is_strictly_after_the_moment() -> None:
    rec = Recurrence(1, 0, time(10, 0), "UTC", anchor=date(2026, 3, 2))
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert rec.next_after(at) == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
