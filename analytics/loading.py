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


class _Shared(dict):
    """`shared[raw]` is one object per distinct raw value: `make(raw)` the first time it is
    asked for, the same object every time after."""

    def __init__(self, make: Callable[[Any], Any] = lambda raw: raw) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, raw: Any) -> Any:
        value = self[raw] = self.make(raw)
        return value


def _flag_set(flags: str) -> frozenset[str]:
    return frozenset(flag for flag in flags.split(";") if flag)


def _date(value):
    # SQLite hands dates back as text; PostgreSQL as date objects (so rows go in as they come).
    if value is None or not isinstance(value, str):
        return value
    from datetime import date

    return date.fromisoformat(value)


def load_inputs(
    *,
    harm_table: HarmTable,
    on_table: Callable[[str, int], None] | None = None,
    keep_text: Callable[[str], bool] | None = None,
) -> plain.AnalysisInputs:
    """Everything the method reads, from the database, with `harm_table` as the harm index.

    With `keep_text`, a record's text is kept only where `keep_text(text)` is true and is
    otherwise loaded as "". The run passes "matches one of the run's search terms": a text that
    matches none scores 0 whether it is kept or not, and texts are most of a large extract's
    memory (5M records: about 0.8 GB, of which 4% match)."""

    def loaded(name: str, items: list) -> list:
        if on_table:
            on_table(name, len(items))
        return items

    # Columns with few distinct values (dates, roles, codes, sources, local authorities) and the
    # ids that links repeat would otherwise be a new string or date object per row: at 5M records
    # that is gigabytes. `_Shared` keeps one object per distinct value.
    authorities, flag_sets, dates = _Shared(), _Shared(_flag_set), _Shared(_date)
    nominals = loaded(
        "nominals",
        [
            plain.Nominal(nominal_id, dates[dob], authorities[local_authority], flag_sets[flags])
            for nominal_id, dob, local_authority, flags in _rows(
                "SELECT nominal_id, date_of_birth, local_authority, flags FROM analytics_nominal"
            )
        ],
    )
    codes, sources = _Shared(), _Shared()
    if keep_text is None:
        keep_text = bool
    records = loaded(
        "records",
        [
            plain.Record(
                record_id, text if keep_text(text) else "", codes[offence_code], sources[source], dates[recorded_at]
            )
            for record_id, text, offence_code, source, recorded_at in _rows(
                "SELECT record_id, text, offence_code, source, recorded_at FROM analytics_record"
            )
        ],
    )
    record_ids, nominal_ids = _Shared(), _Shared()
    record_ids.update((r.record_id, r.record_id) for r in records)
    nominal_ids.update((n.nominal_id, n.nominal_id) for n in nominals)
    roles = _Shared()
    # `_make` builds the tuple in C, where calling the class runs its Python __new__: a quarter
    # less time over millions of links.
    link = plain.RecordLink._make
    links = loaded(
        "record_nominals",
        [
            link((record_ids[record_id], nominal_ids[nominal_id], roles[role]))
            for record_id, nominal_id, role in _rows("SELECT record_id, nominal_id, role FROM analytics_recordnominal")
        ],
    )
    del record_ids
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
