"""Every step of the pathway × every persona: allowed, 403 (may read, may not take the step),
404 (may not read). And the rules of each step: source state (409), fields (400), consent."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from portal.access import objects_for_user
from portal.audit.models import AccessAction, AccessEvent, Alert, AlertKind
from safeguarding.models import Case, CaseKind, CaseTransition, Meeting, Screening
from safeguarding.pathway import TransitionNotAllowed, case_transition
from tests.safeguarding.pathway_helpers import MEDIUM_ANSWERS, case_at, new_case, step_data

pytestmark = pytest.mark.django_db

POLICE_READERS = {"analyst", "supervisor", "officer"}
BIRMINGHAM = {"mash_birmingham", "mash_manager", "panel_member"}
# Who may take each step, written out from the table (not derived from the code).
ALLOWED = {
    ("identified", "referred"): {"officer", "supervisor"},
    ("identified", "closed"): {"officer", "supervisor"},
    ("referred", "screening"): {"mash_birmingham", "mash_manager"},
    ("referred", "no_further_action"): {"mash_birmingham", "mash_manager"},
    ("screening", "strategy_discussion"): {"mash_birmingham", "mash_manager"},
    ("screening", "contextual_meeting"): {"mash_birmingham", "mash_manager"},
    ("strategy_discussion", "disruption_panel"): {"mash_manager"},
    ("strategy_discussion", "monitoring"): {"mash_manager"},
    ("strategy_discussion", "closed"): {"mash_manager"},
    ("contextual_meeting", "disruption_panel"): {"mash_birmingham", "mash_manager", "panel_member"},
    ("contextual_meeting", "monitoring"): {"mash_birmingham", "mash_manager", "panel_member"},
    ("disruption_panel", "monitoring"): {"panel_member", "mash_manager"},
    ("monitoring", "closed"): {"mash_birmingham", "mash_manager"},
    ("monitoring", "screening"): {"mash_birmingham", "mash_manager"},
    # Closed at the police review: never shared, so only the police can re-open it.
    ("closed", "referred"): POLICE_READERS,
    ("no_further_action", "referred"): POLICE_READERS | BIRMINGHAM,
}


def _readers(from_state: str) -> set[str]:
    """Who can read the case at `from_state`: the police always; Birmingham once referred (the
    helpers reach `closed` straight from the police review, so it was never shared)."""
    return POLICE_READERS if from_state in ("identified", "closed") else POLICE_READERS | BIRMINGHAM


@pytest.mark.parametrize("step", sorted(ALLOWED), ids=[f"{a}->{b}" for a, b in sorted(ALLOWED)])
def test_every_step_for_every_persona(personas, step):
    from_state, to = step
    problems = []
    for name, user in personas.all().items():
        case = case_at(personas, from_state, surname=f"Person{name}")
        before = (Case.objects.get(pk=case.pk).state, CaseTransition.objects.filter(case=case).count())
        try:
            moved = case_transition(actor=user, case_id=case.pk, to=to, data=step_data(from_state, to))
        except Http404:
            outcome = 404
        except PermissionDenied:
            outcome = 403
        else:
            outcome = 200
            if moved.state != to:
                problems.append(f"{name}: allowed but the case is at {moved.state}")
        expected = 200 if name in ALLOWED[step] else 403 if name in _readers(from_state) else 404
        if outcome != expected:
            problems.append(f"{name} {from_state}->{to}: {outcome}, expected {expected}")
        if outcome != 200:
            after = (Case.objects.get(pk=case.pk).state, CaseTransition.objects.filter(case=case).count())
            if after != before:
                problems.append(f"{name}: refused with {outcome} but the case changed")
            if not AccessEvent.objects.filter(action=AccessAction.REFUSED, object_id=str(case.pk), actor=user).exists():
                problems.append(f"{name}: refusal {outcome} not recorded")
    assert not problems, "\n".join(problems)


def test_a_step_from_the_wrong_state_names_the_current_state(personas):
    case = case_at(personas, "referred")
    with pytest.raises(TransitionNotAllowed, match=r"referred"):
        case_transition(
            actor=personas.mash_birmingham, case_id=case.pk, to="contextual_meeting", data={"answers": MEDIUM_ANSWERS}
        )
    assert Case.objects.get(pk=case.pk).state == "referred"
    assert not Screening.objects.filter(case=case).exists()


def test_unknown_state_and_missing_fields_are_field_errors(personas):
    case = case_at(personas, "identified")
    with pytest.raises(ValidationError) as unknown:
        case_transition(actor=personas.officer, case_id=case.pk, to="arrested")
    assert "to" in unknown.value.message_dict
    with pytest.raises(ValidationError) as missing:
        case_transition(actor=personas.officer, case_id=case.pk, to="referred", data={"concern": "   "})
    assert "concern" in missing.value.message_dict
    assert Case.objects.get(pk=case.pk).state == "identified"
    assert not objects_for_user(personas.mash_birmingham, Case.objects.all()).exists()


def test_the_police_review_shares_the_case_with_the_authority_for_write(personas):
    case = case_at(personas, "identified")
    assert not objects_for_user(personas.mash_birmingham, Case.objects.all()).exists()
    case_transition(actor=personas.officer, case_id=case.pk, to="referred", data=step_data("identified", "referred"))
    assert objects_for_user(personas.mash_birmingham, Case.objects.all()).get() == case
    assert not objects_for_user(personas.mash_coventry, Case.objects.all()).exists()
    case.refresh_from_db()
    assert case.concern.startswith("A child at risk")


def test_an_officer_of_another_hub_may_not_review(personas):
    from portal.accounts.services import user_create
    from safeguarding.models import SocexHub

    coventry_officer = user_create(
        username="officer.coventry",
        password="x",
        agency=personas.agencies["wmp"],
        role="police_safeguarding_officer",
        validate=False,
    )
    SocexHub.objects.get(code="coventry-hub").officers.add(coventry_officer)
    case = case_at(personas, "identified")  # Birmingham: the Birmingham hub's
    with pytest.raises(PermissionDenied):
        case_transition(
            actor=coventry_officer, case_id=case.pk, to="referred", data=step_data("identified", "referred")
        )
    triage = new_case(personas, authority="")
    assert triage.needs_triage and triage.hub is None
    with pytest.raises(ValidationError) as no_authority:
        case_transition(
            actor=coventry_officer, case_id=triage.pk, to="referred", data=step_data("identified", "referred")
        )
    assert "local_authority" in no_authority.value.message_dict
    referred = case_transition(
        actor=coventry_officer,
        case_id=triage.pk,
        to="referred",
        data={**step_data("identified", "referred"), "local_authority": "walsall"},
    )
    assert referred.local_authority is not None
    assert referred.local_authority.code == "walsall" and not referred.needs_triage


def test_screening_records_the_tool_and_the_level_decides_the_route(personas):
    case = case_at(personas, "screening")
    with pytest.raises(ValidationError) as wrong_route:
        case_transition(
            actor=personas.mash_birmingham, case_id=case.pk, to="strategy_discussion", data={"answers": MEDIUM_ANSWERS}
        )
    assert "to" in wrong_route.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        case_transition(
            actor=personas.mash_birmingham,
            case_id=case.pk,
            to="strategy_discussion",
            data={"answers": MEDIUM_ANSWERS, "risk_level": "high"},
        )
    assert "override_reason" in no_reason.value.message_dict
    incomplete = {code: value for code, value in list(MEDIUM_ANSWERS.items())[1:]}
    with pytest.raises(ValidationError, match="Unanswered"):
        case_transition(
            actor=personas.mash_birmingham, case_id=case.pk, to="contextual_meeting", data={"answers": incomplete}
        )
    assert not Screening.objects.filter(case=case).exists()
    moved = case_transition(
        actor=personas.mash_birmingham,
        case_id=case.pk,
        to="strategy_discussion",
        data={"answers": MEDIUM_ANSWERS, "risk_level": "high", "override_reason": "Knife seen at the address."},
    )
    screening = Screening.objects.get(case=case)
    assert (screening.score, screening.suggested_level, screening.chosen_level) == (6, "medium", "high")
    assert moved.risk_level == "high"


def test_a_strategy_discussion_needs_police_authority_health_and_education(personas):
    case = case_at(personas, "strategy_discussion")
    data = step_data("strategy_discussion", "monitoring")
    data["attendees"] = ["wmp", "birmingham", "health"]
    with pytest.raises(ValidationError, match="education"):
        case_transition(actor=personas.mash_manager, case_id=case.pk, to="monitoring", data=data)
    assert not Meeting.objects.filter(case=case).exists()


def test_a_disruption_panel_records_tactics_with_owner_and_review(personas):
    case = case_at(personas, "disruption_panel")
    data = step_data("disruption_panel", "monitoring")
    data["tactics"] = [{"kind": "no-such-tactic", "owner_agency": "wmp", "review_on": "2027-01-10"}]
    with pytest.raises(ValidationError, match="unknown tactic"):
        case_transition(actor=personas.panel_member, case_id=case.pk, to="monitoring", data=data)
    moved = case_transition(
        actor=personas.panel_member, case_id=case.pk, to="monitoring", data=step_data("disruption_panel", "monitoring")
    )
    tactic = moved.tactics.get()
    assert (tactic.kind.code, tactic.owner_agency.code) == ("closure-order", "wmp")


def test_every_transition_is_recorded_with_actor_and_reason(personas):
    case = case_at(personas, "no_further_action")
    rows = list(CaseTransition.objects.filter(case=case).values_list("from_state", "to_state", "actor__username"))
    assert rows == [
        ("", "identified", "analyst"),
        ("identified", "referred", "officer.birmingham"),
        ("referred", "no_further_action", "mash.birmingham"),
    ]
    last = CaseTransition.objects.filter(case=case).last()
    assert last is not None and "information only" in last.reason
    assert AccessEvent.objects.filter(action=AccessAction.TRANSITION, object_id=str(case.pk)).count() == 2


def test_re_opening_needs_the_new_intelligence(personas):
    case = case_at(personas, "no_further_action")
    with pytest.raises(ValidationError):
        case_transition(actor=personas.mash_birmingham, case_id=case.pk, to="referred", data={})
    moved = case_transition(
        actor=personas.mash_birmingham, case_id=case.pk, to="referred", data=step_data("no_further_action", "referred")
    )
    assert moved.state == "referred"


# --- vulnerable adults: consent before any partner sees them ------------------------------------


def test_a_vulnerable_adult_is_referred_only_with_consent(personas):
    from datetime import date

    from safeguarding.services import case_record_consent

    adult = new_case(personas, kind=CaseKind.VULNERABLE_ADULT, surname="Okafor")
    with pytest.raises(ValidationError) as refused:
        case_transition(
            actor=personas.officer, case_id=adult.pk, to="referred", data=step_data("identified", "referred")
        )
    assert "consent" in refused.value.message_dict
    assert not objects_for_user(personas.mash_birmingham, Case.objects.all()).exists()
    case_record_consent(
        actor=personas.officer,
        case=adult,
        given_by="person",
        given_by_name="Lena Okafor",
        method="written",
        given_on=date(2026, 11, 1),
        agencies=[personas.agencies["birmingham"]],
        scope="Support with her flat.",
    )
    case_transition(actor=personas.officer, case_id=adult.pk, to="referred", data=step_data("identified", "referred"))
    assert objects_for_user(personas.mash_birmingham, Case.objects.all()).get() == adult
    assert not Alert.objects.exists()


def test_sharing_without_consent_needs_the_permission_a_reason_and_raises_an_alert(personas):
    from django.contrib.auth.models import Permission

    adult = new_case(personas, kind=CaseKind.VULNERABLE_ADULT, surname="Okafor")
    data = {**step_data("identified", "referred"), "consent_override_reason": "Risk to life: threats to burn the flat."}
    with pytest.raises(PermissionDenied):
        case_transition(actor=personas.officer, case_id=adult.pk, to="referred", data=data)
    assert Case.objects.get(pk=adult.pk).state == "identified" and not Alert.objects.exists()
    personas.officer.user_permissions.add(Permission.objects.get(codename="override_consent"))
    officer = type(personas.officer).objects.get(pk=personas.officer.pk)  # fresh permission cache
    case_transition(actor=officer, case_id=adult.pk, to="referred", data=data)
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.CONSENT_OVERRIDE and alert.subject_id == str(adult.pk)
    assert "Risk to life" in alert.detail["reason"]
    assert objects_for_user(personas.mash_birmingham, Case.objects.all()).get() == adult


def test_re_opening_a_case_closed_at_the_police_review_refers_it_to_the_authority(personas):
    case = case_at(personas, "closed")
    case_transition(actor=personas.officer, case_id=case.pk, to="referred", data=step_data("closed", "referred"))
    assert objects_for_user(personas.mash_birmingham, Case.objects.all()).get() == case
    case.refresh_from_db()
    assert case.concern  # partners read why it came back


def test_another_authority_given_write_access_still_cannot_take_the_authoritys_steps(personas):
    from portal.access import Access
    from safeguarding.services import case_share

    case = case_at(personas, "referred")
    case_share(actor=personas.mash_manager, case=case, agency=personas.agencies["coventry"], level=Access.WRITE)
    with pytest.raises(PermissionDenied):
        case_transition(actor=personas.mash_coventry, case_id=case.pk, to="screening", data={})
    assert Case.objects.get(pk=case.pk).state == "referred"


def test_a_nul_character_is_a_field_error_not_a_database_failure(personas):
    from safeguarding.services import case_create

    case = case_at(personas, "identified")
    with pytest.raises(ValidationError) as in_step:
        case_transition(actor=personas.officer, case_id=case.pk, to="referred", data={"concern": "At risk\x00"})
    assert "concern" in in_step.value.message_dict
    with pytest.raises(ValidationError) as in_summary:
        case_create(
            actor=personas.analyst,
            kind=CaseKind.CHILD,
            forenames="A",
            surname="B",
            local_authority=personas.agencies["dudley"],
            summary="Seen\x00",
        )
    assert "summary" in in_summary.value.message_dict
