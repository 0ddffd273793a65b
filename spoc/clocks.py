"""Service levels and the clock on each request.

A provider's service level for a category says how long it has to acknowledge a request once it
is sent, and to fulfil it once acknowledged, in clock hours or in working days (England's working
days: `safeguarding.timescales`, weekends and bank holidays from the `holidays` package). A
provider's own row wins over the default row; with neither, DEFAULTS apply:

- threat to life: acknowledge within 1 hour, fulfil within 4 hours;
- child sexual or criminal exploitation: acknowledge within 1 working day, fulfil within 5;
- other serious crime: acknowledge within 5 working days, fulfil within 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from safeguarding.timescales import due_after, is_working_day

from .models import Category, ClockUnit, ServiceLevel

H, WD = ClockUnit.HOURS, ClockUnit.WORKING_DAYS


@dataclass(frozen=True)
class Level:
    acknowledge_amount: int
    acknowledge_unit: str
    fulfil_amount: int
    fulfil_unit: str


DEFAULTS: dict[str, Level] = {
    Category.THREAT_TO_LIFE: Level(1, H, 4, H),
    Category.CHILD_SEXUAL_EXPLOITATION: Level(1, WD, 5, WD),
    Category.CHILD_CRIMINAL_EXPLOITATION: Level(1, WD, 5, WD),
    Category.OTHER_SERIOUS_CRIME: Level(5, WD, 10, WD),
}


def level_for(*, provider_id: int | None, category: str) -> Level:
    rows = {
        row.provider_id: row
        for row in ServiceLevel.objects.filter(category=category, provider_id__in=[provider_id])
        | ServiceLevel.objects.filter(category=category, provider__isnull=True)
    }
    row = rows.get(provider_id) or rows.get(None)
    if row is None:
        return DEFAULTS[category]
    return Level(row.acknowledge_amount, row.acknowledge_unit, row.fulfil_amount, row.fulfil_unit)


def due(start: datetime, amount: int, unit: str) -> datetime:
    """When something of `amount` `unit`s that starts at `start` is due."""
    if unit == H:
        return start + timedelta(hours=amount)
    return due_after(start, amount)


def elapsed_hours(start: datetime, end: datetime, unit: str) -> float:
    """Hours from `start` to `end`; for a working-day clock only the hours that fall on working
    days count (a request sent on Friday evening and answered on Monday morning has waited the
    Friday evening and the Monday morning, not the weekend)."""
    if end <= start:
        return 0.0
    if unit == H:
        return (end - start).total_seconds() / 3600
    start, end = timezone.localtime(start), timezone.localtime(end)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            day_start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
            day_end = day_start + timedelta(days=1)
            lo, hi = max(start, day_start), min(end, day_end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total / 3600
