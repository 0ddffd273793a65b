"""Search terms: versioned, audited, edited by an intelligence supervisor, bad patterns refused."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analytics.models import SearchTermVersion
from analytics.services import term_version_current
from portal.audit.models import AccessAction, AccessEvent

pytestmark = pytest.mark.django_db


def formset_data(groups: list[dict], note: str = "tuning") -> dict:
    """What the editor page posts: its first rows are the current version's groups (so they are
    always validated, changed or not), any further row is a new group."""
    shown = min(len(groups), len(term_version_current().groups))
    data = {
        "groups-TOTAL_FORMS": str(len(groups)),
        "groups-INITIAL_FORMS": str(shown),
        "groups-MIN_NUM_FORMS": "1",
        "groups-MAX_NUM_FORMS": "1000",
        "note": note,
    }
    for index, group in enumerate(groups):
        data[f"groups-{index}-name"] = group["name"]
        data[f"groups-{index}-weight"] = str(group["weight"])
        data[f"groups-{index}-patterns"] = "\n".join(group["patterns"])
        if group.get("marks_cuckooing"):
            data[f"groups-{index}-marks_cuckooing"] = "on"
    return data


def test_the_defaults_are_version_one_and_match_the_method():
    current = term_version_current()
    assert current.number == 1
    by_name = {g["name"]: g for g in current.groups}
    assert by_name["COUNTY LINE"] == {
        "name": "COUNTY LINE",
        "weight": 1.0,
        "patterns": [r"COUNTY\s+LINES?"],
        "marks_cuckooing": False,
    }
    assert by_name["CUCKOO"]["weight"] == 0.5 and by_name["MISPER"]["weight"] == 0.1
    assert [g["name"] for g in current.groups if g["marks_cuckooing"]] == ["CUCKOO"]


def test_a_supervisor_saves_a_new_version_and_it_is_audited(client, personas):
    groups = term_version_current().groups + [{"name": "TRAP HOUSE", "weight": 0.5, "patterns": [r"TRAP\s+HOUSE"]}]
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:term_edit"), formset_data(groups, note="trap house seen in intel"))
    assert response.status_code == 302
    version = SearchTermVersion.objects.get(number=2)
    assert version.created_by == personas.supervisor
    assert [g["name"] for g in version.groups] == [g["name"] for g in groups]  # no group dropped
    assert {"name": "TRAP HOUSE", "weight": 0.5, "patterns": [r"TRAP\s+HOUSE"], "marks_cuckooing": False} in (
        version.groups
    )
    event = AccessEvent.objects.get(action=AccessAction.UPDATE, object_type="analytics.searchtermversion")
    assert "v1 → v2" in event.reason


def test_an_invalid_expression_is_refused_with_the_reason_and_nothing_is_saved(client, personas):
    groups = [{"name": "BROKEN", "weight": 0.5, "patterns": ["COUNTY(LINE"]}]
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:term_edit"), formset_data(groups))
    assert response.status_code == 200
    body = response.content.decode()
    assert "not a valid regular expression" in body and "missing )" in body
    assert SearchTermVersion.objects.count() == 1


def test_a_pattern_that_matches_nothing_in_particular_is_refused(client, personas):
    client.force_login(personas.supervisor)
    response = client.post(
        reverse("analytics:term_edit"), formset_data([{"name": "ANY", "weight": 0.5, "patterns": ["X*"]}])
    )
    assert "empty string" in response.content.decode()
    assert SearchTermVersion.objects.count() == 1


def test_duplicate_group_names_and_bad_weights_are_refused(client, personas):
    groups = [
        {"name": "A", "weight": 0.5, "patterns": ["ONE"]},
        {"name": "a", "weight": 0.5, "patterns": ["TWO"]},
    ]
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:term_edit"), formset_data(groups))
    assert "used twice" in response.content.decode()
    response = client.post(
        reverse("analytics:term_edit"), formset_data([{"name": "B", "weight": 1.5, "patterns": ["X"]}])
    )
    assert "less than or equal to 1" in response.content.decode()
    assert SearchTermVersion.objects.count() == 1


def test_saving_the_same_terms_makes_no_new_version(client, personas):
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:term_edit"), formset_data(term_version_current().groups))
    assert response.status_code == 302  # accepted, and found unchanged
    assert SearchTermVersion.objects.count() == 1


def test_an_analyst_may_read_but_not_change_the_terms(client, personas):
    client.force_login(personas.analyst)
    assert client.get(reverse("analytics:term_list")).status_code == 200
    assert client.get(reverse("analytics:term_edit")).status_code == 403
    client.force_login(personas.mash_birmingham)
    assert client.get(reverse("analytics:term_list")).status_code == 404


def test_the_editor_shows_the_cuckooing_tick_on_the_cuckoo_group(client, personas):
    client.force_login(personas.supervisor)
    page = client.get(reverse("analytics:term_edit")).content.decode()
    assert "Marks cuckooing (victims on these records are vulnerable adults)" in page
    names = [g["name"] for g in term_version_current().groups]
    ticked = [int(i) for i in re.findall(r'<input[^>]*name="groups-(\d+)-marks_cuckooing"[^>]*checked', page)]
    assert [names[i] for i in ticked] == ["CUCKOO"]


def test_a_supervisor_renames_the_cuckooing_group_and_the_tick_stays_with_it(client, personas):
    groups = [{**g, "name": "CUCKOOING"} if g["name"] == "CUCKOO" else g for g in term_version_current().groups]
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:term_edit"), formset_data(groups, note="clearer name"))
    assert response.status_code == 302
    version = SearchTermVersion.objects.get(number=2)
    assert [g["name"] for g in version.groups if g["marks_cuckooing"]] == ["CUCKOOING"]


def test_untick_the_cuckooing_group_is_refused_with_a_message(client, personas):
    groups = [{**g, "marks_cuckooing": False} for g in term_version_current().groups]
    client.force_login(personas.supervisor)
    response = client.post(reverse("analytics:term_edit"), formset_data(groups, note="oops"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "No group marks cuckooing" in body and "Tick “Marks cuckooing”" in body
    assert SearchTermVersion.objects.count() == 1
