"""Why a nominal is in the network, with the numbers (METHOD.md section 7).

For a nominal v the explanation lists the records behind d(v) with the terms each matched and
their weights, the related nominals behind W(v) with their d(u), beta, and the arithmetic as a
person would check it, e.g.

    d(N1) = min(1, 0.7 [R12] + 0.2 [R15]) = 0.9
    W(N1) = min(1, 0.9 + 0.25 x (0.5 [N2] + 0.3 [N7])) = min(1, 1.1) = 1
    kept: W(N1) = 1 >= threshold 0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .network import Network
from .numeric import settle
from .scoring import RecordScore


@dataclass(frozen=True)
class MatchedTerm:
    group: str
    pattern: str
    weight: float


@dataclass(frozen=True)
class EvidenceRecord:
    record_id: str
    score: float
    terms: tuple[MatchedTerm, ...]
    arithmetic: str


@dataclass(frozen=True)
class RelatedNominal:
    nominal_id: str
    direct_evidence: float
    shared_records: tuple[str, ...]
    associated: bool


@dataclass(frozen=True)
class NominalExplanation:
    nominal_id: str
    direct_evidence: float
    records: tuple[EvidenceRecord, ...]
    related: tuple[RelatedNominal, ...]
    beta: float
    weighting: float
    threshold: float
    kept: bool
    lines: tuple[str, ...]


def _number(value: float) -> str:
    return f"{settle(value):.10g}"


def explain_nominal(
    nominal_id: str,
    network: Network,
    record_scores: Mapping[str, RecordScore],
    records_of_nominal: Mapping[str, Sequence[str]],
    record_nominals: Mapping[str, Sequence[str]],
    associated_with: Mapping[str, frozenset[str]] | None = None,
) -> NominalExplanation:
    """Explain one nominal of the deepened network.

    `records_of_nominal`: nominal_id -> its records; `record_nominals`: record_id -> its
    nominals; `associated_with`: nominal_id -> nominals it has an association with.
    """
    d = network.direct_evidence.get(nominal_id, 0.0)
    evidence = []
    for record_id in network.evidence_records.get(nominal_id, ()):
        scored = record_scores[record_id]
        terms = tuple(MatchedTerm(t.group, t.pattern, t.weight) for t in scored.matched)
        parts = " + ".join(f"{_number(t.weight)} {t.pattern} ({t.group})" for t in terms)
        arithmetic = f"s({record_id}) = min(1, {parts}) = {_number(scored.score)}"
        evidence.append(EvidenceRecord(record_id, scored.score, terms, arithmetic))

    # Which of the nominal's records each other nominal shares, in one pass over its records.
    shared: dict[str, list[str]] = {}
    for record_id in set(records_of_nominal.get(nominal_id, ())):
        for other in record_nominals.get(record_id, ()):
            shared.setdefault(other, []).append(record_id)
    associated = (associated_with or {}).get(nominal_id, frozenset())
    related = [
        RelatedNominal(other, d_other, tuple(sorted(shared.get(other, ()))), other in associated)
        for other, d_other in network.related_evidence(nominal_id).items()
    ]

    weighting = network.weighting.get(nominal_id, 0.0)
    kept = weighting >= network.threshold
    lines = [
        f"d({nominal_id}) = min(1, "
        + (" + ".join(f"{_number(e.score)} [{e.record_id}]" for e in evidence) or "0")
        + f") = {_number(d)}"
    ]
    neighbour_sum = math.fsum(r.direct_evidence for r in related)
    inside = " + ".join(f"{_number(r.direct_evidence)} [{r.nominal_id}]" for r in related) or "0"
    raw = settle(d + network.beta * neighbour_sum)
    lines.append(
        f"W({nominal_id}) = min(1, {_number(d)} + {_number(network.beta)} x ({inside}))"
        + (f" = min(1, {_number(raw)})" if raw > 1 else "")
        + f" = {_number(weighting)}"
    )
    verdict = ">=" if kept else "<"
    lines.append(
        f"{'kept' if kept else 'not kept'}: W({nominal_id}) = {_number(weighting)} {verdict} "
        f"threshold {_number(network.threshold)}"
    )
    lines.extend(e.arithmetic for e in evidence)
    return NominalExplanation(
        nominal_id=nominal_id,
        direct_evidence=d,
        records=tuple(evidence),
        related=tuple(related),
        beta=network.beta,
        weighting=weighting,
        threshold=network.threshold,
        kept=kept,
        lines=tuple(lines),
    )


def explanation_json(explanation: NominalExplanation) -> dict:
    """The explanation as plain JSON data (the fields of the dataclasses, by name), built directly:
    `dataclasses.asdict` deep-copies every value and took seconds for a large run."""
    e = explanation
    return {
        "nominal_id": e.nominal_id,
        "direct_evidence": e.direct_evidence,
        "records": [
            {
                "record_id": r.record_id,
                "score": r.score,
                "terms": [{"group": t.group, "pattern": t.pattern, "weight": t.weight} for t in r.terms],
                "arithmetic": r.arithmetic,
            }
            for r in e.records
        ],
        "related": [
            {
                "nominal_id": r.nominal_id,
                "direct_evidence": r.direct_evidence,
                "shared_records": list(r.shared_records),
                "associated": r.associated,
            }
            for r in e.related
        ],
        "beta": e.beta,
        "weighting": e.weighting,
        "threshold": e.threshold,
        "kept": e.kept,
        "lines": list(e.lines),
    }
