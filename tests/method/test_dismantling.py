from __future__ import annotations

import random
from collections.abc import Iterable

import igraph
import pytest

from analytics.method.dismantling import (
    BETWEENNESS,
    DEGREE,
    _largest_piece_after_removal,
    adaptive_betweenness_order,
    adaptive_degree_order,
    harm_aware_plan,
    lcc_sizes,
    robustness,
)

PATH = (["A", "B", "C"], [("A", "B"), ("B", "C")])


def test_robustness_by_hand():
    nodes, edges = PATH
    # Removing B first: LCC 1, 1, 0 -> R = (1/3) * (1/3 + 1/3 + 0/3) = 2/9.
    assert lcc_sizes(nodes, edges, ["B", "A", "C"]) == [3, 1, 1, 0]
    assert robustness(nodes, edges, ["B", "A", "C"]) == pytest.approx(2 / 9)
    # Removing an end first: LCC 2, 1, 0 -> R = (2 + 1 + 0) / 9 = 1/3.
    assert robustness(nodes, edges, ["A", "B", "C"]) == pytest.approx(1 / 3)


def test_an_order_must_hold_every_node_once():
    nodes, edges = PATH
    with pytest.raises(ValueError):
        robustness(nodes, edges, ["A", "B"])


def test_candidates_are_restricted_to_the_largest_component():
    # A path of five (degrees at most 2) and a separate star whose hub has degree 3: the hub is
    # not in the largest component, so adaptive degree starts on the path (ties: smallest id).
    nodes = ["P1", "P2", "P3", "P4", "P5", "H", "S1", "S2", "S3"]
    edges = [("P1", "P2"), ("P2", "P3"), ("P3", "P4"), ("P4", "P5"), ("H", "S1"), ("H", "S2"), ("H", "S3")]
    order = adaptive_degree_order(nodes, edges)
    assert order[0] == "P2"
    # After P2 the largest components are the star and P3-P4-P5... the star (4) is now largest.
    assert order[1] == "H"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Montagna_meetings_edgelist.csv", [1, 0.9565, 0.7391, 0.7174, 0.5, 0.4239, 0.413]),
        ("Montagna_phonecalls_edgelist.csv", [1, 0.764, 0.573, 0.427, 0.3933, 0.2472, 0.1348]),
    ],
)
def test_readme_adaptive_betweenness_reference_points(real_networks, name, expected):
    nodes, edges = real_networks[name]
    curve = lcc_sizes(nodes, edges, adaptive_betweenness_order(nodes, edges))
    assert [round(size / curve[0], 4) for size in curve[:7]] == expected


def _random_harm(nodes: Iterable[str], seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    return {n: rng.choice((0.0, 0.0, 3.5, 10.0, 548.0, 1460.0)) for n in nodes}


def test_harm_aware_plan_is_never_worse_than_either_reference(real_networks):
    for name, (nodes, edges) in real_networks.items():
        for harm in ({}, _random_harm(nodes, 1), _random_harm(nodes, 2)):
            plan = harm_aware_plan(nodes, edges, harm)
            by_degree = robustness(nodes, edges, adaptive_degree_order(nodes, edges))
            by_betweenness = robustness(nodes, edges, adaptive_betweenness_order(nodes, edges))
            assert plan.robustness <= by_degree + 1e-12, name
            assert plan.robustness <= by_betweenness + 1e-12, name
            assert plan.robustness == pytest.approx(robustness(nodes, edges, plan.order))
            assert plan.robustness_by_strategy[DEGREE] == pytest.approx(by_degree)
            assert plan.robustness_by_strategy[BETWEENNESS] == pytest.approx(by_betweenness)
            assert sorted(plan.order) == sorted(nodes)


def test_every_removal_has_a_reason(real_networks):
    nodes, edges = real_networks["morselli_siren.csv"]
    harm = _random_harm(nodes, 3)
    plan = harm_aware_plan(nodes, edges, harm)
    first = plan.removals[0]
    assert first.lcc_before == plan.lcc_sizes[0] and first.lcc_after == plan.lcc_sizes[1]
    assert first.reason.startswith(
        f"removes {first.nominal_id}: largest group {first.lcc_before}\u2192{first.lcc_after}"
    )
    assert f"harm {harm[first.nominal_id]:g} CCHI days" in first.reason
    assert all(r.reason for r in plan.removals)
    assert plan.removals[-1].reason.endswith("no connections left; ordered by harm")
    assert plan.strategy in plan.summary


def test_harm_decides_between_orders_of_equal_robustness():
    # Removing A or B first gives the same R; the plan removes the more harmful one first.
    plan = harm_aware_plan(["A", "B"], [("A", "B")], {"A": 10.0, "B": 1460.0})
    assert plan.order == ("B", "A")
    plan = harm_aware_plan(["A", "B"], [("A", "B")], {"A": 1460.0, "B": 10.0})
    assert plan.order == ("A", "B")


def test_large_components_are_dismantled_in_batches(real_networks):
    nodes, edges = real_networks["macdonald_tfc.csv"]
    plan = harm_aware_plan(nodes, edges, exact_max_nodes=40, batch_fraction=0.05)
    assert "ranked as a batch of" in plan.removals[0].reason
    assert sorted(plan.order) == sorted(nodes)
    by_betweenness = robustness(
        nodes, edges, adaptive_betweenness_order(nodes, edges, exact_max_nodes=40, batch_fraction=0.05)
    )
    assert plan.robustness <= by_betweenness + 1e-12


def test_largest_piece_after_removal_matches_brute_force():
    rng = random.Random(5)
    for _ in range(60):
        n = rng.randint(1, 25)
        graph = igraph.Graph.Erdos_Renyi(n=n, m=rng.randint(0, min(40, n * (n - 1) // 2)))
        expected = []
        components = graph.connected_components().membership
        for v in range(graph.vcount()):
            own = [u for u in range(graph.vcount()) if components[u] == components[v] and u != v]
            rest = graph.induced_subgraph(own)
            expected.append(max((len(c) for c in rest.connected_components()), default=0))
        assert _largest_piece_after_removal(graph.get_adjlist()) == expected
