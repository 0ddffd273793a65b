"""The shipped harm table, and a bundle's own harm table replacing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.bundle import BundleError, open_bundle
from analytics.bundle.harm import DEFAULT_HARM_INDEX_PATH, harm_index_for_bundle, load_harm_index
from analytics.synthetic.offences import LINE_OFFENCE_CODES, OFFENCES

from .conftest import BundleFactory

HEADER = "offence_code,description,cchi_days,ons_weight\n"


def test_default_harm_table_covers_every_code_the_generator_uses() -> None:
    harm = load_harm_index()
    assert harm.origin == "default"
    used = {offence.code for offence in OFFENCES} | set(LINE_OFFENCE_CODES)
    assert used <= set(harm.entries)
    assert harm.entries["092/01"].cchi_days == 548.0
    assert len(harm.sha256) == 64


def test_provenance_file_is_shipped_beside_the_table() -> None:
    provenance = DEFAULT_HARM_INDEX_PATH.with_name("HARM_PROVENANCE.md").read_text()
    assert "indicative" in provenance
    for code in load_harm_index().entries:
        assert f"| {code} |" in provenance


def test_bundle_harm_table_replaces_the_default(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"harm_index.csv": HEADER + "X1,Local offence,10,2.5\n"})
    harm = harm_index_for_bundle(directory)
    assert (harm.origin, list(harm.entries)) == ("bundle", ["X1"])
    assert harm_index_for_bundle(make_bundle({"harm_index.csv": None})).origin == "default"


def test_harm_table_is_validated_like_any_bundle_file(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"harm_index.csv": HEADER + "X1,ok,10,1\nX2,bad,-3,1\nX1,again,1,1\n"})
    with pytest.raises(BundleError) as caught:
        harm_index_for_bundle(directory)
    assert [(p.file, p.line, p.column, p.value, p.issue) for p in caught.value.problems] == [
        ("harm_index.csv", 3, "cchi_days", "-3", "is not a finite number of 0 or more"),
        ("harm_index.csv", 4, "offence_code", "X1", "appears more than once"),
    ]


def test_harm_table_in_a_bundle_is_read_with_it(make_bundle: BundleFactory) -> None:
    directory = make_bundle({"harm_index.csv": HEADER + "X1,Local offence,10,2.5\n"})
    with open_bundle(directory) as bundle:
        assert bundle.files[-1] == "harm_index"
        for name in bundle.files[:-1]:
            list(bundle.rows(name))
        assert [tuple(r) for r in bundle.rows("harm_index")] == [("X1", "Local offence", 10.0, 2.5)]


def test_empty_harm_table_is_refused(make_bundle: BundleFactory) -> None:
    # It would replace the default and silently count every offence as harmless.
    with pytest.raises(BundleError) as caught:
        harm_index_for_bundle(make_bundle({"harm_index.csv": HEADER}))
    assert caught.value.problems[0].issue == "has a header but no rows"
    with pytest.raises(BundleError):
        open_bundle(make_bundle({"harm_index.csv": HEADER}))


def test_missing_harm_file(tmp_path: Path) -> None:
    with pytest.raises(BundleError) as caught:
        load_harm_index(tmp_path / "harm.csv")
    assert caught.value.problems[0].issue == "is missing"
