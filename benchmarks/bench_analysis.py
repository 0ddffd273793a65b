"""Whole-analysis benchmark: from data in PostgreSQL to stored results.

Imports the synthetic bundle of the chosen scale into a fresh database (not timed here; see
bench_import), then times `manage.py analyse` in a child process: wall time, peak memory and the
time of every stage as the run recorded it.

Run: `.venv/bin/python -m benchmarks.bench_analysis [--scale small|medium|large]`.
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks._common import fresh_postgres, print_table, run_child
from benchmarks.bench_import import ensure_bundle

TARGET_SECONDS = {"small": None, "medium": 60, "large": 300}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    args = parser.parse_args()
    bundle = ensure_bundle(args.scale)
    url = fresh_postgres(f"portal_bench_analysis_{args.scale}")
    run_child([sys.executable, "manage.py", "import_bundle", str(bundle), "-v", "0"], database_url=url)
    seconds, peak = run_child(
        [sys.executable, "manage.py", "analyse", "--reference-date", "2026-06-30", "--output", f"var/bench-data/result-{args.scale}.json"],
        database_url=url,
    )
    code = "import json; from analytics.models import AnalysisRun; r = AnalysisRun.objects.latest('id'); print(json.dumps(r.ordered_timings))"
    import os
    import subprocess

    timings = json.loads(
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings.demo"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    target = TARGET_SECONDS[args.scale]
    print_table(
        f"Whole analysis on PostgreSQL ({args.scale} bundle), `manage.py analyse`",
        ["stage", "seconds"],
        [[stage, f"{value:.2f}"] for stage, value in timings]
        + [["whole command (incl. start-up)", f"{seconds:.1f}" + (f" (target ≤ {target})" if target else "")],
           ["peak memory, MiB", f"{peak:,.0f}"]],
    )


if __name__ == "__main__":
    main()
