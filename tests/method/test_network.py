from __future__ import annotations

import pytest

from analytics.method.network import build_network, group_links_by_record, records_adding_relationships

# A small case worked by hand (METHOD.md section 3, beta 0.25, threshold 0.5).
#
#   record  s(r)  nominals
#   R1      1.0   A, B          "county lines"
#   R2      0.5   C, A          "cuckoo house"
#   R3      0     B, D          (shared record of score 0 still relates B and D)
#   R4      0.1   E             "crack"
#   R5      0     D, F          (neither in P: never joined)
#   R6      0.1   A, A          "misper", A in two roles: one link
#   R7      1.0   K             alone
#   associations: E-G (E in P), F-H (neither in P: ignored)
#
# d(A) = min(1, 1.0 + 0.5 + 0.1) = 1; d(B) = 1; d(C) = 0.5; d(E) = 0.1; d(K) = 1.
# P = {A, B, C, E, K}; V = P + {D (via B), G (via E)}.
# W(A) = min(1, 1 + 0.25 * (d(B) + d(C))) = min(1, 1.375) = 1
# W(B) = min(1, 1 + 0.25 * (d(A) + d(D))) = min(1, 1 + 0.25 * (1 + 0)) = 1
# W(C) = 0.5 + 0.25 * d(A) = 0.75
# W(D) = 0 + 0.25 * d(B) = 0.25      -> dropped
# W(E) = 0.1 + 0.25 * d(G) = 0.1     -> dropped
# W(G) = 0 + 0.25 * d(E) = 0.025     -> dropped
# W(K) = 1
# kept = {A, B, C, K}; w(A, B) = (1 + 1) / 2 = 1; w(A, C) = (1 + 0.75) / 2 = 0.875; K alone.
SCORES = {"R1": 1.0, "R2": 0.5, "R3": 0.0, "R4": 0.1, "R5": 0.0, "R6": 0.1, "R7": 1.0}
LINKS = [
    ("R1", "A"), ("R1", "B"), ("R2", "C"), ("R2", "A"), ("R3", "B"), ("R3", "D"), ("R4", "E"),
    ("R5", "D"), ("R5", "F"), ("R6", "A"), ("R6", "A"), ("R7", "K"),
]  # fmt: skip
ASSOCIATIONS = [("E", "G"), ("F", "H")]


@pytest.fixture
def network():
    return build_network(SCORES, group_links_by_record(LINKS), ASSOCIATIONS, beta=0.25, threshold=0.5)


def test_direct_evidence_and_the_provisional_set(network):
    assert dict(network.direct_evidence) == {"A": 1.0, "B": 1.0, "C": 0.5, "E": 0.1, "K": 1.0}
    assert network.provisional == {"A", "B", "C", "E", "K"}
    assert network.evidence_records["A"] == ("R1", "R2", "R6")


def test_deepening_joins_only_pairs_with_an_end_in_p(network):
    assert set(network.weighting) == {"A", "B", "C", "D", "E", "G", "K"}
    assert set(network.related["D"]) == {"B"}  # D-F share R5 but neither is in P
    assert "F" not in network.weighting and "H" not in network.weighting
    assert set(network.related["E"]) == {"G"}


def test_nominal_and_connection_weights(network):
    assert dict(network.weighting) == {
        "A": 1.0, "B": 1.0, "C": 0.75, "D": 0.25, "E": 0.1, "G": 0.025, "K": 1.0,
    }  # fmt: skip
    assert network.kept == ("A", "B", "C", "K")
    assert dict(network.edges) == {("A", "B"): 1.0, ("A", "C"): 0.875}
    assert network.related_evidence("B") == {"A": 1.0}  # D is related but has d = 0


def test_a_kept_nominal_without_edges_stays(network):
    assert "K" in network.kept
    assert all("K" not in edge for edge in network.edges)


def test_the_threshold_is_inclusive_and_decimal():
    # 0.7 + 0.1 is 0.7999999999999999 in binary floating point; the method says 0.8.
    network = build_network({"R": 0.7, "S": 0.1}, {"R": ("X",), "S": ("X",)}, threshold=0.8)
    assert network.direct_evidence["X"] == 0.8
    assert network.kept == ("X",)


def test_beta_is_a_parameter():
    # W(C) = 0.5 + beta * 1; with beta 0 C stays at 0.5 (kept at the threshold), D at 0.
    network = build_network(SCORES, group_links_by_record(LINKS), ASSOCIATIONS, beta=0.0, threshold=0.5)
    assert network.weighting["C"] == 0.5 and network.weighting["D"] == 0.0
    assert "C" in network.kept


def test_a_large_record_is_handled_without_pairs_loops():
    # One matched record naming 600 nominals: 179,700 pairs, all edges of the kept network.
    nominals = tuple(f"N{i:04d}" for i in range(600))
    network = build_network({"R": 1.0}, {"R": nominals})
    assert len(network.kept) == 600
    assert len(network.edges) == 600 * 599 // 2


def test_records_adding_relationships_split():
    record_nominals = group_links_by_record(LINKS)
    adding, not_adding = records_adding_relationships(SCORES, record_nominals, ["A", "B", "C", "K"])
    # R1 (A, B kept) and R2 (A, C kept) add edges; R4 (E dropped), R6 (A alone), R7 (K alone) do not.
    assert adding == ["R1", "R2"]
    assert not_adding == ["R4", "R6", "R7"]


def test_links_are_grouped_by_record_once_per_nominal():
    assert group_links_by_record([("R", "A"), ("R", "B"), ("R", "A"), ("S", "C")]) == {
        "R": ["A", "B"],
        "S": ["C"],
    }
