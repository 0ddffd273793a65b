"""Small hand-written bundles, imported and analysed through the real services.

A bundle here is a few nominals, records and links, small enough that a reader can work out
every score, every kept nominal and every group by hand from METHOD.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.importing import bundle_import
from analytics.models import AnalysisRun, ImportBatch, NominalResult

# (nominal_id, date_of_birth or "", local_authority, flags)
NominalRow = tuple[str, str, str, str]
# (record_id, text)
RecordRow = tuple[str, str]
# (record_id, nominal_id, role)
LinkRow = tuple[str, str, str]


def write_small_bundle(
    directory: Path, nominals: Iterable[NominalRow], records: Iterable[RecordRow], links: Iterable[LinkRow]
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nominals.csv").write_text(
        "nominal_id,surname,forenames,date_of_birth,gender,local_authority,flags\n"
        + "".join(f"{n},Surname,{n},{born},U,{authority},{flags}\n" for n, born, authority, flags in nominals)
    )
    (directory / "records.csv").write_text(
        "record_id,source,recorded_at,offence_code,text\n"
        + "".join(f'{r},IMS,2026-01-05,,"{text}"\n' for r, text in records)
    )
    (directory / "record_nominals.csv").write_text(
        "record_id,nominal_id,role\n" + "".join(f"{r},{n},{role}\n" for r, n, role in links)
    )
    return directory


def import_small_bundle(directory: Path, nominals, records, links) -> ImportBatch:
    path = write_small_bundle(directory, nominals, records, links)
    batch = bundle_import(batch=ImportBatch.objects.create(), path=path)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    return batch


def import_pair(directory: Path) -> ImportBatch:
    """A child and an adult on one county-lines record: both kept, in one group."""
    return import_small_bundle(
        directory,
        nominals=[("N1", "2011-03-14", "Birmingham", ""), ("N2", "1995-02-11", "Coventry", "")],
        records=[("R1", "Intel: N1 running a county line for N2")],
        links=[("R1", "N1", "SUBJECT"), ("R1", "N2", "SUSPECT")],
    )


def run_to_the_end(*, reference_date: date, actor=None, **params) -> AnalysisRun:
    run = analysis_run_execute(run=analysis_run_create(actor=actor, reference_date=reference_date, **params))
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def stored(run: AnalysisRun, **flags) -> set[str]:
    """The kept nominals of `run` whose stored result has `flags` (e.g. is_child=True)."""
    return set(NominalResult.objects.filter(run=run, **flags).values_list("nominal_id", flat=True))
