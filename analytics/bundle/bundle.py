"""Opening a bundle directory and reading its files as validated, typed batches.

Typical import (one pass over the data, everything rolled back on any problem)::

    with transaction.atomic(), open_bundle(path) as bundle:
        for name in bundle.files:                 # dependency order
            for batch in bundle.batches(name):    # lists of NamedTuple rows
                copy_into_staging(name, batch)
        # leaving the `with` block calls bundle.finish(): BundleError if anything was wrong
    summary = bundle.summary                      # sizes, row counts and SHA-256 per file

Rows with problems are never yielded, but the import must still be abandoned when finish()
raises: the problems are only known once every file has been read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .problems import BundleError, BundleProblem
from .reader import FileHeader, IdRegister, ProblemLog, TableReader, read_header
from .schema import FILE_SPECS, FileSpec

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class BundleFile:
    """A file found in the bundle: its logical `name` (e.g. "records") and where it is."""

    name: str
    path: Path
    format: str  # "csv" or "parquet"
    size: int

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FileSummary:
    """What was read from one file, for the import's audit trail."""

    name: str
    filename: str
    format: str
    size: int
    rows: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "filename": self.filename,
            "format": self.format,
            "size": self.size,
            "rows": self.rows,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class BundleSummary:
    """A fully read, valid bundle. `digest` identifies its content (names and SHA-256s)."""

    path: Path
    files: tuple[FileSummary, ...]

    @property
    def digest(self) -> str:
        lines = "".join(f"{f.filename}\t{f.sha256}\n" for f in sorted(self.files, key=_by_name))
        return hashlib.sha256(lines.encode()).hexdigest()

    def file(self, name: str) -> FileSummary:
        for summary in self.files:
            if summary.name == name:
                return summary
        raise KeyError(name)


def _by_name(summary: FileSummary) -> str:
    return summary.filename


class Bundle:
    """An opened bundle whose files are read once each, in `files` order, as row batches.

    Not thread-safe. Use `open_bundle` to create one.
    """

    def __init__(
        self,
        path: Path,
        files: dict[str, BundleFile],
        headers: dict[str, FileHeader],
        *,
        known_ids: dict[str, Container[str] | None],
        batch_size: int,
        max_problems: int,
    ) -> None:
        self.path = path
        self._files = files
        self._headers = headers
        self._known = known_ids
        self._batch_size = batch_size
        self._log = ProblemLog(max_problems)
        self._ids: dict[str, IdRegister] = {}
        self._readers: dict[str, TableReader] = {}
        self._finished: set[str] = set()
        self.summary: BundleSummary | None = None

    @property
    def files(self) -> tuple[str, ...]:
        """Names of the files present, in the order they must be read (links last)."""
        return tuple(self._files)

    def file(self, name: str) -> BundleFile:
        return self._files[name]

    def has(self, name: str) -> bool:
        return name in self._files

    @property
    def problems(self) -> list[BundleProblem]:
        """Problems found so far (all of them once `finish` has run)."""
        return list(self._log.problems)

    def batches(self, name: str) -> Iterator[list[Any]]:
        """Valid rows of file `name`, in file order, as lists of at most `batch_size` rows.

        Each file may be read once, and only after the files its links refer to (nominals and
        records before record_nominals, ...), because link ids are checked against them.
        Raises BundleError as soon as the problem limit is reached.
        """
        spec = FILE_SPECS.get(name)
        if spec is None or name not in self._files:
            raise KeyError(f"{name!r} is not a file of this bundle (present: {self.files})")
        if name in self._readers:
            raise RuntimeError(f"{name} has already been read; each file is read once")
        for column in spec.columns:
            if column.references and column.references not in self._finished:
                raise RuntimeError(
                    f"read {column.references} to the end before {name}: "
                    f"its {column.name} values are checked against {column.references}"
                )
        bundle_file = self._files[name]
        reader = TableReader(
            spec=spec,
            path=bundle_file.path,
            display=bundle_file.filename,
            file_format=bundle_file.format,
            header=self._headers[name],
            log=self._log,
            ids=self._ids,
            known=self._known,
            display_names={n: f.filename for n, f in self._files.items()},
            batch_size=self._batch_size,
        )
        self._readers[name] = reader
        return self._read_to_end(name, reader)

    def _read_to_end(self, name: str, reader: TableReader) -> Iterator[list[Any]]:
        yield from reader.batches()
        self._finished.add(name)

    def rows(self, name: str) -> Iterator[Any]:
        """Like `batches`, one row at a time."""
        for batch in self.batches(name):
            yield from batch

    def finish(self) -> BundleSummary:
        """Read whatever has not been read (to validate it), then raise or summarise.

        Raises BundleError if any problem was found anywhere in the bundle, and RuntimeError if
        a file's reading was started but abandoned part-way (its rows were not all checked).
        """
        for name in self._files:
            if name not in self._readers:
                for _batch in self.batches(name):
                    pass
            elif name not in self._finished:
                raise RuntimeError(f"{name} was not read to the end; the bundle is not validated")
        if self._log.problems:
            raise BundleError(self._log.problems)
        self.summary = BundleSummary(
            path=self.path,
            files=tuple(
                FileSummary(
                    name=name,
                    filename=bundle_file.filename,
                    format=bundle_file.format,
                    size=bundle_file.size,
                    rows=self._readers[name].rows,
                    sha256=self._readers[name].sha256 or "",
                )
                for name, bundle_file in self._files.items()
            ),
        )
        return self.summary

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()


def open_bundle(
    path: str | os.PathLike[str],
    *,
    known_nominal_ids: Container[str] | None = None,
    known_record_ids: Container[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> Bundle:
    """Open the bundle directory at `path`, checking which files exist and their headers.

    For each file name in METHOD.md section 1, ``<name>.csv`` or ``<name>.parquet`` is used
    (both at once is a problem). Other files in the directory are ignored.

    `known_nominal_ids` / `known_record_ids`: ids already in the database (anything supporting
    ``in``); a link row naming one of them is accepted even though the bundle does not list it.

    Raises BundleError at once for problems of structure: a missing required file, a 0-byte
    file, a missing header column, a required file without rows, an unreadable header.
    Problems in the rows are found while reading (see `Bundle.batches` and `Bundle.finish`).
    """
    directory = Path(path)
    if not directory.is_dir():
        raise BundleError(
            [
                BundleProblem(
                    str(directory),
                    issue="is not a directory",
                    expected="a directory holding nominals.csv, records.csv, record_nominals.csv",
                )
            ]
        )
    present = {entry.name for entry in directory.iterdir() if entry.is_file()}
    problems: list[BundleProblem] = []
    files: dict[str, BundleFile] = {}
    headers: dict[str, FileHeader] = {}
    for name, spec in FILE_SPECS.items():
        found = _find_file(directory, spec, present, problems)
        if found is None:
            continue
        header = read_header(found.path, found.filename, spec, found.format)
        if isinstance(header, list):
            problems.extend(header)
            continue
        if not spec.allow_empty and not header.has_rows:
            problems.append(_no_rows_problem(found.filename))
            continue
        files[name] = found
        headers[name] = header
    if problems:
        raise BundleError(problems[:max_problems], truncated=len(problems) > max_problems)
    return Bundle(
        directory,
        files,
        headers,
        known_ids={"nominals": known_nominal_ids, "records": known_record_ids},
        batch_size=batch_size,
        max_problems=max_problems,
    )


def _no_rows_problem(filename: str) -> BundleProblem:
    return BundleProblem(
        filename,
        issue="has a header but no rows",
        expected="at least one row (only associations and soc_groups may be empty)",
    )


def _find_file(directory: Path, spec: FileSpec, present: set[str], problems: list[BundleProblem]) -> BundleFile | None:
    csv_name, parquet_name = spec.filenames
    names = [name for name in (csv_name, parquet_name) if name in present]
    if len(names) == 2:
        problems.append(
            BundleProblem(
                csv_name,
                issue=f"and {parquet_name} are both present",
                expected="one of them only",
            )
        )
        return None
    if not names:
        if spec.required:
            near = sorted(n for n in present if n.lower() in (csv_name, parquet_name))
            hint = f" (found {', '.join(near)}: names are case-sensitive)" if near else ""
            problems.append(
                BundleProblem(
                    csv_name,
                    issue="is missing" + hint,
                    expected=f"a required file of the bundle, {csv_name} or {parquet_name}",
                )
            )
        return None
    file_path = directory / names[0]
    return BundleFile(
        name=spec.name,
        path=file_path,
        format="csv" if names[0] == csv_name else "parquet",
        size=file_path.stat().st_size,
    )


def validate_bundle(path: str | os.PathLike[str], **options: Any) -> BundleSummary:
    """Read a whole bundle without keeping rows; BundleError if it is not valid.

    `options` are those of `open_bundle`.
    """
    bundle = open_bundle(path, **options)
    for name in bundle.files:
        for _batch in bundle.batches(name):
            pass
    return bundle.finish()


def read_table(
    path: str | os.PathLike[str],
    name: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> tuple[list[Any], FileSummary]:
    """All rows of one stand-alone file of kind `name` (e.g. a harm table), validated.

    Only for small files whose columns name no other file (harm_index, nominals, records).
    Raises BundleError if the file has any problem.
    """
    spec = FILE_SPECS[name]
    if any(column.references for column in spec.columns):
        raise ValueError(f"{name} links to other files; read it as part of a bundle")
    file_path = Path(path)
    file_format = "parquet" if file_path.suffix.lower() == ".parquet" else "csv"
    if not file_path.is_file():
        raise BundleError(
            [
                BundleProblem(
                    file_path.name,
                    issue="is missing",
                    expected=f"a {name} file at {file_path}",
                )
            ]
        )
    header = read_header(file_path, file_path.name, spec, file_format)
    if isinstance(header, list):
        raise BundleError(header)
    if not spec.allow_empty and not header.has_rows:
        raise BundleError([_no_rows_problem(file_path.name)])
    log = ProblemLog(max_problems)
    reader = TableReader(
        spec=spec,
        path=file_path,
        display=file_path.name,
        file_format=file_format,
        header=header,
        log=log,
        ids={},
        known={},
        display_names={},
        batch_size=batch_size,
    )
    rows = [row for batch in reader.batches() for row in batch]
    if log.problems:
        raise BundleError(log.problems)
    summary = FileSummary(
        name=name,
        filename=file_path.name,
        format=file_format,
        size=file_path.stat().st_size,
        rows=reader.rows,
        sha256=reader.sha256 or "",
    )
    return rows, summary
