"""Everyone in a synthetic bundle, kept as compact arrays so a million nominals fit in a few MB.

Nominals are numbered by position 0..size-1; their id is `nominal_id(position)`. Planted people
(county-line and SOC storylines) are placed at random positions among the background population
so that ids reveal nothing.
"""

from __future__ import annotations

import csv
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from .text import person_name
from .vocabulary import (
    FEMALE_FORENAMES,
    LOCAL_AUTHORITIES,
    LOCAL_AUTHORITY_WEIGHTS,
    MALE_FORENAMES,
    SURNAMES,
)

# Warning markers as police systems hold them; bit values index FLAG_NAMES.
FLAG_NAMES: tuple[str, ...] = (
    "LAC",
    "VULNERABLE_ADULT",
    "MENTAL_HEALTH",
    "DRUGS",
    "VIOLENCE",
    "WEAPONS",
)
LAC, VULNERABLE_ADULT, MENTAL_HEALTH, DRUGS, VIOLENCE, WEAPONS = (1 << i for i in range(6))

GENDERS = ("M", "F", "U")
NO_LOCAL_AUTHORITY = len(LOCAL_AUTHORITIES)

# Birth cohorts of background nominals: (earliest, latest, share). Police nominals are mostly
# young adults; children here are 10-17 in mid-2026.
_COHORTS: tuple[tuple[date, date, float], ...] = (
    (date(2008, 7, 1), date(2016, 6, 30), 0.12),
    (date(1996, 7, 1), date(2008, 6, 30), 0.35),
    (date(1981, 7, 1), date(1996, 6, 30), 0.30),
    (date(1961, 7, 1), date(1981, 6, 30), 0.17),
    (date(1936, 7, 1), date(1961, 6, 30), 0.06),
)
_YOUNG_BORN_AFTER = date(1996, 1, 1).toordinal()


def nominal_id(position: int) -> str:
    return f"N{position + 1:07d}"


def flag_text(bits: int) -> str:
    return ";".join(name for i, name in enumerate(FLAG_NAMES) if bits & (1 << i))


@dataclass
class Person:
    """A planted nominal, with everything written about them."""

    role: str  # holder, member, child, cuckooed, soc
    surname: str
    forenames: str
    gender: str
    date_of_birth: date | None
    local_authority: str
    flags: int = 0
    position: int = -1
    # Hidden real birth date, used to keep ages plausible even when date_of_birth is withheld.
    born: date = field(default=date(1990, 1, 1))

    @property
    def nominal_id(self) -> str:
        return nominal_id(self.position)

    def name(self, rng: random.Random) -> str:
        return person_name(rng, self.forenames, self.surname)


def make_person(
    rng: random.Random,
    *,
    role: str,
    born_from: date,
    born_to: date,
    local_authority: str,
    flags: int = 0,
    gender: str | None = None,
    withhold_date_of_birth: bool = False,
) -> Person:
    gender = gender or ("M" if rng.random() < 0.85 else "F")
    forenames = rng.choice(MALE_FORENAMES if gender == "M" else FEMALE_FORENAMES)
    born = date.fromordinal(rng.randint(born_from.toordinal(), born_to.toordinal()))
    return Person(
        role=role,
        surname=rng.choice(SURNAMES),
        forenames=forenames,
        gender=gender,
        date_of_birth=None if withhold_date_of_birth else born,
        local_authority=local_authority,
        flags=flags,
        born=born,
    )


class Population:
    """Background and planted nominals. Arrays are indexed by position."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.born = array("i", bytes(4 * size))  # date ordinals
        self.surname = array("H", bytes(2 * size))
        self.forename = array("H", bytes(2 * size))
        self.female = bytearray(size)
        self.local_authority = bytearray(size)
        self.flags = bytearray(size)
        self.planted = bytearray(size)
        self.planted_people: dict[int, Person] = {}
        self.young = array("i")  # background, born 1996 or later (children and young adults)
        self.looked_after = array("i")  # background children flagged LAC
        self.prolific = array("i")  # background adults who appear again and again as suspects

    def place(self, rng: random.Random, people: Sequence[Person]) -> None:
        """Give each planted person a random, distinct position."""
        for person, position in zip(people, rng.sample(range(self.size), len(people)), strict=True):
            person.position = position
            self.planted[position] = 1
            self.planted_people[position] = person
            self.born[position] = person.born.toordinal()
            self.local_authority[position] = (
                LOCAL_AUTHORITIES.index(person.local_authority)
                if person.local_authority in LOCAL_AUTHORITIES
                else NO_LOCAL_AUTHORITY
            )

    def write_nominals(self, rng: random.Random, stream: TextIO) -> None:
        """Generate the background people and write every nominal, planted ones in place."""
        writer = csv.writer(stream)
        writer.writerow(["nominal_id", "surname", "forenames", "date_of_birth", "gender", "local_authority", "flags"])
        cohort_bounds = [(a.toordinal(), b.toordinal()) for a, b, _ in _COHORTS]
        cohort_cum = _cumulative([share for _, _, share in _COHORTS])
        la_cum = _cumulative(LOCAL_AUTHORITY_WEIGHTS)
        child_born_after = _COHORTS[0][0].toordinal()
        adult_born_before = date(2008, 1, 1).toordinal()
        random_ = rng.random
        for position in range(self.size):
            person = self.planted_people.get(position)
            if person is not None:
                writer.writerow(
                    [
                        person.nominal_id,
                        person.surname,
                        person.forenames,
                        person.date_of_birth.isoformat() if person.date_of_birth else "",
                        person.gender,
                        person.local_authority,
                        flag_text(person.flags),
                    ]
                )
                continue
            roll = random_()
            gender = 0 if roll < 0.62 else 1 if roll < 0.995 else 2
            lo, hi = cohort_bounds[_pick(cohort_cum, random_())]
            born = rng.randint(lo, hi)
            surname = rng.randrange(len(SURNAMES))
            names = FEMALE_FORENAMES if gender == 1 else MALE_FORENAMES
            forename = rng.randrange(len(names))
            forenames = names[forename]
            if random_() < 0.2:
                forenames += " " + rng.choice(names)
            la = _pick(la_cum, random_()) if random_() > 0.015 else NO_LOCAL_AUTHORITY
            flags = 0
            if born >= child_born_after:
                if random_() < 0.04:
                    flags |= LAC
            elif random_() < 0.02:
                flags |= VULNERABLE_ADULT
            if random_() < 0.03:
                flags |= MENTAL_HEALTH
            if born < adult_born_before:
                if random_() < 0.04:
                    flags |= DRUGS
                if random_() < 0.03:
                    flags |= VIOLENCE
                if random_() < 0.01:
                    flags |= WEAPONS
            self.born[position] = born
            self.surname[position] = surname
            self.forename[position] = forename
            self.female[position] = 1 if gender == 1 else 0
            self.local_authority[position] = la
            self.flags[position] = flags
            if born >= _YOUNG_BORN_AFTER:
                self.young.append(position)
                if flags & LAC:
                    self.looked_after.append(position)
            elif born < adult_born_before and random_() < 0.03:
                self.prolific.append(position)
            withhold = random_() < 0.04
            writer.writerow(
                [
                    nominal_id(position),
                    SURNAMES[surname],
                    forenames,
                    "" if withhold else date.fromordinal(born).isoformat(),
                    GENDERS[gender],
                    LOCAL_AUTHORITIES[la] if la < NO_LOCAL_AUTHORITY else "",
                    flag_text(flags),
                ]
            )

    # -- choosing people for background records ------------------------------------------------

    def age_on(self, position: int, day: int) -> int:
        return (day - self.born[position]) // 365

    def pick(
        self,
        rng: random.Random,
        day: int,
        min_age: int,
        max_age: int = 120,
        prolific_share: float = 0.0,
    ) -> int:
        """A background nominal aged min_age..max_age on `day` (best effort after 12 tries)."""
        size = self.size
        position = 0
        for _ in range(12):
            if prolific_share and self.prolific and rng.random() < prolific_share:
                position = self.prolific[int(rng.random() * len(self.prolific))]
            else:
                position = int(rng.random() * size)
                if self.planted[position]:
                    continue
            if min_age <= self.age_on(position, day) <= max_age:
                return position
        while self.planted[position]:
            position = (position + 1) % size
        return position

    def pick_child(self, rng: random.Random, day: int) -> int | None:
        """A background child aged 11-17 on `day`, looked-after children more often."""
        for _ in range(20):
            pool = self.looked_after if self.looked_after and rng.random() < 0.3 else self.young
            if not pool:
                return None
            position = pool[int(rng.random() * len(pool))]
            if 11 <= self.age_on(position, day) <= 17:
                return position
        return None

    def name(self, rng: random.Random, position: int) -> str:
        person = self.planted_people.get(position)
        if person is not None:
            return person.name(rng)
        names = FEMALE_FORENAMES if self.female[position] else MALE_FORENAMES
        return person_name(rng, names[self.forename[position]], SURNAMES[self.surname[position]])

    def local_authority_of(self, position: int) -> str:
        index = self.local_authority[position]
        return LOCAL_AUTHORITIES[index] if index < NO_LOCAL_AUTHORITY else "Birmingham"


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = float(sum(weights))
    running = 0.0
    out = []
    for weight in weights:
        running += weight / total
        out.append(running)
    out[-1] = 1.0
    return out


def _pick(cumulative: Sequence[float], roll: float) -> int:
    for index, bound in enumerate(cumulative):
        if roll < bound:
            return index
    return len(cumulative) - 1
