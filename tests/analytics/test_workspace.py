"""The analyst's workspace: the network view's data, the groups table, the dismantling page,
the person profile's safeguarding state, the charts and a run's progress estimate.

State is built through the real services: the synthetic "small" bundle imported and analysed.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import workspace
from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.importing import bundle_import
from analytics.models import AnalysisRun, GroupLayout, ImportBatch, NominalResult
from portal.audit.models import AccessAction, AccessEvent, AccessEventSubject

pytestmark = pytest.mark.django_db

REFERENCE = date(2026, 6, 30)
ROLES = ("suspect", "offender", "victim", "witness")


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory):
    from analytics.synthetic import generate_bundle

    path = tmp_path_factory.mktemp("bundle") / "small"
    generate_bundle(path, seed=7, scale="small")
    return path


@pytest.fixture
def run(small_bundle, personas):
    batch = bundle_import(batch=ImportBatch.objects.create(), path=small_bundle)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    run = analysis_run_execute(run=analysis_run_create(actor=personas.supervisor, reference_date=REFERENCE))
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


def _json_script(response, element_id: str):
    html = response.content.decode()
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no {element_id} in the page"
    return json.loads(match.group(1))


def _shown(event: AccessEvent, subject_type: str) -> set[str]:
    return set(
        AccessEventSubject.objects.filter(event=event, subject_type=subject_type).values_list("subject_id", flat=True)
    )


def _last_list(user, object_type: str) -> AccessEvent:
    return AccessEvent.objects.filter(actor=user, action=AccessAction.LIST, object_type=object_type).latest("id")


def test_the_run_network_is_the_group_level_graph_with_every_group_recorded(client, personas, run):
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_network", args=[run.pk]))
    assert response.status_code == 200
    data = _json_script(response, "network-data")
    groups = {g.group: g for g in run.group_results.all()}
    assert data["level"] == "groups"
    assert {node["group"] for node in data["nodes"]} == set(groups)
    assert all(node["size"] == groups[node["group"]].size for node in data["nodes"])
    keys = {node["key"] for node in data["nodes"]}
    assert data["edges"] and all(edge["source"] in keys and edge["target"] in keys for edge in data["edges"])
    # An edge's weight is the number of kept links between the two groups' members.
    group_of = dict(run.nominal_results.values_list("nominal_id", "group"))
    between: dict[tuple[int, int], int] = {}
    for edge in run.document["edges"]:
        a, b = group_of[edge["a"]], group_of[edge["b"]]
        if a != b:
            between[(min(a, b), max(a, b))] = between.get((min(a, b), max(a, b)), 0) + 1
    drawn = {(int(e["source"][1:]), int(e["target"][1:])): e["weight"] for e in data["edges"]}
    assert drawn == between
    event = _last_list(personas.analyst, workspace.GROUP)
    assert _shown(event, workspace.GROUP) == {f"{run.pk}/{g}" for g in groups}
    # The table alternative lists the same groups, each a link to its network.
    for group in groups:
        assert reverse("analytics:run_group", args=[run.pk, group]) in response.content.decode()


def test_a_group_opens_into_its_members_marked_but_never_labelled_with_roles(client, personas, run):
    child = run.nominal_results.filter(is_child=True).order_by("group").first()
    assert child is not None
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_group", args=[run.pk, child.group]))
    data = _json_script(response, "network-data")
    members = set(run.nominal_results.filter(group=child.group).values_list("nominal_id", flat=True))
    nodes = {node["key"]: node for node in data["nodes"]}
    assert set(nodes) == members
    assert nodes[child.nominal_id]["kind"] == "child"
    layout = GroupLayout.objects.get(run=run, group=child.group)
    assert (nodes[child.nominal_id]["x"], nodes[child.nominal_id]["y"]) == tuple(layout.positions[child.nominal_id])
    inside = {tuple(sorted((e["a"], e["b"]))) for e in run.document["edges"] if {e["a"], e["b"]} <= members}
    assert {tuple(sorted((e["source"], e["target"]))) for e in data["edges"]} == inside
    text = json.dumps(data).lower()
    assert not [role for role in ROLES if role in text]
    event = AccessEvent.objects.filter(actor=personas.analyst).latest("id")
    assert (event.action, event.object_type, event.object_id) == (
        AccessAction.VIEW,
        workspace.GROUP,
        f"{run.pk}/{child.group}",
    )
    assert _shown(event, workspace.RESULT) == {f"{run.pk}/{m}" for m in members}
    assert child.nominal_id in _shown(event, "analytics.nominal")


def test_a_huge_group_ships_only_its_most_central_members_with_a_note(client, personas, run, monkeypatch):
    group = run.group_results.order_by("-size").first()
    monkeypatch.setattr(workspace, "MEMBER_CAP", 3)
    client.force_login(personas.analyst)
    data = _json_script(client.get(reverse("analytics:run_group", args=[run.pk, group.group])), "network-data")
    central = run.nominal_results.filter(group=group.group).order_by("-betweenness", "-strength", "nominal_id")[:3]
    assert {node["key"] for node in data["nodes"]} == {r.nominal_id for r in central}
    assert f"This group has {group.size:,} members: the 3 most central are drawn" in data["note"]
    drawn = {node["key"] for node in data["nodes"]}
    assert all(edge["source"] in drawn and edge["target"] in drawn for edge in data["edges"])


def test_expanding_a_person_returns_their_neighbours_across_groups(client, personas, run):
    group_of = dict(run.nominal_results.values_list("nominal_id", "group"))
    crossing = next(e for e in run.document["edges"] if group_of[e["a"]] != group_of[e["b"]])
    person = crossing["a"]
    expected = {e["b"] if e["a"] == person else e["a"] for e in run.document["edges"] if person in (e["a"], e["b"])}
    client.force_login(personas.supervisor)
    response = client.get(reverse("analytics:run_nominal_neighbours", args=[run.pk, person]))
    assert response.status_code == 200
    data = response.json()
    assert {node["key"] for node in data["nodes"]} == expected
    assert {(edge["source"], edge["target"]) for edge in data["edges"]} == {(person, other) for other in expected}
    assert crossing["b"] in {node["key"] for node in data["nodes"] if node["group"] != group_of[person]}
    event = _last_list(personas.supervisor, workspace.RESULT)
    assert _shown(event, workspace.RESULT) == {f"{run.pk}/{n}" for n in expected | {person}}


def test_neighbours_of_someone_not_in_the_run_is_a_recorded_404(client, personas, run):
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_nominal_neighbours", args=[run.pk, "N-NOBODY"]))
    assert response.status_code == 404
    assert AccessEvent.objects.filter(
        action=AccessAction.REFUSED, object_type=workspace.RESULT, object_id=f"{run.pk}/N-NOBODY"
    ).exists()


@pytest.mark.parametrize("persona", ["officer", "mash_birmingham", "partner_health", "auditor", "outsider"])
def test_only_police_intelligence_sees_the_workspace(client, personas, run, persona):
    client.force_login(getattr(personas, persona))
    person = run.nominal_results.first().nominal_id
    for url in (
        reverse("analytics:run_network", args=[run.pk]),
        reverse("analytics:run_groups", args=[run.pk]),
        reverse("analytics:run_dismantling", args=[run.pk]),
        reverse("analytics:run_nominal_neighbours", args=[run.pk, person]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert person not in response.content.decode()


def test_the_workspace_of_a_run_without_results_is_404(client, personas, run):
    queued = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    client.force_login(personas.analyst)
    assert client.get(reverse("analytics:run_network", args=[queued.pk])).status_code == 404
    assert client.get(reverse("analytics:run_groups", args=[queued.pk])).status_code == 404


def _table_groups(response) -> list[int]:
    return [int(n) for n in re.findall(r"<td>Group (\d+)</td>", response.content.decode())]


def test_the_groups_table_filters_sorts_and_pages(client, personas, run, monkeypatch):
    client.force_login(personas.analyst)
    url = reverse("analytics:run_groups", args=[run.pk])
    with_children = _table_groups(client.get(url, {"children": "yes", "sort": "harm_cchi"}))
    expected = list(
        run.group_results.filter(children_present__gt=0)
        .order_by("-harm_cchi", "priority_rank")
        .values_list("group", flat=True)
    )
    assert with_children == expected and expected
    big = _table_groups(client.get(url, {"min_size": 5, "soc": "no"}))
    assert big == list(
        run.group_results.filter(size__gte=5, soc_group_id="").order_by("priority_rank").values_list("group", flat=True)
    )
    monkeypatch.setattr(workspace, "GROUPS_PER_PAGE", 2)
    second = client.get(url, {"sort": "size", "page": 2})
    by_size = list(run.group_results.order_by("-size", "priority_rank").values_list("group", flat=True))
    assert _table_groups(second) == by_size[2:4]
    assert "Page 2 of" in second.content.decode()
    event = _last_list(personas.analyst, workspace.GROUP)
    assert _shown(event, workspace.GROUP) == {f"{run.pk}/{g}" for g in by_size[2:4]}


def test_a_bad_filter_is_reported_and_the_others_still_apply(client, personas, run):
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_groups", args=[run.pk]), {"min_size": "lots", "children": "yes"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Some filters were not applied" in body and "Members at least" in body
    assert _table_groups(response) == list(
        run.group_results.filter(children_present__gt=0).order_by("priority_rank").values_list("group", flat=True)
    )


def test_the_dismantling_page_ranks_people_with_the_three_curves(client, personas, run):
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_dismantling", args=[run.pk]))
    curves = _json_script(response, "curves-data")
    chosen = f"chosen order ({run.dismantling['strategy']})"
    assert set(curves) == {chosen, "adaptive degree", "adaptive betweenness"}
    kept = run.nominal_results.count()
    lcc = run.dismantling["lcc_sizes"]
    assert curves[chosen][0] == [0.0, round(lcc[0] / kept, 4)] and curves[chosen][-1] == [1.0, 0.0]
    # Every reference curve starts from the whole network's largest piece, as the chosen one does.
    assert {c[0][1] for c in curves.values()} == {round(lcc[0] / kept, 4)}
    first = run.nominal_results.get(dismantle_rank=1)
    assert reverse("analytics:run_nominal", args=[run.pk, first.nominal_id]) in response.content.decode()
    event = _last_list(personas.analyst, workspace.RESULT)
    assert f"{run.pk}/{first.nominal_id}" in _shown(event, workspace.RESULT)


def test_the_reference_curves_are_left_out_above_the_cap(run, monkeypatch):
    from analytics import layout

    monkeypatch.setattr(layout, "BASELINE_MAX_NODES", 3)
    curves, note = layout.robustness_curves(["a", "b", "c", "d"], [("a", "b"), ("c", "d")], [2, 2, 1, 1, 0], "chosen")
    assert list(curves) == ["chosen"] and "more than 3 people" in note


def test_a_childs_profile_shows_their_safeguarding_case_and_links_it_when_shared(client, personas, run):
    from portal.access import access_revoke
    from safeguarding.models import Case

    child = run.nominal_results.filter(is_child=True).first()
    case = Case.objects.get(nominal_id=child.nominal_id)
    client.force_login(personas.supervisor)
    url = reverse("analytics:run_nominal", args=[run.pk, child.nominal_id])
    body = client.get(url).content.decode()
    assert f'data-safeguarding-state="{case.state}"' in body
    assert case.get_state_display() in body
    assert reverse("safeguarding:case_detail", args=[case.pk]) in body
    event = AccessEvent.objects.filter(actor=personas.supervisor, object_type="safeguarding.case").latest("id")
    assert (event.action, event.object_id) == (AccessAction.VIEW, str(case.pk))
    for agency in {personas.supervisor.agency, *[a for a in personas.agencies.values()]}:
        access_revoke(actor=personas.administrator, target=case, agency=agency)
    body = client.get(url).content.decode()
    assert case.get_state_display() in body
    assert reverse("safeguarding:case_detail", args=[case.pk]) not in body
    assert "not shared with you" in body


def test_the_run_overview_counts_each_stage_and_carries_its_charts(client, personas, run):
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_detail", args=[run.pk]))
    body = response.content.decode()
    kept = run.nominal_results.count()
    counts = run.layout.stage_counts
    assert counts["kept"] == kept and counts["provisional"] <= counts["deepened"] and kept <= counts["deepened"]
    assert f"kept {kept}" in body
    charts = _json_script(response, "chart-data")
    by_authority = {row["authority"]: row["children"] for row in charts["children_by_authority"]}
    children = run.nominal_results.filter(is_child=True)
    assert sum(by_authority.values()) == children.count()
    for authority, n in by_authority.items():
        assert children.filter(route_to="" if authority == "unknown" else authority).count() == n
    total_records = sum(sum(row["counts"]) for row in charts["records_by_month"])
    from analytics.models import Record

    assert total_records == Record.objects.filter(links__nominal__results__run=run).distinct().count()
    event = AccessEvent.objects.filter(actor=personas.analyst).latest("id")
    assert (event.action, event.object_type, event.object_id) == (
        AccessAction.VIEW,
        "analytics.analysisrun",
        str(run.pk),
    )
    assert {f"{run.pk}/{c.nominal_id}" for c in children} <= _shown(event, workspace.RESULT)


def test_progress_of_a_running_run_gives_elapsed_time_and_an_estimate_from_its_size(run):
    earlier_seconds = (run.finished_at - run.started_at) / timedelta(seconds=1)
    running = AnalysisRun(
        pk=run.pk + 1000,
        status=AnalysisRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(seconds=30),
        progress=0.4,
        stage="groups and priority",
        data_counts={"record_nominals": run.data_counts["record_nominals"] * 1000},
    )
    state = workspace.run_progress_state(running)
    assert 29 <= state["elapsed_seconds"] <= 31
    assert state["estimate_seconds"] == max(round(earlier_seconds * 1000), state["elapsed_seconds"])
    queued = AnalysisRun(status=AnalysisRun.Status.QUEUED)
    assert workspace.run_progress_state(queued)["elapsed_seconds"] is None


def test_the_progress_answer_carries_the_elapsed_time(client, personas, run):
    client.force_login(personas.analyst)
    state = client.get(reverse("analytics:run_progress", args=[run.pk])).json()
    assert state["status"] == "succeeded" and state["fraction"] == 1.0
    assert state["elapsed_seconds"] == round((run.finished_at - run.started_at) / timedelta(seconds=1))


def test_every_kept_person_has_a_position_in_their_groups_layout(run):
    layouts = {g.group: g for g in GroupLayout.objects.filter(run=run)}
    assert set(layouts) == set(run.group_results.values_list("group", flat=True))
    for group, layout in layouts.items():
        members = set(NominalResult.objects.filter(run=run, group=group).values_list("nominal_id", flat=True))
        assert set(layout.positions) == members
        assert all(-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 for x, y in layout.positions.values())
    assert set(run.layout.group_positions) == {str(g) for g in layouts}


def test_the_runs_list_follows_unfinished_runs_live(client, personas, run):
    queued = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    client.force_login(personas.analyst)
    body = client.get(reverse("analytics:run_list")).content.decode()
    assert f'data-progress-url="{reverse("analytics:run_progress", args=[queued.pk])}"' in body
    assert reverse("analytics:run_progress", args=[run.pk]) not in body  # a finished run has nothing to follow
    assert "js/progress.js" in body
