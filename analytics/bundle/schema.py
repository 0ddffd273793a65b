"""What each file of a bundle must contain (METHOD.md section 1), and the typed rows it yields.

Every column listed for a file must be present in its header (a header that lacks one almost
always means the wrong export); extra columns are ignored. Values follow these rules:

* ids (nominal_id, record_id, soc_group_id, the ids in link files): non-empty, at most 64
  characters, kept exactly as written (no trimming, case kept);
* dates: YYYY-MM-DD (Parquet: a date column or such strings);
* `source`: CRIMES, IMS, ICIS, PINS or COMPACT; `role` and `flags`: free upper-case words,
  e.g. SUSPECT or LAC. These three are compared ignoring case and surrounding spaces and are
  yielded upper-case, because the method matches them exactly;
* `flags`: ';'-separated; empty parts are dropped, so "LAC;;" is ("LAC",);
* numbers (harm table): finite and not negative;
* other text: as written, "" when empty. Maximum lengths match the database columns.

Row types are NamedTuples: plain tuples in file-column order (ready for COPY or executemany)
that can also be read by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

SOURCES: tuple[str, ...] = ("CRIMES", "IMS", "ICIS", "PINS", "COMPACT")
"""Record sources: crime, intelligence log, custody, prison release, missing person."""

KNOWN_ROLES: tuple[str, ...] = (
    "SUSPECT",
    "OFFENDER",
    "ARRESTED",
    "CHARGED",
    "VICTIM",
    "WITNESS",
    "SUBJECT",
    "MISSING_PERSON",
)
"""Roles the method knows; other upper-case roles are accepted and carried through."""

ID_MAX_LENGTH = 64


class NominalRow(NamedTuple):
    nominal_id: str
    surname: str
    forenames: str
    date_of_birth: date | None
    gender: str
    local_authority: str
    flags: tuple[str, ...]


class RecordRow(NamedTuple):
    record_id: str
    source: str
    recorded_at: date
    offence_code: str
    text: str


class RecordNominalRow(NamedTuple):
    record_id: str
    nominal_id: str
    role: str


class AssociationRow(NamedTuple):
    nominal_id_a: str
    nominal_id_b: str
    kind: str


class SocGroupRow(NamedTuple):
    soc_group_id: str
    nominal_id: str


class HarmRow(NamedTuple):
    offence_code: str
    description: str
    cchi_days: float
    ons_weight: float


Row = NominalRow | RecordRow | RecordNominalRow | AssociationRow | SocGroupRow | HarmRow


@dataclass(frozen=True)
class ColumnSpec:
    """One column. `kind` is one of: id, text, date, source, word, flags, number."""

    name: str
    kind: str
    nullable: bool = False
    max_length: int | None = None
    # For id columns of link files: the file whose ids this column must name.
    references: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """One file of the bundle. `key` is the column whose values must be unique in the file.

    `allow_empty`: whether a header without rows is acceptable (a 0-byte file never is).
    """

    name: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    row_type: type
    key: str | None = None
    allow_empty: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def filenames(self) -> tuple[str, str]:
        return (f"{self.name}.csv", f"{self.name}.parquet")


def _id(name: str, references: str | None = None) -> ColumnSpec:
    return ColumnSpec(name, "id", max_length=ID_MAX_LENGTH, references=references)


def _text(name: str, max_length: int | None = None) -> ColumnSpec:
    return ColumnSpec(name, "text", nullable=True, max_length=max_length)


NOMINALS = FileSpec(
    name="nominals",
    required=True,
    columns=(
        _id("nominal_id"),
        _text("surname", 100),
        _text("forenames", 150),
        ColumnSpec("date_of_birth", "date", nullable=True),
        _text("gender", 16),
        _text("local_authority", 64),
        ColumnSpec("flags", "flags", nullable=True, max_length=200),
    ),
    row_type=NominalRow,
    key="nominal_id",
)

RECORDS = FileSpec(
    name="records",
    required=True,
    columns=(
        _id("record_id"),
        ColumnSpec("source", "source"),
        ColumnSpec("recorded_at", "date"),
        _text("offence_code", 16),
        _text("text"),
    ),
    row_type=RecordRow,
    key="record_id",
)

RECORD_NOMINALS = FileSpec(
    name="record_nominals",
    required=True,
    columns=(
        _id("record_id", references="records"),
        _id("nominal_id", references="nominals"),
        ColumnSpec("role", "word", max_length=32),
    ),
    row_type=RecordNominalRow,
)

ASSOCIATIONS = FileSpec(
    name="associations",
    required=False,
    columns=(
        _id("nominal_id_a", references="nominals"),
        _id("nominal_id_b", references="nominals"),
        _text("kind", 32),
    ),
    row_type=AssociationRow,
    allow_empty=True,
)

SOC_GROUPS = FileSpec(
    name="soc_groups",
    required=False,
    columns=(
        _id("soc_group_id"),
        _id("nominal_id", references="nominals"),
    ),
    row_type=SocGroupRow,
    allow_empty=True,
)

# Optional, but when present it replaces the default table, so an empty one would zero all harm.
HARM_INDEX = FileSpec(
    name="harm_index",
    required=False,
    columns=(
        ColumnSpec("offence_code", "id", max_length=16),
        _text("description", 200),
        ColumnSpec("cchi_days", "number"),
        ColumnSpec("ons_weight", "number"),
    ),
    row_type=HarmRow,
    key="offence_code",
)

FILE_SPECS: dict[str, FileSpec] = {
    spec.name: spec for spec in (NOMINALS, RECORDS, RECORD_NOMINALS, ASSOCIATIONS, SOC_GROUPS, HARM_INDEX)
}
"""All files in reading order: a link file comes after the files whose ids it names."""
