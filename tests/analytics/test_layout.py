"""The network drawing computed when a run is stored (analytics/layout.py): plain data in,
positions out, the same every time."""

from __future__ import annotations

import igraph

from analytics.layout import CURVE_POINTS, compute_layout, robustness_curves
from analytics.method.dismantling import lcc_sizes


def _network(seed: int = 3):
    """Three groups of a seeded random graph, each internally connected, with a few links between."""
    import random

    rng = random.Random(seed)
    group_of, edges = {}, {}
    for group, size in ((1, 40), (2, 25), (3, 1)):
        ids = [f"N{group}-{i:03d}" for i in range(size)]
        group_of.update(dict.fromkeys(ids, group))
        for i in range(1, size):
            a, b = sorted((ids[i], ids[rng.randrange(i)]))
            edges[(a, b)] = round(rng.uniform(0.1, 2.0), 3)
    for a, b in (("N1-000", "N2-000"), ("N1-005", "N2-003"), ("N1-007", "N3-000")):
        low, high = sorted((a, b))
        edges[(low, high)] = 1.0
    return group_of, edges


def test_every_person_and_group_is_placed_inside_the_unit_square_the_same_way_each_time():
    group_of, edges = _network()
    first = compute_layout(group_of=group_of, edges=edges)
    again = compute_layout(group_of=group_of, edges=edges)
    assert first == again
    assert set(first.group_positions) == {1, 2, 3}
    for drawing in first.groups:
        members = {n for n, g in group_of.items() if g == drawing.group}
        assert set(drawing.positions) == members
        coords = list(drawing.positions.values())
        assert all(-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 for x, y in coords)
        if len(coords) > 1:  # scaled to fill the square on its longer axis
            assert max(max(abs(x), abs(y)) for x, y in coords) > 0.99
    assert first.groups[2].positions == {"N3-000": (0.0, 0.0)}


def test_edges_split_into_each_groups_own_and_links_between_groups():
    group_of, edges = _network()
    drawing = compute_layout(group_of=group_of, edges=edges)
    assert drawing.group_edges == [(1, 2, 2), (1, 3, 1)]
    inside = {g.group: {(a, b) for a, b, _ in g.edges} for g in drawing.groups}
    assert inside[1] | inside[2] | inside[3] == {e for e in edges if group_of[e[0]] == group_of[e[1]]}
    one = next(g for g in drawing.groups if g.group == 1)
    assert sorted(one.external) == [
        ("N1-000", "N2-000", 2, 1.0),
        ("N1-005", "N2-003", 2, 1.0),
        ("N1-007", "N3-000", 3, 1.0),
    ]
    three = next(g for g in drawing.groups if g.group == 3)
    assert three.external == [("N3-000", "N1-007", 1, 1.0)]


def test_linked_people_are_drawn_closer_than_unlinked_ones_on_average():
    group_of, edges = _network()
    drawing = next(g for g in compute_layout(group_of=group_of, edges=edges).groups if g.group == 1)
    p = drawing.positions

    def distance(a, b):
        return ((p[a][0] - p[b][0]) ** 2 + (p[a][1] - p[b][1]) ** 2) ** 0.5

    linked = [distance(a, b) for a, b, _ in drawing.edges]
    ids = sorted(p)
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    average = sum(distance(a, b) for a, b in pairs) / len(pairs)
    assert sum(linked) / len(linked) < average / 2


def test_robustness_curves_are_thinned_and_the_references_really_dismantle():
    graph = igraph.Graph.Barabasi(1_500, 2)
    nodes = [f"N{i:04d}" for i in range(graph.vcount())]
    edge_list = [(nodes[a], nodes[b]) for a, b in graph.get_edgelist()]
    # Barabasi-Albert ids run oldest first, and the oldest are the hubs: newest first is a poor order.
    chosen = lcc_sizes(nodes, edge_list, nodes[::-1])
    curves, note = robustness_curves(nodes, edge_list, chosen, "by id")
    assert note == ""
    assert set(curves) == {"by id", "adaptive degree", "adaptive betweenness"}
    for points in curves.values():
        assert len(points) <= CURVE_POINTS + 2
        assert points[0] == (0.0, 1.0) and points[-1] == (1.0, 0.0)
        assert all(a[0] < b[0] for a, b in zip(points, points[1:], strict=False))
    # Removing hubs first breaks a scale-free network far faster than removing by id.
    area = {name: sum(y for _, y in points) / len(points) for name, points in curves.items()}
    assert area["adaptive degree"] < area["by id"] / 2
    assert area["adaptive betweenness"] < area["by id"] / 2
