"""Harm and group priority (METHOD.md section 5).

Nominal harm: over the records on which the nominal's role is SUSPECT, OFFENDER, ARRESTED or
CHARGED - each record once, however many of those roles the nominal has on it - the sum of the
record offence's `cchi_days` (Cambridge Crime Harm Index) and, separately, of its `ons_weight`
(ONS Crime Severity Score). A record whose offence code is not in the harm table contributes 0;
such records are counted for the data-quality report (only records that would have counted
against someone, since only they change a result).

Group harm is the sum over members; priority ranks groups by CCHI harm, then size, both
descending, then group number (so the ranking is a total order).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .inputs import HARM_ROLES, HarmEntry


@dataclass(frozen=True)
class NominalHarm:
    """`cchi`, `ons`: harm per nominal (nominals with no harm records are absent: harm 0).
    `unknown_offence_codes`: code -> number of harm-role records carrying it that are not in the
    table. `records_without_offence_code`: harm-role records with an empty offence code."""

    cchi: Mapping[str, float]
    ons: Mapping[str, float]
    unknown_offence_codes: Mapping[str, int]
    records_without_offence_code: int

    def of(self, nominal_id: str) -> tuple[float, float]:
        return self.cchi.get(nominal_id, 0.0), self.ons.get(nominal_id, 0.0)


def nominal_harm(
    offence_codes: Mapping[str, str],
    links: Iterable[tuple[str, str, str]],
    harm_index: Iterable[HarmEntry],
) -> NominalHarm:
    """Harm per nominal from `offence_codes` (record_id -> code, "" when none), `links`
    ((record_id, nominal_id, role) triples) and the harm table."""
    table = {entry.offence_code: entry for entry in harm_index}
    records_of: defaultdict[str, set[str]] = defaultdict(set)
    for record_id, nominal_id, role in links:
        if role in HARM_ROLES:
            records_of[nominal_id].add(record_id)

    unknown: Counter[str] = Counter()
    without_code = 0
    harm_records: set[str] = set().union(*records_of.values()) if records_of else set()
    for record_id in harm_records:
        code = offence_codes.get(record_id, "")
        if not code:
            without_code += 1
        elif code not in table:
            unknown[code] += 1

    cchi: dict[str, float] = {}
    ons: dict[str, float] = {}
    for nominal_id, record_ids in records_of.items():
        entries = [table[c] for c in (offence_codes.get(r, "") for r in record_ids) if c in table]
        if entries:
            cchi[nominal_id] = math.fsum(entry.cchi_days for entry in entries)
            ons[nominal_id] = math.fsum(entry.ons_weight for entry in entries)
    return NominalHarm(cchi, ons, dict(sorted(unknown.items())), without_code)


@dataclass(frozen=True)
class GroupHarm:
    group: int
    size: int
    cchi: float
    ons: float
    priority_rank: int


def group_priority(members: Mapping[int, Sequence[str]], harm: NominalHarm) -> dict[int, GroupHarm]:
    """Harm of each group (sum over members) and its priority rank (1 = first to task)."""
    totals = {
        group: (
            math.fsum(harm.cchi.get(n, 0.0) for n in group_members),
            math.fsum(harm.ons.get(n, 0.0) for n in group_members),
        )
        for group, group_members in members.items()
    }
    ranked = sorted(members, key=lambda g: (-totals[g][0], -len(members[g]), g))
    return {
        group: GroupHarm(group, len(members[group]), *totals[group], priority_rank=rank)
        for rank, group in enumerate(ranked, start=1)
    }
