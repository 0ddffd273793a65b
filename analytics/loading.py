"""Loading the imported records into the method's plain inputs (analytics.method.inputs).

Raw SQL with streamed cursors: a million records load in seconds, where model instances would
take minutes and gigabytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection

from .method import inputs as plain
from .models import HarmTable

FETCH = 20_000


def _rows(sql: str) -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def _date(value):
    # SQLite hands dates back as text; PostgreSQL as date objects (so rows go in as they come).
    if value is None or not isinstance(value, str):
        return value
    from datetime import date

    return date.fromisoformat(value)


def load_inputs(*, harm_table: HarmTable, on_table: Callable[[str, int], None] | None = None) -> plain.AnalysisInputs:
    """Everything the method reads, from the database, with `harm_table` as the harm index."""

    def loaded(name: str, items: list) -> list:
        if on_table:
            on_table(name, len(items))
        return items

    nominals = loaded(
        "nominals",
        [
            plain.Nominal(nominal_id, _date(dob), local_authority, frozenset(f for f in flags.split(";") if f))
            for nominal_id, dob, local_authority, flags in _rows(
                "SELECT nominal_id, date_of_birth, local_authority, flags FROM analytics_nominal"
            )
        ],
    )
    records = loaded(
        "records",
        list(
            map(
                plain.Record._make,
                _rows("SELECT record_id, text, offence_code, source, recorded_at FROM analytics_record"),
            )
        )
        if connection.vendor == "postgresql"
        else [
            plain.Record(record_id, text, offence_code, source, _date(recorded_at))
            for record_id, text, offence_code, source, recorded_at in _rows(
                "SELECT record_id, text, offence_code, source, recorded_at FROM analytics_record"
            )
        ],
    )
    links = loaded(
        "record_nominals",
        list(map(plain.RecordLink._make, _rows("SELECT record_id, nominal_id, role FROM analytics_recordnominal"))),
    )
    associations = loaded(
        "associations",
        list(map(plain.Association._make, _rows("SELECT nominal_a_id, nominal_b_id, kind FROM analytics_association"))),
    )
    soc = loaded(
        "soc_groups",
        list(map(plain.SocMembership._make, _rows("SELECT soc_group_id, nominal_id FROM analytics_socmembership"))),
    )
    harm = [
        plain.HarmEntry(code, cchi, ons, description)
        for code, cchi, ons, description in harm_table.entries.values_list(
            "offence_code", "cchi_days", "ons_weight", "description"
        )
    ]
    return plain.AnalysisInputs(
        nominals=nominals, records=records, links=links, associations=associations, soc_memberships=soc, harm_index=harm
    )
