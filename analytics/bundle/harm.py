"""The harm table: Cambridge Crime Harm Index days and ONS Crime Severity Score weight per offence.

The portal ships a default (`analytics/reference/harm_index.csv`, provenance in
`HARM_PROVENANCE.md`); a bundle may carry its own `harm_index.csv`, which then replaces the
default for that import (METHOD.md section 1). Both are validated like any bundle file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .bundle import read_table
from .schema import HarmRow

DEFAULT_HARM_INDEX_PATH = Path(__file__).resolve().parent.parent / "reference" / "harm_index.csv"


@dataclass(frozen=True)
class HarmIndex:
    """A validated harm table. `origin` is "default" or "bundle"; `sha256` of the file read."""

    entries: dict[str, HarmRow]
    origin: str
    filename: str
    sha256: str

    def __contains__(self, offence_code: object) -> bool:
        return offence_code in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, offence_code: str) -> HarmRow | None:
        return self.entries.get(offence_code)


def load_harm_index(path: str | os.PathLike[str] | None = None) -> HarmIndex:
    """Read and validate a harm table (CSV or Parquet); the shipped default when `path` is None.

    Raises analytics.bundle.BundleError if the file is missing or has any problem.
    """
    file_path = Path(path) if path is not None else DEFAULT_HARM_INDEX_PATH
    rows, summary = read_table(file_path, "harm_index")
    return HarmIndex(
        entries={row.offence_code: row for row in rows},
        origin="default" if path is None else "bundle",
        filename=summary.filename,
        sha256=summary.sha256,
    )


def harm_index_for_bundle(bundle_path: str | os.PathLike[str]) -> HarmIndex:
    """The bundle's own harm_index.csv (or .parquet) if it has one, else the shipped default."""
    directory = Path(bundle_path)
    for filename in ("harm_index.csv", "harm_index.parquet"):
        if (directory / filename).is_file():
            return load_harm_index(directory / filename)
    return load_harm_index()
