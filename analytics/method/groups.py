"""Groups: Walktrap on the kept network, cut at maximum modularity, and SOC association
(METHOD.md section 4).

The contract is igraph's whole-network run (`walktrap_whole_network`): vertices are the kept
nominals in sorted id order, weights w, `community_walktrap(weights, steps).as_clustering()`.
The vertex order is part of the contract because Walktrap breaks exact ties between candidate
merges by heap position, which depends on vertex numbering.

That run costs O(n) per merge just to recompute modularity, so a network of many small pieces
is slow (50,000 nodes in 500 components: 15 s, against 0.4 s for the components one by one).
Splitting by component is *not* exact in general: the cut is the maximum of one interleaved
merge sequence, the interleaving and the tie-breaking inside a component both depend on the
other components (igraph's heap holds them all), and igraph does not expose the merge distances
that would reconstruct it. `detect_groups` therefore uses only shortcuts that are exact whatever
the interleaving and the tie-breaking, and otherwise runs igraph on the whole network:

1. Every component always merges (`components_always_merge`). Merging two adjacent communities
   C1, C2 changes modularity by e12/m - a1*a2/(2m^2) (e12 the weight between them, a the weighted
   degree sums, m the total weight). Inside a component X with total weighted degree D and
   lightest edge w_min, e12 >= w_min and a1*a2 <= (D/2)^2, so every possible merge raises
   modularity by at least (8*m*w_min - D^2) / (8*m^2). If that is positive for every component
   (by a margin well above the rounding error of igraph's modularity sums) then modularity rises
   at every step of *any* merge sequence, the maximum is after the last merge, and the groups are
   exactly the connected components. No Walktrap run is needed.
2. Otherwise igraph runs on the network without its isolated nominals. An isolated vertex has no
   candidate merge (it never enters igraph's heap, so the heap's history is unchanged), is never
   merged, and adds exactly 0.0 to every modularity sum; the only thing the vertex count changes
   is igraph's choice between sparse and dense probability vectors (dense when a vector has more
   than n/2 entries), which changes summation order. We keep that choice identical by padding
   with isolated vertices up to 2 * (largest component), or keeping all n vertices when the
   largest component has more than n/2. The run is then the same computation, merge for merge.

Tests compare `detect_groups` with `walktrap_whole_network` on hundreds of random multi-component
networks (with the tied weights our data produces) and on the real criminal networks.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import igraph

from .workers import Workers

STRATEGY_NO_EDGES = "no edges: every nominal is a group of one"
STRATEGY_COMPONENTS = "connected components (every possible merge raises modularity)"
STRATEGY_WALKTRAP = "igraph walktrap on the whole network (isolated nominals set aside)"


@dataclass(frozen=True)
class Groups:
    """Group numbers are 1..G, by descending size, then by smallest member id."""

    group_of: Mapping[str, int]
    members: Mapping[int, tuple[str, ...]]
    modularity: float
    strategy: str


def detect_groups(nodes: Iterable[str], edges: Mapping[tuple[str, str], float], *, steps: int = 4) -> Groups:
    """The Walktrap groups of the kept network (`nodes`, `edges` (a, b) -> w)."""
    with Workers(1) as workers:
        return start_detect_groups(nodes, edges, workers, steps=steps)()


def start_detect_groups(
    nodes: Iterable[str], edges: Mapping[tuple[str, str], float], workers: Workers, *, steps: int = 4
) -> Callable[[], Groups]:
    """Submit the Walktrap job to `workers`; return the function that waits for it and numbers
    the groups."""
    order = sorted(set(nodes))
    index = {nominal_id: i for i, nominal_id in enumerate(order)}
    pairs = [(index[a], index[b]) for a, b in edges]
    weights = [float(w) for w in edges.values()]
    job = workers.submit(walktrap_membership, len(order), pairs, weights, steps)

    def finish() -> Groups:
        membership, strategy = job.result()
        return _numbered(order, membership, pairs, weights, strategy)

    return finish


def walktrap_membership(
    n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float], steps: int = 4
) -> tuple[list[int], str]:
    """Membership (one label per vertex 0..n-1) equal to igraph's whole-network Walktrap cut at
    maximum modularity, and the strategy that produced it (see module docstring)."""
    if not pairs:
        return list(range(n)), STRATEGY_NO_EDGES
    graph = igraph.Graph(n=n, edges=list(pairs))
    components = graph.connected_components().membership
    if components_always_merge(n, pairs, weights, components):
        return components, STRATEGY_COMPONENTS
    return _walktrap_without_isolated(graph, weights, components, steps), STRATEGY_WALKTRAP


def components_always_merge(
    n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float], components: Sequence[int]
) -> bool:
    """True when, in every component, every possible Walktrap merge raises modularity by more
    than igraph's rounding error (shortcut 1 of the module docstring)."""
    total = math.fsum(weights)
    degree_sum: defaultdict[int, float] = defaultdict(float)
    lightest: dict[int, float] = {}
    for (a, _b), w in zip(pairs, weights, strict=True):
        component = components[a]
        degree_sum[component] += 2 * w
        lightest[component] = min(w, lightest.get(component, w))
    # igraph sums up to 2n terms of size <= 1 per modularity value: error below 4.5e-16 * n.
    # Demand a rise per merge 20 times larger than twice that.
    margin = 2e-14 * max(n, 1)
    for component, big_d in degree_sum.items():
        rise = (8 * total * lightest[component] - big_d * big_d) / (8 * total * total)
        if rise <= margin:
            return False
    return True


def _walktrap_without_isolated(
    graph: igraph.Graph, weights: Sequence[float], components: Sequence[int], steps: int
) -> list[int]:
    n = graph.vcount()
    degrees = graph.degree()
    connected = [v for v in range(n) if degrees[v] > 0]
    largest = max(Counter(components[v] for v in connected).values())
    vertex_count = n if largest > n // 2 else max(len(connected), 2 * largest)
    position = {v: i for i, v in enumerate(connected)}
    trimmed = igraph.Graph(n=vertex_count, edges=[(position[a], position[b]) for a, b in graph.get_edgelist()])
    merges, modularity = igraph.GraphBase.community_walktrap(trimmed, list(weights), steps)
    cut = _latest_maximum(modularity)
    labels = _apply_merges(vertex_count, merges[:cut])
    membership = [-1 - v for v in range(n)]  # isolated: negative labels, never a merge label
    for v, i in position.items():
        membership[v] = labels[i]
    return membership


def _latest_maximum(modularity: Sequence[float]) -> int:
    """Number of merges at the cut python-igraph's `as_clustering()` takes: the last maximum."""
    best = max(modularity)
    return max(i for i, q in enumerate(modularity) if q == best)


def _apply_merges(n: int, merges: Sequence[Sequence[int]]) -> list[int]:
    parent = list(range(n + len(merges)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for step, (a, b) in enumerate(merges):
        parent[find(a)] = n + step
        parent[find(b)] = n + step
    return [find(v) for v in range(n)]


def walktrap_whole_network(nodes: Iterable[str], edges: Mapping[tuple[str, str], float], *, steps: int = 4) -> Groups:
    """The contract itself: igraph's Walktrap on the whole network (slow; used by tests and
    benchmarks to check `detect_groups`)."""
    order = sorted(set(nodes))
    index = {nominal_id: i for i, nominal_id in enumerate(order)}
    pairs = [(index[a], index[b]) for a, b in edges]
    weights = [float(w) for w in edges.values()]
    if not pairs:
        return _numbered(order, list(range(len(order))), pairs, weights, STRATEGY_NO_EDGES)
    graph = igraph.Graph(n=len(order), edges=pairs)
    clustering = graph.community_walktrap(weights=weights, steps=steps).as_clustering()
    return _numbered(order, clustering.membership, pairs, weights, "igraph whole network")


def _numbered(
    order: Sequence[str],
    membership: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    weights: Sequence[float],
    strategy: str,
) -> Groups:
    by_label: defaultdict[int, list[str]] = defaultdict(list)
    for nominal_id, label in zip(order, membership, strict=True):
        by_label[label].append(nominal_id)  # `order` is sorted, so members come out sorted
    ranked = sorted(by_label.values(), key=lambda members: (-len(members), members[0]))
    members = {number: tuple(group) for number, group in enumerate(ranked, start=1)}
    group_of = {nominal_id: number for number, group in members.items() for nominal_id in group}
    label_of = [group_of[nominal_id] for nominal_id in order]
    return Groups(
        group_of=group_of,
        members=members,
        modularity=modularity(label_of, pairs, weights),
        strategy=strategy,
    )


def modularity(membership: Sequence[int], pairs: Sequence[tuple[int, int]], weights: Sequence[float]) -> float:
    """Newman's weighted modularity: sum over groups of L_c/m - (a_c / 2m)^2."""
    total = math.fsum(weights)
    if total == 0:
        return 0.0
    inside: defaultdict[int, list[float]] = defaultdict(list)
    degree: defaultdict[int, list[float]] = defaultdict(list)
    for (a, b), w in zip(pairs, weights, strict=True):
        degree[membership[a]].append(w)
        degree[membership[b]].append(w)
        if membership[a] == membership[b]:
            inside[membership[a]].append(w)
    return math.fsum(math.fsum(inside[c]) / total - (math.fsum(degree[c]) / (2 * total)) ** 2 for c in degree)


def associate_soc_groups(
    members: Mapping[int, Sequence[str]], soc_memberships: Iterable[tuple[str, str]]
) -> dict[int, str | None]:
    """group -> the SOC group S maximising |g & S| when |g & S| / |g| > 0.5 (ties: smallest
    soc_group_id), else None. `soc_memberships` are (soc_group_id, nominal_id) pairs."""
    soc_of: defaultdict[str, set[str]] = defaultdict(set)
    for soc_group_id, nominal_id in soc_memberships:
        soc_of[nominal_id].add(soc_group_id)
    labels: dict[int, str | None] = {}
    for group, group_members in members.items():
        overlap = Counter(soc for n in group_members for soc in soc_of.get(n, ()))
        labels[group] = None
        if overlap:
            soc_group_id, count = min(overlap.items(), key=lambda item: (-item[1], item[0]))
            if 2 * count > len(group_members):  # |g & S| / |g| > 0.5, in integers
                labels[group] = soc_group_id
    return labels
