"""The synthetic bundle: deterministic, valid, and its truth.json matches what was written."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from analytics.bundle import KNOWN_ROLES, SOURCES, validate_bundle
from analytics.bundle.harm import load_harm_index
from analytics.synthetic import REFERENCE_DATE, generate_bundle
from analytics.synthetic.vocabulary import LOCAL_AUTHORITIES

BUNDLE_FILES = (
    "nominals.csv",
    "records.csv",
    "record_nominals.csv",
    "associations.csv",
    "soc_groups.csv",
    "truth.json",
)
CUCKOO = re.compile(r"\b(CUCKOOED|CUCKOO\s+HOUSE|CUCKOO\s+FLAT|CUCKOO\s+PROPERTY)\b", re.I)
COUNTY_LINE = re.compile(r"\bCOUNTY\s+LINES?\b", re.I)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("small")
    generate_bundle(directory, seed=7, scale="small")
    return directory


@pytest.fixture(scope="module")
def bundle(small: Path) -> dict[str, Any]:
    """Everything in the small bundle, read with the csv module (independently of our reader)."""

    def rows(name: str) -> list[dict[str, str]]:
        with (small / name).open(encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))

    return {
        "nominals": {row["nominal_id"]: row for row in rows("nominals.csv")},
        "records": {row["record_id"]: row for row in rows("records.csv")},
        "links": rows("record_nominals.csv"),
        "associations": rows("associations.csv"),
        "soc_groups": rows("soc_groups.csv"),
        "truth": json.loads((small / "truth.json").read_text(encoding="utf-8")),
    }


def digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in BUNDLE_FILES}


def age_on(born: str, day: date) -> int:
    birth = date.fromisoformat(born)
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_same_seed_gives_the_same_bytes(small: Path, tmp_path: Path) -> None:
    generate_bundle(tmp_path / "again", seed=7, scale="small")
    assert digests(tmp_path / "again") == digests(small)
    generate_bundle(tmp_path / "other", seed=8, scale="small")
    assert digests(tmp_path / "other")["records.csv"] != digests(small)["records.csv"]


def test_same_seed_gives_the_same_bytes_in_another_process(small: Path, tmp_path: Path) -> None:
    # A different hash seed would expose any dependence on set or dict-of-str iteration order.
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-m", "analytics.synthetic", str(tmp_path / "other"), "--seed", "7"],
        check=True,
        env=environment,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert digests(tmp_path / "other") == digests(small)


def test_generated_bundle_passes_the_validator(small: Path) -> None:
    summary = validate_bundle(small)
    assert summary.file("records").rows == 10_000
    truth = json.loads((small / "truth.json").read_text())
    assert {f.name: f.rows for f in summary.files} == {
        name: truth["counts"][name] for name in ("nominals", "records", "record_nominals", "associations", "soc_groups")
    }


def test_every_offence_code_is_in_the_default_harm_table(bundle: dict[str, Any]) -> None:
    harm = load_harm_index()
    codes = {r["offence_code"] for r in bundle["records"].values() if r["offence_code"]}
    assert codes and codes <= set(harm.entries)


def test_sources_roles_and_local_authorities_look_like_a_force_extract(
    bundle: dict[str, Any],
) -> None:
    sources = Counter(r["source"] for r in bundle["records"].values())
    assert set(sources) == set(SOURCES)
    assert sources.most_common(1)[0][0] == "CRIMES"
    assert {link["role"] for link in bundle["links"]} == set(KNOWN_ROLES)
    authorities = {n["local_authority"] for n in bundle["nominals"].values()}
    assert authorities - {""} == set(LOCAL_AUTHORITIES)
    without_birth_date = [n for n in bundle["nominals"].values() if not n["date_of_birth"]]
    assert 0.01 < len(without_birth_date) / len(bundle["nominals"]) < 0.1


def test_county_lines_are_a_small_minority_and_search_terms_also_occur_innocently(
    bundle: dict[str, Any],
) -> None:
    texts = [r["text"] for r in bundle["records"].values()]
    planted = {rid for line in bundle["truth"]["lines"] for rid in line["records"]}
    matching = [r for r in bundle["records"].values() if COUNTY_LINE.search(r["text"])]
    assert len(matching) / len(texts) < 0.03
    assert any(r["record_id"] not in planted for r in matching)  # awareness talks and the like
    joined = "\n".join(texts).lower()
    for phrase in ("cuckoo clock", "crack in the windscreen", "line of washing", "weed killer"):
        assert phrase in joined, phrase
    assert bundle["truth"]["counts"]["innocent_mentions"] > 0


def test_free_text_is_messy(bundle: dict[str, Any]) -> None:
    texts = [r["text"] for r in bundle["records"].values()]
    assert any("\n" in t for t in texts)  # line breaks inside quoted CSV fields
    assert any(t.isupper() for t in texts)
    assert any("  " in t for t in texts)
    assert any(re.search(r"\bPWITS\b", t, re.I) for t in texts)
    assert any(re.search(r"\bMISPER\b", t, re.I) for t in texts)


def test_truth_lines_match_the_files(bundle: dict[str, Any]) -> None:
    nominals, records, truth = bundle["nominals"], bundle["records"], bundle["truth"]
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    for link in bundle["links"]:
        roles[(link["record_id"], link["nominal_id"])].add(link["role"])
    by_nominal: dict[str, list[str]] = defaultdict(list)
    for record_id, nominal in roles:
        by_nominal[nominal].append(record_id)
    reference = date.fromisoformat(truth["reference_date"])
    assert reference == REFERENCE_DATE
    assert len(truth["lines"]) == 6
    cuckoo_matched: list[bool] = []
    for line in truth["lines"]:
        people = line["holders"] + line["members"] + line["children"] + line["cuckooed_adults"]
        assert len(people) == len(set(people))
        assert all(person in nominals for person in people)
        assert line["local_authority"] in LOCAL_AUTHORITIES
        assert all(record_id in records for record_id in line["records"])
        for holder in line["holders"] + line["members"]:
            born = nominals[holder]["date_of_birth"]
            assert not born or age_on(born, reference) >= 18
        for child in line["children"]:
            born = nominals[child]["date_of_birth"]
            if born:
                # A child at the reference date and for a year after it.
                assert age_on(born, date(reference.year + 1, reference.month, 1)) < 18
            else:
                assert child in line["no_date_of_birth"]
            episodes = [
                r
                for r in by_nominal[child]
                if records[r]["source"] == "COMPACT" and "MISSING_PERSON" in roles[(r, child)]
            ]
            assert episodes, f"{child} has no missing episode"
            towns = line["supply_towns"]
            assert any(any(town.lower() in records[r]["text"].lower() for town in towns) for r in episodes), (
                "children are found out of area"
            )
        for child in line["looked_after_children"]:
            assert child in line["children"]
            assert "LAC" in nominals[child]["flags"].split(";")
        for adult in line["cuckooed_adults"]:
            assert "VULNERABLE_ADULT" in nominals[adult]["flags"].split(";")
            assert age_on(nominals[adult]["date_of_birth"], reference) >= 18
            victim_of = [r for r in by_nominal[adult] if "VICTIM" in roles[(r, adult)]]
            assert victim_of
            # Officers also write "cuckoo'd" or "cuckooing", which the search terms miss.
            cuckoo_matched.append(any(CUCKOO.search(records[r]["text"]) for r in victim_of))
    assert any(line["looked_after_children"] for line in truth["lines"])
    assert cuckoo_matched and sum(cuckoo_matched) >= len(cuckoo_matched) / 2


def test_truth_soc_groups_match_soc_groups_csv(bundle: dict[str, Any]) -> None:
    truth = bundle["truth"]
    written: dict[str, list[str]] = defaultdict(list)
    for row in bundle["soc_groups"]:
        written[row["soc_group_id"]].append(row["nominal_id"])
    assert written == {g["soc_group_id"]: g["members"] for g in truth["soc_groups"]}
    lines = {line["line_id"]: line for line in truth["lines"]}
    overlapping = [g for g in truth["soc_groups"] if g["overlaps_lines"]]
    assert overlapping and len(overlapping) < len(truth["soc_groups"])
    for group in truth["soc_groups"]:
        for line_id in group["overlaps_lines"]:
            line = lines[line_id]
            assert group["soc_group_id"] in line["soc_groups"]
            assert set(line["holders"] + line["members"]) <= set(group["members"])
        if not group["overlaps_lines"]:
            every_line_person = {p for line in lines.values() for p in line["holders"] + line["members"]}
            assert not set(group["members"]) & every_line_person


def test_planted_records_interleave_with_background(bundle: dict[str, Any]) -> None:
    order = list(bundle["records"])
    planted = {rid for line in bundle["truth"]["lines"] for rid in line["records"]}
    positions = [i for i, rid in enumerate(order) if rid in planted]
    # Not one block: background records sit between planted ones.
    assert positions[-1] - positions[0] > len(positions) * 5
    dates = [bundle["records"][rid]["recorded_at"] for rid in order]
    assert dates == sorted(dates)


def test_numeric_scale_and_bad_scale(tmp_path: Path) -> None:
    result = generate_bundle(tmp_path / "tiny", seed=1, scale=800)
    assert result.counts["records"] == 800
    validate_bundle(tmp_path / "tiny")
    with pytest.raises(ValueError, match="scale must be one of"):
        generate_bundle(tmp_path / "bad", seed=1, scale="huge")
