"""The pathway in the pages: the case page, each step's form, the dashboard and notifications.

Each rule once: the step allowed for its persona, 403 for a reader who may not take it, 404 with
nothing in the body for another authority, bad input as a form error that changes nothing, 409
from the wrong state; what a partner reads (no record roles, no police intelligence); what is
overdue on the dashboard once time has passed the deadline.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.access import Access
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import (
    Case,
    CaseKind,
    CaseTransition,
    DisruptionTactic,
    LinkedInvestigation,
    Meeting,
    MonitoringReview,
    Notification,
    NrmDecision,
    NrmReferral,
    Screening,
)
from safeguarding.pathway import TransitionNotAllowed, case_transition, case_transition_system
from safeguarding.screening import INDICATORS
from safeguarding.selectors import case_chronology
from safeguarding.services import case_share
from tests.portal.test_access_matrix import without_csrf_token
from tests.safeguarding.pathway_helpers import HIGH_ANSWERS, LOW_ANSWERS, MEDIUM_ANSWERS, case_at, new_case

pytestmark = pytest.mark.django_db

RECORD_ROLES = re.compile(r"\b(suspect|offender|arrested|charged|accused|perpetrator)\b", re.IGNORECASE)


def _answers(answers: dict[str, bool]) -> dict:
    return {f"answer_{code}": "yes" if value else "no" for code, value in answers.items()}


def _meeting(**extra) -> dict:
    return {
        "held_on": timezone.localdate().isoformat(),
        "attendees": ["wmp", "birmingham", "health", "education"],
        "attendee_names": "DC Vale, J. Okoro (social worker)",
        "minutes": "Discussed the child's missing episodes and who he is with.",
        **extra,
    }


def form_data(from_state: str, to: str) -> dict:
    """What a person types into the step's form, field by field, as the browser posts it."""
    review_on = (timezone.localdate() + timedelta(days=14)).isoformat()
    table = {
        ("identified", "referred"): {"concern": "A child at risk of exploitation by a county line."},
        ("identified", "closed"): {"reason": "No safeguarding concern: the link was a neighbour dispute."},
        ("referred", "screening"): {},
        ("referred", "no_further_action"): {"reason": "Already open to children's social care."},
        ("screening", "strategy_discussion"): _answers(HIGH_ANSWERS),
        ("screening", "contextual_meeting"): _answers(MEDIUM_ANSWERS),
        ("strategy_discussion", "disruption_panel"): _meeting(outcome="section_47"),
        ("strategy_discussion", "monitoring"): _meeting(outcome="child_in_need_plan"),
        ("strategy_discussion", "closed"): _meeting(outcome="no_further_action"),
        ("contextual_meeting", "disruption_panel"): _meeting(),
        ("contextual_meeting", "monitoring"): _meeting(reason="Risk reduced since screening."),
        ("disruption_panel", "monitoring"): _meeting(
            tactic1_kind="closure-order", tactic1_owner="wmp", tactic1_review_on=review_on, tactic1_notes="Flat 3"
        ),
        ("monitoring", "closed"): {"reason": "Six weeks without concerns; engaged with a youth worker."},
        ("monitoring", "screening"): {"reason": "Found in Shrewsbury with cash."},
        ("closed", "referred"): {"reason": "Seen again with the line's runner."},
        ("no_further_action", "referred"): {"reason": "Found out of area again."},
    }
    return {**table[(from_state, to)], "action": "record"}


# Who takes each step through the pages (each allowed by the table).
PAGE_STEPS = {
    ("identified", "referred"): "officer",
    ("identified", "closed"): "supervisor",
    ("referred", "screening"): "mash_birmingham",
    ("referred", "no_further_action"): "mash_manager",
    ("screening", "strategy_discussion"): "mash_birmingham",
    ("screening", "contextual_meeting"): "mash_manager",
    ("strategy_discussion", "disruption_panel"): "mash_manager",
    ("strategy_discussion", "monitoring"): "mash_manager",
    ("strategy_discussion", "closed"): "mash_manager",
    ("contextual_meeting", "disruption_panel"): "panel_member",
    ("contextual_meeting", "monitoring"): "mash_birmingham",
    ("disruption_panel", "monitoring"): "panel_member",
    ("monitoring", "closed"): "mash_birmingham",
    ("monitoring", "screening"): "mash_manager",
    ("closed", "referred"): "officer",
    ("no_further_action", "referred"): "mash_birmingham",
}


def due(case: Case) -> datetime:
    """When the case's next step is due (the case must have one)."""
    assert case.next_due_at is not None
    return case.next_due_at


def step_url(case: Case, to: str) -> str:
    return reverse("safeguarding:case_step", args=[case.pk, to])


def _snapshot(case: Case) -> tuple:
    return (
        Case.objects.filter(pk=case.pk).values_list("state", "risk_level", "concern", "local_authority_id").get(),
        CaseTransition.objects.filter(case=case).count(),
        Meeting.objects.filter(case=case).count(),
        Screening.objects.filter(case=case).count(),
        DisruptionTactic.objects.filter(case=case).count(),
        MonitoringReview.objects.filter(case=case).count(),
    )


@pytest.mark.parametrize("step", sorted(PAGE_STEPS), ids=[f"{a}->{b}" for a, b in sorted(PAGE_STEPS)])
def test_every_step_through_its_page(client, personas, step):
    from_state, to = step
    case = case_at(personas, from_state)
    client.force_login(getattr(personas, PAGE_STEPS[step]))
    detail = client.get(reverse("safeguarding:case_detail", args=[case.pk]))
    assert step_url(case, to) in detail.content.decode(), "the case page offers the step"
    form = client.get(step_url(case, to))
    assert form.status_code == 200 and b"<form" in form.content
    response = client.post(step_url(case, to), form_data(from_state, to))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("safeguarding:case_detail", args=[case.pk])
    assert Case.objects.get(pk=case.pk).state == to
    assert (
        CaseTransition.objects.filter(case=case).values_list("actor", flat=True).last()
        == getattr(personas, PAGE_STEPS[step]).pk
    )


def test_the_case_page_offers_only_the_steps_the_reader_may_take(client, personas, child_case):
    for name, offered in (("mash_birmingham", True), ("mash_manager", True), ("panel_member", False)):
        client.force_login(getattr(personas, name))
        body = client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).content.decode()
        assert (step_url(child_case, "screening") in body) is offered, name
        assert (step_url(child_case, "no_further_action") in body) is offered, name
    client.force_login(personas.partner_health)  # reads, never writes
    body = client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).content.decode()
    assert "/step/" not in body and "Edit the summary" not in body


@pytest.mark.parametrize("persona", ["partner_health", "panel_member", "officer", "analyst"])
def test_a_reader_who_may_not_take_the_step_gets_403_and_nothing_changes(client, personas, child_case, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    before = _snapshot(child_case)
    assert client.get(step_url(child_case, "screening")).status_code == 403
    response = client.post(step_url(child_case, "screening"), form_data("referred", "screening"))
    assert response.status_code == 403
    # Bad input from someone who may not take the step is refused before the form is read.
    assert client.post(step_url(child_case, "no_further_action"), {"reason": ""}).status_code == 403
    assert _snapshot(child_case) == before
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=user, object_id=str(child_case.pk)).exists()


def test_the_right_role_with_read_only_access_gets_403(client, personas, child_case):
    """Birmingham's MASH may take the MASH decision, but not on a case their agency only reads."""
    from safeguarding.services import case_unshare

    case_unshare(actor=personas.supervisor, case=child_case, agency=personas.agencies["birmingham"], level=Access.WRITE)
    client.force_login(personas.mash_birmingham)
    before = _snapshot(child_case)
    assert client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).status_code == 200
    assert client.get(step_url(child_case, "screening")).status_code == 403
    assert client.post(step_url(child_case, "screening"), {}).status_code == 403
    assert _snapshot(child_case) == before
    body = client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).content.decode()
    assert "/step/" not in body


def test_write_access_alone_does_not_give_another_role_the_step(client, personas):
    """A police safeguarding officer writes every case, but the MASH decides on referrals."""
    case = case_at(personas, "screening")
    client.force_login(personas.officer)
    response = client.post(step_url(case, "contextual_meeting"), form_data("screening", "contextual_meeting"))
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).state == "screening"


def test_another_authority_gets_404_with_nothing_of_the_case(client, personas, child_case):
    client.force_login(personas.mash_coventry)
    before = _snapshot(child_case)
    for response in (
        client.get(reverse("safeguarding:case_detail", args=[child_case.pk])),
        client.get(step_url(child_case, "screening")),
        client.post(step_url(child_case, "screening"), form_data("referred", "screening")),
        client.get(step_url(child_case, "no-such-state")),
    ):
        assert response.status_code == 404
        body = response.content.decode()
        for secret in ("Harbottle", "Reece", child_case.reference, "county line", "Referred"):
            assert secret not in body
    assert _snapshot(child_case) == before
    # "Not yours" reads exactly as "does not exist".
    missing = client.get(step_url(child_case, "screening").replace(f"/{child_case.pk}/", "/999999/"))
    not_yours = client.get(step_url(child_case, "screening"))
    assert missing.status_code == 404
    assert without_csrf_token(missing.content) == without_csrf_token(not_yours.content)


def test_a_step_that_does_not_exist_is_404_for_a_reader_too(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    assert client.get(step_url(child_case, "arrested")).status_code == 404
    assert client.get(step_url(child_case, "identified")).status_code == 404


def test_a_step_from_the_wrong_state_is_409_and_says_where_the_case_is(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    before = _snapshot(child_case)
    page = client.get(step_url(child_case, "contextual_meeting"))
    assert page.status_code == 409 and "Referred to the MASH".lower() in page.content.decode().lower()
    posted = client.post(step_url(child_case, "contextual_meeting"), form_data("screening", "contextual_meeting"))
    assert posted.status_code == 409 and b"step-form" not in posted.content
    assert _snapshot(child_case) == before


def test_a_step_lost_to_someone_faster_is_409(client, personas, child_case, monkeypatch):
    """The pathway checks the state again under the row lock; losing that race is a 409 too."""
    from safeguarding import pathway

    def already_moved(**kwargs):
        raise TransitionNotAllowed("This case is at screening (screening); it cannot move to screening from there.")

    monkeypatch.setattr(pathway, "case_transition", already_moved)
    client.force_login(personas.mash_birmingham)
    response = client.post(step_url(child_case, "screening"), form_data("referred", "screening"))
    assert response.status_code == 409 and "cannot move to screening" in response.content.decode()


def test_bad_input_is_a_form_error_beside_its_field_and_changes_nothing(client, personas):
    case = case_at(personas, "strategy_discussion")
    client.force_login(personas.mash_manager)
    before = _snapshot(case)
    # Rules only the pathway knows: education missing, a meeting in the future.
    no_education = {**form_data("strategy_discussion", "monitoring"), "attendees": ["wmp", "birmingham", "health"]}
    response = client.post(step_url(case, "monitoring"), no_education)
    assert response.status_code == 200
    assert "missing: education" in response.context["form"].errors["attendees"][0]
    future = {
        **form_data("strategy_discussion", "monitoring"),
        "held_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }
    response = client.post(step_url(case, "monitoring"), future)
    assert "in the future" in response.context["form"].errors["held_on"][0]
    # Rules the form knows: a required field, a date that is not one, an unknown agency.
    response = client.post(
        step_url(case, "monitoring"), {**no_education, "minutes": "", "held_on": "31/02/2026", "attendees": ["mi5"]}
    )
    errors = response.context["form"].errors
    assert {"minutes", "held_on", "attendees"} <= set(errors)
    assert _snapshot(case) == before


def test_a_refusal_without_a_field_shows_above_the_form(client, personas):
    """The consent rule names no field of the form: it shows above it."""
    adult = new_case(personas, kind=CaseKind.VULNERABLE_ADULT, surname="Okafor")
    client.force_login(personas.officer)
    before = _snapshot(adult)
    response = client.post(step_url(adult, "referred"), form_data("identified", "referred"))
    assert response.status_code == 200
    assert "not consented" in " ".join(response.context["form"].non_field_errors())
    assert _snapshot(adult) == before


def test_the_police_review_of_a_triage_case_chooses_the_authority(client, personas):
    triage = new_case(personas, authority="")
    client.force_login(personas.officer)
    assert "local_authority" in client.get(step_url(triage, "referred")).context["form"].fields
    response = client.post(step_url(triage, "referred"), form_data("identified", "referred"))
    assert "local_authority" in response.context["form"].errors
    assert Case.objects.get(pk=triage.pk).state == "identified"
    response = client.post(
        step_url(triage, "referred"), {**form_data("identified", "referred"), "local_authority": "walsall"}
    )
    assert response.status_code == 302
    moved = Case.objects.get(pk=triage.pk)
    assert (moved.state, moved.local_authority_id, moved.needs_triage) == (
        "referred",
        personas.agencies["walsall"].pk,
        False,
    )


def test_no_further_action_needs_its_reason(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    before = _snapshot(child_case)
    response = client.post(step_url(child_case, "no_further_action"), {"reason": "  ", "action": "record"})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert _snapshot(child_case) == before


def test_screening_shows_the_score_and_suggested_level_and_routes_by_the_level(client, personas):
    case = case_at(personas, "screening")
    client.force_login(personas.mash_birmingham)
    page = client.get(step_url(case, "contextual_meeting"))
    body = page.content.decode()
    assert all(indicator.question in body for indicator in INDICATORS)
    # Working out the score changes nothing and says where a high rating goes.
    before = _snapshot(case)
    scored = client.post(step_url(case, "contextual_meeting"), {**_answers(HIGH_ANSWERS), "action": "score"})
    assert scored.status_code == 200 and _snapshot(case) == before
    assert scored.context["screening"]["score"] == sum(indicator.weight for indicator in INDICATORS)
    assert scored.context["screening"]["suggested"] == "high"
    assert scored.context["screening"]["action"] == step_url(case, "strategy_discussion")
    # An unanswered question is not a "no".
    incomplete = _answers(MEDIUM_ANSWERS)
    incomplete.pop("answer_missing_episodes")
    unanswered = client.post(step_url(case, "contextual_meeting"), {**incomplete, "action": "record"})
    assert "answer_missing_episodes" in unanswered.context["form"].errors and _snapshot(case) == before
    # A level other than the tool's needs a reason.
    override = {**_answers(LOW_ANSWERS), "risk_level": "medium", "action": "record"}
    no_reason = client.post(step_url(case, "contextual_meeting"), override)
    assert "override_reason" in no_reason.context["form"].errors and _snapshot(case) == before
    moved = client.post(step_url(case, "contextual_meeting"), {**override, "override_reason": "Seen with older men."})
    assert moved.status_code == 302
    screening = Screening.objects.get(case=case)
    assert (screening.suggested_level, screening.chosen_level) == ("low", "medium")
    assert Case.objects.get(pk=case.pk).state == "contextual_meeting"


def test_the_disruption_panel_records_up_to_three_tactics(client, personas):
    case = case_at(personas, "disruption_panel")
    client.force_login(personas.panel_member)
    review_on = (timezone.localdate() + timedelta(days=28)).isoformat()
    none_chosen = {**_meeting(), "action": "record"}
    assert "tactic1_kind" in client.post(step_url(case, "monitoring"), none_chosen).context["form"].errors
    half = {**none_chosen, "tactic2_kind": "gang-injunction"}
    errors = client.post(step_url(case, "monitoring"), half).context["form"].errors
    assert {"tactic2_owner", "tactic2_review_on"} <= set(errors)
    assert not DisruptionTactic.objects.filter(case=case).exists()
    three = {
        **none_chosen,
        **{
            f"tactic{n}_kind": kind
            for n, kind in ((1, "closure-order"), (2, "gang-injunction"), (3, "youth-worker-mentoring"))
        },
        **{f"tactic{n}_owner": owner for n, owner in ((1, "wmp"), (2, "wmp"), (3, "charity"))},
        **{f"tactic{n}_review_on": review_on for n in (1, 2, 3)},
    }
    assert client.post(step_url(case, "monitoring"), three).status_code == 302
    tactics = DisruptionTactic.objects.filter(case=case).order_by("id")
    assert [(t.kind.code, t.owner_agency.code) for t in tactics] == [
        ("closure-order", "wmp"),
        ("gang-injunction", "wmp"),
        ("youth-worker-mentoring", "charity"),
    ]


def test_unsupported_verbs_are_refused(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    for verb in ("put", "patch", "delete"):
        assert getattr(client, verb)(step_url(child_case, "screening")).status_code == 405
        assert getattr(client, verb)(reverse("safeguarding:dashboard")).status_code == 405
    assert client.post(reverse("safeguarding:dashboard")).status_code == 405


# --- what a partner reads -------------------------------------------------------------------------


@pytest.fixture
def run_case(completed_run, personas):
    """The Birmingham child the run identified, referred by the police review and shared with
    health for read: the run's reasons and explanation are police intelligence."""
    case = Case.objects.get(nominal_id="N-TEST-1")
    case_transition(
        actor=personas.officer,
        case_id=case.pk,
        to="referred",
        data={"concern": "Reece is at risk of criminal exploitation: seen with a deal line."},
    )
    case_share(actor=personas.supervisor, case=case, agency=personas.agencies["health"], level=Access.READ)
    return Case.objects.get(pk=case.pk)


def test_a_partner_reads_the_concern_and_the_pathway_but_no_intelligence_or_record_role(client, personas, run_case):
    from analytics.models import NominalResult

    result = NominalResult.objects.get(run__case_links__case=run_case, nominal_id="N-TEST-1")
    explanation = result.explanation.get("lines", [])
    assert any("R-TEST-1" in line for line in explanation), "the explanation names police records"
    for name in ("partner_health", "mash_birmingham", "mash_manager", "panel_member"):
        client.force_login(getattr(personas, name))
        response = client.get(reverse("safeguarding:case_detail", args=[run_case.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert "Child at risk of exploitation" in body and "seen with a deal line" in body
        assert "Referred to the MASH" in body  # the pathway
        assert not RECORD_ROLES.search(body), f"{name} reads {RECORD_ROLES.findall(body)}"
        for intelligence in ("N-TEST-1", "analysis run", "run #", "Police intelligence", "R-TEST", *explanation):
            assert intelligence not in body, f"{name} reads {intelligence!r}"
        assert all(entry["kind"] != "intelligence" for entry in response.context["chronology"])


def test_the_police_see_the_runs_that_found_the_person_and_why(client, personas, run_case, completed_run):
    from analytics.models import NominalResult

    result = NominalResult.objects.get(run=completed_run, nominal_id="N-TEST-1")
    client.force_login(personas.supervisor)  # reviews the run that found the child
    body = client.get(reverse("safeguarding:case_detail", args=[run_case.pk])).content.decode()
    assert f"Identified by analysis run #{completed_run.pk}" in body
    assert reverse("analytics:nominal_detail", args=["N-TEST-1"]) in body
    assert reverse("analytics:run_nominal", args=[completed_run.pk, "N-TEST-1"]) in body
    for reason in result.safeguarding_reasons:
        assert str(reason) in body
    # A police safeguarding officer reads the intelligence but is not sent to pages they cannot open.
    client.force_login(personas.officer)
    body = client.get(reverse("safeguarding:case_detail", args=[run_case.pk])).content.decode()
    assert f"Identified by analysis run #{completed_run.pk}" in body
    assert reverse("analytics:nominal_detail", args=["N-TEST-1"]) not in body


def test_the_case_page_shows_stage_risk_due_step_and_overdue(client, personas):
    case = case_at(personas, "contextual_meeting")
    client.force_login(personas.mash_birmingham)
    body = client.get(reverse("safeguarding:case_detail", args=[case.pk])).content.decode()
    assert "Contextual safeguarding meeting" in body and "Medium" in body
    assert "Overdue" not in body
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        client.force_login(personas.mash_birmingham)
        body = client.get(reverse("safeguarding:case_detail", args=[case.pk])).content.decode()
    assert "Contextual safeguarding meeting by" in body and "Overdue" in body


# --- the chronology ------------------------------------------------------------------------------


def test_the_chronology_holds_every_kind_of_event_in_date_order(personas, run_case, completed_run):
    for to, actor, data in (
        ("screening", personas.mash_birmingham, {}),
        ("contextual_meeting", personas.mash_birmingham, {"answers": MEDIUM_ANSWERS}),
    ):
        case_transition(actor=actor, case_id=run_case.pk, to=to, data=data)
    review_on = (timezone.localdate() + timedelta(days=7)).isoformat()
    case_transition(
        actor=personas.panel_member,
        case_id=run_case.pk,
        to="disruption_panel",
        data={"held_on": timezone.localdate().isoformat(), "attendees": ["wmp", "birmingham"]},
    )
    case_transition(
        actor=personas.panel_member,
        case_id=run_case.pk,
        to="monitoring",
        data={
            "held_on": timezone.localdate().isoformat(),
            "attendees": ["wmp", "birmingham"],
            "tactics": [{"kind": "closure-order", "owner_agency": "wmp", "review_on": review_on}],
        },
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    NrmReferral.objects.create(
        case=run_case,
        first_responder=personas.agencies["birmingham"],
        submitted_on=yesterday,
        reasonable_grounds=NrmDecision.POSITIVE,
        reasonable_grounds_on=timezone.localdate(),
        recorded_by=personas.mash_manager,
    )
    LinkedInvestigation.objects.create(
        case=run_case, crime_reference="20/1234/26", outcome_22=True, recorded_by=personas.officer
    )
    police = case_chronology(run_case, police=True)
    kinds = {entry["kind"] for entry in police}
    assert kinds == {"transition", "screening", "meeting", "tactic", "nrm", "investigation", "intelligence"}
    moments = [entry["at"] for entry in police]
    assert moments == sorted(moments)
    assert police[0]["title"] == "National Referral Mechanism referral submitted"  # yesterday
    titles = [entry["title"] for entry in police]
    assert titles.index("Exploitation screening") < titles.index("Screening → Contextual safeguarding meeting")
    assert all(isinstance(entry, dict) for entry in police)
    partner = case_chronology(run_case)
    assert {entry["kind"] for entry in partner} == kinds - {"investigation", "intelligence"}
    police_texts = {entry["text"] for entry in police if entry["kind"] == "transition" and entry["text"]}
    assert "Reece is at risk of criminal exploitation: seen with a deal line." in police_texts
    assert not any("analysis" in entry["text"] or "analysis" in entry["by"] for entry in partner)


# --- the dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_shows_what_is_overdue_and_due_by_step(client, personas):
    late = case_at(personas, "referred", surname="Latecase")
    coventry = case_at(personas, "identified", surname="Coventrycase", authority="coventry")
    # Birmingham may read it, but it is Coventry's work: not on Birmingham's dashboard.
    case_share(actor=personas.supervisor, case=coventry, agency=personas.agencies["birmingham"], level=Access.READ)
    # Shared before the police review, a triage case still belongs in the police's queue only.
    triage = new_case(personas, surname="Triagecase", authority="")
    case_share(actor=personas.supervisor, case=triage, agency=personas.agencies["birmingham"], level=Access.READ)
    # Closed by the portal itself: the old deadline is still on the row, but nothing is due.
    stale = case_at(personas, "referred", surname="Stalecase")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=stale.pk)
        case_transition_system(case=locked, to="closed", label="portal", reason="Closed by the portal.")
    assert Case.objects.get(pk=stale.pk).next_due_at is not None
    finished = case_at(personas, "no_further_action", surname="Finishedcase")
    client.force_login(personas.mash_birmingham)
    before = client.get(reverse("safeguarding:dashboard"))
    assert before.status_code == 200 and "Latecase" not in before.content.decode()  # due, not yet late
    with time_machine.travel(due(late) + timedelta(minutes=1), tick=False):
        client.force_login(personas.mash_birmingham)
        response = client.get(reverse("safeguarding:dashboard"))
        body = response.content.decode()
        fresh = case_at(personas, "referred", surname="Freshcase")  # due at the end of the next working day
        assert "Freshcase" not in client.get(reverse("safeguarding:dashboard")).content.decode()
    assert response.status_code == 200
    assert "Latecase" in body and "Overdue" in body and "MASH decision" in body
    for elsewhere in ("Coventrycase", "Triagecase", "Finishedcase", "Stalecase", "triage queue"):
        assert elsewhere not in body
    assert response.context["triage"] == []
    [group] = response.context["by_step"]
    assert group["step"] == "MASH decision" and group["overdue"] == [late]
    counts = {row["state"]: row["count"] for row in response.context["counts"]}
    assert counts["referred"] == 1 and counts["no_further_action"] == 1 and counts["closed"] == 1
    assert counts["identified"] == 0
    event = AccessEvent.objects.filter(action=AccessAction.LIST, actor=personas.mash_birmingham).latest("id")
    assert event.detail["ids"] == [str(late.pk)] and event.result_count == 1
    # The police: the Birmingham hub's cases and the force-wide triage queue.
    with time_machine.travel(due(late) + timedelta(minutes=1), tick=False):
        client.force_login(personas.officer)
        police = client.get(reverse("safeguarding:dashboard"))
    body = police.content.decode()
    assert "Latecase" in body and "Triagecase" in body and "Coventrycase" not in body
    assert police.context["triage"] == [triage]
    assert {fresh.pk, coventry.pk, finished.pk}.isdisjoint(police.context["ids"])


def test_the_dashboard_shows_what_is_due_today(client, personas):
    case = case_at(personas, "referred", surname="Duetoday")
    on_the_day = due(case) - timedelta(hours=2)
    with time_machine.travel(on_the_day, tick=False):
        client.force_login(personas.mash_manager)
        response = client.get(reverse("safeguarding:dashboard"))
    assert response.context["due_today"] == [case] and response.context["overdue"] == []
    assert "Due today" in response.content.decode()


def test_the_supervisor_sees_every_authority_and_others_have_no_dashboard(client, personas):
    birmingham = case_at(personas, "referred", surname="Brum")
    coventry = new_case(personas, surname="Cov", authority="coventry")
    coventry = case_transition(
        actor=personas.supervisor, case_id=coventry.pk, to="referred", data=form_data("identified", "referred")
    )
    with time_machine.travel(max(due(birmingham), due(coventry)) + timedelta(minutes=1), tick=False):
        client.force_login(personas.supervisor)
        response = client.get(reverse("safeguarding:dashboard"))
        assert {birmingham.pk, coventry.pk} <= set(response.context["ids"])
        client.force_login(personas.mash_coventry)
        assert client.get(reverse("safeguarding:dashboard")).context["ids"] == [coventry.pk]
        for name in ("analyst", "partner_health", "auditor", "administrator"):
            client.force_login(getattr(personas, name))
            refused = client.get(reverse("safeguarding:dashboard"))
            assert refused.status_code == 404 and b"Brum" not in refused.content


def test_pathway_roles_land_on_their_dashboard(client, personas):
    for name in ("mash_birmingham", "mash_manager", "panel_member", "officer"):
        client.force_login(getattr(personas, name))
        response = client.get(reverse("home"))
        assert response.status_code == 200 and "by_step" in response.context
        assert "<h1>Safeguarding work" in response.content.decode()
        assert "Dashboard" in [item["label"] for item in response.context["menu"]]
    for name in ("partner_health", "analyst"):
        client.force_login(getattr(personas, name))
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert "Dashboard" not in [item["label"] for item in response.context["menu"]]


# --- notifications --------------------------------------------------------------------------------


@pytest.fixture
def with_notification_count(settings):
    """The header count's context processor, as settings will list it."""
    templates = [dict(engine, OPTIONS=dict(engine["OPTIONS"])) for engine in settings.TEMPLATES]
    processors = templates[0]["OPTIONS"]["context_processors"]
    if "safeguarding.context_processors.notifications" not in processors:
        templates[0]["OPTIONS"]["context_processors"] = [*processors, "safeguarding.context_processors.notifications"]
    settings.TEMPLATES = templates


def test_notifications_are_ones_own_newest_first_and_marked_read(client, personas, child_case, with_notification_count):
    now = timezone.now()
    older = Notification.objects.create(
        recipient=personas.mash_birmingham,
        case=child_case,
        kind="reminder",
        message="Older one",
        created_at=now - timedelta(hours=2),
    )
    newer = Notification.objects.create(
        recipient=personas.mash_birmingham, case=child_case, kind="reminder", message="Newer one", created_at=now
    )
    theirs = Notification.objects.create(recipient=personas.mash_coventry, kind="reminder", message="Not yours")
    client.force_login(personas.mash_birmingham)
    page = client.get(reverse("safeguarding:notifications"))
    body = page.content.decode()
    assert body.index("Newer one") < body.index("Older one") and "Not yours" not in body
    assert body.count("Unread") == 2 and page.context["unread_notifications"] == 2
    listed = AccessEvent.objects.filter(action=AccessAction.LIST, object_type="safeguarding.notification").latest("id")
    assert listed.detail == {"ids": [str(newer.pk), str(older.pk)]}
    # Someone else's notification is not there to mark.
    assert client.post(reverse("safeguarding:notifications"), {"notification": theirs.pk}).status_code == 404
    assert client.post(reverse("safeguarding:notifications"), {"notification": "x' OR 1=1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("safeguarding:notifications"), {"notification": older.pk})
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.read_at is not None and newer.read_at is None
    assert client.get(reverse("safeguarding:case_list")).context["unread_notifications"] == 1
    client.post(reverse("safeguarding:notifications"))
    newer.refresh_from_db()
    assert newer.read_at is not None
    header = client.get(reverse("safeguarding:case_list")).content.decode()
    assert 'class="count"' not in header
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_header_counts_unread_notifications(client, personas, with_notification_count):
    Notification.objects.create(recipient=personas.officer, kind="reminder", message="Police review due")
    client.force_login(personas.officer)
    body = client.get(reverse("safeguarding:notifications")).content.decode()
    assert re.search(r'class="count"[^>]*>1</span>', body)
