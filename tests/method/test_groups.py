from __future__ import annotations

import random

import igraph
import pytest

from analytics.method.groups import (
    STRATEGY_COMPONENTS,
    STRATEGY_WALKTRAP,
    associate_soc_groups,
    components_always_merge,
    detect_groups,
    walktrap_whole_network,
)

# Weights of our kept networks are averages of two W values, often capped at 1: many ties.
TIED_WEIGHTS = (0.5, 0.625, 0.75, 0.875, 1.0)


def random_network(rng: random.Random, *, pieces: int, sizes: tuple[int, ...], isolated: int = 0):
    nodes: list[str] = []
    edges: dict[tuple[str, str], float] = {}
    for _ in range(pieces):
        size = rng.choice(sizes)
        ids = [f"N{len(nodes) + i:05d}" for i in range(size)]
        nodes += ids
        links = set()
        if size > 1 and rng.random() < 0.3:  # a star: symmetric, so exact ties in Walktrap
            links = {(0, i) for i in range(1, size)}
        elif size > 1:
            links = {(rng.randrange(i), i) for i in range(1, size)}  # a random tree...
            for _ in range(rng.randint(0, size)):  # ...plus chords
                a, b = rng.sample(range(size), 2)
                links.add((min(a, b), max(a, b)))
        for a, b in links:
            edges[(ids[a], ids[b])] = rng.choice(TIED_WEIGHTS)
    nodes += [f"N{len(nodes) + i:05d}" for i in range(isolated)]
    rng.shuffle(nodes)  # the result must not depend on the order nodes are given in
    return nodes, edges


def test_equal_to_whole_network_walktrap_on_random_multi_component_networks():
    rng = random.Random(20260630)
    strategies = set()
    for _ in range(800):
        nodes, edges = random_network(
            rng, pieces=rng.randint(1, 10), sizes=(1, 2, 3, 4, 5, 8, 12, 20, 40, 80), isolated=rng.choice((0, 3, 60))
        )
        ours, reference = detect_groups(nodes, edges), walktrap_whole_network(nodes, edges)
        assert ours.members == reference.members
        strategies.add(ours.strategy)
    assert STRATEGY_WALKTRAP in strategies


def test_equal_to_whole_network_walktrap_when_every_component_always_merges():
    rng = random.Random(7)
    for _ in range(20):
        nodes, edges = random_network(rng, pieces=120, sizes=(2, 3, 4, 5, 6), isolated=30)
        ours, reference = detect_groups(nodes, edges), walktrap_whole_network(nodes, edges)
        assert ours.strategy == STRATEGY_COMPONENTS
        assert ours.members == reference.members


def test_isolated_majority_with_a_component_over_half_of_the_rest():
    # Exercises the padding rule: the largest component is more than half the connected nodes.
    rng = random.Random(11)
    for _ in range(20):
        nodes, edges = random_network(rng, pieces=2, sizes=(3, 30, 60), isolated=200)
        assert detect_groups(nodes, edges).members == walktrap_whole_network(nodes, edges).members


def test_always_merge_rule_by_hand():
    # Two separate edges of weight 1: m = 2; each component has D = 2 and w_min = 1, so every
    # merge raises modularity by at least (8*2*1 - 2^2) / (8*2^2) = 12/32 > 0.
    assert components_always_merge(4, [(0, 1), (2, 3)], [1.0, 1.0], [0, 0, 1, 1])
    # One triangle: m = 3, D = 6, w_min = 1: 8*3*1 - 36 < 0, so the rule cannot decide.
    assert not components_always_merge(3, [(0, 1), (1, 2), (0, 2)], [1.0, 1.0, 1.0], [0, 0, 0])
    groups = detect_groups(["A", "B", "C", "D"], {("A", "B"): 1.0, ("C", "D"): 1.0})
    assert groups.strategy == STRATEGY_COMPONENTS
    assert groups.members == {1: ("A", "B"), 2: ("C", "D")}
    # Q = 2 * (1/2 - (2/4)^2) = 0.5
    assert groups.modularity == pytest.approx(0.5)


def test_groups_are_numbered_by_size_then_smallest_member():
    nodes = ["Z", "Y", "X", "B", "A", "C", "Q"]
    edges = {("X", "Y"): 1.0, ("Y", "Z"): 1.0, ("A", "B"): 1.0}
    groups = detect_groups(nodes, edges)
    assert groups.members[1] == ("X", "Y", "Z")
    assert groups.members[2] == ("A", "B")
    assert [groups.members[3], groups.members[4]] == [("C",), ("Q",)]
    assert groups.group_of["Q"] == 4


def test_no_edges_means_groups_of_one():
    groups = detect_groups(["B", "A"], {})
    assert groups.members == {1: ("A",), 2: ("B",)}


@pytest.mark.parametrize(
    ("name", "weighted", "communities", "modularity"),
    [
        ("Montagna_meetings_edgelist.csv", False, 12, 0.6045),
        ("Montagna_meetings_edgelist.csv", True, 12, 0.5702),
        ("LONDON_GANG.csv", False, 6, 0.1669),
        ("LONDON_GANG.csv", True, 6, 0.2883),
    ],
)
def test_readme_walktrap_reference_points(real_networks, name, weighted, communities, modularity):
    nodes, edges = real_networks[name]
    if not weighted:
        edges = dict.fromkeys(edges, 1.0)
    groups = detect_groups(nodes, edges)
    assert len(groups.members) == communities
    assert round(groups.modularity, 4) == modularity


def test_equal_to_whole_network_walktrap_on_the_real_networks(real_networks):
    for name, (nodes, edges) in real_networks.items():
        for weights in (edges, dict.fromkeys(edges, 1.0)):
            ours, reference = detect_groups(nodes, weights), walktrap_whole_network(nodes, weights)
            assert ours.members == reference.members, name


def test_modularity_agrees_with_igraph(real_networks):
    nodes, edges = real_networks["morselli_caviar.csv"]
    groups = detect_groups(nodes, edges)
    order = sorted(nodes)
    index = {n: i for i, n in enumerate(order)}
    graph = igraph.Graph(n=len(order), edges=[(index[a], index[b]) for a, b in edges])
    membership = [groups.group_of[n] for n in order]
    assert groups.modularity == pytest.approx(graph.modularity(membership, weights=list(edges.values())))


def test_soc_association():
    members = {1: ("A", "B", "C"), 2: ("D", "E", "F", "G"), 3: ("H", "I", "J"), 4: ("K",)}
    soc = [
        ("SOC2", "A"), ("SOC2", "B"),  # 2 of 3 in SOC2 ...
        ("SOC1", "B"), ("SOC1", "C"),  # ... and 2 of 3 in SOC1: tie, smallest id wins
        ("SOC3", "D"), ("SOC3", "E"),  # 2 of 4 is not more than half
        ("SOC4", "H"),
    ]  # fmt: skip
    assert associate_soc_groups(members, soc) == {1: "SOC1", 2: None, 3: None, 4: None}
    assert associate_soc_groups({1: ("K",)}, [("SOC9", "K")]) == {1: "SOC9"}
