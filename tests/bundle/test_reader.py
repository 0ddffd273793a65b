"""One test per kind of bad input, asserting what the person is told: file, line, column, value."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from analytics.bundle import (
    BundleError,
    BundleProblem,
    NominalRow,
    RecordNominalRow,
    RecordRow,
    open_bundle,
    validate_bundle,
)

from .conftest import VALID_FILES, BundleFactory


def problems_of(directory: Path, **options: object) -> list[BundleProblem]:
    with pytest.raises(BundleError) as caught:
        validate_bundle(directory, **options)
    return caught.value.problems


def only_problem(directory: Path, **options: object) -> BundleProblem:
    problems = problems_of(directory, **options)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def with_row(filename: str, row: str) -> dict[str, str | bytes | None]:
    """The valid file with one more row at the end (line 5 of records/nominals/links)."""
    return {filename: VALID_FILES[filename] + row + "\n"}


# -- a valid bundle -------------------------------------------------------------------------


def test_valid_bundle_yields_typed_rows_in_file_order(make_bundle: BundleFactory) -> None:
    with open_bundle(make_bundle()) as bundle:
        assert bundle.files == (
            "nominals",
            "records",
            "record_nominals",
            "associations",
            "soc_groups",
        )
        nominals = list(bundle.rows("nominals"))
        records = list(bundle.rows("records"))
        links = list(bundle.rows("record_nominals"))
        list(bundle.rows("associations"))
        list(bundle.rows("soc_groups"))
    assert nominals[0] == NominalRow("N1", "SMITH", "Jack", date(2010, 3, 4), "M", "Birmingham", ("LAC",))
    assert nominals[1].date_of_birth is None
    assert nominals[2].flags == ("VULNERABLE_ADULT", "MENTAL_HEALTH")
    assert records[1] == RecordRow("R2", "COMPACT", date(2024, 6, 2), "", "MISPER found in Shrewsbury,\nconcerns re CL")
    assert links[0] == RecordNominalRow("R1", "N1", "SUSPECT")
    assert tuple(links[0]) == ("R1", "N1", "SUSPECT")  # plain tuples for COPY/executemany
    summary = bundle.summary
    assert summary is not None
    assert [f.rows for f in summary.files] == [3, 3, 3, 1, 1]


def test_sha256_of_each_file_is_computed_while_reading(make_bundle: BundleFactory) -> None:
    directory = make_bundle()
    summary = validate_bundle(directory)
    for file in summary.files:
        expected = hashlib.sha256((directory / file.filename).read_bytes()).hexdigest()
        assert file.sha256 == expected
    assert len(summary.digest) == 64


def test_problem_reads_like_a_sentence() -> None:
    problem = BundleProblem(
        "records.csv",
        14,
        "recorded_at",
        "2024-13-01",
        expected="YYYY-MM-DD",
        issue="is not a date",
    )
    assert str(problem) == ("records.csv line 14, column recorded_at: '2024-13-01' is not a date; expected YYYY-MM-DD")
    assert problem.as_dict()["message"] == str(problem)


# -- structure ------------------------------------------------------------------------------


def test_missing_required_column(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"records.csv": "record_id,source,offence_code,text\nR1,CRIMES,,x\n"})
    with pytest.raises(BundleError) as caught:
        open_bundle(directory)  # reported at once, before any row is read
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == ("records.csv", 1, "recorded_at")
    assert problem.issue == "is missing from the header"
    assert "record_id, source, recorded_at, offence_code, text" in problem.expected
    assert str(problem).startswith(
        "records.csv line 1, column recorded_at: is missing from the header; expected the columns"
    )


def test_missing_required_files_are_all_named(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"nominals.csv": None, "records.csv": None, "record_nominals.csv": None})
    (directory / "Records.csv").write_text(VALID_FILES["records.csv"])
    problems = problems_of(directory)
    assert [(p.file, p.issue) for p in problems] == [
        ("nominals.csv", "is missing"),
        ("records.csv", "is missing (found Records.csv: names are case-sensitive)"),
        ("record_nominals.csv", "is missing"),
    ]
    assert problems[0].expected == "a required file of the bundle, nominals.csv or nominals.parquet"


def test_optional_files_may_be_absent(make_bundle: BundleFactory) -> None:
    summary = validate_bundle(make_bundle({"associations.csv": None, "soc_groups.csv": None}))
    assert [f.name for f in summary.files] == ["nominals", "records", "record_nominals"]


def test_zero_byte_file_is_an_error_even_when_optional(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle({"soc_groups.csv": b""}))
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "soc_groups.csv",
        None,
        None,
        None,
    )
    assert problem.issue == "is empty (0 bytes)"
    assert problem.expected == "a header row naming the columns soc_group_id, nominal_id"


def test_header_only_is_valid_for_optional_files(make_bundle: BundleFactory) -> None:
    summary = validate_bundle(make_bundle({"associations.csv": "nominal_id_a,nominal_id_b,kind\n"}))
    assert summary.file("associations").rows == 0


def test_header_only_is_an_error_for_required_files(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle({"record_nominals.csv": "record_id,nominal_id,role\n\n"}))
    assert (problem.file, problem.issue) == ("record_nominals.csv", "has a header but no rows")
    assert problem.expected == "at least one row (only associations and soc_groups may be empty)"


def test_csv_and_parquet_of_the_same_file_is_ambiguous(make_bundle: BundleFactory) -> None:
    directory = make_bundle()
    (directory / "soc_groups.parquet").write_bytes(b"PAR1")
    problem = only_problem(directory)
    assert (problem.file, problem.issue) == ("soc_groups.csv", "and soc_groups.parquet are both present")


def test_extra_columns_are_ignored_and_order_is_free(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"record_nominals.csv": "Role,comment,NOMINAL_ID,record_id\nsuspect,x,N1,R1\n"})
    with open_bundle(directory) as bundle:
        list(bundle.rows("nominals"))
        list(bundle.rows("records"))
        assert list(bundle.rows("record_nominals")) == [RecordNominalRow("R1", "N1", "SUSPECT")]


def test_row_with_wrong_number_of_fields(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("soc_groups.csv", "SOC2,N1,extra")))
    assert (problem.file, problem.line, problem.column) == ("soc_groups.csv", 3, None)
    assert problem.issue == "has 3 fields but the header has 2"


def test_unterminated_quote_is_reported_with_its_line(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("associations.csv", 'N1,N3,"FAMILY')))
    assert (problem.file, problem.line) == ("associations.csv", 3)
    assert problem.issue.startswith("is not valid CSV")


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2024-13-01", "2024-02-30", "20240101", "01/02/2024", "2024-1-1"])
def test_bad_date(make_bundle: BundleFactory, bad: str) -> None:
    problem = only_problem(make_bundle(with_row("records.csv", f"R4,IMS,{bad},,text")))
    # R2 spans lines 3-4, so R4 starts on line 6: lines are those an editor shows.
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "records.csv",
        6,
        "recorded_at",
        bad,
    )
    assert problem.issue == "is not a date"
    assert problem.expected == "YYYY-MM-DD"
    assert str(problem) == f"records.csv line 6, column recorded_at: '{bad}' is not a date; expected YYYY-MM-DD"


def test_bad_date_of_birth_says_it_may_be_empty(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("nominals.csv", "N4,LEE,Kai,31/12/2009,M,Dudley,")))
    assert (problem.line, problem.column, problem.value) == (5, "date_of_birth", "31/12/2009")
    assert problem.expected == "YYYY-MM-DD or empty"


def test_unknown_source_system(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("records.csv", "R4,NICHE,2024-01-01,,text")))
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "records.csv",
        6,
        "source",
        "NICHE",
    )
    assert problem.issue == "is not a known source system"
    assert problem.expected == "one of CRIMES, IMS, ICIS, PINS, COMPACT"


def test_source_and_role_ignore_case_and_surrounding_spaces(make_bundle: BundleFactory) -> None:
    directory = make_bundle(
        {
            **with_row("records.csv", "R4, pins ,2024-01-01,,released"),
            **with_row("record_nominals.csv", "R4,N2, Witness "),
        }
    )
    with open_bundle(directory) as bundle:
        list(bundle.rows("nominals"))
        assert list(bundle.rows("records"))[-1].source == "PINS"
        assert list(bundle.rows("record_nominals"))[-1].role == "WITNESS"


def test_duplicate_id(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("nominals.csv", "N2,KHAN,Aisha,,F,Coventry,")))
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "nominals.csv",
        5,
        "nominal_id",
        "N2",
    )
    assert problem.issue == "appears more than once"
    assert problem.expected == "each nominal_id once in nominals.csv"


def test_empty_id(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("records.csv", ",IMS,2024-01-01,,x")))
    assert (problem.line, problem.column, problem.value, problem.issue) == (
        6,
        "record_id",
        "",
        "is empty",
    )


def test_flags_are_split_on_semicolons(make_bundle: BundleFactory) -> None:
    directory = make_bundle(with_row("nominals.csv", "N4,LEE,Kai,,M,Dudley, lac ;;Vulnerable_Adult;"))
    with open_bundle(directory) as bundle:
        assert list(bundle.rows("nominals"))[-1].flags == ("LAC", "VULNERABLE_ADULT")


def test_invalid_flag(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("nominals.csv", "N4,LEE,Kai,,M,Dudley,LAC;at risk")))
    assert (problem.line, problem.column, problem.value) == (5, "flags", "LAC;at risk")
    assert problem.issue == "has an invalid flag 'at risk'"
    assert problem.expected == "';'-separated flags such as LAC;VULNERABLE_ADULT"


def test_value_longer_than_the_database_column(make_bundle: BundleFactory) -> None:
    long_code = "X" * 17
    problem = only_problem(make_bundle(with_row("records.csv", f"R4,IMS,2024-01-01,{long_code},x")))
    assert (problem.column, problem.issue, problem.expected) == (
        "offence_code",
        "is 17 characters long",
        "at most 16 characters",
    )


def test_every_bad_column_of_a_row_is_reported(make_bundle: BundleFactory) -> None:
    problems = problems_of(make_bundle(with_row("records.csv", "R4,FAX,2024-00-01,,x")))
    assert [(p.line, p.column) for p in problems] == [(6, "source"), (6, "recorded_at")]


# -- links ----------------------------------------------------------------------------------


def test_unknown_nominal_id_in_a_link_file(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("record_nominals.csv", "R2,N99,WITNESS")))
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "record_nominals.csv",
        5,
        "nominal_id",
        "N99",
    )
    assert problem.issue == "is not a nominal id of this bundle"
    assert problem.expected == "an id listed in nominals.csv"


def test_unknown_record_id_in_a_link_file(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("record_nominals.csv", "R99,N1,SUSPECT")))
    assert (problem.column, problem.value, problem.expected) == (
        "record_id",
        "R99",
        "an id listed in records.csv",
    )


@pytest.mark.parametrize(
    ("filename", "row", "column"),
    [
        ("associations.csv", "N1,N404,ASSOCIATE", "nominal_id_b"),
        ("associations.csv", "N404,N1,ASSOCIATE", "nominal_id_a"),
        ("soc_groups.csv", "SOC1,N404", "nominal_id"),
    ],
)
def test_unknown_ids_in_other_link_files(make_bundle: BundleFactory, filename: str, row: str, column: str) -> None:
    problem = only_problem(make_bundle(with_row(filename, row)))
    assert (problem.file, problem.line, problem.column, problem.value) == (
        filename,
        3,
        column,
        "N404",
    )


def test_ids_already_in_the_database_are_accepted(make_bundle: BundleFactory) -> None:
    directory = make_bundle(with_row("record_nominals.csv", "R-OLD,N-OLD,SUSPECT"))
    validate_bundle(directory, known_nominal_ids={"N-OLD"}, known_record_ids={"R-OLD"})
    problem = only_problem(directory, known_nominal_ids={"N-OLD"}, known_record_ids=set())
    assert problem.value == "R-OLD"
    assert problem.issue == "is not a record id of this bundle or of the database"


def test_a_bad_row_does_not_cascade_into_unknown_id_problems(make_bundle: BundleFactory) -> None:
    directory = make_bundle(
        {
            **with_row("records.csv", "R4,IMS,not a date,,x"),
            **with_row("record_nominals.csv", "R4,N1,SUBJECT"),
        }
    )
    assert [p.column for p in problems_of(directory)] == ["recorded_at"]


def test_association_of_a_nominal_with_itself(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle(with_row("associations.csv", "N2,N2,FAMILY")))
    assert (problem.line, problem.column, problem.value, problem.expected) == (
        3,
        "nominal_id_b",
        "N2",
        "two different nominals",
    )


def test_repeated_link_rows_are_not_errors(make_bundle: BundleFactory) -> None:
    # Documented: the import layer de-duplicates (ON CONFLICT DO NOTHING / INSERT OR IGNORE).
    validate_bundle(make_bundle(with_row("record_nominals.csv", "R1,N1,SUSPECT")))


def test_link_file_cannot_be_read_before_the_files_it_names(make_bundle: BundleFactory) -> None:
    bundle = open_bundle(make_bundle())
    with pytest.raises(RuntimeError, match="read records to the end before record_nominals"):
        bundle.batches("record_nominals")


# -- encoding -------------------------------------------------------------------------------


def test_non_utf8_bytes_are_reported_with_line_and_column(make_bundle: BundleFactory) -> None:
    latin1 = VALID_FILES["nominals.csv"] + "N4,LEE,Ren\xe9e,,F,Dudley,\n"
    problem = only_problem(make_bundle({"nominals.csv": latin1.encode("latin-1")}))
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "nominals.csv",
        5,
        "forenames",
        "Ren\\xe9e",
    )
    assert problem.issue == "is not valid UTF-8 (only the first such line is reported)"
    assert problem.expected.startswith("UTF-8 text")


def test_only_the_first_bad_line_of_a_file_is_reported(make_bundle: BundleFactory) -> None:
    text = VALID_FILES["records.csv"] + "R4,IMS,2024-01-01,,caf\xe9\nR5,IMS,2024-01-01,,na\xefve\n"
    problem = only_problem(make_bundle({"records.csv": text.encode("cp1252")}))
    assert (problem.line, problem.column) == (6, "text")


def test_utf16_file(make_bundle: BundleFactory) -> None:
    problem = only_problem(make_bundle({"soc_groups.csv": VALID_FILES["soc_groups.csv"].encode("utf-16")}))
    assert (problem.file, problem.line, problem.issue) == ("soc_groups.csv", 1, "is UTF-16")


def test_utf8_bom_is_accepted(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"nominals.csv": b"\xef\xbb\xbf" + VALID_FILES["nominals.csv"].encode()})
    with open_bundle(directory) as bundle:
        rows = list(bundle.rows("nominals"))
        for name in bundle.files[1:]:
            list(bundle.rows(name))
    assert rows[0].nominal_id == "N1"  # not "\ufeffN1", and the header's first column was found


def test_non_ascii_utf8_is_fine(make_bundle: BundleFactory) -> None:
    directory = make_bundle(with_row("nominals.csv", "N4,Ó'NEILL,Renée Zoë,,F,Dudley,"))
    validate_bundle(directory)


# -- limits ---------------------------------------------------------------------------------


def test_reading_stops_after_the_problem_limit(make_bundle: BundleFactory) -> None:
    bad_rows = "".join(f"R{n},IMS,2024-99-01,,x\n" for n in range(100, 200))
    directory = make_bundle({"records.csv": VALID_FILES["records.csv"] + bad_rows})
    with pytest.raises(BundleError) as caught:
        validate_bundle(directory, max_problems=50)
    assert len(caught.value.problems) == 50
    assert caught.value.truncated
    assert "stopped after 50" in str(caught.value)
    assert caught.value.problems[0].line == 6


def test_batches_respect_batch_size(make_bundle: BundleFactory) -> None:
    with open_bundle(make_bundle(), batch_size=2) as bundle:
        assert [len(b) for b in bundle.batches("nominals")] == [2, 1]
        for name in bundle.files[1:]:
            list(bundle.batches(name))


def test_abandoned_reading_is_not_a_valid_bundle(make_bundle: BundleFactory) -> None:
    bundle = open_bundle(make_bundle(), batch_size=1)
    next(iter(bundle.batches("nominals")))
    with pytest.raises(RuntimeError, match="nominals was not read to the end"):
        bundle.finish()
