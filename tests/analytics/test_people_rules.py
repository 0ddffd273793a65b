"""METHOD.md section 6 through real runs: who a run stores as a child, and the cuckooing rule
for vulnerable adults, whatever the cuckooing group is called."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from analytics.method.terms import DEFAULT_TERM_GROUPS, TermGroup
from analytics.models import SearchTermVersion
from analytics.services import groups_from_json, term_version_create, term_version_current
from tests.analytics.bundles import import_small_bundle, run_to_the_end, stored

pytestmark = pytest.mark.django_db

# Everyone is on one county-lines record (s = 1), so everyone is kept whatever their age.
AGES = {
    "ADULT18": "2008-06-30",  # 18th birthday on 30 June 2026: an adult that day
    "CHILD17": "2008-07-01",  # 18 on 1 July 2026: a child on 30 June
    "LEAP": "2008-02-29",  # born on 29 February: 18 on 1 March 2026, not on 28 February
    "FEB28": "2008-02-28",  # 18 on 28 February 2026
    "NODOB": "",  # age unknown: listed for review, never a child
    "OLDER": "1980-01-01",
}


@pytest.fixture
def ages_imported(tmp_path):
    import_small_bundle(
        tmp_path / "ages",
        nominals=[(n, born, "Coventry", "") for n, born in AGES.items()],
        records=[("R1", "Intel: county line phone passed between them")],
        links=[("R1", n, "SUSPECT") for n in AGES],
    )


@pytest.mark.parametrize(
    ("reference_date", "children"),
    [
        (date(2026, 6, 30), {"CHILD17"}),
        (date(2026, 2, 28), {"ADULT18", "CHILD17", "LEAP"}),
        (date(2026, 3, 1), {"ADULT18", "CHILD17"}),
    ],
)
def test_a_run_stores_as_children_exactly_those_under_18_on_its_reference_date(ages_imported, reference_date, children):
    run = run_to_the_end(reference_date=reference_date)
    assert stored(run) == set(AGES)
    assert stored(run, is_child=True) == children
    assert stored(run, age_unknown=True) == {"NODOB"}
    assert stored(run, is_child=True, route_to="Coventry") == children  # every child routed
    # The stored list and the result document come from the same rule, so they agree.
    assert run.document is not None
    in_document = {row["nominal_id"]: row["is_child"] for row in run.document["nominals"]}
    assert {n for n, child in in_document.items() if child is True} == children
    assert {n for n, child in in_document.items() if child is None} == {"NODOB"}


CUCKOO_BUNDLE = {
    "nominals": [
        ("VICTIM1", "1961-01-30", "Sandwell", ""),  # victim on a cuckooing record
        ("SUSPECT1", "1990-01-01", "Wolverhampton", ""),
        ("VICTIM2", "1985-01-01", "Dudley", ""),  # victim, but not of cuckooing
        ("SUSPECT2", "1991-01-01", "Dudley", ""),
    ],
    "records": [
        ("RC", "Flat of an elderly occupant used as a cuckoo house"),  # CUCKOO 0.5
        ("RN", "Robbery linked to a county line"),  # COUNTY LINE 1.0
    ],
    "links": [
        ("RC", "VICTIM1", "VICTIM"),
        ("RC", "SUSPECT1", "SUSPECT"),
        ("RN", "VICTIM2", "VICTIM"),
        ("RN", "SUSPECT2", "SUSPECT"),
    ],
}


@pytest.fixture
def cuckoo_imported(tmp_path):
    import_small_bundle(tmp_path / "cuckoo", **CUCKOO_BUNDLE)


def renamed_cuckoo_group(name: str, *, marks_cuckooing: bool = True) -> list[TermGroup]:
    return [
        TermGroup(name, group.weight, group.patterns, marks_cuckooing) if group.marks_cuckooing else group
        for group in DEFAULT_TERM_GROUPS
    ]


def test_a_victim_on_a_cuckooing_record_is_a_vulnerable_adult(cuckoo_imported):
    run = run_to_the_end(reference_date=date(2026, 6, 30))
    assert stored(run) == {"VICTIM1", "SUSPECT1", "VICTIM2", "SUSPECT2"}
    assert stored(run, is_vulnerable_adult=True) == {"VICTIM1"}


def test_renaming_the_cuckooing_group_keeps_the_rule(cuckoo_imported, personas):
    version = term_version_create(
        actor=personas.supervisor, groups=renamed_cuckoo_group("CUCKOOING"), note="clearer name"
    )
    assert "CUCKOO" not in {group["name"] for group in version.groups}
    run = run_to_the_end(reference_date=date(2026, 6, 30))
    assert run.term_version == version
    assert stored(run, is_vulnerable_adult=True) == {"VICTIM1"}


def test_a_version_without_the_cuckooing_group_is_refused_with_a_message(personas):
    term_version_current()
    with pytest.raises(ValidationError) as refused:
        term_version_create(
            actor=personas.supervisor,
            groups=renamed_cuckoo_group("CUCKOOING", marks_cuckooing=False),
            note="tick lost",
        )
    assert any("No group marks cuckooing" in message for message in refused.value.messages)
    assert SearchTermVersion.objects.count() == 1


def test_two_groups_marking_cuckooing_are_refused_with_a_message(personas):
    groups = [*DEFAULT_TERM_GROUPS, TermGroup("TRAP HOUSE", 0.5, (r"TRAP\s+HOUSE",), marks_cuckooing=True)]
    with pytest.raises(ValidationError) as refused:
        term_version_create(actor=personas.supervisor, groups=groups, note="second")
    assert any("Only one group may mark cuckooing, but CUCKOO, TRAP HOUSE do" in m for m in refused.value.messages)


def test_versions_stored_before_the_property_existed_still_mark_the_group_named_cuckoo():
    legacy = [{"name": g.name, "weight": g.weight, "patterns": list(g.patterns)} for g in DEFAULT_TERM_GROUPS]
    assert groups_from_json(legacy) == DEFAULT_TERM_GROUPS
    renamed = [{**group, "name": "CUCKOOING"} if group["name"] == "CUCKOO" else group for group in legacy]
    assert not any(group.marks_cuckooing for group in groups_from_json(renamed))


def test_a_legacy_version_is_not_replaced_by_the_same_terms_spelled_out(personas):
    current = term_version_current()
    SearchTermVersion.objects.filter(pk=current.pk).update(
        groups=[{k: v for k, v in group.items() if k != "marks_cuckooing"} for group in current.groups]
    )
    same = term_version_create(actor=personas.supervisor, groups=list(DEFAULT_TERM_GROUPS), note="no change")
    assert same.pk == current.pk


def test_a_run_is_refused_when_the_current_terms_mark_no_cuckooing_group(cuckoo_imported):
    from analytics.analysis import analysis_run_create
    from analytics.models import AnalysisRun

    # As a supervisor's rename stored before groups carried the property reads back.
    current = term_version_current()
    legacy_renamed = [
        {"name": "CUCKOOING" if g["name"] == "CUCKOO" else g["name"], "weight": g["weight"], "patterns": g["patterns"]}
        for g in current.groups
    ]
    SearchTermVersion.objects.filter(pk=current.pk).update(groups=legacy_renamed)
    with pytest.raises(ValidationError) as refused:
        analysis_run_create(actor=None, reference_date=date(2026, 6, 30))
    assert "No group marks cuckooing" in " ".join(refused.value.messages)
    assert not AnalysisRun.objects.exists()
