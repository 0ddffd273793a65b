from __future__ import annotations

from datetime import date

import pytest

from analytics.method.inputs import Nominal
from analytics.method.people import (
    AGE_UNKNOWN,
    CHILD,
    VULNERABLE_ADULT,
    age_on,
    identify_people_for_safeguarding,
    is_child,
)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2008, 6, 30), date(2026, 6, 30), 18),  # 18th birthday: an adult that day
        (date(2008, 7, 1), date(2026, 6, 30), 17),  # the day before the 18th birthday
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # leap-day birth, non-leap year: not yet
        (date(2008, 2, 29), date(2026, 3, 1), 18),  # ...18 on 1 March
        (date(2008, 2, 29), date(2028, 2, 29), 20),  # leap year: on the day itself
        (date(2010, 12, 31), date(2026, 1, 1), 15),
    ],
)
def test_age_is_exact_birthday_arithmetic(born, on, age):
    assert age_on(born, on) == age


def test_is_child():
    assert is_child(date(2008, 7, 1), date(2026, 6, 30)) is True  # 18 tomorrow
    assert is_child(date(2008, 6, 30), date(2026, 6, 30)) is False  # 18 today
    assert is_child(None, date(2026, 6, 30)) is None


def test_is_child_born_on_29_february():
    # The 18th birthday of someone born on 29 February never falls in a leap year (18 is not a
    # multiple of 4): they become an adult on 1 March, not on 28 February.
    assert is_child(date(2008, 2, 29), date(2026, 2, 28)) is True
    assert is_child(date(2008, 2, 29), date(2026, 3, 1)) is False
    assert is_child(date(2012, 2, 29), date(2030, 2, 28)) is True


def test_people_to_safeguard_use_the_same_boundary():
    today = date(2026, 6, 30)
    nominals = {
        "TODAY18": Nominal("TODAY18", date(2008, 6, 30), "Coventry"),
        "TOMORROW18": Nominal("TOMORROW18", date(2008, 7, 1), "Coventry"),
        "LEAP": Nominal("LEAP", date(2008, 2, 29), "Coventry"),
    }
    on_28_february = identify_people_for_safeguarding(nominals, nominals, {}, [], date(2026, 2, 28))
    assert [p.nominal_id for p in on_28_february if p.category == CHILD] == ["LEAP", "TODAY18", "TOMORROW18"]
    people = identify_people_for_safeguarding(nominals, nominals, {}, [], today)
    assert [(p.nominal_id, p.category, p.age) for p in people] == [("TOMORROW18", CHILD, 17)]
    assert all(is_child(n.date_of_birth, today) == (n.nominal_id == "TOMORROW18") for n in nominals.values())


def test_children_unknown_ages_and_vulnerable_adults():
    today = date(2026, 6, 30)
    nominals = {
        "C1": Nominal("C1", date(2010, 1, 1), "Coventry"),
        "C2": Nominal("C2", date(2009, 5, 5), "Birmingham", frozenset({"VULNERABLE_ADULT"})),
        "U1": Nominal("U1", None, "Walsall"),
        "V1": Nominal("V1", date(1970, 1, 1), "Dudley", frozenset({"VULNERABLE_ADULT"})),
        "V2": Nominal("V2", date(1980, 1, 1), "Sandwell"),  # victim on a cuckooing record
        "V3": Nominal("V3", date(1985, 1, 1), "Sandwell"),  # victim, but not of cuckooing
        "A1": Nominal("A1", date(1990, 1, 1), "Solihull"),
        "OUT": Nominal("OUT", date(2012, 1, 1), "Coventry"),  # a child, but not kept
    }
    victims = {"V2": ["R9", "R1"], "V3": ["R2"], "C1": ["R1"]}
    people = identify_people_for_safeguarding(
        ["V3", "V2", "V1", "U1", "C2", "C1", "A1"], nominals, victims, ["R1"], today
    )
    summary = [(p.nominal_id, p.category, p.route_to, p.consent_required) for p in people]
    assert summary == [
        ("C1", CHILD, "Coventry", False),
        ("C2", CHILD, "Birmingham", False),  # a child whatever the flags
        ("V1", VULNERABLE_ADULT, None, True),
        ("V2", VULNERABLE_ADULT, None, True),
        ("U1", AGE_UNKNOWN, None, False),  # listed for review, not routed
    ]
    assert people[0].reasons == ("aged 16 on 2026-06-30", "VICTIM on cuckooing record(s) R1")
    assert people[3].reasons == ("VICTIM on cuckooing record(s) R1",)
