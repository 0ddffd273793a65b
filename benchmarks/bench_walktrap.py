"""Walktrap benchmark: `detect_groups` against igraph's whole-network run, in the same run.

Generated networks shaped like kept networks (many small pieces, tied weights, isolated
nominals), seeded:

- "small pieces": 40,000 nominals in components of 2 to 12 plus 10,000 isolated ones, where
  every component always merges (groups = components, no Walktrap run needed);
- "giant + pieces": a sparse 4,000-nominal component, 3,000 small components and 15,000
  isolated nominals (Walktrap runs on the network without its isolated nominals).

Each approach runs in its own child process, so its peak memory is its own. The run fails if
the two partitions differ.

Run: `.venv/bin/python benchmarks/bench_walktrap.py` (or `python -m benchmarks.bench_walktrap`).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._table import print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = (0.5, 0.625, 0.75, 0.875, 1.0)
CASES = ("small pieces", "giant + pieces")


def generate(case: str) -> tuple[list[str], dict[tuple[str, str], float]]:
    rng = random.Random(case)
    nodes: list[str] = []
    edges: dict[tuple[str, str], float] = {}

    def piece(size: int, extra_links: int) -> None:
        ids = [f"N{len(nodes) + i:07d}" for i in range(size)]
        nodes.extend(ids)
        links = {(rng.randrange(i), i) for i in range(1, size)}
        for _ in range(extra_links):
            a, b = rng.sample(range(size), 2)
            links.add((min(a, b), max(a, b)))
        for a, b in links:
            edges[(ids[a], ids[b])] = rng.choice(WEIGHTS)

    if case == "small pieces":
        while len(nodes) < 40_000:
            size = rng.randint(2, 12)
            piece(size, rng.randint(0, size // 2))
        isolated = 10_000
    else:
        piece(4_000, 3_200)
        for _ in range(3_000):
            size = rng.randint(2, 8)
            piece(size, rng.randint(0, size // 2))
        isolated = 15_000
    nodes.extend(f"N{len(nodes) + i:07d}" for i in range(isolated))
    return nodes, edges


def child(case: str, approach: str, out: str) -> None:
    import time

    from analytics.method.groups import detect_groups, walktrap_whole_network

    nodes, edges = generate(case)
    started = time.perf_counter()
    if approach == "ours":
        groups = detect_groups(nodes, edges)
    else:
        groups = walktrap_whole_network(nodes, edges)
    seconds = time.perf_counter() - started
    Path(out).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "strategy": groups.strategy,
                "groups": len(groups.members),
                "modularity": groups.modularity,
                "members": sorted(groups.members.values()),
                "nodes": len(nodes),
                "edges": len(edges),
            }
        )
    )


def run_child(case: str, approach: str) -> tuple[dict, float]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    try:
        process = subprocess.Popen([sys.executable, __file__, "--child", case, approach, out], cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"child {case} / {approach} failed")
        return json.loads(Path(out).read_text()), usage.ru_maxrss / 1024
    finally:
        os.unlink(out)


def main() -> None:
    rows, failures = [], []
    for case in CASES:
        ours, ours_peak = run_child(case, "ours")
        whole, whole_peak = run_child(case, "whole")
        identical = ours["members"] == whole["members"]
        if not identical:
            failures.append(case)
        rows.append(
            [
                case,
                ours["nodes"],
                ours["edges"],
                ours["groups"],
                f"{ours['modularity']:.4f}",
                f"{ours['seconds']:.2f}",
                f"{whole['seconds']:.2f}",
                f"{whole['seconds'] / ours['seconds']:.1f}x",
                f"{ours_peak:.0f}",
                f"{whole_peak:.0f}",
                "yes" if identical else "NO",
            ]
        )
        print(f"{case}: {ours['strategy']}", flush=True)
    print_table(
        "Walktrap (steps 4, weights w): detect_groups vs igraph on the whole network, same run",
        ["network", "nodes", "edges", "groups", "modularity", "ours s", "whole s", "speed-up",
         "ours MiB", "whole MiB", "identical"],
        rows,
    )  # fmt: skip
    print("\nPeak MiB is the peak resident memory of the child process, including building the network.")
    if failures:
        sys.exit(f"FAILED: partitions differ for {', '.join(failures)}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
