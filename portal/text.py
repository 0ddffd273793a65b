"""Text typed into query boxes, API filters and postcode fields, cleaned the same way everywhere."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

QUERY_MAX_LENGTH = 100


def clean_query(value: object, *, max_length: int = QUERY_MAX_LENGTH) -> str:
    """`value` as a search query: control and format characters (NUL, escape, zero-width and
    direction marks) removed, runs of whitespace made one space, trimmed, cut to `max_length`.

    A NUL once matched every row and was recorded as a blank query; PostgreSQL refuses it
    outright. What the trail records is what was searched for.
    """
    text = value if isinstance(value, str) else ""
    kept = "".join(
        " " if char.isspace() else char for char in text if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    return " ".join(kept.split())[:max_length]


# A UK postcode: outward code (area, district) and inward code (sector, unit), any case, with or
# without the space. Stored in the Royal Mail's form ("B1 1AA") by `normalise_postcode`.
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}", re.IGNORECASE)


def normalise_postcode(value: str) -> str:
    """`value` upper-cased with one space before the inward code, if it is a postcode; else as
    typed, trimmed (the validator then says what is wrong)."""
    text = " ".join((value or "").split())
    if not _POSTCODE.fullmatch(text):
        return text
    compact = text.replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    if value and not _POSTCODE.fullmatch(value.strip()):
        raise ValidationError(
            "Enter a UK postcode such as B1 1AA (letters, a number, then a number and two letters).",
            code="invalid_postcode",
        )
