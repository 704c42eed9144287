"""When a recurring session fires: a weekday and wall-clock time in the schedule's zone.

Occurrences are built from the local date and time, so 10:00 Europe/Berlin stays 10:00 local on
both sides of a daylight-saving change. "Every N weeks" counts weeks from the schedule's anchor
week (the week it was created in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.engine.timing import zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Recurrence:
    every_weeks: int
    weekday: int  # 0 = Monday
    at: time
    timezone: str
    anchor: date  # any date in the first week that counts

    def _anchor_monday(self) -> date:
        return self.anchor - timedelta(days=self.anchor.weekday())

    def _in_cycle(self, day: date) -> bool:
        weeks = (day - self._anchor_monday()).days // 7
        return weeks >= 0 and weeks % self.every_weeks == 0

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment`."""
        tz = zone(self.timezone)
        day = moment.astimezone(tz).date()
        day += timedelta(days=(self.weekday - day.weekday()) % 7)
        while True:
            candidate = datetime.combine(day, self.at, tzinfo=tz)
            if candidate > moment and self._in_cycle(day):
                return candidate
            day += timedelta(days=7)

    def describe(self, moment: datetime) -> str:
        local = moment.astimezone(zone(self.timezone))
        return f"{local:%A %d %B} {local:%H:%M} {self.timezone}"
