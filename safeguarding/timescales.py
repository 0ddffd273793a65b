"""Working days and the pathway's deadlines.

A step "within N working days" of an event is due at the end of the Nth working day after the
day of the event (Europe/London), where working days exclude weekends and the bank holidays of
England (the `holidays` package, not a hand-written list). A step is overdue once that moment
has passed, and escalated to the manager a further working day later.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone

END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The `days`th working day after `start` (0: `start` itself if it is a working day, else
    the next working day)."""
    day = start
    if days == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def end_of_working_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, END_OF_DAY))


def due_after(moment: datetime, days: int) -> datetime:
    """When a step of `days` working days that starts at `moment` is due."""
    return end_of_working_day(add_working_days(timezone.localtime(moment).date(), days))


def escalation_due(due: datetime) -> datetime:
    """One working day after `due`: when a late step goes to the manager."""
    return due_after(due, 1)
