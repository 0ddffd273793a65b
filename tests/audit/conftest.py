"""Fixtures of the misuse tests: a frozen working week in the future, a way to act at a given
moment through the real services, and the cursor moved past whatever the shared fixtures did."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

LONDON = ZoneInfo("Europe/London")


def _next_wednesday() -> date:
    # A week ahead at least, so accounts created "now" by the fixtures are not dormant and the
    # planted days are after everything the fixtures did.
    day = date.today() + timedelta(days=7)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return day


BASE = _next_wednesday()


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment, UK time, `day_offset` days from the base Wednesday."""
    return datetime.combine(BASE + timedelta(days=day_offset), time(hour, minute), LONDON)


class Clock:
    """Run a service call at a frozen moment: `clock.do(at(0, 9), record_access, ...)`."""

    def do(self, moment: datetime, function, /, *args, **kwargs):
        with time_machine.travel(moment, tick=False):
            return function(*args, **kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fresh_rules(db):
    """Evaluate once (and discard) so a test's own pass sees only what it planted."""
    from portal.audit.misuse import evaluate_rules

    def reset() -> None:
        evaluate_rules()

    return reset
