"""Working days and the pathway's deadlines: weekends and England's bank holidays never count,
a step is due at the end of its last working day, overdue the moment after, and escalated a
working day later. Cases are built through the real services at a frozen time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from safeguarding.models import Case, CaseKind, Timescales
from safeguarding.pathway import case_transition
from safeguarding.reminders import reminders_send
from safeguarding.services import case_create
from safeguarding.timescales import add_working_days, due_after, escalation_due, is_working_day

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def end_of(year: int, month: int, day: int) -> datetime:
    return london(year, month, day, 23, 59, 59)


def identified_at(personas, moment: datetime, *, authority: str = "birmingham") -> Case:
    with time_machine.travel(moment, tick=False):
        return case_create(
            actor=personas.analyst,
            kind=CaseKind.CHILD,
            forenames="Reece",
            surname="Harbottle",
            date_of_birth=date(2010, 5, 1),
            local_authority=personas.agencies[authority],
        )


def referred_at(personas, moment: datetime, *, authority: str = "birmingham") -> Case:
    case = identified_at(personas, moment, authority=authority)
    with time_machine.travel(moment, tick=False):
        return case_transition(
            actor=personas.supervisor,
            case_id=case.pk,
            to="referred",
            data={"concern": "A child at risk of exploitation by a county line."},
        )


# --- the calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 6, 5), True),  # a Friday
        (date(2026, 6, 6), False),  # Saturday
        (date(2026, 6, 7), False),  # Sunday
        (date(2027, 3, 26), False),  # Good Friday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2026, 12, 25), False),  # Christmas Day, a Friday
        (date(2026, 12, 26), False),  # Boxing Day falls on a Saturday...
        (date(2026, 12, 28), False),  # ...so the bank holiday is the Monday
        (date(2026, 12, 29), True),
    ],
)
def test_weekends_and_englands_bank_holidays_are_not_working_days(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 6, 5), 1, date(2026, 6, 8)),  # Friday + 1: Monday
        (date(2026, 6, 5), 5, date(2026, 6, 12)),
        (date(2026, 6, 6), 0, date(2026, 6, 8)),  # a Saturday starts on the Monday
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # Maundy Thursday + 1: past Easter, Tuesday
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # Christmas Eve + 1: past the 28th, Tuesday
        (date(2026, 12, 23), 2, date(2026, 12, 29)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day, then a weekend
    ],
)
def test_adding_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_a_step_is_due_at_the_end_of_its_last_working_day_in_london_time():
    # 23:30 UTC on a summer Friday is already Saturday in London: the clock that counts is London's.
    assert due_after(datetime(2026, 6, 5, 23, 30, tzinfo=ZoneInfo("UTC")), 1) == end_of(2026, 6, 8)
    # A winter evening: London is on GMT, and the day is still Friday.
    assert due_after(datetime(2026, 12, 4, 23, 30, tzinfo=ZoneInfo("UTC")), 1) == end_of(2026, 12, 7)


def test_escalation_is_one_working_day_after_the_deadline():
    assert escalation_due(end_of(2026, 6, 4)) == end_of(2026, 6, 5)  # Thursday: Friday
    assert escalation_due(end_of(2026, 6, 5)) == end_of(2026, 6, 8)  # Friday: Monday, not Saturday
    assert escalation_due(end_of(2027, 3, 25)) == end_of(2027, 3, 30)  # over Easter
    assert escalation_due(end_of(2026, 12, 24)) == end_of(2026, 12, 29)  # over Christmas


# --- the deadlines the pathway sets -------------------------------------------------------------


def test_a_case_identified_on_a_friday_is_due_for_police_review_on_monday_end_of_day(personas):
    case = identified_at(personas, london(2026, 6, 5, 10))
    assert case.next_due_step == "police review"
    assert case.next_due_at == end_of(2026, 6, 8)
    assert Case.objects.get(pk=case.pk).next_due_at == end_of(2026, 6, 8)


def test_a_referral_on_a_friday_afternoon_is_due_for_the_mash_on_monday(personas):
    case = referred_at(personas, london(2026, 6, 5, 16, 45))
    assert case.next_due_step == "MASH decision"
    assert case.next_due_at == end_of(2026, 6, 8)


def test_the_deadline_skips_good_friday_and_easter_monday(personas):
    case = identified_at(personas, london(2027, 3, 25, 11))  # Maundy Thursday
    assert case.next_due_at == end_of(2027, 3, 30)


def test_the_deadline_skips_christmas_and_the_observed_boxing_day(personas):
    case = identified_at(personas, london(2026, 12, 24, 9))
    assert case.next_due_at == end_of(2026, 12, 29)
    referred = referred_at(personas, london(2026, 12, 23, 15))
    assert referred.next_due_at == end_of(2026, 12, 24)


def test_an_authoritys_own_timescales_change_the_due_date(personas):
    # Each authority's timescales are configuration, kept in the admin.
    Timescales.objects.create(
        local_authority=personas.agencies["birmingham"], police_review_days=3, mash_decision_days=2
    )
    monday = london(2026, 6, 8, 10)
    assert identified_at(personas, monday).next_due_at == end_of(2026, 6, 11)
    assert referred_at(personas, monday).next_due_at == end_of(2026, 6, 10)
    # Coventry keeps the defaults: one working day.
    assert identified_at(personas, monday, authority="coventry").next_due_at == end_of(2026, 6, 9)


def test_a_step_becomes_overdue_exactly_when_its_deadline_passes(personas):
    case = referred_at(personas, london(2026, 6, 5, 10))
    deadline = case.next_due_at
    assert deadline is not None
    with time_machine.travel(deadline, tick=False):
        assert not Case.objects.get(pk=case.pk).overdue
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        assert Case.objects.get(pk=case.pk).overdue


def test_each_step_sets_the_next_deadline_and_clears_the_escalation(personas):
    case = referred_at(personas, london(2026, 6, 4, 10))  # Thursday: due Friday
    assert (case.next_due_step, case.next_due_at) == ("MASH decision", end_of(2026, 6, 5))
    with time_machine.travel(london(2026, 6, 9, 9), tick=False):  # Tuesday, after the escalation
        reminders_send()
        assert Case.objects.get(pk=case.pk).escalated_at is not None
        screened = case_transition(actor=personas.mash_birmingham, case_id=case.pk, to="screening", data={})
    assert (screened.next_due_step, screened.next_due_at) == ("screening", end_of(2026, 6, 10))
    assert Case.objects.get(pk=case.pk).escalated_at is None
