"""From a completed run to the pathway: one case per person, across runs and under concurrency."""

from __future__ import annotations

import threading

import pytest

from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.importing import bundle_import
from analytics.models import ImportBatch
from portal.access import objects_for_user
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import Case, CaseRun, CaseTransition, Notification
from tests.conftest import TINY_BUNDLE, TINY_REFERENCE_DATE, require_services

pytestmark = pytest.mark.django_db


def _run(actor):
    run = analysis_run_execute(run=analysis_run_create(actor=actor, reference_date=TINY_REFERENCE_DATE))
    assert run.status == "succeeded", run.error
    return run


def test_a_run_opens_one_case_per_child_and_vulnerable_adult(personas, completed_run):
    cases = {case.nominal_id: case for case in Case.objects.all()}
    assert set(cases) == {"N-TEST-1", "N-TEST-3"}  # the child and the cuckooed adult; not the dealer
    child, adult = cases["N-TEST-1"], cases["N-TEST-3"]
    assert child.local_authority is not None and child.hub is not None
    assert adult.local_authority is not None and adult.hub is not None
    assert (child.kind, child.state, child.local_authority.code, child.hub.code) == (
        "child",
        "identified",
        "birmingham",
        "birmingham-hub",
    )
    assert (adult.kind, adult.local_authority.code, adult.hub.code) == ("vulnerable_adult", "coventry", "coventry-hub")
    assert child.next_due_step == "police review" and child.next_due_at is not None
    # The police's alone until the police review.
    assert objects_for_user(personas.officer, Case.objects.all()).count() == 2
    assert not objects_for_user(personas.mash_birmingham, Case.objects.all()).exists()
    assert not objects_for_user(personas.mash_coventry, Case.objects.all()).exists()
    assert sorted(CaseRun.objects.values_list("case__nominal_id", "opened_case")) == [
        ("N-TEST-1", True),
        ("N-TEST-3", True),
    ]
    opened = CaseTransition.objects.filter(to_state="identified", actor__isnull=True)
    assert opened.count() == 2 and all(f"run {completed_run.pk}" in t.actor_label for t in opened)
    event = AccessEvent.objects.filter(action=AccessAction.CREATE, object_type="safeguarding.case").latest("id")
    assert sorted(event.detail["opened"]) == sorted(case.pk for case in cases.values())


def test_a_second_run_adds_intelligence_to_the_existing_case_and_tells_the_case_worker(personas, completed_run):
    child = Case.objects.get(nominal_id="N-TEST-1")
    Case.objects.filter(pk=child.pk).update(case_worker=personas.officer)
    second = _run(personas.supervisor)
    assert Case.objects.filter(nominal_id="N-TEST-1").count() == 1
    assert list(CaseRun.objects.filter(case=child).values_list("run_id", "opened_case")) == [
        (completed_run.pk, True),
        (second.pk, False),
    ]
    note = Notification.objects.get(recipient=personas.officer, case=child)
    assert f"run {second.pk}" in note.message
    # The adult has no case worker: the Coventry hub's officers would be told (none in the personas).
    assert Notification.objects.count() == 1


def test_unknown_or_outside_authority_goes_to_the_triage_queue(personas, tmp_path):
    directory = tmp_path / "outside"
    directory.mkdir()
    for name, text in TINY_BUNDLE.items():
        (directory / name).write_text(
            text.replace(
                "N-TEST-1,Harbottle,Reece,2010-05-01,M,Birmingham", "N-TEST-1,Harbottle,Reece,2010-05-01,M,Shropshire"
            )
        )
    assert bundle_import(batch=ImportBatch.objects.create(), path=directory).status == "succeeded"
    _run(personas.supervisor)
    child = Case.objects.get(nominal_id="N-TEST-1")
    assert child.needs_triage and child.local_authority is None and child.hub is None
    assert child.recorded_local_authority == "Shropshire"


def test_references_are_unique_and_never_reused(personas, completed_run):
    from safeguarding.references import next_references

    taken = set(Case.objects.values_list("reference", flat=True))
    issued = next_references(3)
    assert len(set(issued)) == 3 and not taken & set(issued)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_runs_finishing_together_open_one_case_per_person(tmp_path):
    """Real threads on PostgreSQL: both runs store their results and open cases at once."""
    require_services()
    from django.db import connection

    from safeguarding.identification import cases_from_run
    from tests.conftest import Personas

    assert connection.vendor == "postgresql"
    personas = Personas()
    directory = tmp_path / "tiny"
    directory.mkdir()
    for name, text in TINY_BUNDLE.items():
        (directory / name).write_text(text)
    assert bundle_import(batch=ImportBatch.objects.create(), path=directory).status == "succeeded"
    runs = [_run(personas.supervisor) for _ in range(2)]
    # The runs' own signal already opened the cases; start again from no cases and let two
    # threads open them at once, as two runs finishing together would.
    Case.objects.all().delete()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_cases(run):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            cases_from_run(run=run)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=open_cases, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(Case.objects.values_list("nominal_id", flat=True)) == ["N-TEST-1", "N-TEST-3"]
    child = Case.objects.get(nominal_id="N-TEST-1")
    assert sorted(CaseRun.objects.filter(case=child).values_list("run_id", flat=True)) == sorted(r.pk for r in runs)
    assert CaseRun.objects.filter(case=child, opened_case=True).count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_practitioners_acting_on_one_case_at_once_give_one_step():
    """Real threads on PostgreSQL: the row lock lets one accept the referral; the other is told
    the case has moved on."""
    require_services()
    from safeguarding.pathway import TransitionNotAllowed, case_transition
    from tests.conftest import Personas
    from tests.safeguarding.pathway_helpers import case_at

    personas = Personas()
    case = case_at(personas, "referred")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            case_transition(actor=user, case_id=case.pk, to="screening", data={})
            outcomes.append("moved")
        except TransitionNotAllowed as error:
            outcomes.append(f"refused: {error}")
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=accept, args=(user,)) for user in (personas.mash_birmingham, personas.mash_manager)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["moved", "refused"], outcomes
    assert CaseTransition.objects.filter(case=case, to_state="screening").count() == 1
