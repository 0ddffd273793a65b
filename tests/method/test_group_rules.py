"""Group rules not covered by the comparisons of test_groups: the run's `steps` parameter is the
walk length igraph uses, on the fast path and on the reference alike."""

from __future__ import annotations

import igraph

from analytics.method.groups import STRATEGY_WALKTRAP, detect_groups, walktrap_whole_network

# Twelve nominals, one component, on which walks of 1, 2 and 4 steps cut three different ways.
EDGES = {
    ("N00", "N01"): 1.0, ("N00", "N02"): 0.75, ("N00", "N03"): 0.75, ("N00", "N06"): 0.75,
    ("N00", "N07"): 0.75, ("N00", "N08"): 0.75, ("N00", "N09"): 1.0, ("N00", "N11"): 1.0,
    ("N01", "N05"): 0.5, ("N03", "N04"): 0.75, ("N03", "N05"): 0.5, ("N03", "N10"): 0.75,
    ("N03", "N11"): 1.0, ("N06", "N08"): 1.0, ("N07", "N10"): 0.75,
}  # fmt: skip
NODES = sorted({n for edge in EDGES for n in edge})


def igraph_groups(steps: int) -> set[tuple[str, ...]]:
    """igraph's own Walktrap with `steps`, cut where as_clustering() cuts it."""
    index = {n: i for i, n in enumerate(NODES)}
    graph = igraph.Graph(n=len(NODES), edges=[(index[a], index[b]) for a, b in EDGES])
    clustering = graph.community_walktrap(weights=list(EDGES.values()), steps=steps).as_clustering()
    groups: dict[int, list[str]] = {}
    for nominal_id, label in zip(NODES, clustering.membership, strict=True):
        groups.setdefault(label, []).append(nominal_id)
    return {tuple(members) for members in groups.values()}


def test_the_walk_length_is_the_runs_steps():
    expected = {steps: igraph_groups(steps) for steps in (1, 2, 4)}
    assert len({frozenset(groups) for groups in expected.values()}) == 3  # the network tells them apart
    for steps, groups in expected.items():
        ours = detect_groups(NODES, EDGES, steps=steps)
        assert ours.strategy == STRATEGY_WALKTRAP
        assert set(ours.members.values()) == groups, steps
        assert set(walktrap_whole_network(NODES, EDGES, steps=steps).members.values()) == groups, steps
