"""People who must be safeguarded (METHOD.md section 6).

- Child: under 18 on the run's reference date, by exact birthday arithmetic. Someone born on
  29 February reaches a new age on 1 March in years without a 29 February (as English law counts
  it: the anniversary has not happened on 28 February). Every kept child is identified whatever
  their role and routed to the MASH of their local authority. `is_child` is the one statement of
  this rule: the people to safeguard and the result document's `is_child` both ask it, so they
  cannot disagree about who is a child.
- Age unknown: a kept nominal without a date of birth is listed for review and not routed.
- Vulnerable adult: a kept adult flagged VULNERABLE_ADULT, or a VICTIM on a record that matched
  a term of the group marked `marks_cuckooing` (by default CUCKOO; the mark, not the name,
  decides). Identified; their details reach partner agencies only once consent is recorded
  (`consent_required`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .inputs import VICTIM_ROLE, VULNERABLE_ADULT_FLAG, Nominal

ADULT_AGE = 18
CHILD = "child"
AGE_UNKNOWN = "age unknown"
VULNERABLE_ADULT = "vulnerable adult"


def age_on(date_of_birth: date, reference_date: date) -> int:
    """Completed years of age on `reference_date`."""
    had_birthday = (reference_date.month, reference_date.day) >= (date_of_birth.month, date_of_birth.day)
    return reference_date.year - date_of_birth.year - (0 if had_birthday else 1)


def is_child(date_of_birth: date | None, reference_date: date) -> bool | None:
    """True under 18, False 18 or over, None when the date of birth is unknown.

    On the 18th birthday itself a person is an adult; the day before, a child."""
    if date_of_birth is None:
        return None
    return age_on(date_of_birth, reference_date) < ADULT_AGE


@dataclass(frozen=True)
class PersonToSafeguard:
    """One kept nominal needing action. `route_to` is the local authority whose MASH receives a
    child referral (None when not routed); `reasons` say why, in words."""

    nominal_id: str
    category: str
    age: int | None
    local_authority: str
    route_to: str | None
    consent_required: bool
    reasons: tuple[str, ...]


def identify_people_for_safeguarding(
    kept: Iterable[str],
    nominals: Mapping[str, Nominal],
    victim_records: Mapping[str, Iterable[str]],
    cuckoo_records: Iterable[str],
    reference_date: date,
) -> list[PersonToSafeguard]:
    """Children, nominals of unknown age, and vulnerable adults among the kept nominals, sorted by
    category (children first) then id.

    `victim_records`: nominal_id -> records on which the nominal is a VICTIM.
    `cuckoo_records`: records that matched a term of the group marking cuckooing.
    """
    cuckoo = set(cuckoo_records)
    people = []
    for nominal_id in sorted(kept):
        nominal = nominals.get(nominal_id, Nominal(nominal_id))
        indicators = []
        if VULNERABLE_ADULT_FLAG in nominal.flags:
            indicators.append(f"flagged {VULNERABLE_ADULT_FLAG}")
        cuckoo_victim = sorted(set(victim_records.get(nominal_id, ())) & cuckoo)
        if cuckoo_victim:
            indicators.append(f"{VICTIM_ROLE} on cuckooing record(s) {', '.join(cuckoo_victim)}")

        child = is_child(nominal.date_of_birth, reference_date)
        if child is None:
            reasons = ("no date of birth recorded: age must be checked", *indicators)
            people.append(_person(nominal, AGE_UNKNOWN, None, None, False, reasons))
            continue
        assert nominal.date_of_birth is not None  # is_child answers None only without one
        age = age_on(nominal.date_of_birth, reference_date)
        if child:
            reasons = (f"aged {age} on {reference_date.isoformat()}", *indicators)
            route = nominal.local_authority or None
            people.append(_person(nominal, CHILD, age, route, False, reasons))
        elif indicators:
            people.append(_person(nominal, VULNERABLE_ADULT, age, None, True, tuple(indicators)))
    order = {CHILD: 0, VULNERABLE_ADULT: 1, AGE_UNKNOWN: 2}
    return sorted(people, key=lambda person: (order[person.category], person.nominal_id))


def _person(
    nominal: Nominal,
    category: str,
    age: int | None,
    route_to: str | None,
    consent_required: bool,
    reasons: tuple[str, ...],
) -> PersonToSafeguard:
    return PersonToSafeguard(
        nominal_id=nominal.nominal_id,
        category=category,
        age=age,
        local_authority=nominal.local_authority,
        route_to=route_to,
        consent_required=consent_required,
        reasons=reasons,
    )
