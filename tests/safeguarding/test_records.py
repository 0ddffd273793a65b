"""The NRM referral and linked investigations: each rule once, through the real services and
pages, with the personas of tests/conftest.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.access import Access
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import Case, CaseKind, LinkedInvestigation, NrmDecision, NrmReferral
from safeguarding.pathway import case_transition
from safeguarding.records import investigation_link, nrm_decide, nrm_record
from safeguarding.screening import INDICATORS
from safeguarding.selectors import case_get_for_user
from safeguarding.services import case_create

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2027, 3, 1, 10, 0, tzinfo=LONDON)  # no bank holiday for weeks either side
NO = {indicator.code: False for indicator in INDICATORS}  # score 0: low
MEDIUM = {**NO, "missing_episodes": True, "unexplained_money": True}  # score 5: medium
ATTENDEES = ["wmp", "birmingham", "health"]


# --- the pathway, through its real steps (shared with test_meetings) ---------------------------


def screen(personas, case, answers, *, actor=None) -> Case:
    """From `referred` to the contextual safeguarding meeting (answers giving low or medium)."""
    actor = actor or personas.mash_birmingham
    case_transition(actor=actor, case_id=case.pk, to="screening")
    return case_transition(actor=actor, case_id=case.pk, to="contextual_meeting", data={"answers": answers})


def to_monitoring(personas, case, *, actor=None) -> Case:
    """A low-risk case through its contextual meeting into monitoring."""
    actor = actor or personas.mash_birmingham
    screen(personas, case, NO, actor=actor)
    return case_transition(
        actor=actor,
        case_id=case.pk,
        to="monitoring",
        data={"held_on": date.today().isoformat(), "attendees": [actor.agency.code, "wmp"]},
    )


def to_panel(personas, case) -> Case:
    """A medium-risk case through its contextual meeting to the disruption panel."""
    screen(personas, case, MEDIUM)
    return case_transition(
        actor=personas.mash_birmingham,
        case_id=case.pk,
        to="disruption_panel",
        data={"held_on": date.today().isoformat(), "attendees": ATTENDEES},
    )


def through_panel(personas, case, *, review_on: date) -> Case:
    """To the panel and out of it into monitoring, with two tactics to review on `review_on`."""
    to_panel(personas, case)
    tactics = [
        {"kind": "child-abduction-warning-notice", "owner_agency": "wmp", "review_on": review_on.isoformat()},
        {
            "kind": "youth-worker-mentoring",
            "owner_agency": "charity",
            "review_on": (review_on + timedelta(days=28)).isoformat(),
            "notes": "Mentor to meet Reece weekly",
        },
    ]
    return case_transition(
        actor=personas.panel_member,
        case_id=case.pk,
        to="monitoring",
        data={"held_on": date.today().isoformat(), "attendees": ATTENDEES, "tactics": tactics},
    )


def coventry_child(personas, *, forenames="Ava", surname="Quinlan") -> Case:
    """A Coventry child referred to Coventry's MASH by the police review."""
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames=forenames,
        surname=surname,
        date_of_birth=date(2011, 2, 3),
        local_authority=personas.agencies["coventry"],
    )
    return case_transition(
        actor=personas.supervisor, case_id=case.pk, to="referred", data={"concern": "Ava is at risk."}
    )


def writable(user, case) -> Case:
    return case_get_for_user(user=user, case_id=case.pk, level=Access.WRITE)


@pytest.fixture
def monday():
    """Monday 1 March 2027, 10:00 in London, standing still. List it before `child_case` so the
    case is made at that time too."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=LONDON)


# --- NRM: recording the referral ---------------------------------------------------------------


def test_a_child_is_referred_without_a_basis_and_the_change_is_recorded(personas, child_case):
    case = writable(personas.mash_birmingham, child_case)
    referral = nrm_record(
        actor=personas.mash_birmingham,
        case=case,
        first_responder=personas.agencies["birmingham"],
        submitted_on=date.today(),
    )
    assert referral.reasonable_grounds == NrmDecision.PENDING and referral.adult_basis == ""
    event = AccessEvent.objects.filter(action=AccessAction.UPDATE, object_id=str(case.pk)).latest("id")
    assert event.actor == personas.mash_birmingham and "NRM referral recorded" in event.reason
    assert event.detail["nrm"] == referral.pk

    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(referral).filter(action=LogEntry.Action.CREATE).exists()


@pytest.mark.parametrize(
    "change,field",
    [
        ({"submitted_on": date.today() + timedelta(days=1)}, "submitted_on"),
        ({"first_responder": "health"}, "first_responder"),  # health is not a first responder
        ({"first_responder": "education"}, "first_responder"),
        ({"adult_basis": "consent"}, "adult_basis"),  # a child never has one
        ({"adult_basis": "duty_to_notify"}, "adult_basis"),
    ],
)
def test_a_bad_referral_names_the_field_and_changes_nothing(personas, child_case, change, field):
    arguments = {"first_responder": "birmingham", "submitted_on": date.today(), **change}
    arguments["first_responder"] = personas.agencies[arguments["first_responder"]]
    before = AccessEvent.objects.filter(action=AccessAction.UPDATE).count()
    with pytest.raises(ValidationError) as raised:
        nrm_record(actor=personas.mash_birmingham, case=writable(personas.mash_birmingham, child_case), **arguments)
    assert field in raised.value.message_dict
    assert not NrmReferral.objects.exists()
    assert AccessEvent.objects.filter(action=AccessAction.UPDATE).count() == before


def test_an_adult_needs_consent_or_the_duty_to_notify(personas):
    adult = case_create(
        actor=personas.analyst,
        kind=CaseKind.VULNERABLE_ADULT,
        forenames="Lena",
        surname="Okafor",
        local_authority=personas.agencies["coventry"],
    )
    with pytest.raises(ValidationError) as raised:
        nrm_record(
            actor=personas.supervisor, case=adult, first_responder=personas.agencies["wmp"], submitted_on=date.today()
        )
    assert "adult_basis" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        nrm_record(
            actor=personas.supervisor,
            case=adult,
            first_responder=personas.agencies["wmp"],
            submitted_on=date.today(),
            adult_basis="because",
        )
    assert "adult_basis" in raised.value.message_dict
    referral = nrm_record(
        actor=personas.supervisor,
        case=adult,
        first_responder=personas.agencies["wmp"],
        submitted_on=date.today(),
        adult_basis=NrmReferral.AdultBasis.DUTY_TO_NOTIFY,
    )
    assert referral.adult_basis == "duty_to_notify"


def test_one_referral_per_case(personas, child_case):
    case = writable(personas.mash_birmingham, child_case)
    kwargs = {"actor": personas.mash_birmingham, "case": case, "first_responder": personas.agencies["birmingham"]}
    nrm_record(submitted_on=date.today(), **kwargs)
    with pytest.raises(ValidationError):
        nrm_record(submitted_on=date.today() - timedelta(days=3), **kwargs)
    assert NrmReferral.objects.get().submitted_on == date.today()


# --- NRM: the decisions -------------------------------------------------------------------------


@pytest.fixture
def referral(personas, child_case):
    """A referral submitted ten days ago by Birmingham."""
    return nrm_record(
        actor=personas.mash_birmingham,
        case=writable(personas.mash_birmingham, child_case),
        first_responder=personas.agencies["birmingham"],
        submitted_on=date.today() - timedelta(days=10),
    )


def _decide(personas, case, stage, decision, decided_on):
    return nrm_decide(
        actor=personas.mash_birmingham,
        case=writable(personas.mash_birmingham, case),
        stage=stage,
        decision=decision,
        decided_on=decided_on,
    )


def test_decisions_follow_in_order(personas, child_case, referral):
    today = date.today()
    with pytest.raises(ValidationError) as raised:
        _decide(personas, child_case, "conclusive", "positive", today)
    assert "stage" in raised.value.message_dict  # conclusive grounds before reasonable grounds
    _decide(personas, child_case, "reasonable", "positive", today - timedelta(days=5))
    with pytest.raises(ValidationError) as raised:
        _decide(personas, child_case, "conclusive", "positive", today - timedelta(days=6))
    assert "decided_on" in raised.value.message_dict  # before the reasonable-grounds decision
    decided = _decide(personas, child_case, "conclusive", "positive", today)
    assert (decided.reasonable_grounds, decided.conclusive_grounds) == ("positive", "positive")
    assert decided.conclusive_grounds_on == today
    with pytest.raises(ValidationError) as raised:
        _decide(personas, child_case, "reasonable", "negative", today)
    assert "stage" in raised.value.message_dict  # the conclusive decision rests on it
    assert NrmReferral.objects.get().reasonable_grounds == "positive"


def test_no_conclusive_decision_after_a_negative_one(personas, child_case, referral):
    _decide(personas, child_case, "reasonable", "negative", date.today())
    with pytest.raises(ValidationError) as raised:
        _decide(personas, child_case, "conclusive", "positive", date.today())
    assert "stage" in raised.value.message_dict
    assert NrmReferral.objects.get().conclusive_grounds == NrmDecision.PENDING


@pytest.mark.parametrize(
    "decided_on,field",
    [
        (date.today() + timedelta(days=1), "decided_on"),  # in the future
        (date.today() - timedelta(days=11), "decided_on"),  # before the referral
        ("not a date", "decided_on"),
        (None, "decided_on"),
    ],
)
def test_a_decision_date_must_be_real(personas, child_case, referral, decided_on, field):
    with pytest.raises(ValidationError) as raised:
        _decide(personas, child_case, "reasonable", "positive", decided_on)
    assert field in raised.value.message_dict
    stored = NrmReferral.objects.get()
    assert (stored.reasonable_grounds, stored.reasonable_grounds_on) == (NrmDecision.PENDING, None)


@pytest.mark.parametrize("stage,decision", [("final", "positive"), ("reasonable", "pending"), ("reasonable", "")])
def test_a_decision_is_a_stage_and_an_outcome(personas, child_case, referral, stage, decision):
    with pytest.raises(ValidationError):
        _decide(personas, child_case, stage, decision, date.today())


def test_the_same_decision_twice_changes_nothing(personas, child_case, referral):
    _decide(personas, child_case, "reasonable", "positive", date.today())
    before = AccessEvent.objects.filter(action=AccessAction.UPDATE).count()
    _decide(personas, child_case, "reasonable", "positive", date.today())
    assert AccessEvent.objects.filter(action=AccessAction.UPDATE).count() == before


def test_a_referral_comes_before_its_decisions(personas, child_case):
    with pytest.raises(ValidationError):
        _decide(personas, child_case, "reasonable", "positive", date.today())


# --- NRM: the deadline --------------------------------------------------------------------------


def test_the_reasonable_grounds_decision_is_due_five_working_days_after_submission(monday, personas, child_case):
    case = to_monitoring(personas, child_case)
    case.refresh_from_db()
    assert case.next_due_step == "monitoring review"
    assert case.next_due_at == _end_of(date(2027, 3, 31))  # 20 working days; Good Friday and Easter Monday off

    monday.shift(timedelta(days=1))  # recorded on the Tuesday, submitted on the Monday
    nrm_record(
        actor=personas.mash_birmingham,
        case=writable(personas.mash_birmingham, case),
        first_responder=personas.agencies["birmingham"],
        submitted_on=date(2027, 3, 1),
    )
    case.refresh_from_db()
    assert case.next_due_step == "NRM reasonable-grounds decision"
    assert case.next_due_at == _end_of(date(2027, 3, 8))

    _decide(personas, case, "reasonable", "positive", date(2027, 3, 2))
    case.refresh_from_db()
    # Decided: the monitoring review is next again, still counted from entering monitoring.
    assert case.next_due_step == "monitoring review"
    assert case.next_due_at == _end_of(date(2027, 3, 31))


def test_recording_a_referral_never_pushes_back_a_step_already_due(monday, personas, child_case):
    # Referred on Monday: the MASH decision is due at the end of Tuesday.
    child_case.refresh_from_db()
    assert (child_case.next_due_step, child_case.next_due_at) == ("MASH decision", _end_of(date(2027, 3, 2)))
    monday.shift(timedelta(days=1))
    nrm_record(
        actor=personas.mash_birmingham,
        case=writable(personas.mash_birmingham, child_case),
        first_responder=personas.agencies["birmingham"],
        submitted_on=date(2027, 3, 2),
    )
    child_case.refresh_from_db()
    assert (child_case.next_due_step, child_case.next_due_at) == ("MASH decision", _end_of(date(2027, 3, 2)))


# --- linked investigations ----------------------------------------------------------------------

INVESTIGATION: dict[str, Any] = {
    "crime_reference": "20/123456/27",
    "outcome_22": True,
    "diversion_activity": "Youth diversion programme, twelve weeks",
    "decided_on": date.today(),
    "section_45_considered": True,
}


def test_the_police_link_an_investigation(personas, child_case):
    link = investigation_link(actor=personas.officer, case=writable(personas.officer, child_case), **INVESTIGATION)
    assert (link.crime_reference, link.outcome_22, link.recorded_by) == ("20/123456/27", True, personas.officer)
    event = AccessEvent.objects.filter(action=AccessAction.UPDATE, object_id=str(child_case.pk)).latest("id")
    assert event.actor == personas.officer and "20/123456/27" in event.reason


@pytest.mark.parametrize("persona", ["mash_birmingham", "mash_manager", "panel_member"])
def test_only_the_police_link_investigations(personas, child_case, persona):
    user = getattr(personas, persona)
    case = writable(user, child_case)  # they may write the case...
    with pytest.raises(PermissionDenied):  # ...but an investigation is the police's
        investigation_link(actor=user, case=case, **INVESTIGATION)
    assert not LinkedInvestigation.objects.exists()
    refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
    assert refusal.actor == user and refusal.object_id == str(child_case.pk)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"diversion_activity": ""}, "diversion_activity"),  # Outcome 22 without the activity
        ({"decided_on": None}, "decided_on"),
        ({"decided_on": date.today() + timedelta(days=1)}, "decided_on"),
        ({"crime_reference": ""}, "crime_reference"),
        ({"crime_reference": "20/1 OR 1=1"}, "crime_reference"),
        ({"crime_reference": "X" * 41}, "crime_reference"),
    ],
)
def test_a_bad_link_names_the_field(personas, child_case, change, field):
    with pytest.raises(ValidationError) as raised:
        investigation_link(
            actor=personas.officer, case=writable(personas.officer, child_case), **{**INVESTIGATION, **change}
        )
    assert field in raised.value.message_dict
    assert not LinkedInvestigation.objects.exists()


def test_an_investigation_is_linked_once(personas, child_case):
    case = writable(personas.officer, child_case)
    investigation_link(actor=personas.officer, case=case, **INVESTIGATION)
    with pytest.raises(ValidationError) as raised:
        investigation_link(actor=personas.officer, case=case, **{**INVESTIGATION, "crime_reference": "20/123456/27 "})
    assert "crime_reference" in raised.value.message_dict
    assert LinkedInvestigation.objects.count() == 1


def test_no_outcome_22_needs_no_activity(personas, child_case):
    link = investigation_link(
        actor=personas.supervisor,
        case=writable(personas.supervisor, child_case),
        crime_reference="20/999/27",
        outcome_22=False,
        diversion_activity="",
        decided_on=None,
        section_45_considered=True,
    )
    assert not link.outcome_22 and link.decided_on is None


# --- the pages ----------------------------------------------------------------------------------


def test_a_writer_records_a_referral_and_a_decision_on_the_page(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    url = reverse("safeguarding:case_nrm", args=[child_case.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Record the referral" in page.content
    assert b"adult_basis" not in page.content  # a child's referral asks for no basis
    response = client.post(
        url, {"first_responder": personas.agencies["birmingham"].pk, "submitted_on": date.today().isoformat()}
    )
    assert response.status_code == 302
    response = client.post(url, {"stage": "reasonable", "decision": "positive", "decided_on": date.today().isoformat()})
    assert response.status_code == 302
    assert NrmReferral.objects.get().reasonable_grounds == "positive"


def test_a_refused_decision_shows_on_the_form_and_changes_nothing(client, personas, child_case, referral):
    client.force_login(personas.mash_birmingham)
    url = reverse("safeguarding:case_nrm", args=[child_case.pk])
    response = client.post(url, {"stage": "conclusive", "decision": "positive", "decided_on": date.today().isoformat()})
    assert response.status_code == 400
    assert "follows a positive reasonable grounds decision" in response.content.decode()
    assert NrmReferral.objects.get().conclusive_grounds == NrmDecision.PENDING


def test_the_nrm_page_refuses_readers_and_outsiders(client, personas, child_case):
    url = reverse("safeguarding:case_nrm", args=[child_case.pk])
    form = {"first_responder": personas.agencies["birmingham"].pk, "submitted_on": date.today().isoformat()}
    client.force_login(personas.partner_health)  # reads the case
    assert client.get(url).status_code == 403
    assert client.post(url, form).status_code == 403
    client.force_login(personas.mash_coventry)  # does not
    for response in (client.get(url), client.post(url, form)):
        assert response.status_code == 404
        assert b"Harbottle" not in response.content and child_case.reference.encode() not in response.content
    assert not NrmReferral.objects.exists()


def test_the_police_link_an_investigation_on_the_page(client, personas, child_case):
    client.force_login(personas.officer)
    url = reverse("safeguarding:case_investigations", args=[child_case.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "crime_reference": "20/555/27",
            "outcome_22": "on",
            "diversion_activity": "Mentoring",
            "decided_on": date.today().isoformat(),
            "section_45_considered": "on",
        },
    )
    assert response.status_code == 302
    assert "<td>20/555/27</td>" in client.get(url).content.decode()
    bad = client.post(url, {"crime_reference": "20/556/27", "outcome_22": "on"})
    assert bad.status_code == 400 and "needs the diversionary activity" in bad.content.decode()
    assert LinkedInvestigation.objects.count() == 1


def test_partners_never_reach_the_investigations_page(client, personas, child_case):
    investigation_link(actor=personas.officer, case=writable(personas.officer, child_case), **INVESTIGATION)
    url = reverse("safeguarding:case_investigations", args=[child_case.pk])
    form = {**INVESTIGATION, "crime_reference": "20/777/27", "decided_on": date.today().isoformat()}
    for persona, status in (
        ("mash_birmingham", 403),
        ("panel_member", 403),
        ("partner_health", 403),
        ("mash_coventry", 404),
    ):
        client.force_login(getattr(personas, persona))
        for response in (client.get(url), client.post(url, form)):
            assert response.status_code == status, persona
            body = response.content.decode()
            assert "20/123456/27" not in body and "Harbottle" not in body, persona
    assert list(LinkedInvestigation.objects.values_list("crime_reference", flat=True)) == ["20/123456/27"]
