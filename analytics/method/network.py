"""The county-lines network (METHOD.md section 3).

- d(v) = min(1, sum of s(r) over the distinct records r linked to v); P = {v : d(v) > 0}.
- u and v are *related* when they share a record (whatever its score) or an association.
- Deepening: V = P plus everyone related to someone in P; the edges are the related pairs in V
  with at least one end in P (two nominals outside P are never joined, even if related).
- W(v) = min(1, d(v) + beta * sum of d(u) over the distinct nominals u related to v).
  Only u in P have d(u) > 0, and every related pair with an end in P is a deepened edge, so the
  sum runs over v's deepened neighbours in P.
- w(u, v) = (W(u) + W(v)) / 2. Kept: W(v) >= threshold, with the edges between kept nominals.
  Kept nominals without edges stay, as groups of one.

Scale: only records that name someone in P create edges, and a record naming k nominals is
handled with set operations (each P nominal on it gains all k, each other nominal gains the P
ones), never with a Python loop over its k*(k-1)/2 pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from .numeric import capped_sum, settle


@dataclass(frozen=True)
class Network:
    """The deepened and thresholded network, with everything needed to explain it.

    - `direct_evidence`: d(v) for v in P (nominals absent here have d = 0).
    - `evidence_records`: for v in P, the records with s(r) > 0 behind d(v), sorted.
    - `weighting`: W(v) for every v in V.
    - `related`: for every v in V, its deepened neighbours (related nominals joined to it by an
      edge of the deepened network).
    - `kept`: the kept nominals, sorted. `edges`: kept edges (a, b) with a < b, sorted, to w.
    """

    beta: float
    threshold: float
    direct_evidence: Mapping[str, float]
    evidence_records: Mapping[str, tuple[str, ...]]
    weighting: Mapping[str, float]
    related: Mapping[str, AbstractSet[str]]
    kept: tuple[str, ...]
    edges: Mapping[tuple[str, str], float]

    @property
    def provisional(self) -> frozenset[str]:
        return frozenset(self.direct_evidence)

    def is_kept(self, nominal_id: str) -> bool:
        return self.weighting.get(nominal_id, 0.0) >= self.threshold

    def related_evidence(self, nominal_id: str) -> dict[str, float]:
        """The related nominals behind W(v) (those in P), with their d(u)."""
        d = self.direct_evidence
        return {u: d[u] for u in sorted(self.related.get(nominal_id, ())) if u in d}


def group_links_by_record(links: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """record_id -> the distinct nominals on it, in first-seen order (several roles count once)."""
    by_record: defaultdict[str, list[str]] = defaultdict(list)
    for record_id, nominal_id in links:
        by_record[record_id].append(nominal_id)
    for record_id, nominals in by_record.items():
        if len(nominals) > 1:
            by_record[record_id] = list(dict.fromkeys(nominals))
    return dict(by_record)


def build_network(
    record_scores: Mapping[str, float],
    record_nominals: Mapping[str, Sequence[str]],
    associations: Iterable[tuple[str, str]] = (),
    *,
    beta: float = 0.25,
    threshold: float = 0.5,
) -> Network:
    """Build the network from record scores s(r), the distinct nominals of each record
    (`group_links_by_record`) and associations (pairs of nominal ids)."""
    evidence: defaultdict[str, list[tuple[str, float]]] = defaultdict(list)
    for record_id, score in record_scores.items():
        if score > 0:
            for nominal_id in record_nominals.get(record_id, ()):
                evidence[nominal_id].append((record_id, score))
    direct = {nominal_id: capped_sum(score for _, score in found) for nominal_id, found in evidence.items()}
    direct = {nominal_id: d for nominal_id, d in direct.items() if d > 0}
    evidence_records = {
        nominal_id: tuple(sorted(record_id for record_id, _ in evidence[nominal_id])) for nominal_id in direct
    }

    related = _relate(direct, record_nominals, associations)
    deepened = set(direct) | set(related)
    weighting = {}
    in_p = set(direct)
    for nominal_id in deepened:
        neighbours = related.get(nominal_id)
        neighbours_in_p = math.fsum(map(direct.__getitem__, neighbours & in_p)) if neighbours else 0.0
        weighting[nominal_id] = min(1.0, settle(direct.get(nominal_id, 0.0) + beta * neighbours_in_p))

    kept = sorted(v for v, w in weighting.items() if w >= threshold)
    kept_set = set(kept)
    edges: dict[tuple[str, str], float] = {}
    for v in kept:
        if v not in direct:
            continue  # every deepened edge has an end in P; enumerate from that end
        for u in related.get(v, ()):
            if u in kept_set:
                a, b = (v, u) if v < u else (u, v)
                edges[(a, b)] = settle((weighting[a] + weighting[b]) / 2)
    return Network(
        beta=beta,
        threshold=threshold,
        direct_evidence=direct,
        evidence_records=evidence_records,
        weighting=weighting,
        related=related,
        kept=tuple(kept),
        edges=dict(sorted(edges.items())),
    )


def _relate(
    provisional: Mapping[str, float],
    record_nominals: Mapping[str, Sequence[str]],
    associations: Iterable[tuple[str, str]],
) -> dict[str, set[str]]:
    """The deepened adjacency: for each nominal in V, its neighbours by edges with an end in P."""
    related: defaultdict[str, set[str]] = defaultdict(set)
    for nominals in record_nominals.values():
        if len(nominals) < 2:
            continue
        in_p = [n for n in nominals if n in provisional]
        if not in_p:
            continue
        for p in in_p:
            related[p].update(nominals)
        if len(in_p) < len(nominals):
            for u in nominals:
                if u not in provisional:
                    related[u].update(in_p)
    for a, b in associations:
        if a != b and (a in provisional or b in provisional):
            related[a].add(b)
            related[b].add(a)
    for nominal_id, neighbours in related.items():
        neighbours.discard(nominal_id)
    return dict(related)


def records_adding_relationships(
    record_scores: Mapping[str, float],
    record_nominals: Mapping[str, Sequence[str]],
    kept: Iterable[str],
) -> tuple[list[str], list[str]]:
    """Split the records that matched a term (s(r) > 0) into those that add a relationship to the
    kept network and those that do not, both sorted.

    A matched record puts all its nominals in P, so it adds a kept edge exactly when at least two
    of its distinct nominals are kept.
    """
    kept_set = set(kept)
    adding, not_adding = [], []
    for record_id, score in record_scores.items():
        if score <= 0:
            continue
        on_record = record_nominals.get(record_id, ())
        if sum(1 for n in on_record if n in kept_set) >= 2:
            adding.append(record_id)
        else:
            not_adding.append(record_id)
    return sorted(adding), sorted(not_adding)
