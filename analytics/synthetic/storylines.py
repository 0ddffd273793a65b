"""Planted county lines and Serious Organised Crime groups: the people and what is recorded.

A line (after the West Midlands Police account, context/003, sections 2-3 and 8) is run by one
or two adult line holders with a few mid-level members; they recruit child runners (some looked
after, with missing episodes that end out of area) and take over the homes of vulnerable adults
(cuckooing). Some SOC groups contain a line's holders and members, others are unrelated
organised crime. Each storyline produces records in the five source systems, worded with the
search terms (and their misspellings) the way officers write them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from .offences import ARREST_OUTCOMES, OFFENCE_BY_CODE
from .population import (
    DRUGS,
    LAC,
    MENTAL_HEALTH,
    VIOLENCE,
    VULNERABLE_ADULT,
    WEAPONS,
    Person,
    Population,
    make_person,
)
from .text import Slots, fill, roughen
from .vocabulary import (
    AREAS,
    LINE_NAMES,
    LOCAL_AUTHORITIES,
    LOCAL_AUTHORITY_WEIGHTS,
    OTHER_FORCES,
    SUPPLY_TOWNS,
)

# Lines are active between these dates; children are 12 or more when their line starts and
# still under 18 on 30 June 2027, so they are children whatever reference date near 2026 is used.
LINES_FROM = date(2024, 1, 1)
LINES_TO = date(2026, 5, 31)
CHILD_BORN_AFTER = date(2009, 7, 1)


@dataclass
class PlantedRecord:
    day: int  # date ordinal
    source: str
    offence_code: str
    text: str
    links: list[tuple[int, str]]  # (position, role)
    storyline: str


@dataclass
class CountyLine:
    line_id: str
    name: str
    local_authority: str
    home_area: str
    supply_towns: list[str]
    start: date
    end: date
    holders: list[Person]
    members: list[Person]
    children: list[Person]
    cuckooed: list[Person]
    soc_groups: list[str] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)

    @property
    def people(self) -> list[Person]:
        return self.holders + self.members + self.children + self.cuckooed


@dataclass
class SocGroup:
    soc_group_id: str
    theme: str
    own_people: list[Person]  # members who are in no line
    lines: list[CountyLine]
    local_authority: str
    record_ids: list[str] = field(default_factory=list)

    @property
    def members(self) -> list[Person]:
        line_people = [p for line in self.lines for p in line.holders + line.members]
        return line_people + self.own_people


@dataclass
class Storylines:
    lines: list[CountyLine]
    soc_groups: list[SocGroup]

    @property
    def people(self) -> list[Person]:
        people = [p for line in self.lines for p in line.people]
        return people + [p for group in self.soc_groups for p in group.own_people]


def _weighted_la(rng: random.Random) -> str:
    return rng.choices(LOCAL_AUTHORITIES, weights=LOCAL_AUTHORITY_WEIGHTS)[0]


def _line_name(index: int) -> str:
    base = LINE_NAMES[index % len(LINE_NAMES)]
    return base if index < len(LINE_NAMES) else f"{base}{index // len(LINE_NAMES) + 1}"


def plan_storylines(rng: random.Random, *, lines: int, soc_with_lines: int, soc_without_lines: int) -> Storylines:
    """Create the planted people (no positions yet) and how they are grouped."""
    county_lines = []
    span = (LINES_TO - LINES_FROM).days
    for index in range(lines):
        la = _weighted_la(rng)
        start = LINES_FROM.toordinal() + rng.randrange(span - 240)
        end = min(LINES_TO.toordinal(), start + rng.randint(180, 730))
        start_date, end_date = date.fromordinal(start), date.fromordinal(end)
        holders = [
            make_person(
                rng,
                role="holder",
                born_from=date(1988, 1, 1),
                born_to=date(2004, 12, 31),
                local_authority=la,
                flags=DRUGS | VIOLENCE,
            )
            for _ in range(rng.choice((1, 1, 1, 2)))
        ]
        if rng.random() < 0.3:
            holders[0].flags |= WEAPONS
        members = [
            make_person(
                rng,
                role="member",
                born_from=date(1996, 1, 1),
                born_to=date(2007, 12, 31),
                local_authority=la if rng.random() < 0.8 else _weighted_la(rng),
                flags=DRUGS if rng.random() < 0.5 else 0,
            )
            for _ in range(rng.randint(2, 5))
        ]
        if rng.random() < 0.3:
            rng.choice(members).date_of_birth = None
        youngest_start = date(start_date.year - 12, start_date.month, 1)
        children = []
        for _ in range(rng.randint(2, 6)):
            looked_after = rng.random() < 0.4
            child = make_person(
                rng,
                role="child",
                born_from=CHILD_BORN_AFTER,
                born_to=youngest_start,
                local_authority=la if rng.random() < 0.8 else _weighted_la(rng),
                flags=LAC if looked_after else 0,
                gender="M" if rng.random() < 0.8 else "F",
            )
            children.append(child)
        if rng.random() < 0.1:
            rng.choice(children).date_of_birth = None
        cuckooed = [
            make_person(
                rng,
                role="cuckooed",
                born_from=date(1956, 1, 1),
                born_to=date(1994, 12, 31),
                local_authority=la,
                flags=VULNERABLE_ADULT
                | (MENTAL_HEALTH if rng.random() < 0.4 else 0)
                | (DRUGS if rng.random() < 0.5 else 0),
                gender="M" if rng.random() < 0.6 else "F",
            )
            for _ in range(rng.choice((0, 1, 1, 2, 3)))
        ]
        county_lines.append(
            CountyLine(
                line_id=f"L{index + 1:03d}",
                name=_line_name(index),
                local_authority=la,
                home_area=rng.choice(AREAS[la]),
                supply_towns=rng.sample(SUPPLY_TOWNS, rng.choice((1, 1, 2))),
                start=start_date,
                end=end_date,
                holders=holders,
                members=members,
                children=children,
                cuckooed=cuckooed,
            )
        )

    groups = []
    available = list(county_lines)
    rng.shuffle(available)
    themes = ("vehicle crime", "burglary", "fraud", "firearms supply", "cannabis cultivation")
    for index in range(soc_with_lines + soc_without_lines):
        soc_id = f"SOC{index + 1:03d}"
        overlapping: list[CountyLine] = []
        if index < soc_with_lines and available:
            take = 2 if len(available) >= 2 and rng.random() < 0.25 else 1
            overlapping = [available.pop() for _ in range(take)]
        la = overlapping[0].local_authority if overlapping else _weighted_la(rng)
        theme = "drugs wholesale" if overlapping else themes[index % len(themes)]
        own = [
            make_person(
                rng,
                role="soc",
                born_from=date(1966, 1, 1),
                born_to=date(1998, 12, 31),
                local_authority=la if rng.random() < 0.85 else _weighted_la(rng),
                flags=VIOLENCE if rng.random() < 0.3 else 0,
            )
            for _ in range(rng.randint(2, 5) if overlapping else rng.randint(4, 9))
        ]
        for line in overlapping:
            line.soc_groups.append(soc_id)
        groups.append(SocGroup(soc_id, theme, own, overlapping, la))
    return Storylines(county_lines, groups)


# -- records --------------------------------------------------------------------------------

_LINE_INTEL = (
    "Intelligence indicates {h} is running the '{line}' county line from {area} into {town}. "
    "Line believed to use local youths as runners.",
    "{h} and {m} believed to control the {line} line, supplying crack cocaine and heroin in "
    "{town}. Bulk texts sent to users advertising 'two for one' deals.",
    "CL - {line} line. {m} seen collecting cash from runners at {town} train station. Intel graded B2.",
    "Information that the {line} drugs line is run from an address in {area} by {h}. Handset changed weekly.",
    "County Lines: {m} recruiting school children in {area} via Snapchat to run drugs to {town} for the {line} line.",
    "{h} said to be the line holder for '{line}', a county-line into {town}. {m} acts as his driver.",
    "Deal line for '{line}' active in {town}; message to users 'line back on, 2 for 1 on white "
    "til 6'. Handset attributed to {h}.",
    "C/L intel: {m} travelling between {area} and {town} most days in hire cars, restocking the {line} drug line.",
)
_LINE_TAGS = (
    "CLRECRUIT - {m} approaching children outside {school} in {area}, offering money and trainers.",
    "CLCRACK {town}: {m} restocking runners with crack and heroin ('white' and 'brown').",
    "CLMIDDLE - {m} acting as middle tier for {h}, managing the deal line handset.",
    "CLILLICIT - cash from the {line} line laundered through a car wash in {area} by {h}.",
)
_SUPPLY_CRIME = (
    "PWITS Class A. Stop search of {m} in {town}: {wraps} wraps of crack cocaine and heroin, "
    "2 phones and {cash} cash. Deal line phone seized, believed {line} line.",
    "Warrant at {street}, {town}: {m} found with {wraps} wraps of heroin and crack. Address "
    "believed to be a cuckoo flat used by the {line} line.",
    "{m} arrested in {town} for possession with intent to supply class A. County line phone ('{line}') seized.",
)
_SUPPLY_WITH_CHILD = (
    "{m} and juvenile {c} stopped in a taxi from {area} to {town}. Crack and heroin found in the "
    "rear footwell. Both arrested PWITS. C/L suspected.",
    "Drugs line activity {town}: {c} ({age}) found plugging {wraps} wraps, {m} waiting in a car "
    "nearby. Both detained. County lines.",
)
_CUSTODY_LINE = (
    "Arrested PWITS Class A in {town}. Juvenile {c} ({age}) - appropriate adult requested, "
    "social worker informed, NRM referral considered. {outcome}",
    "DP {m} arrested for possession with intent to supply Class A (county lines) at {town}. "
    "Detained {custody}. {outcome}",
    "Custody: {c} ({age}) arrested in {town} with drugs and cash. Believed runner for the "
    "{line} line. Outcome 22 considered. {outcome}",
)
_LOOKED_AFTER_MISSING = (
    "MISPER - {c} ({age}) reported missing from children's home in {area} (LAC). Found {days} "
    "days later in {town} by {force} officers with {cash} cash and two phones. Concerns re CCE / "
    "county lines. RHI requested.",
    "Missing from foster placement: {c} ({age}), LAC. Located {days} days later in {town} in a "
    "flat with adult males. Social worker and {force} informed. CCE concerns.",
)
_CHILD_MISSING = (
    "MISPER - {c} ({age}) reported missing by mother. Found {days} days later in {town} by "
    "{force} officers with {cash} cash and two phones. Concerns re CCE / county lines.",
    "Missing person {c}, {age}. Located in {town} at an address known for drug dealing. Return "
    "home interview: would not say how they got there. Exploitation screening completed.",
    "MISPER {c}, missing {days} days. Found by {force} in {town} at a cuckoo house. Believed to "
    "be running drugs for the {line} line.",
    "Missing from home: {c} ({age}). Located at {town} train station by BTP with a ticket "
    "bought by an unknown adult. High risk CCE.",
    "Missing person report: {c} ({age}) missing overnight, found in {town}, {force} area. "
    "Refused to engage. Parent believes the child is being used as a runner.",
)
_CHILD_EXPLOITATION = (
    "Child criminal exploitation (MSA s.2): {c} ({age}) recruited by {m} to run drugs to {town} "
    "for the {line} line. Told they owe a drug debt after being 'robbed'. NRM referral made.",
    "CCE - {c} found with injuries after being beaten by {m} for losing drugs. Running for the "
    "{line} drugs line. Strategy discussion held.",
    "Modern slavery - {c} ({age}) trafficked to {town} by {h}'s associates to sell crack and "
    "heroin from a cuckooed flat.",
)
_CUCKOO = (
    "Address of {v} on {street}, {area} believed cuckooed by members of the {line} line. {v} is a "
    "vulnerable heroin user; {m} and a juvenile seen coming and going.",
    "Cuckooing: {v} (VA) reports that {m} has taken over the flat to deal crack and heroin. "
    "Refuses to make a statement.",
    "Welfare check at {street}, {area}: flat being used as a cuckoo house by the {line} line. "
    "{v} found living in one room. Adult safeguarding referral made.",
    "{v}'s address in {area} is a cuckoo flat; runners including {c} stay there overnight.",
    "Vulnerable adult {v} cuckoo'd by {m}; neighbours report constant callers day and night.",
)
_VIOLENCE = (
    "Stabbing in {area}: IP {x} stabbed in the leg by {m} in a dispute over the {line} line's territory.",
    "Robbery of {x} by {m} and {h}: phone and drugs taken. Believed a 'taxing' between rival drugs lines.",
)
_HOLDER_RELEASE = (
    "Prison release notification: {h} due for release from {prison} on licence. Index "
    "offence PWITS Class A (county lines, {line} line). Licence condition: not to contact {m}.",
    "PINS: {h} released from {prison}. Previously convicted of conspiracy to supply Class A as "
    "the holder of the {line} county line.",
)
_FIREARM_INTEL = ("Firearm intelligence: {h} believed to have access to a handgun to protect the {line} line.",)
_SOC_LINE_INTEL = (
    "{x} believed to be supplying kilo quantities of cocaine to {h}, some going out on county lines.",
    "{x} and {y} laundering cash through a money service bureau in {area}; linked to {h}.",
    "{x} meets {h} weekly at a car wash in {area}; suspected wholesale drug supply.",
)
_SOC_THEME_INTEL = {
    "vehicle crime": (
        "{x} and {y} believed to run a keyless car theft team in {area}; vehicles taken to a unit for breaking.",
        "{x} supplying cloned plates to {y}'s crew.",
    ),
    "burglary": (
        "{x} and {y} linked to a series of high value dwelling burglaries across {la}.",
        "{x} fencing jewellery stolen by {y}'s burglary team.",
    ),
    "fraud": (
        "{x} and {y} running courier fraud targeting elderly victims; cash collected by runners recruited online.",
        "{x} controlling mule bank accounts used by {y}.",
    ),
    "firearms supply": (
        "{x} believed to be converting blank firing pistols; sold via {y}.",
        "{x} and {y} storing ammunition at a lock-up in {area}.",
    ),
    "cannabis cultivation": (
        "{x} and {y} setting up cannabis grows in rented houses across {la}; weed sold in bulk.",
        "{x} paying {y} to 'garden' a cannabis factory in {area}.",
    ),
}
_SOC_THEME_CRIME = {
    "vehicle crime": ("048/01", "Theft of {vehicle} by keyless relay; {x} and {y} arrested nearby."),
    "burglary": ("028/01", "Dwelling burglary in {area}, safe removed. {x} and {y} identified."),
    "fraud": ("053/01", "Courier fraud: elderly IP lost {cash}; {x} and {y} arrested."),
    "firearms supply": ("010/01", "Converted pistol recovered from {x}'s garage; {y} present."),
    "cannabis cultivation": (
        "092/02",
        "Cannabis factory of 200 plants at {street}, {area}; {x} and {y} arrested PWITS.",
    ),
    "drugs wholesale": (
        "092/01",
        "Kilo of cocaine seized from a car driven by {x}; {y} arrested at the drop-off.",
    ),
}


class _Recorder:
    """Collects planted records with their links; text is filled and roughened here."""

    def __init__(self, rng: random.Random, population: Population) -> None:
        self.rng = rng
        self.population = population
        self.records: list[PlantedRecord] = []

    def add(
        self,
        storyline: str,
        day: int,
        source: str,
        offence_code: str,
        template: str,
        links: list[tuple[Person | int, str]],
        slots: dict[str, str],
        local_authority: str,
    ) -> None:
        filled = fill(template, Slots(self.rng, local_authority, **slots))
        resolved: list[tuple[int, str]] = []
        for who, role in links:
            position = who.position if isinstance(who, Person) else who
            if (position, role) not in resolved:
                resolved.append((position, role))
        self.records.append(PlantedRecord(day, source, offence_code, roughen(self.rng, filled), resolved, storyline))


def _age(person: Person, day: int) -> str:
    return str((day - person.born.toordinal()) // 365)


def storyline_records(
    rng: random.Random, storylines: Storylines, population: Population
) -> tuple[list[PlantedRecord], list[tuple[int, int, str]]]:
    """All planted records (unsorted) and planted associations (position a, position b, kind).

    People must have positions (Population.place) first.
    """
    recorder = _Recorder(rng, population)
    associations: list[tuple[int, int, str]] = []
    for line in storylines.lines:
        _line_records(rng, recorder, line, storylines.lines, population)
        _line_associations(rng, line, associations)
    for group in storylines.soc_groups:
        _soc_records(rng, recorder, group, population)
    return recorder.records, associations


def _line_records(
    rng: random.Random,
    recorder: _Recorder,
    line: CountyLine,
    all_lines: list[CountyLine],
    population: Population,
) -> None:
    first, last = line.start.toordinal(), line.end.toordinal()

    def day() -> int:
        return rng.randint(first, last)

    def base(**extra: str) -> dict[str, str]:
        town = rng.choice(line.supply_towns)
        slots = {
            "line": line.name,
            "area": line.home_area,
            "town": town,
            "force": OTHER_FORCES.get(town, "local"),
            "h": rng.choice(line.holders).name(rng),
            "outcome": rng.choice(ARREST_OUTCOMES),
        }
        slots.update(extra)
        return slots

    def add(
        source: str,
        code: str,
        template: str,
        links: list[tuple[Person | int, str]],
        when: int | None = None,
        **extra: str,
    ) -> None:
        recorder.add(
            line.line_id,
            when if when is not None else day(),
            source,
            code,
            template,
            links,
            base(**extra),
            line.local_authority,
        )

    holders, members = line.holders, line.members
    for _ in range(rng.randint(2, 4)):
        member = rng.choice(members)
        add(
            "IMS",
            "",
            rng.choice(_LINE_INTEL),
            [*((h, "SUBJECT") for h in holders), (member, "SUBJECT")],
            m=member.name(rng),
        )
    for _ in range(rng.randint(1, 2)):
        member = rng.choice(members)
        add("IMS", "", rng.choice(_LINE_TAGS), [(member, "SUBJECT"), (holders[0], "SUBJECT")], m=member.name(rng))
    for member in members:
        for _ in range(rng.randint(1, 2)):
            when = day()
            add(
                "CRIMES",
                "092/01",
                rng.choice(_SUPPLY_CRIME),
                [(member, rng.choice(("SUSPECT", "OFFENDER")))],
                when,
                m=member.name(rng),
            )
            if rng.random() < 0.6:
                add(
                    "ICIS",
                    "092/01",
                    _CUSTODY_LINE[1],
                    [(member, "ARRESTED")],
                    min(last, when + rng.randint(0, 1)),
                    m=member.name(rng),
                )
    for child in line.children:
        name = child.name(rng)
        looked_after = bool(child.flags & LAC)
        for _ in range(rng.randint(2, 4) if looked_after else rng.randint(1, 2)):
            when = day()
            templates = _CHILD_MISSING + (_LOOKED_AFTER_MISSING if looked_after else ())
            add(
                "COMPACT",
                "",
                rng.choice(templates),
                [(child, "MISSING_PERSON")],
                when,
                c=name,
                age=_age(child, when),
                days=str(rng.randint(1, 9)),
            )
        when = day()
        member = rng.choice(members)
        if rng.random() < 0.5:
            add(
                "CRIMES",
                "092/01",
                rng.choice(_SUPPLY_WITH_CHILD),
                [(member, "SUSPECT"), (child, "SUSPECT")],
                when,
                m=member.name(rng),
                c=name,
                age=_age(child, when),
            )
        else:
            template = rng.choice((_CUSTODY_LINE[0], _CUSTODY_LINE[2]))
            add("ICIS", "092/01", template, [(child, "ARRESTED")], when, c=name, age=_age(child, when))
        if rng.random() < 0.45:
            when = day()
            add(
                "CRIMES",
                "106/01",
                rng.choice(_CHILD_EXPLOITATION),
                [(child, "VICTIM"), (member, "SUSPECT"), (rng.choice(holders), "SUSPECT")],
                when,
                m=member.name(rng),
                c=name,
                age=_age(child, when),
            )
    for adult in line.cuckooed:
        for _ in range(rng.randint(1, 2)):
            member = rng.choice(members)
            links: list[tuple[Person | int, str]] = [(adult, "VICTIM"), (member, "SUSPECT")]
            child = rng.choice(line.children)
            if rng.random() < 0.4:
                links.append((child, "SUSPECT"))
            source = rng.choice(("CRIMES", "IMS", "IMS"))
            add(
                source,
                "092/01" if source == "CRIMES" else "",
                rng.choice(_CUCKOO),
                links,
                v=adult.name(rng),
                m=member.name(rng),
                c=child.name(rng),
            )
    if rng.random() < 0.5:
        holder = rng.choice(holders)
        add(
            "PINS",
            "092/01",
            rng.choice(_HOLDER_RELEASE),
            [(holder, "SUBJECT")],
            h=holder.name(rng),
            m=rng.choice(members).name(rng),
        )
    if holders[0].flags & WEAPONS:
        add("IMS", "", _FIREARM_INTEL[0], [(holders[0], "SUBJECT")], h=holders[0].name(rng))
    if rng.random() < 0.35:
        member = rng.choice(members)
        rivals = [other for other in all_lines if other is not line]
        if rivals and rng.random() < 0.3:
            victim: int = rng.choice(rng.choice(rivals).members).position
        else:
            victim = population.pick(rng, day(), 16, 40)
        code = rng.choice(("005/01", "034/01"))
        add(
            "CRIMES",
            code,
            _VIOLENCE[0] if code == "005/01" else _VIOLENCE[1],
            [(victim, "VICTIM"), (member, "SUSPECT")],
            m=member.name(rng),
            x=population.name(rng, victim),
        )


def _line_associations(rng: random.Random, line: CountyLine, associations: list[tuple[int, int, str]]) -> None:
    for holder in line.holders:
        for member in line.members:
            if rng.random() < 0.7:
                associations.append((holder.position, member.position, "ASSOCIATE"))
    for index, member in enumerate(line.members):
        for other in line.members[index + 1 :]:
            if rng.random() < 0.3:
                associations.append((member.position, other.position, "ASSOCIATE"))
        for child in line.children:
            if rng.random() < 0.15:
                associations.append((member.position, child.position, "ASSOCIATE"))
    if len(line.children) >= 2 and rng.random() < 0.2:
        a, b = rng.sample(line.children, 2)
        associations.append((a.position, b.position, "FAMILY"))


def _soc_records(rng: random.Random, recorder: _Recorder, group: SocGroup, population: Population) -> None:
    own = group.own_people
    first = date(2019, 1, 1).toordinal()
    last = LINES_TO.toordinal()

    def add(source: str, code: str, template: str, links: list[tuple[Person | int, str]], **slots: str) -> None:
        recorder.add(
            group.soc_group_id, rng.randint(first, last), source, code, template, links, slots, group.local_authority
        )

    if group.lines:
        for line in group.lines:
            for holder in line.holders:
                x = rng.choice(own)
                y = rng.choice(own)
                add(
                    "IMS",
                    "",
                    rng.choice(_SOC_LINE_INTEL),
                    [(x, "SUBJECT"), (y, "SUBJECT"), (holder, "SUBJECT")],
                    x=x.name(rng),
                    y=y.name(rng),
                    h=holder.name(rng),
                    area=line.home_area,
                )
    intel = _SOC_THEME_INTEL.get(group.theme, _SOC_THEME_INTEL["firearms supply"])
    for _ in range(len(own) + rng.randint(1, 3)):
        x, y = rng.sample(own, 2)
        add("IMS", "", rng.choice(intel), [(x, "SUBJECT"), (y, "SUBJECT")], x=x.name(rng), y=y.name(rng))
    code, template = _SOC_THEME_CRIME[group.theme]
    for _ in range(rng.randint(1, 3)):
        x, y = rng.sample(own, 2)
        add("CRIMES", code, template, [(x, "SUSPECT"), (y, "SUSPECT")], x=x.name(rng), y=y.name(rng))
        if rng.random() < 0.5:
            add(
                "ICIS",
                code,
                "Arrested for {offence} as part of an organised crime group operation. Detained {custody}. {outcome}",
                [(x, "ARRESTED"), (x, "CHARGED")],
                offence=OFFENCE_BY_CODE[code].description,
                outcome="Charged and remanded to court.",
            )
