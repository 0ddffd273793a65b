from __future__ import annotations

from analytics.method.harm import group_priority, nominal_harm
from analytics.method.inputs import HarmEntry

TABLE = [
    HarmEntry("005/01", cchi_days=1460, ons_weight=2000),
    HarmEntry("092/01", cchi_days=548, ons_weight=1100),
    HarmEntry("046/01", cchi_days=3.5, ons_weight=10),
]
CODES = {"R1": "005/01", "R2": "092/01", "R3": "046/01", "R4": "999/99", "R5": "", "R6": "092/01"}
LINKS = [
    ("R1", "A", "SUSPECT"),
    ("R1", "A", "ARRESTED"),  # same record, second harm role: counted once
    ("R2", "A", "CHARGED"),
    ("R3", "A", "VICTIM"),  # not a harm role
    ("R3", "B", "OFFENDER"),
    ("R4", "B", "SUSPECT"),  # unknown code: contributes 0, counted
    ("R5", "C", "ARRESTED"),  # no code: contributes 0, counted
    ("R6", "D", "WITNESS"),  # not a harm role
]


def test_nominal_harm_by_hand():
    harm = nominal_harm(CODES, LINKS, TABLE)
    # A: R1 (1460 / 2000) + R2 (548 / 1100) = 2008 / 3100. B: R3 = 3.5 / 10.
    assert harm.of("A") == (2008.0, 3100.0)
    assert harm.of("B") == (3.5, 10.0)
    assert harm.of("C") == (0.0, 0.0)
    assert harm.of("D") == (0.0, 0.0)
    assert harm.unknown_offence_codes == {"999/99": 1}
    assert harm.records_without_offence_code == 1


def test_group_harm_and_priority():
    harm = nominal_harm(CODES, LINKS, TABLE)
    members = {1: ("B", "C", "D"), 2: ("A",), 3: ("E", "F"), 4: ("G", "H")}
    priority = group_priority(members, harm)
    # Group 2 has the most CCHI harm (2008); group 1 next (3.5); groups 3 and 4 have none and the
    # same size, so the group number decides.
    assert [g for g, p in sorted(priority.items(), key=lambda item: item[1].priority_rank)] == [2, 1, 3, 4]
    assert (priority[1].cchi, priority[1].ons, priority[1].size) == (3.5, 10.0, 3)


def test_size_breaks_ties_in_harm():
    harm = nominal_harm({}, [], TABLE)
    priority = group_priority({1: ("A",), 2: ("B", "C")}, harm)
    assert priority[2].priority_rank == 1
