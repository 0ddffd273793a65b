"""Importing a police-record bundle into the database (METHOD.md section 1).

One code path for the command line and the upload page:

1. The bundle is read once, streaming, by `analytics.bundle` (pure Python), which validates every
   row and names file, line, column, value and what was expected for each problem.
2. Valid rows go into temporary staging tables: PostgreSQL COPY (psycopg 3) on PostgreSQL,
   batched `executemany` on SQLite. Nothing touches the real tables yet.
3. If any problem was found, the transaction is rolled back whole: nothing half-loaded remains.
4. Otherwise set-based SQL counts what is new and what changed, then upserts: rows are matched by
   their force-system id, so importing the same bundle twice changes nothing, and a later bundle
   with the same ids updates those rows. Links (record_nominals, associations, soc_groups) are
   added when new; a later bundle does not delete links it does not mention (extracts are
   incremental).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from analytics.bundle import BundleError, BundleProblem, open_bundle
from analytics.bundle.harm import load_harm_index
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .models import HarmEntry, HarmTable, ImportBatch, Nominal, Record

DEFAULT_HARM_TABLE = Path(__file__).resolve().parent / "reference" / "harm_index.csv"

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Target:
    """How one bundle file lands in one table."""

    table: str
    columns: tuple[str, ...]  # staging and target column names, in row order
    key: tuple[str, ...]  # what identifies a row (the conflict target)
    updatable: tuple[str, ...]  # columns a later bundle may change; empty for links
    column_types: tuple[str, ...]
    convert: Callable[[Any], tuple]


def _nominal(row) -> tuple:
    return (
        row.nominal_id,
        row.surname,
        row.forenames,
        row.date_of_birth,
        row.gender,
        row.local_authority,
        ";".join(row.flags),
    )


TARGETS: dict[str, Target] = {
    "nominals": Target(
        table="analytics_nominal",
        columns=("nominal_id", "surname", "forenames", "date_of_birth", "gender", "local_authority", "flags"),
        key=("nominal_id",),
        updatable=("surname", "forenames", "date_of_birth", "gender", "local_authority", "flags"),
        column_types=("text", "text", "text", "date", "text", "text", "text"),
        convert=_nominal,
    ),
    "records": Target(
        table="analytics_record",
        columns=("record_id", "source", "recorded_at", "offence_code", "text"),
        key=("record_id",),
        updatable=("source", "recorded_at", "offence_code", "text"),
        column_types=("text", "text", "date", "text", "text"),
        convert=tuple,
    ),
    "record_nominals": Target(
        table="analytics_recordnominal",
        columns=("record_id", "nominal_id", "role"),
        key=("record_id", "nominal_id", "role"),
        updatable=(),
        column_types=("text", "text", "text"),
        convert=tuple,
    ),
    "associations": Target(
        table="analytics_association",
        columns=("nominal_a_id", "nominal_b_id", "kind"),
        key=("nominal_a_id", "nominal_b_id", "kind"),
        updatable=(),
        column_types=("text", "text", "text"),
        convert=tuple,
    ),
    "soc_groups": Target(
        table="analytics_socmembership",
        columns=("soc_group_id", "nominal_id"),
        key=("soc_group_id", "nominal_id"),
        updatable=(),
        column_types=("text", "text"),
        convert=tuple,
    ),
}


class _IdsInDatabase:
    """`in` against a table's primary keys, for link rows naming ids from earlier imports.

    Only consulted for ids the bundle itself does not list, so it is rare; answers are cached.
    """

    def __init__(self, model) -> None:
        self._model = model
        self._seen: dict[str, bool] = {}

    def __contains__(self, value: object) -> bool:
        key = str(value)
        if key not in self._seen:
            self._seen[key] = self._model.objects.filter(pk=key).exists()
        return self._seen[key]


def _stage_name(name: str) -> str:
    return f"stage_{name}"


def _create_stage(cursor, name: str, target: Target) -> None:
    columns = ", ".join(f"{col} {kind}" for col, kind in zip(target.columns, target.column_types, strict=True))
    cursor.execute(f"DROP TABLE IF EXISTS {_stage_name(name)}")
    suffix = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    cursor.execute(f"CREATE TEMPORARY TABLE {_stage_name(name)} ({columns}){suffix}")


def _stage_rows(cursor, name: str, target: Target, rows: Sequence[Any]) -> None:
    # Rows are tuples already (NamedTuples); only nominals need their flags joined.
    values = rows if target.convert is tuple else [target.convert(row) for row in rows]
    if connection.vendor == "postgresql":
        # COPY is the fast path: one round trip per batch, no per-row SQL parsing.
        with cursor.cursor.copy(f"COPY {_stage_name(name)} ({', '.join(target.columns)}) FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)
    else:
        placeholders = ", ".join("%s" for _ in target.columns)
        cursor.executemany(f"INSERT INTO {_stage_name(name)} VALUES ({placeholders})", values)


def _distinct(a: str, b: str) -> str:
    # Null-safe "differs": a changed date of birth from NULL to a value is a change.
    return f"{a} IS DISTINCT FROM {b}" if connection.vendor == "postgresql" else f"{a} IS NOT {b}"


def _merge(cursor, name: str, target: Target) -> dict[str, int]:
    """Count what is new and what changed, then upsert; returns {added, updated, unchanged}."""
    stage = _stage_name(name)
    columns = ", ".join(target.columns)
    conflict = ", ".join(target.key)
    # Ids are unique within a bundle (the reader refuses duplicates). Link rows may repeat; a
    # repeat is simply not inserted twice (ON CONFLICT DO NOTHING) and counts as unchanged.
    rows = f"SELECT {columns} FROM {stage}"
    cursor.execute(f"SELECT COUNT(*) FROM {stage}")
    staged = cursor.fetchone()[0]
    if target.updatable:
        assignments = ", ".join(f"{col} = excluded.{col}" for col in target.updatable)
        guard = " OR ".join(_distinct(f"{target.table}.{col}", f"excluded.{col}") for col in target.updatable)
        upsert = (
            f"INSERT INTO {target.table} ({columns}) {rows} WHERE true "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments} WHERE {guard}"
        )
    else:
        upsert = f"INSERT INTO {target.table} ({columns}) {rows} WHERE true ON CONFLICT ({conflict}) DO NOTHING"
    if connection.vendor == "postgresql":
        # One pass: a row inserted by this statement has xmax 0, an updated one does not; rows
        # left alone by the guard are not returned at all.
        with _foreign_keys_checked_in_bulk(cursor, target.table, staged):
            cursor.execute(
                f"WITH written AS ({upsert} RETURNING (xmax = 0) AS inserted) "
                "SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM written"
            )
            added, updated = cursor.fetchone()
    else:
        match = " AND ".join(f"t.{col} = s.{col}" for col in target.key)
        cursor.execute(
            f"SELECT COUNT(*) FROM ({rows}) s WHERE NOT EXISTS (SELECT 1 FROM {target.table} t WHERE {match})"
        )
        added = cursor.fetchone()[0]
        updated = 0
        if target.updatable:
            changed = " OR ".join(_distinct(f"t.{col}", f"s.{col}") for col in target.updatable)
            cursor.execute(f"SELECT COUNT(*) FROM {stage} s JOIN {target.table} t ON {match} WHERE {changed}")
            updated = cursor.fetchone()[0]
        cursor.execute(upsert)
    return {"added": added, "updated": updated, "unchanged": staged - added - updated}


BULK_FOREIGN_KEY_ROWS = 50_000


@contextmanager
def _foreign_keys_checked_in_bulk(cursor, table: str, rows: int):
    """For a large PostgreSQL load, check the table's foreign keys once for all rows instead of
    once per row, and build its plain indexes once instead of row by row.

    Per-row checks of a million links cost more than the load itself. As PostgreSQL's guide to
    populating a database recommends, foreign keys and indexes that back no constraint are
    dropped for the load and recreated afterwards: re-adding a foreign key validates every row
    with one join, and an index is built by one sort. It all happens inside the import's
    transaction, so either the constraints hold for every row or nothing is committed. The table
    is locked against other writers and readers meanwhile (imports are rare batch jobs). Unique
    indexes stay: the upsert needs them.
    """
    if rows < BULK_FOREIGN_KEY_ROWS:
        yield
        return
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.tablename = %s AND NOT x.indisunique AND NOT x.indisprimary",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def harm_table_for(path: Path | None) -> HarmTable:
    """The harm table stored for `path` (the shipped default when None), reused when a table
    with the same content exists already."""
    path = path or DEFAULT_HARM_TABLE
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    existing = HarmTable.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    index = load_harm_index(path)
    table = HarmTable.objects.create(
        name="Shipped default (CCHI and ONS)" if path == DEFAULT_HARM_TABLE else f"From {path.name}",
        source="default" if path == DEFAULT_HARM_TABLE else "bundle",
        sha256=digest,
    )
    HarmEntry.objects.bulk_create(
        HarmEntry(
            table=table,
            offence_code=row.offence_code,
            description=row.description,
            cchi_days=row.cchi_days,
            ons_weight=row.ons_weight,
        )
        for row in index.entries.values()
    )
    return table


def _publish_progress(batch: ImportBatch, fraction: float, stage: str) -> None:
    # The import runs inside one transaction, so its progress cannot be read from the database
    # by anyone else until the end; the cache carries it instead.
    cache.set(f"import-progress:{batch.pk}", {"fraction": round(fraction, 3), "stage": stage}, timeout=3600)


def import_progress(batch: ImportBatch) -> dict[str, Any]:
    if batch.status in (ImportBatch.Status.SUCCEEDED, ImportBatch.Status.FAILED):
        return {"fraction": 1.0, "stage": batch.get_status_display()}
    return cache.get(f"import-progress:{batch.pk}") or {"fraction": 0.0, "stage": "Waiting to start"}


def _estimate_rows(bundle) -> int:
    # Bytes are a good enough proxy for rows to drive a progress bar.
    return sum(bundle.file(name).size for name in bundle.files) or 1


def bundle_import(*, batch: ImportBatch, path: str | Path, progress: Progress | None = None) -> ImportBatch:
    """Import the bundle at `path` as `batch` (status PENDING). All or nothing.

    On success the batch holds per-file SHA-256, row counts and added/updated/unchanged counts;
    on failure it holds the problems and the data is exactly as it was.
    """
    path = Path(path)
    batch.status = ImportBatch.Status.RUNNING
    batch.source_path = str(path)
    batch.save(update_fields=["status", "source_path"])
    report = progress or (lambda fraction, stage: _publish_progress(batch, fraction, stage))
    try:
        counts, summary, harm_table = _load(path, report)
    except BundleError as error:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [problem.as_dict() | {"message": str(problem)} for problem in error.problems]
        if error.truncated:
            batch.errors.append({"message": "More problems were found; fix these and import again to see the rest."})
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "errors", "finished_at"])
        _audit(batch, ok=False)
        return batch
    except Exception as error:
        # Not the bundle's fault (a database or disk failure): still leave a truthful batch.
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [
            {"message": f"The import stopped on a system error ({type(error).__name__}); nothing was saved."}
        ]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "errors", "finished_at"])
        _audit(batch, ok=False)
        raise
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.files = [f.as_dict() for f in summary.files]
    batch.counts = counts
    batch.harm_table = harm_table
    batch.progress = 1.0
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "files", "counts", "harm_table", "progress", "finished_at"])
    _audit(batch, ok=True)
    return batch


def _load(path: Path, report: Progress):
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Room for the hash joins and sorts of the set-based merge (this transaction only).
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        bundle = open_bundle(
            path,
            known_nominal_ids=_IdsInDatabase(Nominal),
            known_record_ids=_IdsInDatabase(Record),
        )
        total = _estimate_rows(bundle)
        done = 0
        with bundle:
            for name in bundle.files:
                if name == "harm_index":
                    for _ in bundle.batches(name):
                        pass  # validated here; stored below as a harm table version
                    continue
                target = TARGETS[name]
                _create_stage(cursor, name, target)
                report(done / total * 0.8, f"Reading {bundle.file(name).filename}")
                for rows in bundle.batches(name):
                    _stage_rows(cursor, name, target, rows)
                if connection.vendor == "postgresql":
                    # Temporary tables are never analysed automatically; without statistics the
                    # planner takes a million staged rows for a handful.
                    cursor.execute(f"ANALYZE {_stage_name(name)}")
                done += bundle.file(name).size
        # Leaving `with bundle` ran finish(): any problem in any file has raised BundleError,
        # which rolls back the transaction before anything reached the real tables.
        summary = bundle.summary
        counts: dict[str, dict[str, int]] = {}
        present = [name for name in TARGETS if bundle.has(name)]
        for position, name in enumerate(present):
            report(0.8 + 0.2 * position / len(present), f"Saving {name.replace('_', ' ')}")
            counts[name] = _merge(cursor, name, TARGETS[name])
        harm_table = harm_table_for(bundle.file("harm_index").path if bundle.has("harm_index") else None)
        report(1.0, "Done")
    return counts, summary, harm_table


def _audit(batch: ImportBatch, *, ok: bool) -> None:
    record_access(
        action=AccessAction.IMPORT,
        actor=batch.imported_by,
        obj=batch,
        via="task",
        reason="imported" if ok else "rejected: " + "; ".join(e.get("message", "") for e in batch.errors[:3])[:400],
        detail={"files": batch.files, "counts": batch.counts, "source": batch.source_path},
    )


def problems_as_text(problems: Iterable[BundleProblem]) -> str:
    return "\n".join(str(problem) for problem in problems)
