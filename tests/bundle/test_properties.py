"""Whatever free text a force system exports, written as CSV, reads back unchanged."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.bundle import open_bundle

from .conftest import VALID_FILES

free_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(free_text, min_size=1, max_size=4))
def test_free_text_round_trips_through_csv(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        for filename in ("nominals.csv", "record_nominals.csv"):
            (directory / filename).write_text(VALID_FILES[filename], encoding="utf-8")
        with (directory / "records.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["record_id", "source", "recorded_at", "offence_code", "text"])
            for number in (1, 2, 3):
                writer.writerow([f"R{number}", "IMS", "2024-01-01", "", "linked"])
            for number, text in enumerate(texts, start=10):
                writer.writerow([f"R{number}", "IMS", "2024-01-01", "", text])
        with open_bundle(directory) as bundle:
            list(bundle.rows("nominals"))
            read = [row.text for row in bundle.rows("records")][3:]
            list(bundle.rows("record_nominals"))
        assert read == texts
