"""Parquet files with the same columns read back as the same rows as the CSV they came from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from analytics.bundle import BundleError, open_bundle, validate_bundle
from analytics.bundle.schema import FILE_SPECS

from .conftest import VALID_FILES, BundleFactory


def read_all(directory: Path) -> dict[str, list[tuple[object, ...]]]:
    with open_bundle(directory, batch_size=2) as bundle:
        return {name: [tuple(row) for row in bundle.rows(name)] for name in bundle.files}


def to_parquet(csv_path: Path, parquet_path: Path) -> None:
    """Every column as text, as a CSV-to-Parquet export without type inference would do."""
    names = FILE_SPECS[csv_path.stem].column_names
    table = pa_csv.read_csv(
        csv_path,
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
    )
    pq.write_table(table, parquet_path, row_group_size=2)


def test_parquet_round_trip_gives_the_same_rows(make_bundle: BundleFactory, tmp_path: Path) -> None:
    csv_bundle = make_bundle()
    parquet_bundle = tmp_path / "parquet"
    parquet_bundle.mkdir()
    for name in VALID_FILES:
        to_parquet(csv_bundle / name, parquet_bundle / name.replace(".csv", ".parquet"))
    assert read_all(parquet_bundle) == read_all(csv_bundle)
    summary = validate_bundle(parquet_bundle)
    assert {f.format for f in summary.files} == {"parquet"}
    assert all(len(f.sha256) == 64 for f in summary.files)


def test_parquet_may_use_real_date_columns_and_nulls(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"nominals.csv": None})
    table = pa.table(
        {
            "nominal_id": ["N1", "N2", "N3"],
            "surname": ["SMITH", None, "JONES"],
            "forenames": ["Jack", "Aisha", "Paul"],
            "date_of_birth": pa.array([date(2010, 3, 4), None, date(1970, 1, 31)], pa.date32()),
            "gender": ["M", "F", "M"],
            "local_authority": ["Birmingham", "Coventry", "Walsall"],
            "flags": ["LAC", None, "VULNERABLE_ADULT"],
        }
    )
    pq.write_table(table, directory / "nominals.parquet")
    rows = read_all(directory)["nominals"]
    assert rows[0][3] == date(2010, 3, 4)
    assert rows[1][1:4] == ("", "Aisha", None)
    assert rows[1][6] == ()


def test_parquet_problems_name_the_row_as_a_line(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"soc_groups.csv": None})
    pq.write_table(
        pa.table({"soc_group_id": ["SOC1", "SOC1"], "nominal_id": ["N1", "N404"]}),
        directory / "soc_groups.parquet",
    )
    with pytest.raises(BundleError) as caught:
        validate_bundle(directory)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "soc_groups.parquet",
        3,
        "nominal_id",
        "N404",
    )


def test_parquet_column_of_an_unusable_type(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"soc_groups.csv": None})
    pq.write_table(
        pa.table({"soc_group_id": ["SOC1"], "nominal_id": pa.array([1.5], pa.float64())}),
        directory / "soc_groups.parquet",
    )
    with pytest.raises(BundleError) as caught:
        open_bundle(directory)
    [problem] = caught.value.problems
    assert (problem.file, problem.column, problem.value) == ("soc_groups.parquet", "nominal_id", "double")
    assert problem.expected == "a string column"
