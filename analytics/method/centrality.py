"""Centrality of the kept nominals (METHOD.md section 5), all computed with igraph.

- betweenness: unweighted shortest paths, undirected, not normalised (igraph's
  `betweenness(directed=False)`): the number of shortest paths between other pairs that pass
  through the nominal, shared equally among tied paths. Exact in every component of at most
  `estimate_above` nominals (see "Exact betweenness, faster"); estimated, with a 95% margin, in
  larger ones (see "Estimated betweenness"). `estimate_above=None` makes everything exact.
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

Estimated betweenness
---------------------
Exact betweenness cannot be afforded on a very large component: on the large synthetic bundle's
106,000-nominal component one search costs 19 ms in igraph, and the exact run took 861 s on two
worker processes. Above `estimate_above` nominals (default 25,000: the medium bundle's
21,400-nominal component stays exact) the component's betweenness is estimated with NetworKit's
`EstimateBetweenness` (Geisberger, Sanders and Schultes, "Better approximation of betweenness
centrality", 2008) from `sampled_sources` sampled sources. Their "linear scaling" weights a
source's contribution to a nominal by how far along the path the nominal lies, which removes
the large overestimate plain source sampling (Brandes and Pich) gives nominals close to a
sampled source. On the large bundle's component, against the exact values, at about the same
cost (34 s against 35 s in one process): 1,024 linear-scaling samples in 16 batches put the
top 20 within 8.1% on average (22.8% at worst), 12 of the exact top 20 in the estimated top
20 and 61 of the top 100, with the exact value inside the interval for 89 of the top 100;
2,048 plain samples managed 24.6% (82.6% at worst), 5 of 20, 33 of 100 and 80 of 100.

The samples are drawn in BATCHES seeded batches (the same component always gets the same
numbers); the estimate is their mean and `betweenness_margin` the 95% half-width from their
spread (t quantile with BATCHES - 1 degrees of freedom). The interval is a guide, not a
guarantee: it held the exact value for most of the top nominals in the benchmarks, and less
often for nominals with low values. `benchmarks/bench_betweenness.py` measures it.

The remaining exact searches are split into jobs of at most SOURCES_PER_JOB sources, each a
few calls of igraph's `betweenness(sources=...)` (one per multiplicity), run in worker processes
when there are several. The per-nominal sums are added with `math.fsum`, so the result does not depend on
how the jobs were run. Tests check the result against igraph's whole-network betweenness.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import igraph

from .numeric import settle
from .workers import Workers

SOURCES_PER_JOB = 2_000
ESTIMATE_ABOVE = 25_000
SAMPLED_SOURCES = 1_024
BATCHES = 16
BATCHES_PER_JOB = 4
T_975_15 = 2.131  # Student's t, 97.5% quantile, 15 (= BATCHES - 1) degrees of freedom


@dataclass(frozen=True)
class Centrality:
    """`betweenness_margin`: for nominals whose betweenness is estimated, the half-width of its
    95% interval (the estimate is betweenness +/- margin); exact nominals are not in it."""

    betweenness: Mapping[str, float]
    strength: Mapping[str, float]
    eigenvector: Mapping[str, float]
    betweenness_margin: Mapping[str, float] = field(default_factory=dict)
    sampled_sources: int = 0

    @property
    def betweenness_estimated(self) -> frozenset[str]:
        return frozenset(self.betweenness_margin)


def centrality(
    nodes: Iterable[str],
    edges: Mapping[tuple[str, str], float],
    *,
    estimate_above: int | None = ESTIMATE_ABOVE,
    sampled_sources: int = SAMPLED_SOURCES,
) -> Centrality:
    """Centrality of every nominal in `nodes`, computed in this process."""
    with Workers(1) as workers:
        return start_centrality(nodes, edges, workers, estimate_above=estimate_above, sampled_sources=sampled_sources)()


def start_centrality(
    nodes: Iterable[str],
    edges: Mapping[tuple[str, str], float],
    workers: Workers,
    *,
    estimate_above: int | None = ESTIMATE_ABOVE,
    sampled_sources: int = SAMPLED_SOURCES,
) -> Callable[[], Centrality]:
    """Submit the betweenness jobs to `workers`; return the function that waits for them and
    finishes the centrality."""
    order = sorted(set(nodes))
    index = {nominal_id: i for i, nominal_id in enumerate(order)}
    pairs = [(index[a], index[b]) for a, b in edges]
    weights = [float(w) for w in edges.values()]
    graph = igraph.Graph(n=len(order), edges=pairs)
    components = list(graph.connected_components()) if pairs else []
    sampled = [
        list(component)
        for component in components
        if estimate_above is not None and len(component) > max(estimate_above, sampled_sources)
    ]
    in_sampled = {v for component in sampled for v in component}
    plan = betweenness_plan(len(order), pairs, exclude=in_sampled)
    exact_jobs = [workers.submit(betweenness_job, len(order), pairs, sources) for sources in plan.jobs]
    per_batch = max(1, sampled_sources // BATCHES)
    sampled_jobs = []
    for component in sampled:
        position = {v: i for i, v in enumerate(component)}
        local_pairs = [(position[a], position[b]) for a, b in pairs if a in position]
        seeds = _batch_seeds(order[component[0]], len(component))
        sampled_jobs.append(
            [
                workers.submit(
                    linear_scaling_job, len(component), local_pairs, per_batch, seeds[i : i + BATCHES_PER_JOB]
                )
                for i in range(0, BATCHES, BATCHES_PER_JOB)
            ]
        )

    def finish() -> Centrality:
        parts = [job.result() for job in exact_jobs]
        betweenness = [math.fsum([plan.correction[v], *(part[v] for part in parts)]) for v in range(len(order))]
        margin: dict[str, float] = {}
        for component, jobs in zip(sampled, sampled_jobs, strict=True):
            estimates, margins = _combine_batches([batch for job in jobs for batch in job.result()])
            for position, v in enumerate(component):
                betweenness[v] = estimates[position]
                margin[order[v]] = settle(margins[position])
        return Centrality(
            betweenness={n: settle(b) for n, b in zip(order, betweenness, strict=True)},
            strength=dict(zip(order, _strength(len(order), pairs, weights), strict=True)),
            eigenvector={n: settle(e) for n, e in zip(order, _eigenvector(graph, components, weights), strict=True)},
            betweenness_margin=margin,
            sampled_sources=per_batch * BATCHES if sampled else 0,
        )

    return finish


@dataclass(frozen=True)
class BetweennessPlan:
    """`jobs`: per job, (multiplicity, source vertices) pairs; `correction`: what pendants add to
    their neighbour (see the module docstring)."""

    jobs: tuple[tuple[tuple[int, tuple[int, ...]], ...], ...]
    correction: tuple[float, ...]


def betweenness_plan(
    n: int, pairs: Sequence[tuple[int, int]], exclude: AbstractSet[int] = frozenset()
) -> BetweennessPlan:
    """The searches exact betweenness of the graph (`n` vertices, `pairs`) needs, with how many
    sources each stands for (twins and pendants, module docstring). Vertices in `exclude` (whole
    components whose betweenness is estimated instead) get no search and no correction."""
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for a, b in pairs:
        if a != b:
            adjacency[a].append(b)
            adjacency[b].append(a)
    adjacency = [sorted(set(neighbours)) for neighbours in adjacency]
    degree = [len(neighbours) for neighbours in adjacency]
    component_size = _component_sizes(adjacency)
    # Isolated vertices lie on no path.
    multiplicity = [1 if d > 0 and v not in exclude else 0 for v, d in enumerate(degree)]
    correction = [0.0] * n
    for v in range(n):
        if degree[v] == 1 and degree[adjacency[v][0]] > 1 and v not in exclude:
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


def _batch_seeds(first_id: str, size: int) -> list[int]:
    """BATCHES seeds for a component: the same component always draws the same samples."""
    rng = random.Random(f"betweenness:{first_id}:{size}")
    return [rng.randrange(1, 2**31) for _ in range(BATCHES)]


def linear_scaling_job(
    n: int, pairs: Sequence[tuple[int, int]], samples: int, seeds: Sequence[int]
) -> list[list[float]]:
    """Per seed, NetworKit's linear-scaling estimate of the betweenness of every vertex of the
    component (`n` vertices, `pairs`) from `samples` sampled sources, on igraph's scale."""
    import networkit  # only the processes that estimate need it

    networkit.engineering.setNumberOfThreads(1)
    graph = networkit.Graph(n, weighted=False, directed=False)
    for a, b in pairs:
        graph.addEdge(a, b)
    # NetworKit counts each unordered pair in both directions where igraph counts it once, and
    # its estimate is (k + 1) / k times the exact value in expectation (checked here on random
    # graphs and a star: 1.243 for k = 4, 1.060 for k = 16); both are undone.
    scale = samples / (samples + 1) / 2
    batches = []
    for seed in seeds:
        networkit.setSeed(seed, False)
        estimate = networkit.centrality.EstimateBetweenness(graph, samples, False, False)
        estimate.run()
        batches.append([score * scale for score in estimate.scores()])
    return batches


def _combine_batches(batches: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
    """Per vertex, the mean of the batches' estimates and its 95% margin from their spread."""
    count = len(batches)
    estimates, margins = [], []
    for column in zip(*batches, strict=True):
        mean = math.fsum(column) / count
        variance = math.fsum((x - mean) ** 2 for x in column) / (count - 1)
        estimates.append(mean)
        margins.append(T_975_15 * math.sqrt(variance / count))
    return estimates, margins


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
