"""Analysis runs through the portal: start, progress, results, explanation, comparison, export,
immutability, cancellation and failure."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape

from analytics.analysis import analysis_run_cancel, analysis_run_create, analysis_run_execute
from analytics.importing import bundle_import
from analytics.method.document import KEY_ORDER
from analytics.method.inputs import PARAM_RANGES
from analytics.models import AnalysisRun, CompletedRunError, ImportBatch, NominalResult
from portal.audit.models import AccessAction, AccessEvent

pytestmark = pytest.mark.django_db

REFERENCE = date(2026, 6, 30)


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory):
    from analytics.synthetic import generate_bundle

    path = tmp_path_factory.mktemp("bundle") / "small"
    generate_bundle(path, seed=7, scale="small")
    return path


@pytest.fixture
def imported(small_bundle):
    batch = bundle_import(batch=ImportBatch.objects.create(), path=small_bundle)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    return small_bundle


def completed_run(actor=None, **params) -> AnalysisRun:
    run = analysis_run_create(actor=actor, reference_date=REFERENCE, **params)
    return analysis_run_execute(run=run)


def test_a_run_finds_the_planted_children_and_routes_them(imported):
    truth = json.loads((imported / "truth.json").read_text())
    run = completed_run()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    children = set(NominalResult.objects.filter(run=run, is_child=True).values_list("nominal_id", flat=True))
    planted = {child for line in truth["lines"] for child in line["children"]}
    found = len(children & planted) / len(planted)
    assert found >= 0.8, f"found {found:.0%} of planted children"
    routed = NominalResult.objects.filter(run=run, is_child=True).exclude(route_to="")
    assert routed.count() == len(children)
    assert run.document is not None
    assert run.document["run"] == {
        "id": run.pk,
        "reference_date": "2026-06-30",
        "params": {"beta": 0.25, "threshold": 0.5, "steps": 4},
    }
    assert set(run.stage_timings) >= {
        "load data",
        "score records",
        "harm",
        "groups and priority",
        "dismantling",
        "store results",
    }
    assert run.term_version.number == 1 and run.harm_table.source == "default"


def test_a_completed_run_never_changes(imported):
    run = completed_run()
    run.beta = 0.9
    with pytest.raises(CompletedRunError):
        run.save()


def test_a_cancelled_run_stores_nothing(imported, personas):
    run = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    analysis_run_cancel(run=run, actor=personas.analyst)
    run = analysis_run_execute(run=run)
    assert run.status == AnalysisRun.Status.CANCELLED
    assert not NominalResult.objects.filter(run=run).exists()


def test_a_failed_run_says_why_and_leaves_earlier_runs_untouched(imported, monkeypatch):
    earlier = completed_run()
    kept = NominalResult.objects.filter(run=earlier).count()

    def broken(*args, **kwargs):
        raise RuntimeError("igraph exploded")

    monkeypatch.setattr("analytics.analysis.run_analysis", broken)
    run = analysis_run_create(actor=None, reference_date=REFERENCE)
    with pytest.raises(RuntimeError):
        analysis_run_execute(run=run)
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED and "igraph exploded" in run.error
    assert NominalResult.objects.filter(run=earlier).count() == kept


def test_bad_parameters_are_refused_with_a_message(client, personas):
    client.force_login(personas.analyst)
    response = client.post(
        reverse("analytics:run_list"), {"reference_date": "2026-06-30", "beta": "-1", "threshold": "2", "steps": "0"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    for name in ("beta", "threshold", "steps"):
        assert escape(PARAM_RANGES[name].problem_text) in body
    assert not AnalysisRun.objects.exists()


def test_an_analyst_runs_the_method_and_explores_the_result(
    client, personas, imported, django_capture_on_commit_callbacks
):
    client.force_login(personas.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("analytics:run_list"),
            {"reference_date": "2026-06-30", "beta": "0.25", "threshold": "0.5", "steps": "4"},
        )
    run = AnalysisRun.objects.get()
    assert response.url == reverse("analytics:run_detail", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "Children to safeguard" in page and "Groups by priority" in page and "adaptive" in page.lower()

    child = NominalResult.objects.filter(run=run, is_child=True).first()
    assert child is not None
    explanation = client.get(reverse("analytics:run_nominal", args=[run.pk, child.nominal_id])).content.decode()
    assert "Why this score" in explanation and "A child to protect" in explanation
    group = client.get(reverse("analytics:run_group", args=[run.pk, child.group]))
    assert group.status_code == 200 and child.nominal_id in group.content.decode()

    export = client.get(reverse("analytics:run_document", args=[run.pk]))
    assert json.loads(export.content)["run"]["id"] == run.pk
    assert AccessEvent.objects.filter(
        action=AccessAction.EXPORT, object_id=str(run.pk), actor=personas.analyst
    ).exists()
    progress = client.get(reverse("analytics:run_progress", args=[run.pk])).json()
    assert {key: progress[key] for key in ("status", "fraction", "stage")} == {
        "status": "succeeded",
        "fraction": 1.0,
        "stage": "Complete",
    }


def test_the_second_run_reports_what_changed(client, personas, imported):
    completed_run(threshold=0.6)
    later = completed_run(threshold=0.5)
    client.force_login(personas.supervisor)
    page = client.get(reverse("analytics:run_detail", args=[later.pk])).content.decode()
    assert "newly in the network" in page and "newly identified" in page


def test_partners_cannot_see_runs(client, personas, imported):
    run = completed_run()
    client.force_login(personas.mash_birmingham)
    assert client.get(reverse("analytics:run_detail", args=[run.pk])).status_code == 404
    assert client.get(reverse("analytics:run_document", args=[run.pk])).status_code == 404


def test_analyse_command_writes_the_document(imported, tmp_path):
    from django.core.management import call_command

    output = tmp_path / "result.json"
    call_command(
        "analyse", "--reference-date", "2026-06-30", "--output", str(output), stdout=open(tmp_path / "out", "w")
    )
    document = json.loads(output.read_text())
    # The keys of METHOD.md section 8 in its order, also after the stored document's round trip
    # through the database (PostgreSQL's jsonb re-orders keys).
    assert tuple(document) == KEY_ORDER["document"]
    assert tuple(document["run"]) == KEY_ORDER["run"] and tuple(document["run"]["params"]) == KEY_ORDER["params"]
    assert tuple(document["nominals"][0]) == KEY_ORDER["nominals"]
    assert tuple(document["groups"][0]) == KEY_ORDER["groups"]


def test_reviewers_mark_the_validation_sample_and_see_the_bounds(client, personas, imported):
    from analytics.models import ValidationItem

    run = completed_run()
    adding = list(ValidationItem.objects.filter(run=run, sample="adding"))
    assert adding, "the sample of records that added relationships is empty"
    client.force_login(personas.supervisor)
    marks = {f"item-{item.pk}": "correct" for item in adding}
    marks[f"item-{adding[0].pk}"] = "wrong"
    response = client.post(reverse("analytics:run_validation", args=[run.pk]), marks)
    assert response.status_code == 302
    page = client.get(reverse("analytics:run_validation", args=[run.pk])).content.decode()
    from analytics.method.validation import beta_lower_bound

    expected = beta_lower_bound(len(adding) - 1, 1)
    assert f"{expected:.4f}" in page
    assert ValidationItem.objects.filter(run=run, correct=False).get().reviewed_by == personas.supervisor
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED


def test_betweenness_of_a_component_over_the_limit_is_estimated_and_shown_with_its_margin(
    imported, client, personas, settings
):
    settings.ANALYSIS_BETWEENNESS_ESTIMATE_ABOVE = 40
    settings.ANALYSIS_BETWEENNESS_SAMPLED_SOURCES = 32
    run = completed_run(actor=personas.analyst)
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    estimated = NominalResult.objects.filter(run=run, betweenness_margin__isnull=False)
    exact = NominalResult.objects.filter(run=run, betweenness_margin__isnull=True)
    assert estimated.exists() and exact.exists()
    assert run.data_quality["betweenness_estimated_nominals"] == estimated.count()
    assert run.data_quality["betweenness_sampled_sources"] == 32
    assert run.data_quality["betweenness_estimate_above"] == 40
    hub = estimated.order_by("-betweenness").first()
    assert hub is not None
    client.force_login(personas.analyst)  # their run: no purpose asked first
    page = client.get(reverse("analytics:run_nominal", args=[run.pk, hub.nominal_id])).content.decode()
    assert f"± {hub.betweenness_margin:,.0f}" in page and "sampled nominals" in page
    assert "estimated for" in client.get(reverse("analytics:run_detail", args=[run.pk])).content.decode()


def test_texts_no_search_term_matches_are_not_kept_and_change_nothing(imported):
    from analytics.analysis import _harm_table_in_force
    from analytics.loading import load_inputs
    from analytics.method.inputs import AnalysisParams
    from analytics.method.pipeline import run_analysis
    from analytics.method.scoring import make_matcher
    from analytics.method.terms import DEFAULT_TERM_GROUPS

    matcher = make_matcher(DEFAULT_TERM_GROUPS)
    full = load_inputs(harm_table=_harm_table_in_force())
    lean = load_inputs(harm_table=_harm_table_in_force(), keep_text=lambda text: bool(matcher.match(text)))
    kept = [r for r in lean.records if r.text]
    assert 0 < len(kept) < len(lean.records) == len(full.records)
    assert all(matcher.match(r.text) for r in kept)
    params = AnalysisParams(reference_date=REFERENCE)
    assert run_analysis(lean, params).document == run_analysis(full, params).document
