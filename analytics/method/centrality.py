"""Centrality of the kept nominals (METHOD.md section 5), all computed with igraph.

- betweenness: unweighted shortest paths, undirected, not normalised (igraph's
  `betweenness(directed=False)`): the number of shortest paths between other pairs that pass
  through the nominal, shared equally among tied paths. Exact by default, see "Exact betweenness,
  faster" below. A caller may set `estimate_above`: components with more nominals are then
  estimated from `sampled_sources` seeded source nominals (Brandes and Pich's estimator, scaled
  by n/k), and the nominals concerned are listed in `betweenness_estimated`.
- strength: the sum of w(u, v) over the nominal's kept edges.
- eigenvector: computed per connected component, as igraph's documentation asks for disconnected
  graphs (on the whole graph, every component but the one with the largest eigenvalue would get
  zero), on the weighted adjacency (weights w), scaled so that the most central nominal of each
  component has 1. A nominal without edges has 0. A two-person component has 1 for both.

Exact betweenness, faster
-------------------------
Brandes' algorithm costs one breadth-first search per source nominal: O(n*m), about a minute for
the 21,000-nominal component of the medium synthetic bundle. Betweenness is a sum over sources,
B(x) = sum over s of c_s(x) (c_s: igraph's betweenness with `sources=[s]`), so two exact
savings apply (Sariyüce et al., "Shattering and compressing networks for betweenness centrality",
SDM 2013, section 3):

1. Twins. Two nominals with the same neighbours (`N(v) = N(w)`, not linked) or the same
   neighbours and each other (`N(v) + v = N(w) + w`, linked) reach every other nominal by the same
   shortest paths, so c_v = c_w everywhere (neither lies on a shortest path from the other). A
   class of k twins needs one search, counted k times.
2. Pendants. A nominal v whose only neighbour u has other neighbours reaches everyone through u:
   c_v(x) = c_u(x) for every x other than u and v, c_v(u) = (n_c - 2) / 2 (every other target of
   v's component, n_c nominals, is reached through u; igraph halves undirected sums) and
   c_v(v) = 0. So v needs no search of its own: u's search counts once more, and u gets
   (n_c - 2) / 2.

The remaining searches are split into jobs of at most SOURCES_PER_JOB sources, each a few calls
of igraph's `betweenness(sources=...)` (one per multiplicity), run in worker processes when there
are several. The per-nominal sums are added with `math.fsum`, so the result does not depend on
how the jobs were run. Tests check the result against igraph's whole-network betweenness.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import igraph

from .numeric import settle
from .workers import Workers

SOURCES_PER_JOB = 2_000


@dataclass(frozen=True)
class Centrality:
    betweenness: Mapping[str, float]
    strength: Mapping[str, float]
    eigenvector: Mapping[str, float]
    betweenness_estimated: frozenset[str] = frozenset()


def centrality(
    nodes: Iterable[str],
    edges: Mapping[tuple[str, str], float],
    *,
    estimate_above: int | None = None,
    sampled_sources: int = 1024,
) -> Centrality:
    """Centrality of every nominal in `nodes`, computed in this process."""
    with Workers(1) as workers:
        return start_centrality(nodes, edges, workers, estimate_above=estimate_above, sampled_sources=sampled_sources)()


def start_centrality(
    nodes: Iterable[str],
    edges: Mapping[tuple[str, str], float],
    workers: Workers,
    *,
    estimate_above: int | None = None,
    sampled_sources: int = 1024,
) -> Callable[[], Centrality]:
    """Submit the betweenness jobs to `workers`; return the function that waits for them and
    finishes the centrality."""
    order = sorted(set(nodes))
    index = {nominal_id: i for i, nominal_id in enumerate(order)}
    pairs = [(index[a], index[b]) for a, b in edges]
    weights = [float(w) for w in edges.values()]
    graph = igraph.Graph(n=len(order), edges=pairs)
    components = graph.connected_components() if pairs else []
    estimating = estimate_above is not None and any(len(c) > estimate_above for c in components)
    if estimating:
        estimated, estimated_ids = _estimated_betweenness(graph, components, order, estimate_above, sampled_sources)
    else:
        plan = betweenness_plan(len(order), pairs)
        jobs = [workers.submit(betweenness_job, len(order), pairs, sources) for sources in plan.jobs]

    def finish() -> Centrality:
        if estimating:
            betweenness, estimated_nominals = estimated, estimated_ids
        else:
            parts = [job.result() for job in jobs]
            betweenness = [math.fsum([plan.correction[v], *(part[v] for part in parts)]) for v in range(len(order))]
            estimated_nominals = frozenset()
        return Centrality(
            betweenness={n: settle(b) for n, b in zip(order, betweenness, strict=True)},
            strength=dict(zip(order, _strength(len(order), pairs, weights), strict=True)),
            eigenvector={n: settle(e) for n, e in zip(order, _eigenvector(graph, components, weights), strict=True)},
            betweenness_estimated=estimated_nominals,
        )

    return finish


@dataclass(frozen=True)
class BetweennessPlan:
    """`jobs`: per job, (multiplicity, source vertices) pairs; `correction`: what pendants add to
    their neighbour (see the module docstring)."""

    jobs: tuple[tuple[tuple[int, tuple[int, ...]], ...], ...]
    correction: tuple[float, ...]


def betweenness_plan(n: int, pairs: Sequence[tuple[int, int]]) -> BetweennessPlan:
    """The searches exact betweenness of the graph (`n` vertices, `pairs`) needs, with how many
    sources each stands for (twins and pendants, module docstring)."""
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for a, b in pairs:
        if a != b:
            adjacency[a].append(b)
            adjacency[b].append(a)
    adjacency = [sorted(set(neighbours)) for neighbours in adjacency]
    degree = [len(neighbours) for neighbours in adjacency]
    component_size = _component_sizes(adjacency)
    multiplicity = [1 if d > 0 else 0 for d in degree]  # isolated vertices lie on no path
    correction = [0.0] * n
    for v in range(n):
        if degree[v] == 1 and degree[adjacency[v][0]] > 1:
            u = adjacency[v][0]
            multiplicity[v] = 0
            multiplicity[u] += 1
            correction[u] += (component_size[v] - 2) / 2
    # Vertices with a pendant are nobody's twin (the pendant would have to be linked to both).
    by_closed: defaultdict[tuple[int, ...], list[int]] = defaultdict(list)
    for v in range(n):
        if multiplicity[v] == 1:
            by_closed[tuple(sorted([*adjacency[v], v]))].append(v)
    by_open: defaultdict[tuple[int, ...], list[int]] = defaultdict(list)
    for members in by_closed.values():
        if len(members) == 1:
            by_open[tuple(adjacency[members[0]])].append(members[0])
    for members in [*by_closed.values(), *by_open.values()]:
        if len(members) > 1:
            multiplicity[members[0]] = len(members)
            for twin in members[1:]:
                multiplicity[twin] = 0
    sources = [v for v in range(n) if multiplicity[v] > 0]
    jobs = []
    for start in range(0, len(sources), SOURCES_PER_JOB):
        by_multiplicity: defaultdict[int, list[int]] = defaultdict(list)
        for v in sources[start : start + SOURCES_PER_JOB]:
            by_multiplicity[multiplicity[v]].append(v)
        jobs.append(tuple((k, tuple(vs)) for k, vs in sorted(by_multiplicity.items())))
    return BetweennessPlan(jobs=tuple(jobs), correction=tuple(correction))


def betweenness_job(
    n: int, pairs: Sequence[tuple[int, int]], sources: Sequence[tuple[int, Sequence[int]]]
) -> list[float]:
    """Sum over (multiplicity k, sources S) of k * igraph's betweenness from the sources S."""
    graph = igraph.Graph(n=n, edges=list(pairs))
    parts = [[k * b for b in graph.betweenness(directed=False, sources=list(vs))] for k, vs in sources]
    return [math.fsum(column) for column in zip(*parts, strict=True)] if parts else [0.0] * n


def _component_sizes(adjacency: Sequence[Sequence[int]]) -> list[int]:
    size = [0] * len(adjacency)
    for start in range(len(adjacency)):
        if size[start]:
            continue
        members, frontier = [start], [start]
        size[start] = -1
        while frontier:
            v = frontier.pop()
            for u in adjacency[v]:
                if not size[u]:
                    size[u] = -1
                    members.append(u)
                    frontier.append(u)
        for v in members:
            size[v] = len(members)
    return size


def _estimated_betweenness(
    graph: igraph.Graph,
    components: Sequence[Sequence[int]],
    order: Sequence[str],
    estimate_above: int,
    sampled_sources: int,
) -> tuple[list[float], frozenset[str]]:
    betweenness = [0.0] * graph.vcount()
    estimated: set[str] = set()
    for component in components:
        if len(component) < 3:
            continue
        sub = graph.subgraph(component)
        if len(component) > max(estimate_above, sampled_sources):
            rng = random.Random(f"betweenness:{order[component[0]]}:{len(component)}")
            sources = sorted(rng.sample(range(len(component)), sampled_sources))
            scale = len(component) / sampled_sources
            values = [b * scale for b in sub.betweenness(directed=False, sources=sources)]
            estimated.update(order[v] for v in component)
        else:
            values = sub.betweenness(directed=False)
        for v, value in zip(component, values, strict=True):
            betweenness[v] = value
    return betweenness, frozenset(estimated)


def _strength(n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float]) -> list[float]:
    incident: defaultdict[int, list[float]] = defaultdict(list)
    for (a, b), w in zip(pairs, weights, strict=True):
        incident[a].append(w)
        incident[b].append(w)
    return [settle(math.fsum(incident[v])) for v in range(n)]


def _eigenvector(graph: igraph.Graph, components: Sequence[Sequence[int]], weights: Sequence[float]) -> list[float]:
    eigenvector = [0.0] * graph.vcount()
    graph.es["weight"] = list(weights)
    for component in components:
        if len(component) == 2:
            eigenvector[component[0]] = eigenvector[component[1]] = 1.0
        elif len(component) > 2:
            sub = graph.subgraph(component)
            scores = sub.eigenvector_centrality(weights="weight")
            for v, score in zip(component, scores, strict=True):
                eigenvector[v] = score
    return eigenvector
