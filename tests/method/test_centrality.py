from __future__ import annotations

import pytest

from analytics.method.centrality import centrality


def test_star_path_dyad_and_isolated_by_hand():
    # Star H - {L1, L2, L3} (weights 1, 0.5, 0.5), a dyad D1 - D2 (0.75), an isolated I.
    edges = {("H", "L1"): 1.0, ("H", "L2"): 0.5, ("H", "L3"): 0.5, ("D1", "D2"): 0.75}
    result = centrality(["H", "L1", "L2", "L3", "D1", "D2", "I"], edges)
    # Betweenness of the hub: the 3 pairs of leaves all pass through it.
    assert result.betweenness == {"H": 3.0, "L1": 0.0, "L2": 0.0, "L3": 0.0, "D1": 0.0, "D2": 0.0, "I": 0.0}
    assert result.strength == {"H": 2.0, "L1": 1.0, "L2": 0.5, "L3": 0.5, "D1": 0.75, "D2": 0.75, "I": 0.0}
    # Weighted star: the leading eigenvector is (lambda, w1, w2, w3) with lambda = sqrt(sum w^2)
    # = sqrt(1.5); scaled so the hub has 1, leaf i has w_i / sqrt(1.5).
    assert result.eigenvector["H"] == 1.0
    assert result.eigenvector["L1"] == pytest.approx(1 / 1.5**0.5, abs=1e-6)
    assert result.eigenvector["L2"] == pytest.approx(0.5 / 1.5**0.5, abs=1e-6)
    # Each component is scaled on its own; a dyad is 1 and 1; an isolated nominal 0.
    assert result.eigenvector["D1"] == result.eigenvector["D2"] == 1.0
    assert result.eigenvector["I"] == 0.0


def test_path_betweenness():
    # Path A - B - C - D: B lies on A-C and A-D, C on A-D and B-D.
    result = centrality("ABCD", {("A", "B"): 1.0, ("B", "C"): 1.0, ("C", "D"): 1.0})
    assert result.betweenness == {"A": 0.0, "B": 2.0, "C": 2.0, "D": 0.0}


def test_betweenness_of_large_components_can_be_estimated():
    # A star with 100 leaves: exact hub betweenness is C(100, 2) = 4950. From 20 sampled sources
    # the estimate (scaled by 101/20) is 99 * 101 / 2 = 4999.5 if the hub is not sampled.
    edges = {("H", f"L{i:03d}"): 1.0 for i in range(100)}
    nodes = ["H", *(f"L{i:03d}" for i in range(100)), "A", "B", "C"]
    edges |= {("A", "B"): 1.0, ("B", "C"): 1.0}
    exact = centrality(nodes, edges)
    estimated = centrality(nodes, edges, estimate_above=10, sampled_sources=20)
    assert exact.betweenness["H"] == 4950.0 and not exact.betweenness_estimated
    assert estimated.betweenness["H"] == pytest.approx(4950, rel=0.05)
    assert estimated.betweenness_estimated == {"H", *(f"L{i:03d}" for i in range(100))}
    assert estimated.betweenness["B"] == 1.0  # the small component stays exact
