"""Whole-analysis benchmark: from data in PostgreSQL to stored results.

Imports the synthetic bundle of the chosen scale into a fresh database (not timed here; see
bench_import), then times `manage.py analyse` in a child process twice on the same data, in the
same run:

- baseline: one process (`ANALYSIS_WORKERS=1`): every stage one after the other;
- portal: the default, Walktrap, betweenness and dismantling in worker processes (one per core).

For each: wall time, CPU time (the command and its worker processes), peak memory (of the
largest single process, and of all its processes together, by PSS), and the time of every stage
as the run recorded it. The two runs' result documents must be identical.

Run: `.venv/bin/python -m benchmarks.bench_analysis [--scale small|medium|large] [--no-baseline]
[--reuse-import]` (`--no-baseline` times the portal only, as the one-process run of the large
bundle takes long; `--reuse-import` skips the import into a fresh database).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from benchmarks._common import DATA, POSTGRES, fresh_postgres, print_table, run_child
from benchmarks.bench_import import ensure_bundle

TARGET_SECONDS = {"small": None, "medium": 60, "large": 300}
MEMORY_TARGET_MIB = {"large": 6 * 1024}
TIMINGS = (
    "import json; from analytics.models import AnalysisRun; "
    "print(json.dumps(AnalysisRun.objects.latest('id').ordered_timings))"
)


def _analyse(url: str, scale: str, workers: int | None) -> dict:
    output = DATA / f"result-{scale}-{'default' if workers is None else workers}.json"
    extra = {} if workers is None else {"ANALYSIS_WORKERS": str(workers)}
    command = [sys.executable, "manage.py", "analyse", "--reference-date", "2026-06-30", "--output", str(output)]
    seconds, peak, cpu, tree_peak = run_child(command, database_url=url, extra_env=extra, cpu=True)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings.demo"}
    shell = [sys.executable, "manage.py", "shell", "-v", "0", "-c", TIMINGS]
    timings = json.loads(subprocess.run(shell, env=env, capture_output=True, text=True, check=True).stdout)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "tree_peak": tree_peak,
        "timings": dict(timings),
        "output": output,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--no-baseline", action="store_true", help="time the portal's run only")
    parser.add_argument(
        "--reuse-import", action="store_true", help="analyse the database a previous run of this benchmark imported"
    )
    args = parser.parse_args()
    bundle = ensure_bundle(args.scale)
    name = f"portal_bench_analysis_{args.scale}"
    if args.reuse_import:
        url = f"{POSTGRES}/{name}"
        run_child([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], database_url=url)
    else:
        url = fresh_postgres(name)
        run_child([sys.executable, "manage.py", "import_bundle", str(bundle), "-v", "0"], database_url=url)
    portal = _analyse(url, args.scale, workers=None)
    baseline = None if args.no_baseline else _analyse(url, args.scale, workers=1)
    same = baseline is None or _document(baseline["output"]) == _document(portal["output"])

    def cell(run: dict | None, text) -> str:
        return "-" if run is None else text(run)

    target = TARGET_SECONDS[args.scale]
    rows = [
        [stage, cell(baseline, lambda r, stage=stage: f"{r['timings'][stage]:.2f}"), f"{seconds:.2f}", ""]
        for stage, seconds in portal["timings"].items()
    ]
    rows += [
        [
            "whole command (incl. start-up)",
            cell(baseline, lambda r: f"{r['seconds']:.1f}"),
            f"{portal['seconds']:.1f}" + (f" (target <= {target})" if target else ""),
            cell(baseline, lambda r: f"{r['seconds'] / portal['seconds']:.2f}x"),
        ],
        ["CPU seconds (all processes)", cell(baseline, lambda r: f"{r['cpu']:.1f}"), f"{portal['cpu']:.1f}", ""],
        [
            "peak memory of one process, MiB",
            cell(baseline, lambda r: f"{r['peak']:,.0f}"),
            f"{portal['peak']:,.0f}",
            "",
        ],
        [
            "peak memory, all processes (PSS), MiB",
            cell(baseline, lambda r: f"{r['tree_peak']:,.0f}"),
            f"{portal['tree_peak']:,.0f}"
            + (f" (target < {MEMORY_TARGET_MIB[args.scale]:,})" if MEMORY_TARGET_MIB.get(args.scale) else ""),
            "",
        ],
        ["identical result documents", "", cell(baseline, lambda r: "yes" if same else "NO"), ""],
    ]
    print_table(
        f"Whole analysis on PostgreSQL ({args.scale} bundle), `manage.py analyse`; seconds per stage",
        ["stage", "baseline: one process", f"portal: {os.cpu_count()} workers", "speed-up"],
        rows,
    )
    if not same:
        raise SystemExit("the two runs' result documents differ")


def _document(path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    document["run"].pop("id", None)  # each run has its own id
    return document


if __name__ == "__main__":
    main()
