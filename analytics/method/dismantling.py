"""Dismantling: an order of removal that breaks the kept network fastest (METHOD.md section 5).

Robustness of an order of all N nominals: R = (1/N) * sum over k = 1..N of LCC(k)/N, where
LCC(k) is the size of the largest connected component once the first k are removed. Lower is
better.

Adaptive strategies remove one nominal at a time, recomputing their score on what is left. The
candidates are the nominals of the current largest connected component (when several components
share the largest size, the nominals of all of them). Ties in a score go to the smallest
nominal id. Every score used here depends only on the nominal's own component, so after a
removal only the component it touched is rescored; that is the same as rescoring everything. Once no component has two nominals, the rest of the order is by harm (CCHI,
descending), then id; this cannot change R.

Cost rule for large networks: betweenness is O(n*m) per recomputation and a giant component
of tens of thousands of nominals cannot be rescored after every removal. While the largest
component has at most `exact_max_nodes` nominals (default 500) every score is recomputed after
every removal, exactly as defined. Above that, the candidates are ranked once per batch and the
best ceil(batch_fraction * |LCC|) (default 2%) are removed together, with betweenness estimated
from a seeded sample of SAMPLED_SOURCES source nominals (Brandes and Pich's estimator; only the
ranking matters). Such removals say so in their reason. The real criminal networks in the tests
(at most 112 nominals) are always dismantled exactly.

The harm-aware plan (`harm_aware_plan`) is ours. It runs a small portfolio of adaptive
strategies, each of which uses harm:

- "collapse": remove the nominal whose removal leaves the smallest largest piece (an exact
  articulation-point computation), ties to higher betweenness, then higher harm;
- "harm-weighted betweenness": betweenness * (1 + harm / highest harm), ties to higher harm;
- "harm-weighted degree": degree * (1 + harm / highest harm), ties to higher harm;

together with the two reference strategies (adaptive betweenness and adaptive highest degree),
and keeps the order with the lowest R; among orders with equal R, the one that removes harm
soonest (largest area under the cumulative harm curve). Because both references are in the
portfolio, the plan is never worse than either of them, on any network. Every removal carries a
reason in words ("removes N7: largest group 40 -> 31, harm 1460 CCHI days; ...").
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import igraph

from .numeric import settle
from .workers import Workers

DEGREE = "adaptive highest degree"
BETWEENNESS = "adaptive betweenness"
COLLAPSE = "collapse (smallest largest piece)"
HARM_BETWEENNESS = "harm-weighted betweenness"
HARM_DEGREE = "harm-weighted degree"
# Preference among orders with the same R and the same harm curve: harm-aware first.
PORTFOLIO = (COLLAPSE, HARM_BETWEENNESS, HARM_DEGREE, BETWEENNESS, DEGREE)
SAMPLED_SOURCES = 256


@dataclass(frozen=True)
class Removal:
    nominal_id: str
    lcc_before: int
    lcc_after: int
    harm_cchi: float
    reason: str


@dataclass(frozen=True)
class DismantlingPlan:
    """`order` holds every node; `lcc_sizes[k]` is the LCC after removing the first k (k = 0..N).
    `robustness_by_strategy` gives R of every strategy tried (including the references)."""

    strategy: str
    order: tuple[str, ...]
    removals: tuple[Removal, ...]
    robustness: float
    lcc_sizes: tuple[int, ...]
    robustness_by_strategy: Mapping[str, float]
    summary: str

    def rank_of(self) -> dict[str, int]:
        """nominal_id -> 1-based position in the order."""
        return {nominal_id: k for k, nominal_id in enumerate(self.order, start=1)}


class _Graph:
    """Nodes in sorted id order (index order is the tie-break), adjacency as sets of indices."""

    def __init__(self, nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> None:
        self.ids = sorted(set(nodes))
        index = {nominal_id: i for i, nominal_id in enumerate(self.ids)}
        self.adjacency: list[set[int]] = [set() for _ in self.ids]
        pairs = []
        for a, b in edges:
            i, j = index[a], index[b]
            if i != j and j not in self.adjacency[i]:
                self.adjacency[i].add(j)
                self.adjacency[j].add(i)
                pairs.append((i, j))
        self.igraph = igraph.Graph(n=len(self.ids), edges=pairs)

    def __len__(self) -> int:
        return len(self.ids)


def lcc_sizes(nodes: Iterable[str], edges: Iterable[tuple[str, str]], order: Sequence[str]) -> list[int]:
    """LCC(k) for k = 0..N, N = number of nodes; `order` must contain every node once."""
    graph = _Graph(nodes, edges)
    return _lcc_curve(graph, _indices(graph, order))


def robustness(nodes: Iterable[str], edges: Iterable[tuple[str, str]], order: Sequence[str]) -> float:
    """R = (1/N) * sum over k = 1..N of LCC(k)/N."""
    return _robustness(lcc_sizes(nodes, edges, order))


def _indices(graph: _Graph, order: Sequence[str]) -> list[int]:
    index = {nominal_id: i for i, nominal_id in enumerate(graph.ids)}
    return [index[n] for n in order]


def _robustness(curve: Sequence[int]) -> float:
    n = len(curve) - 1
    return sum(curve[1:]) / (n * n) if n else 0.0


def _lcc_curve(graph: _Graph, order: Sequence[int]) -> list[int]:
    """LCC after removing the first k of `order`, by adding nodes back in reverse (union-find)."""
    n = len(graph)
    if sorted(order) != list(range(n)):
        raise ValueError("the order must contain every node exactly once")
    parent = list(range(n))
    size = [1] * n
    present = [False] * n

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    curve = [0] * (n + 1)
    largest = 0
    for k in range(n - 1, -1, -1):
        v = order[k]
        present[v] = True
        largest = max(largest, 1)
        for u in graph.adjacency[v]:
            if present[u]:
                a, b = find(u), find(v)
                if a != b:
                    if size[a] < size[b]:
                        a, b = b, a
                    parent[b] = a
                    size[a] += size[b]
                    largest = max(largest, size[a])
        curve[k] = largest
    return curve


class _State:
    """The graph as removals proceed: which nodes are left, their degrees, their components."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        self.alive = [True] * len(graph)
        self.degree = [len(neighbours) for neighbours in graph.adjacency]
        self.component_of = [-1] * len(graph)
        self.components: dict[int, set[int]] = {}
        self._by_size: dict[int, set[int]] = {}  # size -> ids of the components of that size
        self._sizes: list[int] = []  # max-heap (negated) of sizes; a size may be stale
        self._next_id = 0
        for v in range(len(graph)):
            if self.component_of[v] == -1:
                self._add_component(self._reach(v, None))

    def _reach(self, start: int, within: set[int] | None) -> set[int]:
        seen = {start}
        frontier = [start]
        adjacency, alive = self.graph.adjacency, self.alive
        while frontier:
            v = frontier.pop()
            for u in adjacency[v]:
                if u not in seen and alive[u] and (within is None or u in within):
                    seen.add(u)
                    frontier.append(u)
        return seen

    def _add_component(self, members: set[int]) -> None:
        component = self._next_id
        self._next_id += 1
        self.components[component] = members
        for v in members:
            self.component_of[v] = component
        bucket = self._by_size.setdefault(len(members), set())
        if not bucket:
            heapq.heappush(self._sizes, -len(members))
        bucket.add(component)

    def _pop_component(self, component: int) -> set[int]:
        members = self.components.pop(component)
        self._by_size[len(members)].discard(component)
        return members

    def _largest_size(self) -> int:
        while self._sizes and not self._by_size.get(-self._sizes[0]):
            heapq.heappop(self._sizes)
        return -self._sizes[0] if self._sizes else 0

    def largest_components(self) -> tuple[int, AbstractSet[int], int]:
        """(largest size, ids of every component of that size, size of the next smaller one).

        The set of ids is live: read it before the next removal, do not keep it.
        """
        size = self._largest_size()
        if size == 0:
            return 0, set(), 0
        top = heapq.heappop(self._sizes)
        next_size = self._largest_size()
        heapq.heappush(self._sizes, top)
        return size, self._by_size[size], next_size

    def remove(self, nodes: Iterable[int]) -> list[int]:
        """Remove `nodes`, split each component they were in (one search per component), and
        return the ids of the components that no longer exist."""
        touched: dict[int, set[int]] = {}
        for v in nodes:
            component = self.component_of[v]
            if component not in touched:
                touched[component] = self._pop_component(component)
            touched[component].discard(v)
            self.alive[v] = False
            self.component_of[v] = -1
            for u in self.graph.adjacency[v]:
                if self.alive[u]:
                    self.degree[u] -= 1
        for members in touched.values():
            while members:
                piece = self._reach(next(iter(members)), members)
                members -= piece
                self._add_component(piece)
        return list(touched)


Measurements = dict[tuple[str, bool, frozenset[int]], dict[int, tuple[float, ...]]]
"""Raw scores of a component, by (measure name, exact?, the component's nodes). A component's
scores depend only on which nodes it has, so strategies that meet the same component (all of
them meet the untouched ones) share one computation."""


@dataclass(frozen=True)
class _Strategy:
    """A scoring rule. `measure` computes raw numbers for every node of one component (they only
    change when that component changes, so they are cached per component); `key` turns them into
    the score to maximise, given the size of the largest *other* component; `describe` says why.
    """

    name: str
    measure: Callable[[_State, list[int], bool], dict[int, tuple[float, ...]]]
    key: Callable[[int, tuple[float, ...], int], tuple[float, ...]]
    describe: Callable[[int, tuple[float, ...], int], str]


def _run(
    graph: _Graph,
    strategy: _Strategy,
    harm: Sequence[float],
    *,
    exact_max_nodes: int,
    batch_fraction: float,
    shared: Measurements | None = None,
) -> tuple[list[int], list[tuple[int, int, int, str]], list[int]]:
    """Dismantle with `strategy`. Returns the order of every node, one (node, LCC before, LCC
    after, criterion) step per removal, and the LCC curve (k = 0..N).

    Scores of a component are recomputed only when it changes: every score used here depends on
    the node's own component alone, so this is the same as recomputing all after each removal.
    """
    state = _State(graph)
    measured: dict[int, dict[int, tuple[float, ...]]] = {}
    # For the current largest size and `other`: a heap of (best (key, node), component) over the
    # components of that size. Removing a node only ever creates smaller components, so while
    # the largest size stays the same the heap only loses entries (dropped lazily).
    heaps: dict[tuple[int, int], list[tuple[tuple[tuple[float, ...], int], int]]] = {}
    order: list[int] = []
    criteria: list[str] = []

    cache: Measurements = {} if shared is None else shared

    def raw_scores(component: int, exact: bool) -> dict[int, tuple[float, ...]]:
        if component not in measured:
            content = (strategy.name, exact, frozenset(state.components[component]))
            if content not in cache:
                cache[content] = strategy.measure(state, sorted(content[2]), exact)
            measured[component] = cache[content]
        return measured[component]

    def rank_key(v: int, raw: tuple[float, ...], other: int) -> tuple[tuple[float, ...], int]:
        # Highest score first, then the smallest index (= smallest id).
        return tuple(-x for x in strategy.key(v, raw, other)), v

    while True:
        size, tops, next_size = state.largest_components()
        if size <= 1:
            break
        other = size if len(tops) > 1 else next_size
        if size <= exact_max_nodes:
            heap = heaps.get((size, other))
            if heap is None:
                heaps.clear()
                heap = heaps[(size, other)] = [
                    (min(rank_key(v, raw[v], other) for raw in (raw_scores(c, True),) for v in raw), c) for c in tops
                ]
                heapq.heapify(heap)
            while heap[0][1] not in state.components:
                heapq.heappop(heap)
            (_, node), component = heap[0]
            picks = [(node, strategy.describe(node, measured[component][node], other))]
        else:
            ranked = sorted(
                (rank_key(v, raw[v], other), component)
                for component in tops
                for raw in (raw_scores(component, False),)
                for v in raw
            )
            count = max(1, math.ceil(batch_fraction * size))
            note = f"; ranked as a batch of {count} while the largest group had {size} (over {exact_max_nodes})"
            picks = [
                (node, strategy.describe(node, measured[component][node], other) + note)
                for (_, node), component in ranked[:count]
            ]
        for gone in state.remove(node for node, _ in picks):
            measured.pop(gone, None)
        order.extend(node for node, _ in picks)
        criteria.extend(criterion for _, criterion in picks)
    rest = sorted((v for v in range(len(graph)) if state.alive[v]), key=lambda v: (-harm[v], v))
    order.extend(rest)
    criteria.extend("no connections left; ordered by harm" for _ in rest)
    curve = _lcc_curve(graph, order)
    steps = [(v, curve[k], curve[k + 1], criteria[k]) for k, v in enumerate(order)]
    return order, steps, curve


def _betweenness(sub: igraph.Graph, members: list[int], exact: bool) -> list[float]:
    """Betweenness of the nodes of one component, `sub` (exact, or estimated from sampled
    sources)."""
    if len(members) <= 2:
        return [0.0] * len(members)
    if exact or len(members) <= SAMPLED_SOURCES:
        values = sub.betweenness(directed=False)
    else:
        # Seeded by the component, so the same network always gives the same estimate.
        rng = random.Random(f"{len(members)}:{members[0]}:{members[-1]}")
        sources = sorted(rng.sample(range(len(members)), SAMPLED_SOURCES))
        scale = len(members) / SAMPLED_SOURCES
        values = [b * scale for b in sub.betweenness(directed=False, sources=sources)]
    return [settle(b) for b in values]


def _measure_degree(state: _State, members: list[int], exact: bool) -> dict[int, tuple[float, ...]]:
    return {v: (state.degree[v],) for v in members}


def _measure_betweenness(state: _State, members: list[int], exact: bool) -> dict[int, tuple[float, ...]]:
    sub = state.graph.igraph.induced_subgraph(members)
    return {v: (b,) for v, b in zip(members, _betweenness(sub, members, exact), strict=True)}


def _measure_collapse(state: _State, members: list[int], exact: bool) -> dict[int, tuple[float, ...]]:
    sub = state.graph.igraph.induced_subgraph(members)
    pieces = _largest_piece_after_removal(sub.get_adjlist())
    betweenness = _betweenness(sub, members, exact)
    return {v: (piece, b) for v, piece, b in zip(members, pieces, betweenness, strict=True)}


def _reference_strategies() -> dict[str, _Strategy]:
    return {
        DEGREE: _Strategy(
            "degree",
            _measure_degree,
            lambda v, raw, other: raw,
            lambda v, raw, other: f"most connections in the largest group ({raw[0]:g})",
        ),
        BETWEENNESS: _Strategy(
            "betweenness",
            _measure_betweenness,
            lambda v, raw, other: raw,
            lambda v, raw, other: f"highest betweenness in the largest group ({raw[0]:g})",
        ),
    }


def _harm_aware_strategies(harm: Sequence[float]) -> dict[str, _Strategy]:
    top = max(harm, default=0.0)
    factor = [1 + (h / top if top > 0 else 0.0) for h in harm]
    return {
        COLLAPSE: _Strategy(
            "collapse",
            _measure_collapse,
            # Smallest resulting LCC (own largest piece, or the largest other component), then
            # betweenness, then harm.
            lambda v, raw, other: (-max(raw[0], other), raw[1], harm[v]),
            lambda v, raw, other: (
                f"leaves the smallest largest piece ({max(int(raw[0]), other)}), betweenness {raw[1]:g}"
            ),
        ),
        HARM_BETWEENNESS: _Strategy(
            "betweenness",
            _measure_betweenness,
            lambda v, raw, other: (settle(raw[0] * factor[v]), harm[v]),
            lambda v, raw, other: f"highest harm-weighted betweenness ({raw[0]:g} x {factor[v]:.2f})",
        ),
        HARM_DEGREE: _Strategy(
            "degree",
            _measure_degree,
            lambda v, raw, other: (settle(raw[0] * factor[v]), harm[v]),
            lambda v, raw, other: f"highest harm-weighted degree ({raw[0]:g} x {factor[v]:.2f})",
        ),
    }


def _largest_piece_after_removal(adjacency: Sequence[Sequence[int]]) -> list[int]:
    """For each vertex, the size of the largest piece its own component falls into when it is
    removed (Tarjan's articulation points with DFS subtree sizes; iterative)."""
    k = len(adjacency)
    discovered = [-1] * k
    low = [0] * k
    subtree = [1] * k
    parent = [-1] * k
    separated_sum = [0] * k
    separated_max = [0] * k
    component_size = [0] * k
    clock = 0
    for root in range(k):
        if discovered[root] != -1:
            continue
        discovered[root] = low[root] = clock
        clock += 1
        members = [root]
        stack = [(root, iter(adjacency[root]))]
        while stack:
            v, neighbours = stack[-1]
            advanced = False
            for u in neighbours:
                if discovered[u] == -1:
                    parent[u] = v
                    discovered[u] = low[u] = clock
                    clock += 1
                    members.append(u)
                    stack.append((u, iter(adjacency[u])))
                    advanced = True
                    break
                if u != parent[v]:
                    low[v] = min(low[v], discovered[u])
            if advanced:
                continue
            stack.pop()
            if stack:
                p = stack[-1][0]
                low[p] = min(low[p], low[v])
                subtree[p] += subtree[v]
                if low[v] >= discovered[p]:  # v's subtree falls away when p is removed
                    separated_sum[p] += subtree[v]
                    separated_max[p] = max(separated_max[p], subtree[v])
        for v in members:
            component_size[v] = len(members)
    return [max(separated_max[v], component_size[v] - 1 - separated_sum[v]) for v in range(k)]


def _reference_order(
    strategy: str,
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    harm: Mapping[str, float] | None,
    exact_max_nodes: int,
    batch_fraction: float,
) -> list[str]:
    graph = _Graph(nodes, edges)
    order, _, _ = _run(
        graph,
        _reference_strategies()[strategy],
        _harm_list(graph, harm),
        exact_max_nodes=exact_max_nodes,
        batch_fraction=batch_fraction,
    )
    return [graph.ids[v] for v in order]


def adaptive_degree_order(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    harm: Mapping[str, float] | None = None,
    *,
    exact_max_nodes: int = 500,
    batch_fraction: float = 0.02,
) -> list[str]:
    """Reference strategy: adaptive highest degree within the largest component."""
    return _reference_order(DEGREE, nodes, edges, harm, exact_max_nodes, batch_fraction)


def adaptive_betweenness_order(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    harm: Mapping[str, float] | None = None,
    *,
    exact_max_nodes: int = 500,
    batch_fraction: float = 0.02,
) -> list[str]:
    """Reference strategy: adaptive (unweighted) betweenness within the largest component."""
    return _reference_order(BETWEENNESS, nodes, edges, harm, exact_max_nodes, batch_fraction)


def _harm_list(graph: _Graph, harm: Mapping[str, float] | None) -> list[float]:
    harm = harm or {}
    return [float(harm.get(nominal_id, 0.0)) for nominal_id in graph.ids]


# Strategies that share raw measurements run in one job (see `Measurements`).
STRATEGY_JOBS = ((COLLAPSE,), (HARM_BETWEENNESS, BETWEENNESS), (HARM_DEGREE, DEGREE))

StrategyResult = tuple[list[int], list[tuple[int, int, int, str]], list[int]]


def harm_aware_plan(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    harm: Mapping[str, float] | None = None,
    *,
    exact_max_nodes: int = 500,
    batch_fraction: float = 0.02,
) -> DismantlingPlan:
    """The dismantling plan of the module docstring: R no worse than adaptive degree or adaptive
    betweenness, harm removed as early as that allows, a reason for every removal."""
    with Workers(1) as workers:
        return start_harm_aware_plan(
            nodes, edges, harm, workers, exact_max_nodes=exact_max_nodes, batch_fraction=batch_fraction
        )()


def start_harm_aware_plan(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    harm: Mapping[str, float] | None,
    workers: Workers,
    *,
    exact_max_nodes: int = 500,
    batch_fraction: float = 0.02,
) -> Callable[[], DismantlingPlan]:
    """Submit one job per group of strategies (STRATEGY_JOBS) to `workers`; return the function
    that waits for them and chooses the plan."""
    nodes, edges = sorted(set(nodes)), list(edges)
    graph = _Graph(nodes, edges)
    harm_values = _harm_list(graph, harm)
    jobs = [
        workers.submit(run_strategies, nodes, edges, harm_values, names, exact_max_nodes, batch_fraction)
        for names in STRATEGY_JOBS
    ]

    def finish() -> DismantlingPlan:
        results: dict[str, StrategyResult] = {}
        for job in jobs:
            results.update(job.result())
        return _choose(graph, harm_values, results)

    return finish


def run_strategies(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    harm_values: Sequence[float],
    names: Sequence[str],
    exact_max_nodes: int,
    batch_fraction: float,
) -> dict[str, StrategyResult]:
    """Dismantle with each strategy of `names` (one job); they share raw measurements."""
    graph = _Graph(nodes, edges)
    strategies = {**_harm_aware_strategies(harm_values), **_reference_strategies()}
    shared: Measurements = {}
    return {
        name: _run(
            graph,
            strategies[name],
            harm_values,
            exact_max_nodes=exact_max_nodes,
            batch_fraction=batch_fraction,
            shared=shared,
        )
        for name in names
    }


def _choose(graph: _Graph, harm_values: Sequence[float], results: Mapping[str, StrategyResult]) -> DismantlingPlan:
    n = len(graph)
    if n == 0:
        return DismantlingPlan("empty network", (), (), 0.0, (0,), {}, "The network is empty.")
    scores = {strategy: _robustness(results[strategy][2]) for strategy in PORTFOLIO}
    # R is (sum of the curve) / N^2: compare the integer sums, so equal means exactly equal.
    areas = {strategy: sum(curve[1:]) for strategy, (_, _, curve) in results.items()}
    finalists = [s for s in PORTFOLIO if areas[s] == min(areas.values())]
    chosen = max(finalists, key=lambda s: (_harm_area(results[s][0], harm_values), -PORTFOLIO.index(s)))
    order, steps, curve = results[chosen]

    removals = tuple(
        Removal(
            nominal_id=graph.ids[v],
            lcc_before=before,
            lcc_after=after,
            harm_cchi=harm_values[v],
            reason=(
                f"removes {graph.ids[v]}: largest group {before}\u2192{after}, "
                f"harm {harm_values[v]:g} CCHI days; {criterion}"
            ),
        )
        for v, before, after, criterion in steps
    )
    others = ", ".join(f"{s} {scores[s]:.4f}" for s in PORTFOLIO if s != chosen)
    summary = f"Chose {chosen}: R = {scores[chosen]:.4f} (lower is better; {others})."
    return DismantlingPlan(
        strategy=chosen,
        order=tuple(graph.ids[v] for v in order),
        removals=removals,
        robustness=scores[chosen],
        lcc_sizes=tuple(curve),
        robustness_by_strategy=scores,
        summary=summary,
    )


def _harm_area(order: Sequence[int], harm: Sequence[float]) -> float:
    """Sum over k of the harm removed by the first k: larger means harm is removed sooner."""
    total = 0.0
    running = 0.0
    for v in order:
        running += harm[v]
        total += running
    return settle(total)
