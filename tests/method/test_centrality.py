from __future__ import annotations

import random

import igraph
import pytest

from analytics.method import centrality as centrality_module
from analytics.method.centrality import betweenness_plan, centrality, start_centrality
from analytics.method.workers import Workers


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


def test_betweenness_of_large_components_is_estimated_with_a_margin():
    # A star with 400 leaves: exact hub betweenness is C(400, 2) = 79800; leaves have 0.
    edges = {("H", f"L{i:03d}"): 1.0 for i in range(400)}
    nodes = ["H", *(f"L{i:03d}" for i in range(400)), "A", "B", "C"]
    edges |= {("A", "B"): 1.0, ("B", "C"): 1.0}
    exact = centrality(nodes, edges, estimate_above=None)
    estimated = centrality(nodes, edges, estimate_above=10, sampled_sources=256)
    assert exact.betweenness["H"] == 79800.0 and not exact.betweenness_estimated
    assert estimated.betweenness["H"] == pytest.approx(79800, rel=0.05)
    assert estimated.betweenness["L000"] == 0.0
    assert estimated.betweenness_estimated == {"H", *(f"L{i:03d}" for i in range(400))}
    assert estimated.sampled_sources == 256
    assert estimated.betweenness["B"] == 1.0 and "B" not in estimated.betweenness_margin  # small: exact


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def test_estimated_betweenness_is_unbiased_and_its_margins_cover_the_exact_values():
    # Two components of a random sparse network: the big one estimated, the small one exact.
    rng = random.Random(7)
    big = [f"B{i:04d}" for i in range(600)]
    edges: dict[tuple[str, str], float] = {}
    for i in range(1, len(big)):
        edges[_pair(big[i], big[rng.randrange(i)])] = 1.0
    for _ in range(300):
        a, b = rng.sample(big, 2)
        edges[_pair(a, b)] = 1.0
    small = [f"S{i}" for i in range(5)]
    edges |= {(small[i], small[i + 1]): 1.0 for i in range(4)}
    exact = centrality(big + small, edges, estimate_above=None)
    estimated = centrality(big + small, edges, estimate_above=100, sampled_sources=256)
    assert set(estimated.betweenness_margin) == set(big)
    assert all(estimated.betweenness[s] == exact.betweenness[s] for s in small)
    assert sum(estimated.betweenness[v] for v in big) == pytest.approx(sum(exact.betweenness[v] for v in big), rel=0.05)
    top = sorted(big, key=lambda v: -exact.betweenness[v])[:50]
    covered = sum(abs(estimated.betweenness[v] - exact.betweenness[v]) <= estimated.betweenness_margin[v] for v in top)
    assert covered >= 40  # a 95% interval: about 47 of 50 expected
    # The same network gives the same sample and the same numbers, in workers or not.
    assert centrality(big + small, edges, estimate_above=100, sampled_sources=256) == estimated
    with Workers(2) as workers:
        assert start_centrality(big + small, edges, workers, estimate_above=100, sampled_sources=256)() == estimated


def _random_network(rng: random.Random) -> tuple[list[str], dict[tuple[str, str], float]]:
    """A sparse random network with what the shortcuts look for: cliques from shared records
    (closed twins), nominals tied to the same few others (open twins), pendants, isolated ones."""
    n = rng.randint(3, 40)
    nodes = [f"N{i:03d}" for i in range(n)]
    edges: dict[tuple[str, str], float] = {}

    def link(a: int, b: int) -> None:
        if a != b:
            edges[(nodes[min(a, b)], nodes[max(a, b)])] = 1.0

    for _ in range(rng.randint(0, 2 * n)):
        link(rng.randrange(n), rng.randrange(n))
    for _ in range(rng.randint(0, 4)):
        clique = rng.sample(range(n), rng.randint(2, min(6, n)))
        for i, a in enumerate(clique):
            for b in clique[i + 1 :]:
                link(a, b)
    for _ in range(rng.randint(0, 6)):
        nodes.append(f"P{len(nodes):03d}")
        for anchor in rng.sample(range(n), rng.choice([1, 1, 2])):
            edges[(nodes[anchor], nodes[-1])] = 1.0
    return nodes, edges


def test_exact_betweenness_equals_igraph_on_random_networks():
    rng = random.Random(20261122)
    for _ in range(300):
        nodes, edges = _random_network(rng)
        order = sorted(nodes)
        index = {n: i for i, n in enumerate(order)}
        reference = igraph.Graph(n=len(order), edges=[(index[a], index[b]) for a, b in edges]).betweenness(
            directed=False
        )
        result = centrality(nodes, edges)
        for nominal_id, expected in zip(order, reference, strict=True):
            assert result.betweenness[nominal_id] == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_twins_and_pendants_need_fewer_searches():
    # A - B - C triangle with D, E, F each tied to A only and G, H both tied to B and C.
    edges = [
        ("A", "B"),
        ("B", "C"),
        ("A", "C"),
        ("A", "D"),
        ("A", "E"),
        ("A", "F"),
        ("G", "B"),
        ("G", "C"),
        ("H", "B"),
        ("H", "C"),
    ]
    nodes = sorted({n for pair in edges for n in pair})
    index = {n: i for i, n in enumerate(nodes)}
    plan = betweenness_plan(len(nodes), [(index[a], index[b]) for a, b in edges])
    searches = {nodes[v]: k for job in plan.jobs for k, vs in job for v in vs}
    # D, E, F fold into A (counted 4 times); G and H are open twins (one search counted twice);
    # B and C have the same closed neighbourhood {A, B, C, G, H}.
    assert searches == {"A": 4, "B": 2, "G": 2}
    assert plan.correction[index["A"]] == 3 * (8 - 2) / 2


def test_jobs_in_worker_processes_give_the_same_numbers(monkeypatch):
    monkeypatch.setattr(centrality_module, "SOURCES_PER_JOB", 5)  # many jobs, finishing in any order
    rng = random.Random(7)
    nodes, edges = _random_network(rng)
    for _ in range(5):
        more_nodes, more_edges = _random_network(rng)
        nodes += [f"x{len(nodes)}{n}" for n in more_nodes]
        offset = len(nodes) - len(more_nodes)
        edges |= {(f"x{offset}{a}", f"x{offset}{b}"): w for (a, b), w in more_edges.items()}
    inline = centrality(nodes, edges)
    assert len(betweenness_plan(len(nodes), [(0, 1)]).jobs) == 1
    with Workers(2) as workers:
        assert workers.parallel
        parallel = start_centrality(nodes, edges, workers)()
    assert parallel == inline
