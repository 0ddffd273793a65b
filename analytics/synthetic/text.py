"""Filling free-text templates and making the result look typed by a busy officer."""

from __future__ import annotations

import random

from .vocabulary import (
    AREAS,
    CUSTODY_SUITES,
    DESCRIPTIONS,
    PRISONS,
    SCHOOLS,
    SHOP_GOODS,
    SHOPS,
    STOLEN_ITEMS,
    STREET_NAMES,
    SUPPLY_TOWNS,
    VEHICLES,
)

_PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"  # no I or Q on UK plates
# Names for roles a template mentions but nobody on the record fills (rare by construction).
_STAND_INS = {
    "v": "(not recorded)",
    "s": "an unknown male",
    "s2": "an unknown associate",
    "w": "a member of the public",
}


def person_name(rng: random.Random, forenames: str, surname: str) -> str:
    """A name as officers write it: 'Jack SMITH', 'SMITH, Jack', 'J SMITH' or 'jack smith'."""
    roll = rng.random()
    first = forenames.split(" ")[0] if forenames else ""
    if not first:
        return surname
    if roll < 0.55:
        return f"{first} {surname}"
    if roll < 0.75:
        return f"{surname}, {first}"
    if roll < 0.9:
        return f"{first[0]} {surname}"
    return f"{first} {surname.title()}"


class Slots(dict[str, str]):
    """A `str.format_map` mapping that invents a slot's value the first time it is used.

    Only the slots a template names cost random draws, and the draws happen in the order the
    template names them, so output is deterministic for a given seed.
    """

    def __init__(self, rng: random.Random, local_authority: str, **given: str) -> None:
        super().__init__(given)
        self._rng = rng
        self._local_authority = local_authority or "Birmingham"

    def __missing__(self, key: str) -> str:
        value = self._make(key)
        self[key] = value
        return value

    def _make(self, key: str) -> str:
        rng = self._rng
        if key in _STAND_INS:
            return _STAND_INS[key]
        if key == "area":
            return rng.choice(AREAS[self._local_authority])
        if key == "la":
            return self._local_authority
        if key == "street":
            return rng.choice(STREET_NAMES)
        if key in ("item", "item2"):
            return rng.choice(STOLEN_ITEMS)
        if key == "value":
            return f"£{rng.choice((15, 25, 40, 60, 85, 120, 150, 200, 340, 450, 600, 1200, 2500))}"
        if key == "vehicle":
            return rng.choice(VEHICLES)
        if key == "vrm":
            letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(5))
            return f"{letters[:2]}{rng.randrange(10, 75):02d} {letters[2:]}"
        if key == "goods":
            return rng.choice(SHOP_GOODS)
        if key == "shop":
            return rng.choice(SHOPS)
        if key == "time":
            return f"{rng.randrange(24):02d}{rng.randrange(0, 60, 5):02d}"
        if key == "desc":
            return rng.choice(DESCRIPTIONS)
        if key == "pc":
            return str(rng.randrange(1000, 24000))
        if key == "school":
            return rng.choice(SCHOOLS)
        if key == "custody":
            return rng.choice(CUSTODY_SUITES)
        if key == "prison":
            return rng.choice(PRISONS)
        if key == "town":
            return rng.choice(SUPPLY_TOWNS)
        if key in ("wraps", "count"):
            return str(rng.randrange(4, 40))
        if key == "cash":
            return f"£{rng.randrange(2, 30) * 20}"
        raise KeyError(key)


def fill(template: str, slots: Slots) -> str:
    return template.format_map(slots)


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
    if not candidates:
        return text
    index = rng.choice(candidates)
    word = words[index]
    at = rng.randrange(1, len(word) - 2)
    roll = rng.random()
    if roll < 0.5:  # swapped letters
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif roll < 0.8:  # dropped letter
        word = word[:at] + word[at + 1 :]
    else:  # doubled letter
        word = word[: at + 1] + word[at] + word[at + 1 :]
    words[index] = word
    return " ".join(words)


def roughen(rng: random.Random, text: str) -> str:
    """Case, spacing, line breaks and typos as found in police free text.

    Changes never add or remove whole words, but a typo can land in a search term: real data
    has such misses too.
    """
    roll = rng.random()
    if roll < 0.28:
        text = text.upper()  # several force systems are used in capitals
    elif roll < 0.33:
        text = text.lower()
    if rng.random() < 0.12:
        text = text.replace(". ", ".  ", 2)
    if rng.random() < 0.06:
        text = text.replace(" ", "   ", 1)
    if rng.random() < 0.08:
        # Line breaks inside a CSV field: the writer quotes the field.
        text = text.replace(". ", rng.choice((".\n", ".\r\n", ".\n\n")), 1)
    if rng.random() < 0.05:
        text = _typo(rng, text)
    if rng.random() < 0.04:
        text = text + rng.choice((" ", "  ", "\n", " ."))
    if rng.random() < 0.02:
        text = "  " + text
    return text
