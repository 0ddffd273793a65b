"""The analyst's API under /api/v1/: runs, a run's groups and people, explanations, exports.
The same rules as the pages: police intelligence only (404 for anyone else, recorded), lists
recorded with the ids shown, a profile outside one's work asks for a purpose, exports audited."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from analytics.analysis import analysis_run_create
from analytics.models import NominalResult
from portal.audit.models import AccessAction, AccessEvent, AccessEventSubject

pytestmark = pytest.mark.django_db

EXPORT = {
    "kind": "members",
    "format": "csv",
    "purpose": "investigation",
    "justification": "Operation Larch: briefing the line's disruption team.",
}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def runs_url():
    return reverse("analysis-run-list")


def run_url(run):
    return reverse("analysis-run-detail", args=[run.pk])


def groups_url(run):
    return reverse("run-group-list", args=[run.pk])


def group_url(run, group):
    return reverse("run-group-detail", args=[run.pk, group])


def nominals_url(run):
    return reverse("run-nominal-list", args=[run.pk])


def nominal_url(run, nominal_id):
    return reverse("run-nominal-detail", args=[run.pk, nominal_id])


def explanation_url(run, nominal_id):
    return reverse("run-nominal-explanation", args=[run.pk, nominal_id])


def _subjects(event) -> set[tuple[str, str]]:
    return set(AccessEventSubject.objects.filter(event=event).values_list("subject_type", "subject_id"))


def test_the_runs_list_and_a_run_with_its_counts_and_parameters(personas, completed_run):
    client = api(personas.analyst)
    listed = client.get(runs_url())
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [completed_run.pk]
    event = AccessEvent.objects.filter(action=AccessAction.LIST, object_type="analytics.analysisrun").latest("id")
    assert ("analytics.analysisrun", str(completed_run.pk)) in _subjects(event) and event.via == "api"
    detail = client.get(run_url(completed_run)).json()
    assert detail["status"] == "succeeded" and detail["term_version"] == completed_run.term_version.number
    assert detail["parameters"]["threshold"] == completed_run.threshold
    assert detail["stage_counts"] == completed_run.data_counts and detail["stage_counts"]
    assert detail["kept"] == NominalResult.objects.filter(run=completed_run).count()
    assert detail["children"] == NominalResult.objects.filter(run=completed_run, is_child=True).count() >= 1
    assert AccessEvent.objects.filter(
        action=AccessAction.VIEW, object_type="analytics.analysisrun", object_id=str(completed_run.pk)
    ).exists()


def test_outside_police_intelligence_every_endpoint_is_404_with_nothing_in_it(personas, completed_run):
    group = completed_run.group_results.first().group
    urls = [
        runs_url(),
        run_url(completed_run),
        groups_url(completed_run),
        group_url(completed_run, group),
        nominals_url(completed_run),
        nominal_url(completed_run, "N-TEST-1"),
        explanation_url(completed_run, "N-TEST-1"),
    ]
    for persona in (personas.mash_birmingham, personas.officer, personas.partner_health, personas.auditor):
        client = api(persona)
        before = AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=persona).count()
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (persona, url, response.status_code)
            assert "Harbottle" not in response.content.decode() and "N-TEST" not in response.content.decode()
        posted = client.post(reverse("export-list"), {**EXPORT, "run": completed_run.pk}, format="json")
        assert posted.status_code == 404
        assert AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=persona).count() == before + len(urls) + 1
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_an_unknown_run_and_an_unknown_group_are_404(personas, completed_run):
    client = api(personas.analyst)
    assert client.get(reverse("analysis-run-detail", args=[999999])).status_code == 404
    assert client.get(groups_url(type("R", (), {"pk": 999999}))).status_code == 404
    assert client.get(group_url(completed_run, 99999)).status_code == 404
    assert client.get(groups_url(completed_run), {"page": 999}).status_code == 404


def test_groups_filter_sort_and_record_what_they_show(personas, completed_run):
    client = api(personas.analyst)
    everything = client.get(groups_url(completed_run)).json()
    assert everything["count"] == completed_run.group_results.count()
    ranks = [row["priority_rank"] for row in everything["results"]]
    assert ranks == sorted(ranks)
    with_children = client.get(groups_url(completed_run), {"children": "true"}).json()["results"]
    assert with_children and all(row["children_present"] > 0 for row in with_children)
    without = client.get(groups_url(completed_run), {"children": "false"}).json()["results"]
    assert all(row["children_present"] == 0 for row in without)
    assert len(with_children) + len(without) == everything["count"]
    by_size = client.get(groups_url(completed_run), {"ordering": "-size"}).json()["results"]
    assert [row["size"] for row in by_size] == sorted((row["size"] for row in by_size), reverse=True)
    event = AccessEvent.objects.filter(action=AccessAction.LIST, object_type="analytics.groupresult").latest("id")
    assert {("analytics.groupresult", f"{completed_run.pk}/{row['group']}") for row in by_size} <= _subjects(event)
    for bad in ({"ordering": "members"}, {"min_size": "-1"}, {"children": "maybe"}, {"max_priority": "x"}):
        response = client.get(groups_url(completed_run), bad)
        assert response.status_code == 400 and set(bad) <= set(response.json()), bad


def test_a_group_lists_its_members_and_is_recorded(personas, completed_run):
    group = completed_run.group_results.first()
    body = api(personas.analyst).get(group_url(completed_run, group.group)).json()
    assert sorted(body["members"]) == sorted(group.members) and body["size"] == group.size
    event = AccessEvent.objects.filter(action=AccessAction.VIEW, object_type="analytics.groupresult").latest("id")
    assert event.object_id == f"{completed_run.pk}/{group.group}"
    assert {("analytics.nominal", m) for m in group.members} <= _subjects(event)


def test_people_in_a_run_filter_by_protection_and_record_each_person_shown(personas, completed_run):
    client = api(personas.analyst)
    everyone = client.get(nominals_url(completed_run)).json()
    assert len(everyone["results"]) == NominalResult.objects.filter(run=completed_run).count()
    scores = [row["score"] for row in everyone["results"]]
    assert scores == sorted(scores, reverse=True)
    protect = client.get(nominals_url(completed_run), {"protect": "true"}).json()["results"]
    expected = set(
        NominalResult.objects.filter(run=completed_run, is_child=True).values_list("nominal_id", flat=True)
    ) | set(
        NominalResult.objects.filter(run=completed_run, is_vulnerable_adult=True).values_list("nominal_id", flat=True)
    )
    assert {row["nominal_id"] for row in protect} == expected and expected
    assert {row["protect"] for row in protect} <= {"child", "vulnerable_adult"}
    child = next(row for row in protect if row["nominal_id"] == "N-TEST-1")
    assert child["protect"] == "child" and "role" not in child
    event = AccessEvent.objects.filter(action=AccessAction.LIST, object_type="analytics.nominalresult").latest("id")
    assert {("analytics.nominal", n) for n in expected} <= _subjects(event)
    assert event.result_count == len(protect)
    group = child["group"]
    in_group = client.get(nominals_url(completed_run), {"group": group}).json()["results"]
    assert {row["nominal_id"] for row in in_group} == set(
        NominalResult.objects.filter(run=completed_run, group=group).values_list("nominal_id", flat=True)
    )
    assert client.get(nominals_url(completed_run), {"ordering": "surname"}).status_code == 400


def test_a_profile_explains_the_score_and_shows_the_childs_case(personas, completed_run):
    from safeguarding.models import Case

    case = Case.objects.get(nominal_id="N-TEST-1")  # opened by the run for the child it identified
    client = api(personas.supervisor)  # reviews the run
    body = client.get(nominal_url(completed_run, "N-TEST-1")).json()
    result = NominalResult.objects.get(run=completed_run, nominal_id="N-TEST-1")
    assert body["score"] == result.score and body["protect"] == "child"
    assert [r["record_id"] for r in body["explanation"]["records"]] == [
        r["record_id"] for r in result.explanation["records"]
    ]
    assert body["case"] == {"id": case.pk, "reference": case.reference, "state": case.state}
    explanation = client.get(explanation_url(completed_run, "N-TEST-1")).json()
    assert explanation == body["explanation"]
    assert AccessEvent.objects.filter(
        action=AccessAction.VIEW, object_type="analytics.nominalresult", object_id=f"{completed_run.pk}/N-TEST-1"
    ).exists()
    assert client.get(nominal_url(completed_run, "N-NOBODY")).status_code == 404


def test_a_profile_outside_ones_work_needs_a_purpose_first(personas, completed_run, rf):
    from portal.audit.purpose import purpose_record

    client = api(personas.analyst)
    refused = client.get(nominal_url(completed_run, "N-TEST-1"))
    assert refused.status_code == 403 and "purpose" in refused.json()["detail"]
    assert "Harbottle" not in refused.content.decode()
    request = rf.get("/")
    request.user = personas.analyst
    purpose_record(
        request=request,
        subject_type="analytics.nominalresult",
        subject_id=f"{completed_run.pk}/N-TEST-1",
        label="N-TEST-1",
        purpose="investigation",
        justification="Operation Larch: the runner's profile.",
    )
    assert client.get(nominal_url(completed_run, "N-TEST-1")).status_code == 200


def test_an_export_through_the_api_is_audited_and_described_to_its_maker_only(personas, completed_run):
    client = api(personas.analyst)
    group = NominalResult.objects.get(run=completed_run, nominal_id="N-TEST-1").group
    created = client.post(
        reverse("export-list"),
        {**EXPORT, "run": completed_run.pk, "group": group, "recipient_agency": "Birmingham Children's Trust"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    content = base64.b64decode(body["content_base64"])
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["id"] in content.decode("utf-8-sig").splitlines()[0]
    assert "analytics.nominal:N-TEST-1" in body["ids"]
    event = AccessEvent.objects.get(action=AccessAction.EXPORT, object_id=body["id"])
    assert event.via == "api" and event.detail["sha256"] == body["sha256"]
    assert event.recipients == [{"agency": "Birmingham Children's Trust", "person": ""}]
    described = client.get(reverse("export-detail", args=[body["id"]]))
    assert described.status_code == 200
    assert {k: v for k, v in described.json().items()} == {
        k: v for k, v in body.items() if k not in ("content_base64", "content_type")
    }
    assert api(personas.supervisor).get(reverse("export-detail", args=[body["id"]])).status_code == 404
    assert client.get(reverse("export-detail", args=["not-a-uuid"])).status_code == 404


def test_bad_export_requests_are_400_and_an_unfinished_run_409_and_nothing_is_exported(personas, completed_run):
    client = api(personas.analyst)
    url = reverse("export-list")
    for bad in (
        {**EXPORT, "run": completed_run.pk},  # members without a group
        {**EXPORT, "run": completed_run.pk, "kind": "everything", "group": 1},
        {**EXPORT, "run": completed_run.pk, "purpose": "cover-colleague", "kind": "groups"},
        {**EXPORT, "run": completed_run.pk, "justification": "short", "kind": "groups"},
        {**EXPORT, "run": "x", "kind": "groups"},
        ["not", "an", "object"],
    ):
        response = client.post(url, bad, format="json")
        assert response.status_code == 400, (bad, response.content)
    queued = analysis_run_create(actor=personas.supervisor, reference_date=date(2026, 6, 30))
    response = client.post(url, {**EXPORT, "kind": "groups", "run": queued.pk}, format="json")
    assert response.status_code == 409
    assert client.post(url, {**EXPORT, "kind": "groups", "run": 999999}, format="json").status_code == 404
    assert not AccessEvent.objects.filter(action=AccessAction.EXPORT).exists()


def test_a_token_reaches_the_analysts_api(personas, completed_run, settings):
    from portal.accounts.services import api_token_create

    settings.OTP_REQUIRED = False
    token = api_token_create(user=personas.analyst)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(groups_url(completed_run)).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(groups_url(completed_run)).status_code in (401, 403)
    assert APIClient().get(runs_url()).status_code in (401, 403)


def test_the_schema_and_the_docs_are_served(client, personas):
    client.force_login(personas.analyst)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/runs/",
        "/api/v1/runs/{id}/",
        "/api/v1/runs/{run_id}/groups/",
        "/api/v1/runs/{run_id}/groups/{group}/",
        "/api/v1/runs/{run_id}/nominals/",
        "/api/v1/runs/{run_id}/nominals/{nominal_id}/",
        "/api/v1/runs/{run_id}/nominals/{nominal_id}/explanation/",
        "/api/v1/exports/",
        "/api/v1/exports/{id}/",
    ):
        assert path in paths, path
        for operation in paths[path].values():
            assert "404" in operation["responses"], path
    assert client.get(reverse("api-schema")).status_code == 200
    docs = client.get(reverse("api-v1-docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "<script>" not in html
    script = client.get(reverse("api-v1-docs") + "?script=")
    assert script.status_code == 200 and "/api/v1/schema/" in script.content.decode()


def _walk(client, url: str, params: dict) -> list[dict]:
    rows, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) == 3 or body["next"] is None
        rows += body["results"]
        pages += 1
        if body["next"] is None:
            return rows
        assert pages < 100
        response = client.get(body["next"])


@pytest.fixture
def larger_run(personas, tmp_path):
    """Eight county-lines records of three people each and four of one person, analysed for real:
    28 kept people whose alike places in the network give ties on the sort fields."""
    from tests.analytics.bundles import import_small_bundle, run_to_the_end
    from tests.conftest import TINY_REFERENCE_DATE

    people = [f"P{n:02}" for n in range(24)]
    alone = [f"Q{n}" for n in range(4)]  # each on a record of their own
    import_small_bundle(
        tmp_path / "larger",
        nominals=[(p, "2010-01-01" if n % 3 == 0 else "1990-01-01", "Birmingham", "") for n, p in enumerate(people)]
        + [(q, "1990-01-01", "Birmingham", "") for q in alone],
        records=[(f"R{r}", "Intel: running a county line, deal line phone, cuckooing") for r in range(8)]
        + [(f"S{q}", "Intel: running a county line, deal line phone, cuckooing") for q in alone],
        links=[(f"R{n // 3}", p, "SUBJECT" if n % 3 == 0 else "SUSPECT") for n, p in enumerate(people)]
        + [(f"S{q}", q, "SUSPECT") for q in alone],
    )
    return run_to_the_end(reference_date=TINY_REFERENCE_DATE, actor=personas.supervisor)


@pytest.mark.parametrize("ordering", ["-score", "dismantle_rank", "-harm_cchi", "-betweenness", "nominal_id"])
def test_people_pages_follow_each_other_by_cursor_in_order_without_gaps_or_repeats(
    personas, larger_run, ordering, monkeypatch
):
    from portal.keyset import KeysetPagination

    monkeypatch.setattr(KeysetPagination, "page_size", 3)
    results = list(NominalResult.objects.filter(run=larger_run))
    field = ordering.lstrip("-")
    values = [getattr(r, field) for r in results]
    assert len(results) == 28
    assert len(set(values)) < len(values) or field in ("nominal_id", "dismantle_rank")  # ties to page through

    def expected_key(result):  # NULLs last whichever the direction, ties by nominal id
        value = getattr(result, field)
        if field == "nominal_id":
            return (0, value)
        return (
            value is None,
            0 if value is None else (-value if ordering.startswith("-") else value),
            result.nominal_id,
        )

    rows = _walk(api(personas.analyst), nominals_url(larger_run), {"ordering": ordering})
    assert [row["nominal_id"] for row in rows] == [r.nominal_id for r in sorted(results, key=expected_key)]


def test_a_forged_or_foreign_cursor_is_refused_with_a_message(personas, completed_run, monkeypatch):
    from portal.keyset import KeysetPagination

    monkeypatch.setattr(KeysetPagination, "page_size", 2)
    client = api(personas.analyst)
    first = client.get(nominals_url(completed_run), {"ordering": "-score"}).json()
    cursor = first["next"].split("cursor=")[1]
    for params in ({"cursor": cursor[:-3] + "abc"}, {"cursor": "x" * 40}, {"ordering": "nominal_id", "cursor": cursor}):
        response = client.get(nominals_url(completed_run), params)
        assert response.status_code == 400 and "cursor" in response.json(), params


def test_the_cursor_pages_through_nulls_last_in_either_direction(personas, nominal):
    # A rank is NULL where a run did not rank someone (runs stored before dismantling ranked
    # everyone). Rows are added to a run that has not finished (a finished run's are frozen).
    from analytics.models import Nominal
    from portal.keyset import after, ordering_expressions

    run = analysis_run_create(actor=personas.supervisor, reference_date=date(2026, 6, 30))
    nominals = Nominal.objects.bulk_create([Nominal(nominal_id=f"N-KEY-{n:02}") for n in range(12)])
    NominalResult.objects.bulk_create(
        NominalResult(
            run=run,
            nominal=person,
            direct_evidence=1.0,
            score=float(n % 3),
            group=0,
            dismantle_rank=n // 2 if n % 4 else None,
        )
        for n, person in enumerate(nominals)
    )
    rows = NominalResult.objects.filter(run=run)
    for ordering in (("dismantle_rank", "nominal_id"), ("-dismantle_rank", "nominal_id"), ("-score", "nominal_id")):
        field, descending = ordering[0].lstrip("-"), ordering[0].startswith("-")
        sign = -1 if descending else 1

        def key(row, field=field, sign=sign) -> tuple:
            value = getattr(row, field)
            return (value is None, sign * (value or 0), row.nominal_id)

        expected = sorted(rows, key=key)
        ordered = rows.order_by(*ordering_expressions(NominalResult, ordering))
        assert [r.nominal_id for r in ordered] == [r.nominal_id for r in expected], ordering
        for position, row in enumerate(expected):
            values = [getattr(row, name.lstrip("-")) for name in ordering]
            rest = after(ordered, ordering, values)
            assert [r.nominal_id for r in rest] == [r.nominal_id for r in expected[position + 1 :]], (
                ordering,
                position,
            )
