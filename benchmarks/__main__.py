"""`make bench`: every benchmark, one after the other, each printing its own table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = [
    "bench_scoring",
    "bench_walktrap",
    "bench_betweenness",
    "bench_import",
    "bench_analysis",
    "bench_cases",
    "bench_audit_overhead",
    "bench_api",
    "bench_network_page",
]

if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    failed = []
    for name in BENCHMARKS:
        if not (root / "benchmarks" / f"{name}.py").exists():
            continue
        print(f"\n=== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=root).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
