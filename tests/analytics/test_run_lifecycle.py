"""A run's life: every state change is a transition with an actor, recorded beside an access
event; who may cancel; the `analyse` command's audit; a completed run that nothing can change;
the access trail of the result pages."""

from __future__ import annotations

import getpass
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from analytics.analysis import analysis_run_cancel, analysis_run_create, analysis_run_execute
from analytics.models import AnalysisRun, AnalysisRunTransition, CompletedRunError, NominalResult, ValidationItem
from portal.accounts.roles import Role
from portal.accounts.services import user_create
from portal.audit.models import AccessAction, AccessEvent
from tests.analytics.bundles import import_pair, run_to_the_end
from tests.conftest import require_services

pytestmark = pytest.mark.django_db

REFERENCE = date(2026, 6, 30)
Status = AnalysisRun.Status


@pytest.fixture
def imported(tmp_path):
    import_pair(tmp_path / "pair")


@pytest.fixture
def second_analyst(personas):
    return user_create(
        username="analyst.two", password="x", agency=personas.agencies["wmp"], role=Role.ANALYST, validate=False
    )


def history(run) -> list[tuple[str, str, str | None, str]]:
    return [
        (t.from_status, t.to_status, t.actor.username if t.actor else None, t.actor_label)
        for t in AnalysisRunTransition.objects.filter(run=run).select_related("actor")
    ]


def trail(run, action=AccessAction.TRANSITION) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(action=action, object_type="analytics.analysisrun", object_id=str(run.pk)).order_by(
            "id"
        )
    )


def test_every_state_change_of_a_run_is_a_transition_with_an_access_event(imported, personas):
    run = run_to_the_end(reference_date=REFERENCE, actor=personas.analyst)
    assert history(run) == [
        ("", Status.QUEUED, "analyst", "analyst"),
        (Status.QUEUED, Status.RUNNING, None, "worker"),
        (Status.RUNNING, Status.SUCCEEDED, None, "worker"),
    ]
    events = trail(run)
    assert [(e.detail["from"], e.detail["to"]) for e in events] == [
        ("", "queued"),
        ("queued", "running"),
        ("running", "succeeded"),
    ]
    assert [(e.actor_username, e.via) for e in events] == [("analyst", "task"), ("worker", "task"), ("worker", "task")]
    assert events[0].actor == personas.analyst and events[0].reason == "new → queued: analysis requested"
    transitions = list(AnalysisRunTransition.objects.filter(run=run))
    assert [e.detail["transition"] for e in events] == [t.pk for t in transitions]


def test_a_failed_run_records_why_in_its_last_transition(imported, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("igraph exploded")

    monkeypatch.setattr("analytics.analysis.run_analysis", broken)
    run = analysis_run_create(actor=None, reference_date=REFERENCE)
    with pytest.raises(RuntimeError):
        analysis_run_execute(run=run)
    last = AnalysisRunTransition.objects.filter(run=run).last()
    assert last is not None
    assert (last.from_status, last.to_status, last.reason) == (
        Status.RUNNING,
        Status.FAILED,
        "RuntimeError: igraph exploded",
    )
    assert trail(run)[-1].detail["to"] == "failed"


def test_the_requester_cancels_a_queued_run_at_once(imported, personas):
    run = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    assert analysis_run_cancel(run=run, actor=personas.analyst) is True
    run = analysis_run_execute(run=run)  # the worker finds it cancelled and leaves it alone
    assert run.status == Status.CANCELLED and run.cancel_requested_by == personas.analyst
    assert history(run)[1:] == [(Status.QUEUED, Status.CANCELLED, "analyst", "analyst")]
    assert not NominalResult.objects.filter(run=run).exists()
    assert analysis_run_cancel(run=run, actor=personas.analyst) is False  # finished: nothing to do


def test_a_supervisor_stops_a_running_run_and_is_the_actor_of_the_cancellation(imported, personas, monkeypatch):
    import analytics.analysis

    run = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    real_load = analytics.analysis.load_inputs

    def load_then_supervisor_cancels(**kwargs):
        inputs = real_load(**kwargs)
        assert analysis_run_cancel(run=AnalysisRun.objects.get(pk=run.pk), actor=personas.supervisor) is True
        return inputs

    monkeypatch.setattr(analytics.analysis, "load_inputs", load_then_supervisor_cancels)
    run = analysis_run_execute(run=run)
    assert run.status == Status.CANCELLED
    assert history(run)[-1] == (Status.RUNNING, Status.CANCELLED, "supervisor", "worker")
    last = AnalysisRunTransition.objects.filter(run=run).last()
    assert last is not None
    assert last.reason == "cancelled before the method started, as asked by supervisor"
    asked = trail(run, AccessAction.UPDATE)
    assert [(e.actor, e.reason) for e in asked] == [
        (personas.supervisor, "cancellation requested; the run stops at the end of its current stage")
    ]
    assert trail(run)[-1].actor == personas.supervisor


def test_only_the_requester_or_a_supervisor_may_cancel(imported, personas, second_analyst):
    run = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    with pytest.raises(PermissionDenied):
        analysis_run_cancel(run=run, actor=second_analyst)
    refused = trail(run, AccessAction.REFUSED)
    assert [(e.actor, e.reason) for e in refused] == [
        (second_analyst, "cancel: only the requester or an intelligence supervisor may cancel a run")
    ]
    run.refresh_from_db()
    assert run.status == Status.QUEUED and not run.cancel_requested
    assert analysis_run_cancel(run=run, actor=personas.supervisor) is True


def test_the_cancel_page_answers_403_to_a_police_user_without_the_right(client, imported, personas, second_analyst):
    run = analysis_run_create(actor=personas.analyst, reference_date=REFERENCE)
    url = reverse("analytics:run_cancel", args=[run.pk])
    client.force_login(second_analyst)
    assert client.post(url).status_code == 403
    assert trail(run, AccessAction.REFUSED)[-1].actor == second_analyst
    client.force_login(personas.mash_birmingham)
    assert client.post(url).status_code == 404
    client.force_login(personas.analyst)
    response = client.post(url)
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == Status.CANCELLED
    page = client.get(reverse("analytics:run_detail", args=[run.pk])).content.decode()
    assert "History of this run" in page and "cancelled before it started" in page


def test_the_analyse_command_is_audited_as_the_operating_system_user(imported, tmp_path):
    call_command("analyse", "--reference-date", "2026-06-30", stdout=open(tmp_path / "out", "w"))
    run = AnalysisRun.objects.get()
    os_user = getpass.getuser()
    label = f"command:{os_user}"
    assert history(run) == [
        ("", Status.QUEUED, None, label),
        (Status.QUEUED, Status.RUNNING, None, label),
        (Status.RUNNING, Status.SUCCEEDED, None, label),
    ]
    created = trail(run, AccessAction.CREATE)
    assert [(e.actor, e.actor_username, e.via) for e in created] == [(None, os_user, "command")]
    assert {(e.actor_username, e.via) for e in trail(run)} == {(os_user, "command")}


def test_the_analyse_command_runs_for_a_named_police_intelligence_user(imported, personas, tmp_path):
    out = open(tmp_path / "out", "w")
    call_command("analyse", "--reference-date", "2026-06-30", "--requested-by", "supervisor", stdout=out)
    run = AnalysisRun.objects.get()
    assert run.requested_by == personas.supervisor
    assert history(run)[0] == ("", Status.QUEUED, "supervisor", f"command:{getpass.getuser()}")
    created = trail(run, AccessAction.CREATE)[0]
    assert (created.actor, created.via, created.detail) == (
        personas.supervisor,
        "command",
        {"os_user": getpass.getuser()},
    )


@pytest.mark.parametrize("username", ["nobody", "mash.birmingham", "auditor"])
def test_the_analyse_command_refuses_anyone_else_as_requester(imported, personas, tmp_path, username):
    with pytest.raises(CommandError, match=f"--requested-by '{username}' does not name an active police"):
        call_command("analyse", "--requested-by", username, stdout=open(tmp_path / "out", "w"))
    assert not AnalysisRun.objects.exists()


def test_a_completed_run_cannot_change_through_bulk_writes(imported):
    run = run_to_the_end(reference_date=REFERENCE)
    waiting = analysis_run_create(actor=None, reference_date=REFERENCE)
    kept = NominalResult.objects.filter(run=run).count()
    with pytest.raises(CompletedRunError):
        AnalysisRun.objects.filter(pk=run.pk).update(beta=0.9)
    with pytest.raises(CompletedRunError):
        AnalysisRun.objects.update(stage="rewritten")  # one completed row is enough to refuse all
    run.beta = 0.9
    # bulk_update's own atomic block makes no savepoint; this one keeps the test's transaction usable.
    with pytest.raises(CompletedRunError), transaction.atomic():
        AnalysisRun.objects.bulk_update([run], ["beta"])
    with pytest.raises(CompletedRunError):
        AnalysisRun.objects.filter(pk=run.pk).delete()
    with pytest.raises(CompletedRunError):
        AnalysisRun.objects.get(pk=run.pk).delete()
    assert AnalysisRun.objects.get(pk=run.pk).beta == 0.25
    assert AnalysisRun.objects.get(pk=waiting.pk).stage == ""
    assert NominalResult.objects.filter(run=run).count() == kept
    # A run that is not complete still takes its own writes.
    assert AnalysisRun.objects.filter(pk=waiting.pk).update(stage="waiting") == 1


@pytest.mark.services
@pytest.mark.django_db
def test_the_database_refuses_to_change_a_completed_run(imported):
    require_services()
    run = run_to_the_end(reference_date=REFERENCE)
    result = NominalResult.objects.filter(run=run).first()
    assert result is not None

    def refused(sql: str, params: list) -> str:
        with pytest.raises(IntegrityError) as error, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        return str(error.value)

    assert "is complete and cannot change" in refused(
        "UPDATE analytics_analysisrun SET beta = 0.9 WHERE id = %s", [run.pk]
    )
    assert "is complete and cannot change" in refused("DELETE FROM analytics_analysisrun WHERE id = %s", [run.pk])
    assert "the run is complete" in refused("UPDATE analytics_nominalresult SET score = 0 WHERE id = %s", [result.pk])
    assert "the run is complete" in refused("DELETE FROM analytics_nominalresult WHERE run_id = %s", [run.pk])
    assert "the run is complete" in refused("DELETE FROM analytics_groupresult WHERE run_id = %s", [run.pk])
    assert "the run is complete" in refused(
        'INSERT INTO analytics_groupresult (run_id, "group", members, size, soc_group_id, harm_cchi, harm_ons, '
        "priority_rank, children_present) VALUES (%s, 999, '[]', 0, '', 0, 0, 999, 0)",
        [run.pk],
    )
    # Its drawing too (migration 0009).
    assert "the run is complete" in refused(
        "UPDATE analytics_runlayout SET group_positions = '{}' WHERE run_id = %s", [run.pk]
    )
    assert "the run is complete" in refused("DELETE FROM analytics_grouplayout WHERE run_id = %s", [run.pk])
    assert "the run is complete" in refused(
        'INSERT INTO analytics_grouplayout (run_id, "group", positions, edges, external) '
        "VALUES (%s, 999, '{}', '[]', '[]')",
        [run.pk],
    )
    item = ValidationItem.objects.filter(run=run).first()
    assert item is not None
    assert "the run is complete" in refused("DELETE FROM analytics_validationitem WHERE id = %s", [item.pk])
    # Reviewers' verdicts are the one thing that may still change.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE analytics_validationitem SET correct = true WHERE id = %s", [item.pk])
    run.refresh_from_db()
    assert run.beta == 0.25 and NominalResult.objects.filter(run=run).exists()


@pytest.fixture
def completed(imported, personas):
    return run_to_the_end(reference_date=REFERENCE, actor=personas.analyst)


def last_event(user) -> AccessEvent:
    return AccessEvent.objects.filter(actor=user).latest("id")


def test_reading_a_run_its_group_and_an_explanation_records_what_was_seen(client, personas, completed):
    client.force_login(personas.supervisor)
    result = NominalResult.objects.filter(run=completed, is_child=True).get()
    pages = [
        (reverse("analytics:run_detail", args=[completed.pk]), "analytics.analysisrun", str(completed.pk)),
        (
            reverse("analytics:run_group", args=[completed.pk, result.group]),
            "analytics.groupresult",
            f"{completed.pk}/{result.group}",
        ),
        (
            reverse("analytics:run_nominal", args=[completed.pk, result.nominal_id]),
            "analytics.nominalresult",
            f"{completed.pk}/{result.nominal_id}",
        ),
    ]
    for url, object_type, object_id in pages:
        before = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        assert client.get(url).status_code == 200
        # The page may record more (a child's profile also records a view of their case).
        seen = set(
            AccessEvent.objects.filter(id__gt=before, actor=personas.supervisor).values_list(
                "action", "object_type", "object_id"
            )
        )
        assert (AccessAction.VIEW, object_type, object_id) in seen, url


def test_a_missing_group_is_refused_and_recorded(client, personas, completed):
    client.force_login(personas.analyst)
    response = client.get(reverse("analytics:run_group", args=[completed.pk, 999]))
    assert response.status_code == 404
    event = last_event(personas.analyst)
    assert (event.action, event.object_type, event.object_id) == (
        AccessAction.REFUSED,
        "analytics.groupresult",
        f"{completed.pk}/999",
    )
