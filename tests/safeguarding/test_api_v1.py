"""The pathway API, /api/v1/cases/: what local authorities' own case systems read and do.

One test per rule: the list and each of its filters (and a 400 for every bad value), the detail
with its history, a whole pathway taken through the API, and each refusal (409 naming the
state, 403, 404 with nothing in the body, 400 field by field) changing nothing. State is built
through the real services (`case_create`, `case_transition`, `case_share`).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.access import Access
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import Case, CaseKind, CaseTransition, Screening
from safeguarding.pathway import case_transition
from safeguarding.screening import INDICATORS
from safeguarding.services import case_create, case_share

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cases/"
# missing episodes (3) + unexplained money (2) = 5: medium, so a contextual meeting and a panel.
MEDIUM = {indicator.code: indicator.code in {"missing_episodes", "unexplained_money"} for indicator in INDICATORS}
ITEM_FIELDS = {
    "id",
    "reference",
    "kind",
    "nominal_id",
    "local_authority",
    "state",
    "risk_level",
    "next_due_at",
    "next_due_step",
    "overdue",
    "forenames",
    "surname",
    "date_of_birth",
    "concern",
    "summary",
}
POLICE_ONLY = {"runs", "hub", "needs_triage", "recorded_local_authority"}
RECORD_ROLES = ("SUSPECT", "OFFENDER", "ARRESTED", "CHARGED", "VICTIM", "SUBJECT")


def detail_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/"


def transitions_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/transitions/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def step(user, case, to: str, **fields):
    return api(user).post(transitions_url(case), {"to": to, **fields}, format="json")


def snapshot(case) -> tuple:
    """What a refused step must leave as it was."""
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.state, fresh.risk_level, CaseTransition.objects.filter(case=case).count(), fresh.updated_at)


def meeting_fields(**extra) -> dict:
    return {"held_on": timezone.localdate().isoformat(), "attendees": ["wmp", "birmingham", "health"], **extra}


def coventry_case(personas, **extra):
    """A Coventry child referred to Coventry's MASH by the supervisor."""
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Ava",
        surname="Quinlan",
        local_authority=personas.agencies["coventry"],
        **extra,
    )
    return case_transition(actor=personas.supervisor, case_id=case.pk, to="referred", data={"concern": "At risk."})


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_the_callers_cases_with_the_pathway_fields(personas, child_case):
    response = api(personas.mash_birmingham).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and {"next", "previous", "results"} <= set(body)
    item = body["results"][0]
    assert ITEM_FIELDS <= set(item)
    assert item["id"] == child_case.pk and item["reference"] == child_case.reference
    assert item["kind"] == "child" and item["kind_label"] == "Child at risk of exploitation"
    assert item["local_authority"] == "Birmingham City Council"  # the agency's name, not its code
    assert item["state"] == "referred" and item["risk_level"] is None
    assert item["next_due_step"] == "MASH decision" and item["next_due_at"] and item["overdue"] is False
    assert item["concern"].startswith("Reece is a child at risk")


def test_a_list_is_recorded_with_the_ids_it_shows(personas, child_case):
    other = coventry_case(personas)
    response = api(personas.supervisor).get(LIST, {"state": "referred"})
    assert response.status_code == 200
    event = AccessEvent.objects.filter(action=AccessAction.LIST, actor=personas.supervisor).latest("id")
    shown = [row["id"] for row in response.json()["results"]]
    assert sorted(shown) == sorted([child_case.pk, other.pk])
    assert event.detail["ids"] == [str(pk) for pk in shown] and event.result_count == 2
    assert "state=referred" in event.path and event.via == "api"


def test_another_authoritys_mash_lists_none_of_birminghams_cases(personas, child_case):
    other = coventry_case(personas)
    body = api(personas.mash_coventry).get(LIST).content.decode()
    assert other.reference in body and child_case.reference not in body and "Harbottle" not in body


def test_filter_by_state(personas, child_case):
    other = coventry_case(personas)
    case_transition(actor=personas.mash_birmingham, case_id=child_case.pk, to="screening")
    police = api(personas.supervisor)
    assert [r["id"] for r in police.get(LIST, {"state": "screening"}).json()["results"]] == [child_case.pk]
    assert [r["id"] for r in police.get(LIST, {"state": "referred"}).json()["results"]] == [other.pk]
    assert police.get(LIST, {"state": "closed"}).json()["count"] == 0


def test_filter_by_local_authority_code(personas, child_case):
    other = coventry_case(personas)
    police = api(personas.supervisor)
    assert [r["id"] for r in police.get(LIST, {"local_authority": "coventry"}).json()["results"]] == [other.pk]
    assert [r["id"] for r in police.get(LIST, {"local_authority": "birmingham"}).json()["results"]] == [child_case.pk]
    assert police.get(LIST, {"local_authority": "dudley"}).json()["count"] == 0


def test_filter_by_overdue(personas, child_case):
    # Referred forty days ago: the MASH decision (one working day) is long past due.
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=False):
        late = coventry_case(personas)
    police = api(personas.supervisor)
    overdue = police.get(LIST, {"overdue": "true"}).json()["results"]
    assert [r["id"] for r in overdue] == [late.pk] and overdue[0]["overdue"] is True
    on_time = police.get(LIST, {"overdue": "false"}).json()["results"]
    assert [r["id"] for r in on_time] == [child_case.pk] and on_time[0]["overdue"] is False


def test_filter_by_the_run_that_identified_the_person(personas, completed_run, child_case):
    found = Case.objects.filter(run_links__run=completed_run)
    assert found.exists(), "the run's signal opens a case for each child it identifies"
    response = api(personas.supervisor).get(LIST, {"run": completed_run.pk})
    rows = response.json()["results"]
    assert sorted(r["id"] for r in rows) == sorted(found.values_list("pk", flat=True))
    assert child_case.pk not in [r["id"] for r in rows], "opened by hand: no run found it"
    assert all(r["runs"] == [completed_run.pk] for r in rows)
    assert api(personas.supervisor).get(LIST, {"run": completed_run.pk + 1000}).json()["count"] == 0


def test_filters_combine_with_the_name_search(personas, child_case):
    coventry_case(personas)
    police = api(personas.supervisor)
    assert police.get(LIST, {"q": "Harb", "local_authority": "birmingham"}).json()["count"] == 1
    assert police.get(LIST, {"q": "Harb", "local_authority": "coventry"}).json()["count"] == 0
    event = AccessEvent.objects.filter(actor=personas.supervisor).latest("id")
    assert event.action == AccessAction.SEARCH and event.query == "Harb"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"state": "bogus"}, "state"),
        ({"state": ""}, "state"),
        ({"run": "abc"}, "run"),
        ({"run": "0"}, "run"),
        ({"run": "1.5"}, "run"),
        ({"run": "9" * 30}, "run"),  # beyond the database's integers: a 400, not an overflow
        ({"overdue": "maybe"}, "overdue"),
        ({"overdue": "1"}, "overdue"),
        ({"local_authority": "atlantis"}, "local_authority"),
        ({"local_authority": "health"}, "local_authority"),  # an agency, but not a local authority
        ({"stat": "referred"}, "stat"),  # a mistyped filter is not silently dropped
        ({"state": "referred\x00"}, None),  # cleaned like any query: a NUL is removed, not a 500
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(personas, child_case, params, field):
    response = api(personas.supervisor).get(LIST, params)
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    assert field in response.json() and response.json()[field]


def test_an_id_beyond_the_databases_integers_is_a_404_not_a_500(personas, child_case):
    client = api(personas.supervisor)
    huge = "9" * 30
    assert client.get(f"/api/v1/cases/{huge}/").status_code == 404
    assert client.post(f"/api/v1/cases/{huge}/transitions/", {"to": "screening"}, format="json").status_code == 404


def test_a_filter_given_twice_is_a_400(personas, child_case):
    response = api(personas.supervisor).get(LIST + "?state=referred&state=screening")
    assert response.status_code == 400 and "state" in response.json()


def test_the_run_filter_is_for_the_police(personas, completed_run, child_case):
    response = api(personas.mash_birmingham).get(LIST, {"run": completed_run.pk})
    assert response.status_code == 400 and "run" in response.json()


def test_roles_without_cases_get_404_for_the_list(personas):
    for persona in (personas.auditor, personas.spoc, personas.provider_spoc, personas.administrator):
        assert api(persona).get(LIST).status_code == 404


# --- the detail -----------------------------------------------------------------------------


def test_the_detail_has_the_history_and_the_next_states(personas, child_case):
    response = api(personas.supervisor).get(detail_url(child_case))
    assert response.status_code == 200
    body = response.json()
    assert ITEM_FIELDS <= set(body)
    opened, referred = body["transitions"]
    assert opened == {
        "from": None,
        "to": "identified",
        "actor": "analyst",
        "at": opened["at"],
        "reason": "opened by hand",
    }
    assert referred == {
        "from": "identified",
        "to": "referred",
        "actor": "officer.birmingham",
        "at": referred["at"],
        "reason": "Reece is a child at risk of criminal exploitation by a county line.",
    }
    assert opened["at"] <= referred["at"]
    assert body["allowed_transitions"] == ["screening", "no_further_action"]
    event = AccessEvent.objects.filter(actor=personas.supervisor).latest("id")
    assert (event.action, event.object_id) == (AccessAction.VIEW, str(child_case.pk))


def test_allowed_transitions_do_not_depend_on_the_callers_role(personas, child_case):
    """The states the case may go to from where it is; whether *you* may take them is the
    transition's answer (403)."""
    for persona in (personas.partner_health, personas.officer, personas.mash_manager):
        assert api(persona).get(detail_url(child_case)).json()["allowed_transitions"] == [
            "screening",
            "no_further_action",
        ]


def test_another_authority_gets_404_with_nothing_of_the_case(personas, child_case):
    client = api(personas.mash_coventry)
    unshared = client.get(detail_url(child_case))
    missing = client.get(f"/api/v1/cases/{child_case.pk + 999}/")
    assert unshared.status_code == missing.status_code == 404
    assert unshared.content == missing.content
    assert "Harbottle" not in unshared.content.decode()


# --- the pathway through the API ------------------------------------------------------------


def test_a_whole_pathway_from_referred_to_monitoring(personas, child_case):
    screened = step(personas.mash_birmingham, child_case, "screening")
    assert screened.status_code == 200, screened.content
    assert screened.json()["state"] == "screening"
    assert screened.json()["allowed_transitions"] == ["strategy_discussion", "contextual_meeting"]

    rated = step(personas.mash_birmingham, child_case, "contextual_meeting", answers=MEDIUM)
    assert rated.status_code == 200, rated.content
    assert (rated.json()["state"], rated.json()["risk_level"]) == ("contextual_meeting", "medium")
    assert Screening.objects.get(case=child_case).score == 5

    met = step(personas.panel_member, child_case, "disruption_panel", **meeting_fields(minutes="Met at school."))
    assert met.status_code == 200, met.content
    assert met.json()["state"] == "disruption_panel" and met.json()["next_due_step"] == "disruption panel"

    review_on = (timezone.localdate() + timedelta(days=28)).isoformat()
    tactics = [{"kind": "child-abduction-warning-notice", "owner_agency": "wmp", "review_on": review_on}]
    panel = step(personas.panel_member, child_case, "monitoring", tactics=tactics, **meeting_fields())
    assert panel.status_code == 200, panel.content
    body = panel.json()
    assert body["state"] == "monitoring" and body["next_due_step"] == "monitoring review"
    assert [(t["from"], t["to"], t["actor"]) for t in body["transitions"]] == [
        (None, "identified", "analyst"),
        ("identified", "referred", "officer.birmingham"),
        ("referred", "screening", "mash.birmingham"),
        ("screening", "contextual_meeting", "mash.birmingham"),
        ("contextual_meeting", "disruption_panel", "panel"),
        ("disruption_panel", "monitoring", "panel"),
    ]
    assert body["allowed_transitions"] == ["screening", "closed"]
    assert Case.objects.get(pk=child_case.pk).state == "monitoring"
    assert AccessEvent.objects.filter(action=AccessAction.TRANSITION, object_id=str(child_case.pk)).count() == 5


def test_the_change_log_names_the_api_user(personas, child_case):
    from auditlog.models import LogEntry

    assert step(personas.mash_birmingham, child_case, "screening").status_code == 200
    entry = LogEntry.objects.get_for_object(child_case).latest("timestamp")
    assert entry.actor == personas.mash_birmingham


def test_a_step_from_the_wrong_state_is_409_naming_the_current_state(personas, child_case):
    before = snapshot(child_case)
    response = step(personas.mash_birmingham, child_case, "contextual_meeting", answers=MEDIUM)
    assert response.status_code == 409
    assert "referred" in response.json()["detail"]
    assert snapshot(child_case) == before and not Screening.objects.exists()


def test_a_reader_who_may_not_take_the_step_gets_403(personas, child_case):
    for persona in (personas.partner_health, personas.officer):  # read-only agency; police, not the MASH
        before = snapshot(child_case)
        response = step(persona, child_case, "screening")
        assert response.status_code == 403, persona
        assert "Harbottle" not in response.content.decode()
        assert snapshot(child_case) == before
        assert AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=persona).exists()


def test_another_authoritys_mash_gets_404_for_a_step(personas, child_case):
    before = snapshot(child_case)
    response = step(personas.mash_coventry, child_case, "screening")
    missing = api(personas.mash_coventry).post(
        f"/api/v1/cases/{child_case.pk + 999}/transitions/", {"to": "screening"}, format="json"
    )
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content and "Harbottle" not in response.content.decode()
    assert snapshot(child_case) == before


def test_bad_step_fields_are_a_400_field_by_field_and_change_nothing(personas, child_case):
    case_transition(actor=personas.mash_birmingham, case_id=child_case.pk, to="screening")
    before = snapshot(child_case)
    unanswered = {code: value for code, value in MEDIUM.items() if code != "injuries"}
    response = step(personas.mash_birmingham, child_case, "contextual_meeting", answers=unanswered)
    assert response.status_code == 400
    assert "Unanswered" in " ".join(response.json()["answers"])
    not_boolean = step(personas.mash_birmingham, child_case, "contextual_meeting", answers={**MEDIUM, "injuries": "no"})
    assert not_boolean.status_code == 400 and "answers" in not_boolean.json()
    wrong_route = step(personas.mash_manager, child_case, "strategy_discussion", answers=MEDIUM)
    assert wrong_route.status_code == 400 and "medium rating" in " ".join(wrong_route.json()["to"])
    assert snapshot(child_case) == before and not Screening.objects.exists()


def test_a_meeting_without_its_fields_is_a_400(personas, child_case):
    case_transition(actor=personas.mash_birmingham, case_id=child_case.pk, to="screening")
    case_transition(
        actor=personas.mash_birmingham, case_id=child_case.pk, to="contextual_meeting", data={"answers": MEDIUM}
    )
    before = snapshot(child_case)
    response = step(personas.panel_member, child_case, "disruption_panel", held_on="yesterday", attendees=["wmp"])
    assert response.status_code == 400 and "held_on" in response.json()
    future = step(
        personas.panel_member, child_case, "disruption_panel", **meeting_fields(held_on=date(2099, 1, 1).isoformat())
    )
    assert future.status_code == 400 and "held_on" in future.json()
    nobody = step(personas.panel_member, child_case, "disruption_panel", **meeting_fields(attendees=["nowhere"]))
    assert nobody.status_code == 400 and "nowhere" in " ".join(nobody.json()["attendees"])
    assert snapshot(child_case) == before


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "to"),
        ({"reason": "no target"}, "to"),
        ({"to": ""}, "to"),
        ({"to": {"state": "screening"}}, "to"),
        ({"to": "bogus"}, "to"),
        (["screening"], "detail"),
    ],
)
def test_a_body_without_a_good_to_is_a_400(personas, child_case, body, field):
    before = snapshot(child_case)
    response = api(personas.mash_birmingham).post(transitions_url(child_case), body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert snapshot(child_case) == before


# --- what a partner sees ---------------------------------------------------------------------


def test_a_partner_sees_the_safeguarding_fields_only(personas, completed_run):
    case = Case.objects.get(nominal_id="N-TEST-1")
    case_transition(actor=personas.officer, case_id=case.pk, to="referred", data={"concern": "At risk of a line."})
    case_share(actor=personas.mash_manager, case=case, agency=personas.agencies["health"], level=Access.READ)

    police = api(personas.supervisor).get(detail_url(case)).json()
    assert police["runs"] == [completed_run.pk] and police["hub"] == "birmingham-hub"
    assert police["transitions"][0]["actor"] == f"analysis run {completed_run.pk}"

    for persona in (personas.partner_health, personas.mash_birmingham):
        client = api(persona)
        listed = client.get(LIST)
        detail = client.get(detail_url(case))
        assert listed.status_code == detail.status_code == 200
        item = next(row for row in listed.json()["results"] if row["id"] == case.pk)
        body = detail.json()
        assert ITEM_FIELDS <= set(item) and not POLICE_ONLY & set(item) and not POLICE_ONLY & set(body)
        assert item["nominal_id"] == "N-TEST-1", "an opaque id, nothing else of the police record"
        assert body["kind_label"] == "Child at risk of exploitation"
        assert body["transitions"][0]["actor"] == "West Midlands safeguarding portal"
        for text in (listed.content.decode(), detail.content.decode()):
            for word in (*RECORD_ROLES, "R-TEST", "analysis run", "Vance", "Okafor"):
                assert word.lower() not in text.lower(), (persona, word)


def test_a_partner_reads_no_reason_the_police_wrote_but_reads_the_partners(personas, child_case):
    """The concern is the police text partners read; the reasons for police steps (why a case
    was closed at the police review, what re-opened it) stay with the police."""
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Mo",
        surname="Pell",
        local_authority=personas.agencies["birmingham"],
    )
    closing = "Intelligence shows the link was his cousin's phone."
    case_transition(actor=personas.officer, case_id=case.pk, to="closed", data={"reason": closing})
    # Re-opening a case closed at the review refers it (and shares it with Birmingham).
    case_transition(actor=personas.officer, case_id=case.pk, to="referred", data={"reason": "Seen with the runner."})
    assert closing in api(personas.supervisor).get(detail_url(case)).content.decode()
    partner = api(personas.mash_birmingham).get(detail_url(case))
    assert partner.status_code == 200 and closing not in partner.content.decode()
    history = partner.json()["transitions"]
    assert [(t["to"], t["actor"], t["reason"]) for t in history] == [
        ("identified", "analyst", None),
        ("closed", "officer.birmingham", None),
        ("referred", "officer.birmingham", None),
    ]

    decided = step(personas.mash_birmingham, child_case, "no_further_action", reason="Open to social care already.")
    assert decided.status_code == 200, decided.content
    history = api(personas.partner_health).get(detail_url(child_case)).json()["transitions"]
    assert history[-1]["reason"] == "Open to social care already."  # a partner's words, for partners
    assert history[1]["reason"] is None  # the police review's: the concern field carries it
    assert api(personas.partner_health).get(detail_url(child_case)).json()["concern"].startswith("Reece is a child")


# --- authentication and the old paths ------------------------------------------------------------


def test_a_token_works_on_v1_for_reading_and_for_a_step(personas, child_case, settings):
    from portal.accounts.services import api_token_create

    settings.OTP_REQUIRED = False
    token = api_token_create(user=personas.mash_birmingham)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(LIST).json()["count"] == 1
    moved = client.post(transitions_url(child_case), {"to": "screening"}, format="json")
    assert moved.status_code == 200, moved.content
    assert CaseTransition.objects.filter(case=child_case).latest("id").actor == personas.mash_birmingham
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(LIST).status_code in (401, 403)


def test_anonymous_callers_get_nothing(child_case):
    for response in (APIClient().get(LIST), APIClient().post(transitions_url(child_case), {"to": "screening"})):
        assert response.status_code in (401, 403) and "Harbottle" not in response.content.decode()
    assert Case.objects.get(pk=child_case.pk).state == "referred"


def test_the_url_names_point_at_v1(child_case):
    assert reverse("case-list") == LIST
    assert reverse("case-detail", args=[child_case.pk]) == detail_url(child_case)
    assert reverse("case-transitions", args=[child_case.pk]) == transitions_url(child_case)


def test_the_old_paths_still_answer(personas, child_case):
    client = api(personas.mash_birmingham)
    listed = client.get("/api/cases/")
    assert listed.status_code == 200 and listed.json()["results"][0]["reference"] == child_case.reference
    assert client.get(f"/api/cases/{child_case.pk}/").json()["id"] == child_case.pk
    changed = client.patch(f"/api/cases/{child_case.pk}/", {"summary": "Changed on the old path."}, format="json")
    assert changed.status_code == 200 and changed.json()["summary"] == "Changed on the old path."
    assert Case.objects.get(pk=child_case.pk).summary == "Changed on the old path."
    # Pathway steps are v1's alone.
    assert (
        client.post(f"/api/cases/{child_case.pk}/transitions/", {"to": "screening"}, format="json").status_code == 404
    )
    assert Case.objects.get(pk=child_case.pk).state == "referred"


def test_the_summary_changes_on_v1_too(personas, child_case):
    changed = api(personas.mash_birmingham).patch(detail_url(child_case), {"summary": "Seen at school."}, format="json")
    assert changed.status_code == 200 and changed.json()["summary"] == "Seen at school."
    assert "transitions" in changed.json()
    read_only = api(personas.partner_health).patch(detail_url(child_case), {"summary": "x"}, format="json")
    assert read_only.status_code == 403
    assert Case.objects.get(pk=child_case.pk).summary == "Seen at school."


def test_the_schema_documents_the_pathway_endpoints(personas, child_case):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/cases/{id}/transitions/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    listing = schema["paths"]["/api/v1/cases/"]["get"]
    assert {"state", "local_authority", "overdue", "run", "page"} <= {p["name"] for p in listing["parameters"]}
    assert schema["paths"]["/api/cases/"]["get"].get("deprecated") is True
    # The police-only fields are documented, and optional: a partner's answer fits the schema.
    for name in ("Case", "CaseDetail"):
        component = schema["components"]["schemas"][name]
        assert POLICE_ONLY <= set(component["properties"]) and not POLICE_ONLY & set(component["required"])
    partner = api(personas.partner_health).get(detail_url(child_case)).json()
    assert set(schema["components"]["schemas"]["CaseDetail"]["required"]) <= set(partner)
