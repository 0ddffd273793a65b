"""Betweenness benchmark: the estimate used for very large components against exact
betweenness, on the same network, in the same run.

The network is the kept network of the medium synthetic bundle (read from its CSV files and run
through the method's scoring and network stages), whose largest component has about 21,000
nominals. The portal computes that size exactly; here the estimate is forced on it
(`estimate_above` below its size) so that it can be compared with the exact values:

- baseline: exact betweenness (`estimate_above=None`), in one process;
- estimate: `SAMPLED_SOURCES` sampled sources (the portal's default for components over
  `ESTIMATE_ABOVE` nominals), in one process.

It prints the time of each, and how good the estimate is where it matters to an analyst: the
relative error of the 20 nominals with the highest exact betweenness, how many of the exact top
20 are in the estimated top 20, and how often the 95% interval holds the exact value.

Run: `.venv/bin/python -m benchmarks.bench_betweenness`
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import defaultdict

from analytics.method.centrality import ESTIMATE_ABOVE, SAMPLED_SOURCES, centrality
from analytics.method.network import build_network, group_links_by_record
from analytics.method.scoring import make_matcher, score_records
from analytics.method.terms import DEFAULT_TERM_GROUPS
from benchmarks._common import print_table
from benchmarks.bench_import import ensure_bundle


def kept_network(scale: str) -> tuple[tuple[str, ...], dict[tuple[str, str], float]]:
    bundle = ensure_bundle(scale)

    def rows(name: str):
        with (bundle / name).open(newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)

    scores = score_records(
        ((r["record_id"], r["text"]) for r in rows("records.csv")), make_matcher(DEFAULT_TERM_GROUPS)
    )
    by_record = group_links_by_record((r["record_id"], r["nominal_id"]) for r in rows("record_nominals.csv"))
    associations = [(r["nominal_id_a"], r["nominal_id_b"]) for r in rows("associations.csv")]
    network = build_network({k: s.score for k, s in scores.items()}, by_record, associations)
    return network.kept, dict(network.edges)


def largest_component(nodes, edges) -> list[str]:
    adjacency: defaultdict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    seen: set[str] = set()
    best: list[str] = []
    for start in nodes:
        if start in seen:
            continue
        members, frontier = [start], [start]
        seen.add(start)
        while frontier:
            for u in adjacency[frontier.pop()]:
                if u not in seen:
                    seen.add(u)
                    members.append(u)
                    frontier.append(u)
        best = max(best, members, key=len)
    return best


def main() -> None:
    nodes, edges = kept_network("medium")
    giant = largest_component(nodes, edges)
    started = time.perf_counter()
    exact = centrality(nodes, edges, estimate_above=None)
    exact_seconds = time.perf_counter() - started
    started = time.perf_counter()
    estimate = centrality(nodes, edges, estimate_above=len(giant) - 1, sampled_sources=SAMPLED_SOURCES)
    estimate_seconds = time.perf_counter() - started

    top = sorted(giant, key=lambda v: (-exact.betweenness[v], v))
    errors = [abs(estimate.betweenness[v] - exact.betweenness[v]) / exact.betweenness[v] for v in top[:20]]
    estimated_top = set(sorted(giant, key=lambda v: (-estimate.betweenness[v], v))[:20])

    def covered(nominals) -> str:
        inside = sum(
            abs(estimate.betweenness[v] - exact.betweenness[v]) <= estimate.betweenness_margin[v] for v in nominals
        )
        return f"{inside:,} of {len(nominals):,} ({inside / len(nominals):.0%})"

    on_paths = [v for v in giant if exact.betweenness[v] > 0]
    print_table(
        f"Betweenness of the medium bundle's largest component ({len(giant):,} of {len(nodes):,} kept nominals, "
        f"{len(edges):,} edges); the portal estimates components over {ESTIMATE_ABOVE:,}",
        ["measure", "exact (baseline)", f"estimate, {SAMPLED_SOURCES:,} sources"],
        [
            ["seconds (whole network, one process)", f"{exact_seconds:.1f}", f"{estimate_seconds:.1f}"],
            ["speed-up", "1.0x", f"{exact_seconds / estimate_seconds:.1f}x"],
            ["top 20: mean relative error", "-", f"{statistics.fmean(errors):.1%}"],
            ["top 20: largest relative error", "-", f"{max(errors):.1%}"],
            ["exact top 20 in the estimated top 20", "-", f"{len(estimated_top & set(top[:20]))}"],
            ["exact value inside the 95% interval: top 100", "-", covered(top[:100])],
            ["... every nominal on a shortest path", "-", covered(on_paths)],
        ],
    )


if __name__ == "__main__":
    main()
