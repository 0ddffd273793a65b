"""Deterministic synthetic West Midlands bundles: planted county lines in a sea of ordinary crime.

`generate_bundle(out_dir, seed=..., scale=...)` writes nominals.csv, records.csv,
record_nominals.csv, associations.csv, soc_groups.csv and truth.json. The same seed and scale
always give the same bytes: every draw comes from random.Random instances seeded from `seed`,
nothing depends on the clock, hash order or the platform, and records are written as they are
made (memory stays flat; a million records take a few tens of MB).
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from .offences import (
    ADULT_MISSING_TEMPLATES,
    ARREST_OUTCOMES,
    CHILD_MISSING_TEMPLATES,
    CUSTODY_TEMPLATES,
    INTELLIGENCE_TEMPLATES,
    LOOKED_AFTER_MISSING_TEMPLATES,
    OFFENCE_BY_CODE,
    OFFENCES,
    PRISON_TEMPLATES,
    RARE_INTELLIGENCE_TEMPLATES,
    Offence,
)
from .population import LAC, Population, nominal_id
from .storylines import PlantedRecord, Storylines, plan_storylines, storyline_records
from .text import Slots, fill, roughen

SCALES: dict[str, int] = {"small": 10_000, "medium": 1_000_000, "large": 5_000_000}
"""Number of records per named scale."""

FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2026, 5, 31)
REFERENCE_DATE = date(2026, 6, 30)
"""A reference date at which every planted child is under 18 (they stay so until mid-2027)."""

# Shares of background records by source system: crime reports dominate, then intelligence logs.
_SOURCE_SHARES: tuple[tuple[str, float], ...] = (
    ("CRIMES", 0.45),
    ("IMS", 0.28),
    ("ICIS", 0.17),
    ("COMPACT", 0.08),
    ("PINS", 0.02),
)
_PRISON_OFFENCES: tuple[tuple[str, float], ...] = (
    ("092/01", 3),
    ("028/01", 2),
    ("034/01", 2),
    ("005/01", 1),
    ("008/02", 2),
    ("092/02", 1),
    ("010/02", 1),
    ("053/01", 1),
    ("046/01", 1),
    ("008/01", 1),
    ("106/01", 0.1),
)
_RARE_TEMPLATE_SHARE = 0.02
_ID_FORMATS = {
    "CRIMES": "CR/{seq:07d}/{yy:02d}",
    "IMS": "IMS-{seq:08d}",
    "ICIS": "CU-{seq:08d}",
    "PINS": "PINS{seq:07d}",
    "COMPACT": "MP/{seq:07d}/{yy:02d}",
}
_ASSOCIATION_KINDS: tuple[tuple[str, float], ...] = (
    ("FAMILY", 0.35),
    ("PARTNER", 0.25),
    ("EX_PARTNER", 0.1),
    ("ASSOCIATE", 0.3),
)


@dataclass(frozen=True)
class GeneratedBundle:
    """Where a bundle was written, and how many rows of each kind (plus planted_records and
    innocent_mentions: background records using a search term or near-miss innocently)."""

    path: Path
    seed: int
    scale: str
    counts: dict[str, int]


@dataclass(frozen=True)
class _Plan:
    records: int
    nominals: int
    lines: int
    soc_with_lines: int
    soc_without_lines: int
    background_associations: int


def _plan(scale: str | int) -> _Plan:
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)} or a number of records")
        records = SCALES[scale]
    else:
        records = int(scale)
        if records < 500:
            raise ValueError("scale must be at least 500 records")
    # Around 50 lines were known to WMP at a time; sqrt keeps lines sparse as data grows.
    lines = max(2, round(6 * math.sqrt(records / 10_000)))
    nominals = max(600, records * 3 // 10)
    return _Plan(
        records=records,
        nominals=nominals,
        lines=lines,
        soc_with_lines=max(1, round(lines * 0.35)),
        soc_without_lines=max(1, round(lines * 0.25)),
        background_associations=nominals // 12,
    )


def generate_bundle(out_dir: str | os.PathLike[str], *, seed: int, scale: str | int = "small") -> GeneratedBundle:
    """Write a synthetic bundle into `out_dir` (created if needed; files are overwritten).

    `scale` is "small" (~10k records), "medium" (~1M), "large" (~5M) or a number of records
    (at least 500). The result passes `analytics.bundle.validate_bundle`.
    """
    plan = _plan(scale)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    master = random.Random(seed)
    # One stream per stage, so that changing one stage leaves the others' draws alone.
    rng_story, rng_place, rng_people, rng_planted, rng_records, rng_links = (
        random.Random(master.getrandbits(64)) for _ in range(6)
    )

    storylines = plan_storylines(
        rng_story,
        lines=plan.lines,
        soc_with_lines=plan.soc_with_lines,
        soc_without_lines=plan.soc_without_lines,
    )
    population = Population(plan.nominals)
    population.place(rng_place, storylines.people)
    with _open_csv(out / "nominals.csv") as stream:
        population.write_nominals(rng_people, stream)

    planted, planted_associations = storyline_records(rng_planted, storylines, population)
    planted.sort(key=lambda record: record.day)  # stable: ties keep creation order
    with _open_csv(out / "records.csv") as records_stream, _open_csv(out / "record_nominals.csv") as links_stream:
        counts = _write_records(rng_records, plan, population, planted, storylines, records_stream, links_stream)

    with _open_csv(out / "associations.csv") as stream:
        counts["associations"] = _write_associations(rng_links, plan, population, planted_associations, stream)
    with _open_csv(out / "soc_groups.csv") as stream:
        writer = csv.writer(stream)
        writer.writerow(["soc_group_id", "nominal_id"])
        memberships = 0
        for group in storylines.soc_groups:
            for person in group.members:
                writer.writerow([group.soc_group_id, person.nominal_id])
                memberships += 1
        counts["soc_groups"] = memberships
    counts["nominals"] = plan.nominals

    truth = _truth(seed, scale, storylines, counts)
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return GeneratedBundle(path=out, seed=seed, scale=str(scale), counts=counts)


def _open_csv(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="", buffering=1 << 20)


class _Cumulative:
    """Weighted choice by bisection over cumulative weights."""

    def __init__(self, items: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _ in items]
        total = float(sum(weight for _, weight in items))
        self.bounds = list(_running(weight / total for _, weight in items))

    def pick(self, roll: float) -> Any:
        return self.items[min(bisect.bisect_right(self.bounds, roll), len(self.items) - 1)]


def _running(values: Any) -> Any:
    total = 0.0
    for value in values:
        total += value
        yield total


def _write_records(
    rng: random.Random,
    plan: _Plan,
    population: Population,
    planted: list[PlantedRecord],
    storylines: Storylines,
    records_stream: TextIO,
    links_stream: TextIO,
) -> dict[str, int]:
    records = csv.writer(records_stream)
    links = csv.writer(links_stream)
    records.writerow(["record_id", "source", "recorded_at", "offence_code", "text"])
    links.writerow(["record_id", "nominal_id", "role"])
    storyline_ids: dict[str, list[str]] = {line.line_id: line.record_ids for line in storylines.lines}
    storyline_ids.update({g.soc_group_id: g.record_ids for g in storylines.soc_groups})
    background = _Background(rng, population)
    first, last = FIRST_DAY.toordinal(), LAST_DAY.toordinal()
    span = last - first + 1
    count = max(0, plan.records - len(planted))
    day_text: dict[int, str] = {}
    sequence = 0
    link_count = 0
    next_planted = 0

    def write(day: int, source: str, code: str, text: str, linked: list[tuple[int, str]]) -> str:
        nonlocal sequence, link_count
        sequence += 1
        iso = day_text.get(day)
        if iso is None:
            iso = day_text[day] = date.fromordinal(day).isoformat()
        record_id = _ID_FORMATS[source].format(seq=sequence, yy=int(iso[2:4]))
        records.writerow([record_id, source, iso, code, text])
        for position, role in linked:
            links.writerow([record_id, nominal_id(position), role])
        link_count += len(linked)
        return record_id

    for index in range(count):
        day = first + (index * span) // count
        while next_planted < len(planted) and planted[next_planted].day <= day:
            record = planted[next_planted]
            record_id = write(record.day, record.source, record.offence_code, record.text, record.links)
            storyline_ids[record.storyline].append(record_id)
            next_planted += 1
        write(day, *background.record(day))
    for record in planted[next_planted:]:
        storyline_ids[record.storyline].append(
            write(record.day, record.source, record.offence_code, record.text, record.links)
        )
    return {
        "records": sequence,
        "record_nominals": link_count,
        "planted_records": len(planted),
        "innocent_mentions": background.innocent_mentions,
    }


class _Background:
    """Ordinary records: the vast majority of a force's data, unrelated to county lines."""

    def __init__(self, rng: random.Random, population: Population) -> None:
        self.rng = rng
        self.population = population
        self.sources = _Cumulative(_SOURCE_SHARES)
        self.crimes = _Cumulative([(offence, offence.weight) for offence in OFFENCES])
        self.arrests = _Cumulative([(offence, offence.weight * offence.p_suspect) for offence in OFFENCES])
        self.prison = _Cumulative([(OFFENCE_BY_CODE[code], weight) for code, weight in _PRISON_OFFENCES])
        self.innocent_mentions = 0
        self._template_cache: dict[tuple[str, bool, bool, bool], tuple[str, ...]] = {}

    def record(self, day: int) -> tuple[str, str, str, list[tuple[int, str]]]:
        source = self.sources.pick(self.rng.random())
        if source == "CRIMES":
            return self._crime(day)
        if source == "IMS":
            return self._intelligence(day)
        if source == "ICIS":
            return self._custody(day)
        if source == "COMPACT":
            return self._missing(day)
        return self._prison(day)

    def _name(self, position: int) -> str:
        return self.population.name(self.rng, position)

    def _text(self, template: str, day: int, position: int | None, **names: str) -> str:
        local_authority = self.population.local_authority_of(position) if position is not None else "Birmingham"
        return roughen(self.rng, fill(template, Slots(self.rng, local_authority, **names)))

    def _template(self, common: Sequence[str], rare: Sequence[str]) -> str:
        if rare and self.rng.random() < _RARE_TEMPLATE_SHARE:
            self.innocent_mentions += 1
            return self.rng.choice(rare)
        return self.rng.choice(common)

    def _crime(self, day: int) -> tuple[str, str, str, list[tuple[int, str]]]:
        rng, population = self.rng, self.population
        offence: Offence = self.crimes.pick(rng.random())
        linked: list[tuple[int, str]] = []
        names: dict[str, str] = {}
        if rng.random() < offence.p_victim:
            victim = population.pick(rng, day, 8)
            linked.append((victim, "VICTIM"))
            names["v"] = self._name(victim)
        if rng.random() < offence.p_suspect:
            suspect = population.pick(rng, day, offence.min_suspect_age, 75, prolific_share=0.35)
            if all(suspect != p for p, _ in linked):
                linked.append((suspect, "OFFENDER" if rng.random() < 0.3 else "SUSPECT"))
                names["s"] = self._name(suspect)
            if rng.random() < 0.08:
                other = population.pick(rng, day, offence.min_suspect_age, 60)
                if all(other != p for p, _ in linked):
                    linked.append((other, "SUSPECT"))
        if rng.random() < offence.p_witness:
            witness = population.pick(rng, day, 14)
            if all(witness != p for p, _ in linked):
                linked.append((witness, "WITNESS"))
                names["w"] = self._name(witness)
        rare = bool(offence.rare_templates) and rng.random() < _RARE_TEMPLATE_SHARE
        if rare:
            self.innocent_mentions += 1
        template = rng.choice(self._crime_templates(offence, rare, "s" in names, "v" in names))
        home = linked[0][0] if linked else None
        return "CRIMES", offence.code, self._text(template, day, home, **names), linked

    def _crime_templates(self, offence: Offence, rare: bool, has_suspect: bool, has_victim: bool) -> tuple[str, ...]:
        """Templates that name exactly the people on the record, as far as the offence has them."""
        key = (offence.code, rare, has_suspect, has_victim)
        found = self._template_cache.get(key)
        if found is None:
            pool = offence.rare_templates if rare else offence.templates
            exact = tuple(t for t in pool if ("{s}" in t) == has_suspect and ("{v}" in t) == has_victim)
            # Otherwise a template needing no stand-in name (a victim may go unnamed in text).
            unnamed = tuple(t for t in pool if ("{s}" in t) == has_suspect and (has_victim or "{v}" not in t))
            by_suspect = tuple(t for t in pool if ("{s}" in t) == has_suspect)
            found = exact or unnamed or by_suspect or pool
            self._template_cache[key] = found
        return found

    def _intelligence(self, day: int) -> tuple[str, str, str, list[tuple[int, str]]]:
        rng, population = self.rng, self.population
        template = self._template(INTELLIGENCE_TEMPLATES, RARE_INTELLIGENCE_TEMPLATES)
        linked: list[tuple[int, str]] = []
        names: dict[str, str] = {}
        if "{s}" in template:
            subject = population.pick(rng, day, 14, 80, prolific_share=0.25)
            linked.append((subject, "SUBJECT"))
            names["s"] = self._name(subject)
            if "{s2}" in template:
                other = population.pick(rng, day, 14, 80, prolific_share=0.15)
                if other != subject:
                    linked.append((other, "SUBJECT"))
                    names["s2"] = self._name(other)
        home = linked[0][0] if linked else None
        return "IMS", "", self._text(template, day, home, **names), linked

    def _custody(self, day: int) -> tuple[str, str, str, list[tuple[int, str]]]:
        rng, population = self.rng, self.population
        offence: Offence = self.arrests.pick(rng.random())
        person = population.pick(rng, day, max(offence.min_suspect_age, 10), 75, prolific_share=0.35)
        outcome = rng.choice(ARREST_OUTCOMES)
        linked = [(person, "ARRESTED")]
        if outcome.startswith("Charged"):
            linked.append((person, "CHARGED"))
        text = self._text(
            rng.choice(CUSTODY_TEMPLATES),
            day,
            person,
            s=self._name(person),
            offence=offence.description,
            outcome=outcome,
        )
        if population.age_on(person, day) < 18:
            text += " Juvenile - appropriate adult present."
        return "ICIS", offence.code, text, linked

    def _missing(self, day: int) -> tuple[str, str, str, list[tuple[int, str]]]:
        rng, population = self.rng, self.population
        child = population.pick_child(rng, day) if rng.random() < 0.65 else None
        if child is not None:
            person = child
            looked_after = population.flags[child] & LAC
            template = rng.choice(LOOKED_AFTER_MISSING_TEMPLATES if looked_after else CHILD_MISSING_TEMPLATES)
        else:
            template = rng.choice(ADULT_MISSING_TEMPLATES)
            elderly = "dementia" in template
            person = population.pick(rng, day, 70 if elderly else 18, 100 if elderly else 80)
        gender = "female" if population.female[person] else "male"
        text = self._text(
            template,
            day,
            person,
            s=self._name(person),
            gender=gender,
            age=str(population.age_on(person, day)),
        )
        return "COMPACT", "", text, [(person, "MISSING_PERSON")]

    def _prison(self, day: int) -> tuple[str, str, str, list[tuple[int, str]]]:
        rng, population = self.rng, self.population
        offence: Offence = self.prison.pick(rng.random())
        person = population.pick(rng, day, 18, 75, prolific_share=0.5)
        text = self._text(
            rng.choice(PRISON_TEMPLATES),
            day,
            person,
            s=self._name(person),
            offence=offence.description,
        )
        return "PINS", offence.code, text, [(person, "SUBJECT")]


def _write_associations(
    rng: random.Random,
    plan: _Plan,
    population: Population,
    planted: list[tuple[int, int, str]],
    stream: TextIO,
) -> int:
    kinds = _Cumulative(_ASSOCIATION_KINDS)
    seen: set[tuple[int, int, str]] = set()
    rows: list[tuple[int, int, str]] = []
    for a, b, kind in planted:
        key = (min(a, b), max(a, b), kind)
        if a != b and key not in seen:
            seen.add(key)
            rows.append((a, b, kind))
    day = LAST_DAY.toordinal()
    for _ in range(plan.background_associations):
        a = population.pick(rng, day, 14)
        b = population.pick(rng, day, 14)
        kind = kinds.pick(rng.random())
        key = (min(a, b), max(a, b), kind)
        if a != b and key not in seen:
            seen.add(key)
            rows.append((a, b, kind))
    rng.shuffle(rows)  # planted associations must not sit together at the top of the file
    writer = csv.writer(stream)
    writer.writerow(["nominal_id_a", "nominal_id_b", "kind"])
    for a, b, kind in rows:
        writer.writerow([nominal_id(a), nominal_id(b), kind])
    return len(rows)


def _truth(seed: int, scale: str | int, storylines: Storylines, counts: dict[str, int]) -> dict[str, Any]:
    def ids(people: Sequence[Any]) -> list[str]:
        return [person.nominal_id for person in people]

    lines_by_soc: dict[str, list[str]] = {}
    for line in storylines.lines:
        for soc_id in line.soc_groups:
            lines_by_soc.setdefault(soc_id, []).append(line.line_id)
    return {
        "generator": "analytics.synthetic",
        "version": 1,
        "seed": seed,
        "scale": scale,
        "reference_date": REFERENCE_DATE.isoformat(),
        "period": {"from": FIRST_DAY.isoformat(), "to": LAST_DAY.isoformat()},
        "counts": counts,
        "lines": [
            {
                "line_id": line.line_id,
                "name": line.name,
                "local_authority": line.local_authority,
                "home_area": line.home_area,
                "supply_towns": line.supply_towns,
                "active_from": line.start.isoformat(),
                "active_to": line.end.isoformat(),
                "holders": ids(line.holders),
                "members": ids(line.members),
                "children": ids(line.children),
                "looked_after_children": ids([c for c in line.children if c.flags & LAC]),
                "cuckooed_adults": ids(line.cuckooed),
                "no_date_of_birth": ids([p for p in line.people if p.date_of_birth is None]),
                "soc_groups": line.soc_groups,
                "records": line.record_ids,
            }
            for line in storylines.lines
        ],
        "soc_groups": [
            {
                "soc_group_id": group.soc_group_id,
                "theme": group.theme,
                "local_authority": group.local_authority,
                "members": ids(group.members),
                "overlaps_lines": lines_by_soc.get(group.soc_group_id, []),
                "records": group.record_ids,
            }
            for group in storylines.soc_groups
        ],
    }
