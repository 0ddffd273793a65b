"""Streaming, validating reader for one file of a bundle (CSV or Parquet).

Internal to the package: `analytics.bundle.open_bundle` is the way in. A `TableReader` reads its
file once, front to back, in batches, so memory stays flat however large the file; only the ids
of nominals and records are kept (link files are checked against them).
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import math
import operator
import re
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .problems import BundleError, BundleProblem
from .schema import SOURCES, ColumnSpec, FileSpec

_HASH_CHUNK = 1 << 20
# Converters cache validated values that repeat (dates, roles, flag lists); the cap keeps a
# pathological file (a million distinct dates) from growing the cache without bound.
_CACHE_LIMIT = 100_000
_SURROGATE = re.compile("[\udc80-\udcff]")
_WORD = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_EARLIEST_YEAR = 1900
_LATEST_YEAR = 2100
_CSV_UTF8_HINT = "UTF-8 text (save or export the file as UTF-8, e.g. Excel's 'CSV UTF-8')"


class ProblemLog:
    """Problems found so far across a bundle; raises BundleError once `limit` is reached."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.problems: list[BundleProblem] = []

    def add(self, problem: BundleProblem) -> None:
        self.problems.append(problem)
        if len(self.problems) >= self.limit:
            raise BundleError(self.problems, truncated=True)


class _Invalid(Exception):
    """A value failed its column's rule; carries the two halves of the person's message."""

    def __init__(self, issue: str, expected: str) -> None:
        super().__init__(issue)
        self.issue = issue
        self.expected = expected


Converter = Callable[[Any], Any]

# Ids read so far, as dict keys rather than a set: a dict holding only strings is not tracked by
# the cyclic garbage collector, whereas a set of millions of ids would be walked by every full
# collection (which made reading 5M records several times slower).
IdRegister = dict[str, None]


def _id_converter(column: ColumnSpec) -> Converter:
    limit = column.max_length or 64
    expected = f"{column.name.replace('_', ' ')} of 1 to {limit} characters"

    def convert(value: str) -> str:
        if not value:
            raise _Invalid("is empty", expected)
        if len(value) > limit:
            raise _Invalid(f"is {len(value)} characters long", expected)
        return value

    return convert


def _text_converter(column: ColumnSpec) -> Converter | None:
    limit = column.max_length
    if limit is None:
        return None  # Free text: nothing to check, so no call per row.
    expected = f"at most {limit} characters"

    def convert(value: str) -> str:
        if len(value) > limit:
            raise _Invalid(f"is {len(value)} characters long", expected)
        return value

    return convert


def _date_converter(column: ColumnSpec) -> Converter:
    cache: dict[Any, date] = {}
    nullable = column.nullable
    expected = "YYYY-MM-DD" + (" or empty" if nullable else "")

    def convert(value: Any) -> date | None:
        known = cache.get(value)
        if known is not None:
            return known
        if value is None or value == "":
            if nullable:
                return None
            raise _Invalid("is empty", "a date, YYYY-MM-DD")
        if isinstance(value, datetime):
            raise _Invalid("is a timestamp, not a date", expected)
        if isinstance(value, date):
            parsed = value
        else:
            # date.fromisoformat alone would also accept 20240101 and 2024-W01-1.
            if not _DATE_SHAPE.match(value):
                raise _Invalid("is not a date", expected)
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                raise _Invalid("is not a date", expected) from None
        if not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
            raise _Invalid(f"is outside {_EARLIEST_YEAR}-{_LATEST_YEAR}", f"a real date, {expected}")
        if len(cache) < _CACHE_LIMIT:
            cache[value] = parsed
        return parsed

    return convert


def _source_converter(column: ColumnSpec) -> Converter:
    accepted = {source: source for source in SOURCES}
    expected = "one of " + ", ".join(SOURCES)

    def convert(value: str) -> str:
        source = accepted.get(value)
        if source is None:
            source = accepted.get(value.strip().upper())
            if source is None:
                raise _Invalid("is not a known source system", expected)
        return source

    return convert


def _normalise_word(value: str) -> str | None:
    word = value.strip().upper()
    return word if _WORD.match(word) else None


def _word_converter(column: ColumnSpec) -> Converter:
    cache: dict[str, str] = {}
    limit = column.max_length or 32
    expected = f"one word of letters, digits and '_' (at most {limit}), e.g. SUSPECT"

    def convert(value: str) -> str:
        word = cache.get(value)
        if word is not None:
            return word
        word = _normalise_word(value)
        if word is None or len(word) > limit:
            raise _Invalid("is not a valid " + column.name, expected)
        if len(cache) < _CACHE_LIMIT:
            cache[value] = word
        return word

    return convert


def _flags_converter(column: ColumnSpec) -> Converter:
    cache: dict[str, tuple[str, ...]] = {"": ()}
    limit = column.max_length or 200
    expected = "';'-separated flags such as LAC;VULNERABLE_ADULT"

    def convert(value: str) -> tuple[str, ...]:
        flags = cache.get(value)
        if flags is not None:
            return flags
        words = []
        for part in value.split(";"):
            if not part.strip():
                continue
            word = _normalise_word(part)
            if word is None:
                raise _Invalid(f"has an invalid flag {part.strip()!r}", expected)
            if word not in words:
                words.append(word)
        flags = tuple(words)
        if len(";".join(flags)) > limit:
            raise _Invalid("is too long", f"flags of at most {limit} characters in all")
        if len(cache) < _CACHE_LIMIT:
            cache[value] = flags
        return flags

    return convert


def _number_converter(column: ColumnSpec) -> Converter:
    expected = "a number, 0 or more (e.g. 365 or 12.5)"

    def convert(value: Any) -> float:
        if isinstance(value, bool):
            raise _Invalid("is not a number", expected)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Invalid("is not a number", expected) from None
        if not math.isfinite(number) or number < 0:
            raise _Invalid("is not a finite number of 0 or more", expected)
        return number

    return convert


_CONVERTER_FACTORIES: dict[str, Callable[[ColumnSpec], Converter | None]] = {
    "id": _id_converter,
    "text": _text_converter,
    "date": _date_converter,
    "source": _source_converter,
    "word": _word_converter,
    "flags": _flags_converter,
    "number": _number_converter,
}


def _check_association(row: Sequence[Any]) -> tuple[str, str, str] | None:
    if row[0] == row[1]:
        return ("nominal_id_b", "is the same nominal as nominal_id_a", "two different nominals")
    return None


# Checks across columns of one row: (column, issue, expected) or None.
_ROW_CHECKS: dict[str, Callable[[Sequence[Any]], tuple[str, str, str] | None]] = {
    "associations": _check_association,
}


class _HashingRaw(io.RawIOBase):
    """A raw binary stream that hashes every byte it reads and notices invalid UTF-8.

    Checking UTF-8 here, a megabyte at a time in C, costs far less than looking at every line;
    `bad_utf8` turns True as soon as a chunk with invalid bytes has been read, which is before
    the text layer hands the rows holding them to the CSV parser.
    """

    def __init__(self, raw: io.FileIO) -> None:
        super().__init__()
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.bad_utf8 = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)
        if count:
            chunk = memoryview(buffer)[:count]
            self.sha256.update(chunk)
            if not self.bad_utf8:
                try:
                    self._utf8.decode(chunk)
                except UnicodeDecodeError:
                    self.bad_utf8 = True
        elif not self.bad_utf8:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.bad_utf8 = True  # the file ends inside a multi-byte character
        return count or 0

    def drain(self) -> None:
        """Hash the rest of the file (after reading stopped early)."""
        while chunk := self._raw.read(_HASH_CHUNK):
            self.sha256.update(chunk)

    def close(self) -> None:
        self._raw.close()
        super().close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _show_bad_bytes(text: str) -> str:
    """Text decoded with surrogateescape, with each undecodable byte shown as \\xNN."""
    return _SURROGATE.sub(lambda match: f"\\x{ord(match.group()) - 0xDC00:02x}", text)


def _open_text(raw: io.RawIOBase) -> io.TextIOWrapper:
    # utf-8-sig drops a leading BOM; surrogateescape lets reading go on past bad bytes so that
    # the row (and so the line and column) holding them can be reported.
    return io.TextIOWrapper(
        io.BufferedReader(raw, buffer_size=_HASH_CHUNK),
        encoding="utf-8-sig",
        errors="surrogateescape",
        newline="",
    )


@dataclass
class FileHeader:
    """What opening a file found: where each spec column is, and whether any row follows."""

    positions: dict[str, int]
    has_rows: bool
    field_count: int


def read_header(path: Path, display: str, spec: FileSpec, file_format: str) -> FileHeader | list[BundleProblem]:
    """Read only the header (and peek for a first row); problems if it cannot be used."""
    if path.stat().st_size == 0:
        return [
            BundleProblem(
                display,
                issue="is empty (0 bytes)",
                expected="a header row naming the columns " + ", ".join(spec.column_names),
            )
        ]
    if file_format == "parquet":
        return _read_parquet_header(path, display, spec)
    with path.open("rb") as binary:
        start = binary.read(4)
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return [BundleProblem(display, 1, issue="is UTF-16", expected=_CSV_UTF8_HINT)]
    with _open_text(io.FileIO(path, "r")) as text:
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader, None)
            has_rows = any(row for row in reader)
        except csv.Error as error:
            return [
                BundleProblem(
                    display,
                    reader.line_num,
                    issue=f"is not valid CSV ({error})",
                    expected="comma-separated values",
                )
            ]
    if not header or not any(name.strip() for name in header):
        return [
            BundleProblem(
                display,
                1,
                issue="has no header row",
                expected="a header row naming the columns " + ", ".join(spec.column_names),
            )
        ]
    for name in header:
        if _SURROGATE.search(name):
            return [
                BundleProblem(
                    display,
                    1,
                    None,
                    _show_bad_bytes(name),
                    issue="is not valid UTF-8",
                    expected=_CSV_UTF8_HINT,
                )
            ]
    return _match_columns(display, spec, header, has_rows)


def _match_columns(
    display: str, spec: FileSpec, names: Sequence[str], has_rows: bool
) -> FileHeader | list[BundleProblem]:
    positions: dict[str, int] = {}
    problems = []
    wanted = set(spec.column_names)
    for position, name in enumerate(names):
        key = name.strip().lower()
        if key in wanted:
            if key in positions:
                problems.append(
                    BundleProblem(
                        display,
                        1,
                        key,
                        issue="appears twice in the header",
                        expected="each column once",
                    )
                )
            positions[key] = position
    for column in spec.column_names:
        if column not in positions:
            problems.append(
                BundleProblem(
                    display,
                    1,
                    column,
                    issue="is missing from the header",
                    expected="the columns " + ", ".join(spec.column_names) + " (in any order; others are ignored)",
                )
            )
    if problems:
        return problems
    return FileHeader(positions=positions, has_rows=has_rows, field_count=len(names))


def _read_parquet_header(path: Path, display: str, spec: FileSpec) -> FileHeader | list[BundleProblem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        return [
            BundleProblem(
                display,
                issue=f"cannot be read as Parquet ({error})",
                expected="a Parquet file",
            )
        ]
    schema = parquet.schema_arrow
    header = _match_columns(display, spec, schema.names, parquet.metadata.num_rows > 0)
    if isinstance(header, list):
        return header
    problems = []
    for column in spec.columns:
        arrow_type = schema.field(header.positions[column.name]).type
        if pa.types.is_dictionary(arrow_type):
            arrow_type = arrow_type.value_type
        ok = (
            pa.types.is_string(arrow_type)
            or pa.types.is_large_string(arrow_type)
            or pa.types.is_null(arrow_type)
            or (column.kind == "date" and pa.types.is_date(arrow_type))
            or (
                column.kind == "number"
                and (
                    pa.types.is_integer(arrow_type)
                    or pa.types.is_floating(arrow_type)
                    or pa.types.is_decimal(arrow_type)
                )
            )
            or (column.kind in ("id", "text") and pa.types.is_integer(arrow_type))
        )
        if not ok:
            expected = {"date": "a date or string column", "number": "a numeric or string column"}
            problems.append(
                BundleProblem(
                    display,
                    None,
                    column.name,
                    str(arrow_type),
                    issue="is not a usable column type",
                    expected=expected.get(column.kind, "a string column"),
                )
            )
    return problems or header


class TableReader:
    """Reads one file of a bundle once, yielding valid rows in batches of `batch_size`.

    Rows with problems are reported to `log` and left out. `ids` maps a file name to the ids
    read so far from it (this reader adds to its own entry when the file has a key, and checks
    link columns against the entry they reference and against `known`);
    `display_names` maps a file name to the file name shown in problems. After the last batch,
    `sha256` and `rows` are set.
    """

    def __init__(
        self,
        *,
        spec: FileSpec,
        path: Path,
        display: str,
        file_format: str,
        header: FileHeader,
        log: ProblemLog,
        ids: dict[str, IdRegister],
        known: dict[str, Container[str] | None],
        display_names: dict[str, str],
        batch_size: int,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.spec = spec
        self.path = path
        self.display = display
        self.format = file_format
        self.header = header
        self.log = log
        self.batch_size = batch_size
        self.sha256: str | None = None
        self.rows = 0
        self._display_names = display_names
        self._encoding_reported = False
        self._row_check = _ROW_CHECKS.get(spec.name)
        # tuple.__new__ directly: what NamedTuple._make does, minus a Python-level call per row.
        self._make_row = functools.partial(tuple.__new__, spec.row_type)
        # `str` stands in for "no check": on a str it returns the same object, at C speed.
        self._converters = [_CONVERTER_FACTORIES[c.kind](c) or str for c in spec.columns]
        self._key_position = spec.column_names.index(spec.key) if spec.key else None
        self._key_seen: IdRegister = ids.setdefault(spec.name, {}) if spec.key else {}
        self._references = [
            (
                position,
                column.name,
                column.references,
                ids.setdefault(column.references, {}),
                known.get(column.references),
            )
            for position, column in enumerate(spec.columns)
            if column.references
        ]

    def batches(self) -> Iterator[list[Any]]:
        if self.format == "parquet":
            yield from self._parquet_batches()
        else:
            yield from self._csv_batches()

    # -- CSV --------------------------------------------------------------------------------

    def _csv_batches(self) -> Iterator[list[Any]]:
        raw = _HashingRaw(io.FileIO(self.path, "r"))
        text = _open_text(raw)
        positions = [self.header.positions[name] for name in self.spec.column_names]
        field_count = self.header.field_count
        if positions == list(range(field_count)):
            pick = None  # the file has exactly the spec's columns, in order: use rows as they are
        else:
            pick = operator.itemgetter(*positions)
        reader = csv.reader(text, strict=True)
        convert = self._convert
        batch: list[Any] = []
        try:
            next(reader)  # the header, already checked by read_header
            previous_line = reader.line_num
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    # The parser's state cannot be trusted after this, so the file ends here.
                    self.log.add(
                        BundleProblem(
                            self.display,
                            previous_line + 1,
                            issue=f"is not valid CSV ({error})",
                            expected="comma-separated values; quote fields that contain "
                            "commas, quotes or line breaks, and double quotes inside them",
                        )
                    )
                    break
                line = previous_line + 1
                previous_line = reader.line_num
                if not fields:
                    continue  # blank line
                if raw.bad_utf8 and self._report_bad_bytes(fields, line):
                    continue
                if len(fields) != field_count:
                    self.log.add(
                        BundleProblem(
                            self.display,
                            line,
                            issue=f"has {len(fields)} fields but the header has {field_count}",
                            expected="one field per header column; quote fields that contain commas or line breaks",
                        )
                    )
                    continue
                row = convert(fields if pick is None else pick(fields), line)
                if row is not None:
                    batch.append(row)
                    if len(batch) >= self.batch_size:
                        self.rows += len(batch)
                        yield batch
                        batch = []
            if batch:
                self.rows += len(batch)
                yield batch
            raw.drain()
            self.sha256 = raw.sha256.hexdigest()
        finally:
            text.close()

    def _report_bad_bytes(self, fields: Sequence[str], line: int) -> bool:
        """Report the first field with undecodable bytes in this file; True if there was one."""
        for position, value in enumerate(fields):
            if _SURROGATE.search(value):
                if not self._encoding_reported:
                    self._encoding_reported = True
                    names = {p: n for n, p in self.header.positions.items()}
                    self.log.add(
                        BundleProblem(
                            self.display,
                            line,
                            names.get(position),
                            _show_bad_bytes(value),
                            issue="is not valid UTF-8 (only the first such line is reported)",
                            expected=_CSV_UTF8_HINT,
                        )
                    )
                return True
        return False

    # -- Parquet ----------------------------------------------------------------------------

    def _parquet_batches(self) -> Iterator[list[Any]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        names = {name.strip().lower(): name for name in pq.read_schema(self.path).names}
        columns = [names[name] for name in self.spec.column_names]
        parquet = pq.ParquetFile(self.path)
        record_batches = parquet.iter_batches(batch_size=self.batch_size, columns=columns)
        line = 1
        batch: list[Any] = []
        while True:
            try:
                record_batch = next(record_batches)
            except StopIteration:
                break
            except (pa.ArrowException, OSError) as error:
                # A damaged file: what follows cannot be read, so the file ends here.
                self.log.add(
                    BundleProblem(
                        self.display,
                        line + 1,
                        issue=f"cannot be read as Parquet ({error})",
                        expected="a complete, readable Parquet file",
                    )
                )
                break
            values_by_column = []
            bad_bytes = False
            for position, column in enumerate(self.spec.columns):
                values, undecodable = _arrow_values(record_batch.column(position), column)
                values_by_column.append(values)
                bad_bytes = bad_bytes or undecodable
            for row_values in zip(*values_by_column, strict=True):
                line += 1
                if bad_bytes and self._report_bad_bytes([v if isinstance(v, str) else "" for v in row_values], line):
                    continue
                row = self._convert(row_values, line)
                if row is not None:
                    batch.append(row)
                    if len(batch) >= self.batch_size:
                        self.rows += len(batch)
                        yield batch
                        batch = []
        if batch:
            self.rows += len(batch)
            yield batch
        # Parquet is read by seeking (footer first), so the digest is a separate sequential pass.
        self.sha256 = file_sha256(self.path)

    # -- both -------------------------------------------------------------------------------

    def _convert(self, values: Sequence[Any], line: int) -> Any | None:
        """The typed row for `values` (spec column order), or None after reporting problems."""
        try:
            converted = [convert(value) for convert, value in zip(self._converters, values, strict=True)]
        except _Invalid:
            self._report_invalid(values, line)
            return None
        if self._key_position is not None:
            key = converted[self._key_position]
            if key in self._key_seen:
                self._report_duplicate(key, line)
                return None
            self._key_seen[key] = None
        for position, name, target, seen, known in self._references:
            value = converted[position]
            if value not in seen and (known is None or value not in known):
                self._report_unknown(name, target, known, value, line)
                return None
        if self._row_check is not None:
            found = self._row_check(converted)
            if found is not None:
                column_name, issue, expected = found
                position = self.spec.column_names.index(column_name)
                self.log.add(
                    BundleProblem(
                        self.display,
                        line,
                        column_name,
                        str(converted[position]),
                        issue=issue,
                        expected=expected,
                    )
                )
                return None
        return self._make_row(converted)

    def _report_invalid(self, values: Sequence[Any], line: int) -> None:
        """Slow path for a row with at least one bad value: report each bad column."""
        key = None
        for position, (column, convert, value) in enumerate(
            zip(self.spec.columns, self._converters, values, strict=True)
        ):
            try:
                converted = convert(value)
            except _Invalid as invalid:
                self.log.add(
                    BundleProblem(
                        self.display,
                        line,
                        column.name,
                        "" if value is None else str(value),
                        issue=invalid.issue,
                        expected=invalid.expected,
                    )
                )
            else:
                if position == self._key_position:
                    key = converted
        if key is not None:
            # The id of an otherwise bad row still counts as read, so that link rows naming it
            # do not add a second, misleading "unknown id" problem.
            if key in self._key_seen:
                self._report_duplicate(key, line)
            self._key_seen[key] = None

    def _report_duplicate(self, key: str, line: int) -> None:
        self.log.add(
            BundleProblem(
                self.display,
                line,
                self.spec.key,
                key,
                issue="appears more than once",
                expected=f"each {self.spec.key} once in {self.display}",
            )
        )

    def _report_unknown(self, name: str, target: str, known: Container[str] | None, value: str, line: int) -> None:
        self.log.add(
            BundleProblem(
                self.display,
                line,
                name,
                value,
                issue=f"is not a {target[:-1].replace('_', ' ')} id of this bundle"
                + (" or of the database" if known is not None else ""),
                expected=f"an id listed in {self._display_names.get(target, target)}",
            )
        )


def _arrow_values(array: Any, column: ColumnSpec) -> tuple[list[Any], bool]:
    """Python values of one Parquet column; True when some text had to be decoded leniently."""
    import pyarrow as pa

    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind_type = array.type
    if column.kind == "date" and pa.types.is_date(kind_type):
        return array.to_pylist(), False
    if column.kind == "number" and not (pa.types.is_string(kind_type) or pa.types.is_large_string(kind_type)):
        return array.to_pylist(), False
    if not (pa.types.is_string(kind_type) or pa.types.is_large_string(kind_type)):
        array = array.cast(pa.string())
    undecodable = False
    try:
        values = array.to_pylist()
    except UnicodeDecodeError:
        undecodable = True
        values = [
            None if raw is None else codecs.decode(raw, "utf-8", "surrogateescape")
            for raw in array.cast(pa.binary()).to_pylist()
        ]
    return ["" if value is None else value for value in values], undecodable
