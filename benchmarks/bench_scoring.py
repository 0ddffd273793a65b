"""Scoring benchmark: the fast engine against the plain contract, in the same run.

Texts are synthetic police free text from `analytics.synthetic` (crime reports, intelligence
logs, custody and missing-person records, with their typos, pound signs and curly quotes). Every
engine scores the same texts; the run fails if any engine's matched terms differ from the
reference on any text, or if the fast engine is less than 10 times faster.

- reference: the contract as written, `re.compile(r"\\b(?:TERM)\\b", re.IGNORECASE)` per term,
  searched row by row (`ReferenceMatcher`);
- python: the pure-Python fallback used when google-re2 is missing (`PrefilterMatcher`);
- re2: the fast engine, one RE2 Set pass over the ASCII surrogate (`Re2SetMatcher`).

Run: `.venv/bin/python benchmarks/bench_scoring.py [--records 200000]`
(or `python -m benchmarks.bench_scoring`).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.method.scoring import make_matcher, score_records  # noqa: E402
from analytics.method.terms import DEFAULT_TERM_GROUPS  # noqa: E402
from benchmarks._table import print_table  # noqa: E402

REQUIRED_SPEED_UP = 10.0


def synthetic_texts(count: int, seed: int) -> list[tuple[str, str]]:
    from analytics.synthetic import generate_bundle

    with tempfile.TemporaryDirectory() as directory:
        generate_bundle(directory, seed=seed, scale=count)
        with open(Path(directory) / "records.csv", encoding="utf-8", newline="") as stream:
            return [(row["record_id"], row["text"]) for row in csv.DictReader(stream)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    texts = synthetic_texts(args.records, args.seed)
    non_ascii = sum(1 for _, text in texts if not text.isascii())
    mean_length = sum(len(text) for _, text in texts) / len(texts)
    print(
        f"{len(texts)} synthetic texts, mean length {mean_length:.0f} characters, "
        f"{non_ascii} ({100 * non_ascii / len(texts):.1f}%) with non-ASCII characters; "
        f"{sum(len(g.patterns) for g in DEFAULT_TERM_GROUPS)} default terms"
    )

    results, seconds, matchers = {}, {}, {}
    for engine in ("reference", "python", "re2"):
        matcher = matchers[engine] = make_matcher(DEFAULT_TERM_GROUPS, engine=engine)
        started = time.perf_counter()
        results[engine] = score_records(texts, matcher)
        seconds[engine] = time.perf_counter() - started

    reference = results["reference"]
    rows, failures = [], []
    for engine in ("reference", "python", "re2"):
        scored = results[engine]
        identical = scored.keys() == reference.keys() and all(
            scored[r].matched == reference[r].matched for r in reference
        )
        if not identical:
            failures.append(f"{engine} differs from the reference")
        rows.append(
            [
                engine,
                f"{seconds[engine]:.2f}",
                f"{len(texts) / seconds[engine]:,.0f}",
                f"{seconds['reference'] / seconds[engine]:.1f}x",
                len(scored),
                "yes" if identical else "NO",
            ]
        )
    print_table(
        "Record scoring, same texts, same run",
        ["engine", "seconds", "texts/s", "vs reference", "records matched", "identical"],
        rows,
    )
    handed_over = getattr(matchers["re2"], "reference_texts", 0)
    print(f"\nThe re2 engine handed {handed_over} texts to the reference engine (see analytics.method.scoring).")

    speed_up = seconds["reference"] / seconds["re2"]
    if speed_up < REQUIRED_SPEED_UP:
        failures.append(f"re2 is only {speed_up:.1f}x faster than the reference (needs {REQUIRED_SPEED_UP:g}x)")
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
