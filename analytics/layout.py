"""Where each person and group of a run's kept network is drawn, computed once when the run is
stored, so that the browser draws the network without running a simulation.

Two levels, because the whole kept network of a large run (100,000+ people) is more than a
browser draws smoothly:

- the group-level graph: one node per group (sized by its members), one edge per pair of
  groups with links between them (weighted by how many);
- each group's members, laid out on their own, with the group's internal edges and the links
  its members have to people of other groups (for "expand neighbours").

`compute_layout` is plain Python on plain data (igraph's Fruchterman-Reingold layout, which is
fast on sparse graphs of thousands of nodes: about 0.4 s for 5,000 where DrL took 17 s);
`run_layout_store` stores its result beside the run's results, inside the same transaction.

The dismantling page compares the chosen order with the two reference strategies; their
curves are computed here too (the pipeline keeps only their robustness R), on networks up to
BASELINE_MAX_NODES people.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import igraph

from .method.dismantling import adaptive_betweenness_order, adaptive_degree_order, lcc_sizes

BASELINE_MAX_NODES = 20_000
"""Above this many kept people the reference curves are not computed (the page says so)."""
CURVE_POINTS = 400
"""A robustness curve is kept at about this many points: enough for a plot, whatever N."""
SEED = 20_250_101
"""Layouts start from seeded positions, so the same network is always drawn the same way."""

Edge = tuple[str, str]


@dataclass(frozen=True)
class GroupDrawing:
    group: int
    positions: dict[str, tuple[float, float]]
    edges: list[tuple[str, str, float]]
    external: list[tuple[str, str, int, float]]
    """Links from a member to someone of another group: (member, other, other's group, w)."""


@dataclass(frozen=True)
class NetworkDrawing:
    group_positions: dict[int, tuple[float, float]]
    group_edges: list[tuple[int, int, int]]
    """(group a, group b, number of links between them), a < b."""
    groups: list[GroupDrawing]
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Strategy -> [(fraction removed, LCC / N)], thinned to about CURVE_POINTS."""
    curves_note: str = ""


def _positions(n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float]) -> list[tuple[float, float]]:
    """Positions of n nodes, scaled into [-1, 1] on the longer axis."""
    if n == 0:
        return []
    if n == 1:
        return [(0.0, 0.0)]
    graph = igraph.Graph(n=n, edges=list(pairs))
    # igraph draws its starting positions and moves from one process-wide generator (Python's
    # `random` by default): a seeded one for the layout, then the default again. (Passing
    # starting positions instead made the layout twenty times slower.)
    igraph.set_random_number_generator(random.Random(SEED + n))
    try:
        layout = graph.layout_fruchterman_reingold(
            weights=list(weights) if pairs else None,
            niter=300 if n > 500 else 500,
            # The grid approximates far repulsion: igraph's "auto" uses it above 1,000 nodes only,
            # where 800 nodes already took 1.6 s without it (0.23 s with).
            grid="grid" if n > 200 else "nogrid",
        )
    finally:
        igraph.set_random_number_generator(random)
    xs, ys = [p[0] for p in layout.coords], [p[1] for p in layout.coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return [(round((x - cx) / span, 4), round((y - cy) / span, 4)) for x, y in layout.coords]


def _thin(curve: Sequence[int]) -> list[tuple[float, float]]:
    n = len(curve) - 1
    if n <= 0:
        return []
    step = max(1, -(-n // CURVE_POINTS))  # ceiling: at most CURVE_POINTS + 1 points
    ks = list(range(0, n + 1, step))
    if ks[-1] != n:
        ks.append(n)
    return [(round(k / n, 4), round(curve[k] / n, 4)) for k in ks]


def robustness_curves(
    nodes: Sequence[str], edges: Iterable[Edge], chosen: Sequence[int], chosen_name: str
) -> tuple[dict[str, list[tuple[float, float]]], str]:
    """The chosen order's curve (its stored LCC sizes) with adaptive degree and adaptive
    betweenness on the same network; the references only up to BASELINE_MAX_NODES."""
    curves = {chosen_name: _thin(chosen)}
    if len(nodes) > BASELINE_MAX_NODES:
        return curves, (
            f"The reference strategies' curves are not drawn for networks of more than "
            f"{BASELINE_MAX_NODES:,} people; their robustness R is in the table."
        )
    edge_list = list(edges)
    for name, order in (
        ("adaptive degree", adaptive_degree_order(nodes, edge_list)),
        ("adaptive betweenness", adaptive_betweenness_order(nodes, edge_list)),
    ):
        curves[name] = _thin(lcc_sizes(nodes, edge_list, order))
    return curves, ""


def compute_layout(
    *,
    group_of: Mapping[str, int],
    edges: Mapping[Edge, float],
) -> NetworkDrawing:
    """Lay out the group-level graph and every group's members.

    `group_of` maps every kept person to their group; `edges` are the kept edges (a < b) with
    their weight.
    """
    members: defaultdict[int, list[str]] = defaultdict(list)
    for nominal_id in sorted(group_of):
        members[group_of[nominal_id]].append(nominal_id)
    internal: defaultdict[int, list[tuple[str, str, float]]] = defaultdict(list)
    external: defaultdict[int, list[tuple[str, str, int, float]]] = defaultdict(list)
    between: defaultdict[tuple[int, int], int] = defaultdict(int)
    for (a, b), weight in edges.items():
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            internal[ga].append((a, b, weight))
        else:
            external[ga].append((a, b, gb, weight))
            external[gb].append((b, a, ga, weight))
            between[(min(ga, gb), max(ga, gb))] += 1
    groups = sorted(members)
    group_index = {g: i for i, g in enumerate(groups)}
    group_pairs = [(group_index[a], group_index[b]) for a, b in between]
    group_coords = _positions(len(groups), group_pairs, [float(links) for links in between.values()])
    drawings = []
    for group in groups:
        ids = members[group]
        index = {nominal_id: i for i, nominal_id in enumerate(ids)}
        inside = internal[group]
        coords = _positions(len(ids), [(index[a], index[b]) for a, b, _ in inside], [w for _, _, w in inside])
        drawings.append(
            GroupDrawing(
                group=group,
                positions=dict(zip(ids, coords, strict=True)),
                edges=inside,
                external=external[group],
            )
        )
    return NetworkDrawing(
        group_positions=dict(zip(groups, group_coords, strict=True)),
        group_edges=sorted((a, b, links) for (a, b), links in between.items()),
        groups=drawings,
    )


def run_layout_store(*, run, result) -> float:
    """Compute and store the drawing of `run`'s kept network from its `AnalysisResult`.

    Caller must be inside the transaction that stores the run's results (`analysis._store`):
    the drawing commits with them or not at all. Returns the seconds it took.
    """
    from .models import GroupLayout, RunLayout

    started = time.perf_counter()
    network = result.network
    drawing = compute_layout(group_of=result.groups.group_of, edges=network.edges)
    plan = result.dismantling
    curves, note = robustness_curves(
        list(network.kept), network.edges.keys(), plan.lcc_sizes, f"chosen order ({plan.strategy})"
    )
    seconds = time.perf_counter() - started
    RunLayout.objects.create(
        run=run,
        group_positions={str(g): list(p) for g, p in drawing.group_positions.items()},
        group_edges=[list(edge) for edge in drawing.group_edges],
        curves={name: [list(point) for point in points] for name, points in curves.items()},
        curves_note=note,
        stage_counts={
            "provisional": len(network.direct_evidence),
            "deepened": len(network.weighting),
            "kept": len(network.kept),
        },
        seconds=round(seconds, 3),
    )
    GroupLayout.objects.bulk_create(
        [
            GroupLayout(
                run=run,
                group=g.group,
                positions={nominal_id: list(p) for nominal_id, p in g.positions.items()},
                edges=[list(edge) for edge in g.edges],
                external=[list(link) for link in g.external],
            )
            for g in drawing.groups
        ],
        batch_size=500,
    )
    return seconds
