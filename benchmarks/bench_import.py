"""Import benchmark (issue: import police records fast and safely).

Measures, on PostgreSQL:
1. the import of the whole medium synthetic bundle (≈1M records) through the real code path
   (`manage.py import_bundle`: COPY into staging tables, set-based upserts): rows per second
   and peak memory of the importing process;
2. on the same subset of that bundle, the real import against a plain row-by-row ORM import
   (`update_or_create` per row), in the same run: the ratio.

Run: `make bench` (all benchmarks) or `.venv/bin/python -m benchmarks.bench_import [--scale small]`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from itertools import islice
from pathlib import Path

from benchmarks._common import DATA, fresh_postgres, print_table, run_child

FILES = ("nominals.csv", "records.csv", "record_nominals.csv", "associations.csv", "soc_groups.csv")


def ensure_bundle(scale: str, seed: int = 1) -> Path:
    target = DATA / f"{scale}-seed{seed}"
    if not (target / "truth.json").exists():
        DATA.mkdir(parents=True, exist_ok=True)
        from analytics.synthetic import generate_bundle

        generate_bundle(target, seed=seed, scale=scale)
    return target


def count_rows(bundle: Path) -> int:
    total = 0
    for name in FILES:
        path = bundle / name
        if path.exists():
            with path.open(newline="", encoding="utf-8") as handle:
                total += sum(1 for _ in csv.reader(handle)) - 1
    return total


def subset(bundle: Path, nominals: int) -> Path:
    """A consistent sub-bundle: the first `nominals` nominals, the records linking only them."""
    target = bundle.parent / f"{bundle.name}-subset{nominals}"
    if (target / "records.csv").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)

    def rows(name):
        handle = (bundle / name).open(newline="", encoding="utf-8")
        reader = csv.reader(handle)
        return next(reader), reader

    header, reader = rows("nominals.csv")
    kept_nominals = {row[0]: row for row in islice(reader, nominals)}
    header_links, link_reader = rows("record_nominals.csv")
    links = [row for row in link_reader if row[1] in kept_nominals]
    record_ids = {row[0] for row in links}
    header_records, record_reader = rows("records.csv")
    records = [row for row in record_reader if row[0] in record_ids]
    outputs = {
        "nominals.csv": (header, kept_nominals.values()),
        "records.csv": (header_records, records),
        "record_nominals.csv": (header_links, links),
    }
    for name in ("associations.csv", "soc_groups.csv"):
        if (bundle / name).exists():
            head, other = rows(name)
            ids = (0, 1) if name == "associations.csv" else (1,)
            outputs[name] = (head, [r for r in other if all(r[i] in kept_nominals for i in ids)])
    for name, (head, body) in outputs.items():
        with (target / name).open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(head)
            writer.writerows(body)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--baseline-nominals", type=int, default=2000)
    args = parser.parse_args()

    bundle = ensure_bundle(args.scale)
    rows = count_rows(bundle)
    url = fresh_postgres("portal_bench_import")
    seconds, peak = run_child([sys.executable, "manage.py", "import_bundle", str(bundle), "-v", "0"], database_url=url)
    again, _ = run_child([sys.executable, "manage.py", "import_bundle", str(bundle), "-v", "0"], database_url=url)

    small = subset(bundle, args.baseline_nominals)
    small_rows = count_rows(small)
    fast_url = fresh_postgres("portal_bench_import_subset")
    fast, _ = run_child([sys.executable, "manage.py", "import_bundle", str(small), "-v", "0"], database_url=fast_url)
    orm_url = fresh_postgres("portal_bench_import_orm")
    orm, _ = run_child([sys.executable, "-m", "benchmarks._orm_import", str(small)], database_url=orm_url)

    print_table(
        f"Import into PostgreSQL ({args.scale} bundle: {rows:,} rows in {len(FILES)} files)",
        ["measure", "value"],
        [
            ["first import, seconds", f"{seconds:.1f}"],
            ["rows per second", f"{rows / seconds:,.0f}"],
            ["peak memory of the importer, MiB", f"{peak:,.0f}"],
            ["re-import of the same bundle (nothing changes), seconds", f"{again:.1f}"],
        ],
    )
    print_table(
        f"Same data, same run: {small_rows:,} rows (first {args.baseline_nominals:,} nominals and their records)",
        ["import", "seconds", "rows/s", "ratio"],
        [
            ["row-by-row ORM (update_or_create)", f"{orm:.2f}", f"{small_rows / orm:,.0f}", "1.0x"],
            [
                "portal import (COPY + set-based upsert)",
                f"{fast:.2f}",
                f"{small_rows / fast:,.0f}",
                f"{orm / fast:.1f}x",
            ],
        ],
    )


if __name__ == "__main__":
    main()
