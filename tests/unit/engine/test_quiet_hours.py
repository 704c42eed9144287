"""Quiet hours: a workspace's chosen local hours in which nothing is delivered."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.engine.model import DeliveryKind, RoundSettings, Tick
from bot.engine.timing import in_quiet_hours, into_daytime
from tests.unit.engine.helpers import T0, B, active


def test_quiet_hours_may_wrap_midnight_or_sit_inside_one_day() -> None:
    night = (time(21, 0), time(8, 0))
    assert in_quiet_hours(time(23, 30), *night) and in_quiet_hours(time(7, 59), *night)
    assert not in_quiet_hours(time(8, 0), *night) and not in_quiet_hours(time(20, 59), *night)
    lunch = (time(12, 0), time(13, 30))
    assert in_quiet_hours(time(12, 45), *lunch) and not in_quiet_hours(time(13, 30), *lunch)
    assert not in_quiet_hours(time(3, 0), time(0, 0), time(0, 0))  # equal ends: never quiet


def test_a_moment_in_quiet_hours_moves_to_when_they_end_in_local_time() -> None:
    berlin_2300 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    moved = into_daytime(berlin_2300, "Europe/Berlin", time(22, 30), time(7, 15))
    assert moved == datetime(2026, 3, 3, 6, 15, tzinfo=UTC)  # 07:15 Berlin next morning
    early = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # 05:00 in Berlin: same morning
    assert into_daytime(early, "Europe/Berlin", time(22, 30), time(7, 15)) == moved
    awake = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 Berlin is before 22:30
    assert into_daytime(awake, "Europe/Berlin", time(22, 30), time(7, 15)) == awake


def test_reminders_follow_the_rounds_quiet_hours() -> None:
    settings = RoundSettings(bank="test", quiet_from=time(18, 0), quiet_until=time(11, 0))
    driver = active(settings=settings)
    driver.do(Tick(), T0 + timedelta(hours=24))  # 10:00 UTC: still quiet until 11:00
    reminder = driver.of_kind(DeliveryKind.REMINDER, to=B)[0]
    assert reminder.not_before == T0 + timedelta(hours=25)
