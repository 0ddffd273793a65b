"""Readers for the public criminal-network files in data/criminal-networks (see its README).

Both return (nodes, edges): node labels as strings, edges {(a, b): weight} with a < b.

- Adjacency matrices (CSV, first row and column are labels, may start with a UTF-8 byte-order
  mark): asymmetric entries are symmetrised with the maximum of the two directions.
- Edge lists (whitespace `a b weight`): rows repeated in either direction are *added*, as igraph
  does with parallel edges; this is the reading under which the README's weighted Walktrap
  modularity for Montagna meetings (0.5702) is reproduced (taking the maximum gives 0.5724).
"""

from __future__ import annotations

import csv
from pathlib import Path

Edges = dict[tuple[str, str], float]


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def read_adjacency_matrix(path: str | Path) -> tuple[list[str], Edges]:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        rows = [row for row in csv.reader(stream) if row]
    labels = [label.strip() for label in rows[0][1:]]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{path}: duplicate node labels")
    edges: Edges = {}
    for i, row in enumerate(rows[1:]):
        for j, cell in enumerate(row[1 : len(labels) + 1]):
            weight = float(cell or 0)
            if weight and i != j:
                key = _key(labels[i], labels[j])
                edges[key] = max(edges.get(key, 0.0), weight)
    return labels, dict(sorted(edges.items()))


def read_edge_list(path: str | Path) -> tuple[list[str], Edges]:
    nodes: dict[str, None] = {}
    edges: Edges = {}
    with open(path, encoding="utf-8-sig") as stream:
        for line in stream:
            parts = line.split()
            if not parts:
                continue
            a, b = parts[0], parts[1]
            weight = float(parts[2]) if len(parts) > 2 else 1.0
            nodes.setdefault(a)
            nodes.setdefault(b)
            if a != b:
                key = _key(a, b)
                edges[key] = edges.get(key, 0.0) + weight
    return list(nodes), dict(sorted(edges.items()))


def read_network(path: str | Path) -> tuple[list[str], Edges]:
    """Read either kind, by looking at the file: a matrix has commas in its first line."""
    with open(path, encoding="utf-8-sig") as stream:
        first = stream.readline()
    return read_adjacency_matrix(path) if "," in first else read_edge_list(path)
