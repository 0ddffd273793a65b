"""Text typed into query boxes and API filters, cleaned the same way everywhere."""

from __future__ import annotations

import unicodedata

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
