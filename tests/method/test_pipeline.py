"""The whole method on a bundle small enough to check by hand (see test_network.py for the
arithmetic of d, W and w on the same shape)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from analytics.method import (
    AnalysisInputs,
    AnalysisParams,
    Association,
    Cancelled,
    HarmEntry,
    Nominal,
    Record,
    RecordLink,
    SocMembership,
    run_analysis,
)
from analytics.method.document import render_result_document
from analytics.method.explain import explanation_json
from analytics.method.groups import walktrap_whole_network
from analytics.method.pipeline import STAGES

TODAY = date(2026, 6, 30)


def bundle() -> AnalysisInputs:
    nominals = [
        Nominal("A", date(2009, 1, 1), "Coventry"),
        Nominal("B", date(1990, 3, 4), "Birmingham"),
        Nominal("C", date(1975, 8, 9), "Walsall"),
        *(Nominal(n, date(1980, 1, 1), "Dudley") for n in "DEFGH"),
        Nominal("K", None, "Sandwell"),
    ]
    records = [
        Record("R1", "Intel: COUNTY LINES phone run by the pair", "092/01"),  # 1.0
        Record("R2", "Cuckoo house at flat 3, occupant exploited", ""),  # 0.5
        Record("R3", "Shoplifting at a convenience store", "046/01"),  # 0
        Record("R4", "Small amount of crack found", "092/03"),  # 0.1
        Record("R5", "Burglary of a shed", "028/01"),  # 0
        Record("R6", "Misper report, found next day", ""),  # 0.1
        Record("R7", "Stop search, county line deal phone", "999/99"),  # 1.0, unknown code
    ]
    links = [
        RecordLink("R1", "A", "SUSPECT"), RecordLink("R1", "B", "SUSPECT"),
        RecordLink("R2", "C", "VICTIM"), RecordLink("R2", "A", "SUSPECT"),
        RecordLink("R3", "B", "OFFENDER"), RecordLink("R3", "D", "OFFENDER"),
        RecordLink("R4", "E", "SUSPECT"),
        RecordLink("R5", "D", "SUSPECT"), RecordLink("R5", "F", "SUSPECT"),
        RecordLink("R6", "A", "MISSING_PERSON"), RecordLink("R6", "A", "SUBJECT"),
        RecordLink("R7", "K", "SUSPECT"),
    ]  # fmt: skip
    return AnalysisInputs(
        nominals=nominals,
        records=records,
        links=links,
        associations=[Association("E", "G", "FAMILY"), Association("F", "H", "ASSOCIATE")],
        soc_memberships=[SocMembership("SOC1", "A"), SocMembership("SOC1", "B"), SocMembership("SOC2", "K")],
        harm_index=[HarmEntry("092/01", 548, 1100), HarmEntry("046/01", 3.5, 10), HarmEntry("092/03", 10.5, 12)],
    )


@pytest.fixture(scope="module")
def result():
    return run_analysis(bundle(), AnalysisParams(reference_date=TODAY, run_id=7))


def test_network_and_groups(result):
    assert result.network.kept == ("A", "B", "C", "K")
    assert dict(result.network.edges) == {("A", "B"): 1.0, ("A", "C"): 0.875}
    reference = walktrap_whole_network(result.network.kept, result.network.edges)
    assert result.groups.members == reference.members
    assert result.groups.group_of["K"] == max(result.groups.members)  # the group of one is last


def test_harm_soc_and_priority(result):
    # A: R1 548 (R2 has no code); B: R1 548 + R3 3.5; C only a victim; K: R7's code is unknown.
    # R5's code is not in this small table either, but only D and F (not kept) are on it.
    assert result.harm.of("A") == (548.0, 1100.0)
    assert result.harm.of("B") == (551.5, 1110.0)
    assert result.data_quality.unknown_offence_codes == {"999/99": 1}
    assert result.data_quality.records_without_offence_code == 1
    k_group = result.groups.group_of["K"]
    assert result.soc_labels[k_group] == "SOC2"
    assert result.group_harm[k_group].priority_rank == len(result.groups.members)


def test_people(result):
    people = [(p.nominal_id, p.category, p.route_to) for p in result.people]
    assert people == [("A", "child", "Coventry"), ("C", "vulnerable adult", None), ("K", "age unknown", None)]


def test_the_cuckooing_rule_follows_the_group_property_not_its_name(result):
    from analytics.method.terms import DEFAULT_TERM_GROUPS, TermGroup

    def groups(name: str, marks: bool) -> tuple[TermGroup, ...]:
        return tuple(
            TermGroup(name, g.weight, g.patterns, marks) if g.name == "CUCKOO" else g for g in DEFAULT_TERM_GROUPS
        )

    def vulnerable(term_groups) -> list[str]:
        run = run_analysis(bundle(), AnalysisParams(reference_date=TODAY, run_id=7, term_groups=term_groups))
        return [p.nominal_id for p in run.people if p.category == "vulnerable adult"]

    assert vulnerable(groups("CUCKOOING", True)) == ["C"]  # C is the VICTIM on R2, "Cuckoo house"
    assert vulnerable(groups("CUCKOO", False)) == []  # the name alone no longer marks cuckooing


def test_explanation_shows_the_arithmetic(result):
    explanation = result.explanations["A"]
    assert explanation.lines[0] == "d(A) = min(1, 1 [R1] + 0.5 [R2] + 0.1 [R6]) = 1"
    assert explanation.lines[1] == "W(A) = min(1, 1 + 0.25 x (1 [B] + 0.5 [C])) = min(1, 1.375) = 1"
    assert explanation.lines[2] == "kept: W(A) = 1 >= threshold 0.5"

    assert [(r.nominal_id, r.shared_records) for r in explanation.related] == [("B", ("R1",)), ("C", ("R2",))]
    assert explanation.records[1].arithmetic == r"s(R2) = min(1, 0.5 CUCKOO\s+HOUSE (CUCKOO)) = 0.5"
    c = result.explanations["C"]
    assert c.lines[1] == "W(C) = min(1, 0.5 + 0.25 x (1 [A])) = 0.75"


def test_explanation_json_has_every_field_of_the_explanation(result):
    for explanation in result.explanations.values():
        assert explanation_json(explanation) == json.loads(json.dumps(dataclasses.asdict(explanation)))


def test_validation_sample(result):
    assert result.validation_sample.adding == ("R1", "R2")
    assert result.validation_sample.not_adding == ("R4", "R6", "R7")


def test_result_document_has_the_keys_of_method_section_8(result):
    document = result.document
    assert document["run"] == {
        "id": 7,
        "reference_date": "2026-06-30",
        "params": {"beta": 0.25, "threshold": 0.5, "steps": 4},
    }
    assert [n["nominal_id"] for n in document["nominals"]] == ["A", "B", "C", "K"]
    assert set(document["nominals"][0]) == {
        "nominal_id", "score", "group", "is_child", "harm_cchi", "harm_ons",
        "betweenness", "strength", "eigenvector", "dismantle_rank",
    }  # fmt: skip
    a = document["nominals"][0]
    assert (a["score"], a["is_child"], a["harm_cchi"], a["betweenness"], a["strength"]) == (
        1.0,
        True,
        548.0,
        1.0,
        1.875,
    )
    assert document["nominals"][3]["is_child"] is None  # K: no date of birth
    assert sorted(n["dismantle_rank"] for n in document["nominals"]) == [1, 2, 3, 4]
    assert set(document["groups"][0]) == {"group", "members", "soc_group_id", "harm_cchi", "harm_ons", "priority_rank"}
    assert document["edges"] == [{"a": "A", "b": "B", "weight": 1.0}, {"a": "A", "b": "C", "weight": 0.875}]
    text = render_result_document(document)
    assert json.loads(text) == document
    again = run_analysis(bundle(), AnalysisParams(reference_date=TODAY, run_id=7))
    assert render_result_document(again.document) == text  # same inputs, same bytes


def test_progress_is_reported_after_every_stage():
    calls = []
    run_analysis(bundle(), AnalysisParams(reference_date=TODAY), progress=lambda s, f: calls.append((s, f)))
    assert [stage for stage, _ in calls] == list(STAGES)
    assert [fraction for _, fraction in calls] == pytest.approx([(i + 1) / len(STAGES) for i in range(len(STAGES))])


def test_cancellation_between_stages():
    calls = []
    with pytest.raises(Cancelled):
        run_analysis(
            bundle(),
            AnalysisParams(reference_date=TODAY),
            progress=lambda s, f: calls.append(s),
            should_cancel=lambda: len(calls) >= 3,
        )
    assert calls == list(STAGES[:3])


def test_stage_timings_are_recorded(result):
    assert [timing.stage for timing in result.timings] == list(STAGES)
    assert all(timing.seconds >= 0 for timing in result.timings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.links.append(RecordLink("R404", "A", "SUSPECT")), "unknown record 'R404'"),
        (lambda b: b.links.append(RecordLink("R1", "Z", "SUSPECT")), "unknown nominal 'Z'"),
        (lambda b: b.nominals.append(Nominal("A")), "duplicate nominal id 'A'"),
        (lambda b: b.associations.append(Association("A", "Z")), "unknown nominal 'Z'"),
    ],
)
def test_inconsistent_inputs_are_refused(change, message):
    inputs = bundle()
    change(inputs)
    with pytest.raises(ValueError, match=message):
        run_analysis(inputs, AnalysisParams(reference_date=TODAY))


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="threshold"):
        AnalysisParams(reference_date=TODAY, threshold=1.5)


def test_children_are_shown_beside_their_group(result):
    group_of_a = result.groups.group_of["A"]
    assert result.children_by_group[group_of_a] == ("A",)
    assert result.children_by_group[result.groups.group_of["K"]] == ()


def test_worker_processes_give_the_same_result(real_networks):
    # Every real criminal network side by side, each tie a county-lines record, so that every
    # member is kept: serial and parallel runs must agree to the last digit and reason.
    nominals, records, links = [], [], []
    for name, (nodes, edges) in sorted(real_networks.items()):
        nominals += [Nominal(f"{name}:{n}", date(2009, 1, 1), "Birmingham") for n in nodes]
        for a, b in edges:
            record_id = f"{name}:{a}-{b}"
            records.append(Record(record_id, "county lines deal line", "092/01", "IMS", TODAY))
            links += [RecordLink(record_id, f"{name}:{a}", "SUSPECT"), RecordLink(record_id, f"{name}:{b}", "VICTIM")]
    inputs = AnalysisInputs(nominals=nominals, records=records, links=links, harm_index=bundle().harm_index)
    serial = run_analysis(inputs, AnalysisParams(reference_date=TODAY))
    parallel = run_analysis(inputs, AnalysisParams(reference_date=TODAY, workers=2, parallel_min_nodes=0))
    assert len(serial.network.kept) > 200
    assert render_result_document(parallel.document) == render_result_document(serial.document)
    assert parallel.dismantling == serial.dismantling
    assert parallel.groups == serial.groups and parallel.centrality == serial.centrality


def test_rendered_document_keeps_the_key_order_of_method_section_8(result):
    # A document read back from PostgreSQL's jsonb has its keys re-ordered (shortest first).
    def shuffled(value):
        if isinstance(value, dict):
            return {key: shuffled(value[key]) for key in sorted(value, key=lambda k: (len(k), k))}
        if isinstance(value, list):
            return [shuffled(item) for item in value]
        return value

    text = render_result_document(shuffled(result.document))
    assert text == render_result_document(result.document)
    assert list(json.loads(text)) == ["run", "nominals", "groups", "edges"]
    assert text.index('"id"') < text.index('"reference_date"') < text.index('"beta"') < text.index('"threshold"')
    assert list(json.loads(text)["nominals"][0])[:3] == ["nominal_id", "score", "group"]
