"""Purpose first: a record the user may read but whose work does not explain it asks why before
anything of it is shown; the purpose goes on the trail with an alert; and an audit entry that
cannot be written means no data at all (fail closed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AccessAction, AccessEvent, Alert, AlertKind
from portal.audit.relationships import explain_access
from safeguarding.models import CaseKind
from safeguarding.services import case_create

pytestmark = pytest.mark.django_db
CASE = "safeguarding.case"


@pytest.fixture
def unrelated_case(personas):
    """A Birmingham child's case opened by the Birmingham MASH: the force's analyst can read it
    (the police read every case) but no work of theirs explains opening it."""
    from portal.access import Access, access_grant

    case = case_create(
        actor=personas.mash_birmingham,
        kind=CaseKind.CHILD,
        forenames="Tia",
        surname="Marlowe",
        local_authority=personas.agencies["birmingham"],
        summary="Went missing twice this month.",
    )
    access_grant(actor=personas.mash_manager, target=case, level=Access.READ, agency=personas.agencies["wmp"])
    return case


def give(client, case, purpose="safeguarding-concern", justification="A new concern raised by a neighbour today."):
    return client.post(
        reverse("audit:purpose_give"),
        {
            "subject_type": CASE,
            "subject_id": str(case.pk),
            "next": reverse("safeguarding:case_detail", args=[case.pk]),
            "purpose": purpose,
            "justification": justification,
        },
    )


def test_the_explanations_are_looked_for_in_order_and_named(personas, unrelated_case, child_case):
    assert explain_access(personas.mash_birmingham, CASE, str(unrelated_case.pk)).found == "case_team"
    assert explain_access(personas.officer, CASE, str(child_case.pk)).found == "case_team"  # the hub's
    assert explain_access(personas.partner_health, CASE, str(child_case.pk)).found == "case_shared"
    nothing = explain_access(personas.analyst, CASE, str(unrelated_case.pk))
    assert not nothing and nothing.looked_for == ("case_team", "case_work", "case_shared", "case_run")


def test_the_purpose_comes_before_any_of_the_record(client, personas, unrelated_case):
    client.force_login(personas.analyst)
    before = AccessEvent.objects.filter(action=AccessAction.VIEW).count()
    response = client.get(reverse("safeguarding:case_detail", args=[unrelated_case.pk]))
    body = response.content.decode()
    assert response.status_code == 403 and "Why are you opening this record?" in body
    assert "Marlowe" not in body and "Went missing" not in body
    assert "held by the user&#x27;s team" in body  # what was looked for
    assert AccessEvent.objects.filter(action=AccessAction.VIEW).count() == before
    # The API says why, and shows nothing either.
    api = client.get(reverse("case-detail", args=[unrelated_case.pk]))
    assert api.status_code == 403 and "purpose" in api.json()["detail"] and "Marlowe" not in api.content.decode()


def test_a_given_purpose_is_recorded_with_an_alert_and_opens_the_record(client, personas, unrelated_case):
    client.force_login(personas.analyst)
    response = give(client, unrelated_case)
    assert response.status_code == 302 and response["Location"] == reverse("safeguarding:case_detail", args=[unrelated_case.pk])
    event = AccessEvent.objects.filter(actor=personas.analyst, detail__break_glass=True).get()
    assert (event.object_type, event.object_id, event.purpose) == (CASE, str(unrelated_case.pk), "safeguarding-concern")
    assert event.reason == "A new concern raised by a neighbour today."
    alert = Alert.objects.get(kind=AlertKind.BREAK_GLASS)
    assert alert.actor == personas.analyst and alert.event == event and alert.subject_id == str(unrelated_case.pk)
    assert "case_team" not in alert.detail["looked_for"][0] and alert.detail["looked_for"]  # said in words
    page = client.get(reverse("safeguarding:case_detail", args=[unrelated_case.pk]))
    assert page.status_code == 200 and "Marlowe" in page.content.decode()
    view = AccessEvent.objects.filter(actor=personas.analyst, action=AccessAction.VIEW).latest("id")
    assert view.reason == "break-glass: safeguarding-concern"


def test_a_purpose_covers_the_record_for_hours_not_forever(client, personas, unrelated_case):
    client.force_login(personas.analyst)
    give(client, unrelated_case)
    url = reverse("safeguarding:case_detail", args=[unrelated_case.pk])
    with time_machine.travel(timezone.now() + timedelta(hours=7, minutes=50)):
        client.force_login(personas.analyst)  # a new session: the old one expired while idle
        assert client.get(url).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=8, minutes=10)):
        client.force_login(personas.analyst)
        assert client.get(url).status_code == 403


def test_a_work_relationship_needs_no_purpose(client, personas, unrelated_case, child_case):
    for persona, case in ((personas.mash_birmingham, unrelated_case), (personas.partner_health, child_case)):
        client.force_login(persona)
        assert client.get(reverse("safeguarding:case_detail", args=[case.pk])).status_code == 200
    assert not Alert.objects.filter(kind=AlertKind.BREAK_GLASS).exists()


def test_a_bad_purpose_is_refused_and_records_nothing(client, personas, unrelated_case):
    client.force_login(personas.analyst)
    for purpose, justification in (("safeguarding-concern", "short"), ("no-such-reason", "A long enough reason."), ("subject-access", "A long enough reason.")):
        response = give(client, unrelated_case, purpose=purpose, justification=justification)
        assert response.status_code == 400
    assert not AccessEvent.objects.filter(detail__break_glass=True).exists() and not Alert.objects.exists()


def test_a_purpose_for_a_record_the_user_may_not_read_is_a_recorded_404(client, personas, unrelated_case):
    client.force_login(personas.mash_coventry)
    response = give(client, unrelated_case)
    assert response.status_code == 404 and "Marlowe" not in response.content.decode()
    refusal = AccessEvent.objects.filter(actor=personas.mash_coventry, action=AccessAction.REFUSED).latest("id")
    assert refusal.object_id == str(unrelated_case.pk) and not Alert.objects.exists()


def test_the_next_page_cannot_send_anyone_off_the_portal(client, personas, unrelated_case):
    client.force_login(personas.analyst)
    response = client.post(
        reverse("audit:purpose_give"),
        {
            "subject_type": CASE,
            "subject_id": str(unrelated_case.pk),
            "next": "https://evil.example/phish",
            "purpose": "safeguarding-concern",
            "justification": "A new concern raised by a neighbour today.",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_the_nominal_and_the_run_profile_ask_too(client, personas, completed_run):
    client.force_login(personas.analyst)  # the supervisor's run
    assert client.get(reverse("analytics:nominal_detail", args=["N-TEST-1"])).status_code == 403
    assert client.get(reverse("analytics:run_nominal", args=[completed_run.pk, "N-TEST-1"])).status_code == 403
    client.force_login(personas.supervisor)  # reviews it
    assert client.get(reverse("analytics:nominal_detail", args=["N-TEST-1"])).status_code == 200


# --- fail closed --------------------------------------------------------------------------------


@pytest.fixture
def audit_store_down():
    """Every insert into the trail fails, as when the audit store is full or unreachable."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_accessevent "
                "FOR EACH ROW EXECUTE FUNCTION test_audit_down()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_accessevent "
                "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_audit_down" + (" ON audit_accessevent" if connection.vendor == "postgresql" else ""))
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION test_audit_down()")


# In autocommit, as in production: a failed audit write must not be swallowed and the data shown.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url_name", ["safeguarding:case_detail", "case-detail", "safeguarding:case_list"])
def test_no_audit_entry_no_data(request, client, personas, url_name):
    child_case = request.getfixturevalue("child_case")
    client.force_login(personas.mash_birmingham)
    client.raise_request_exception = False
    url = reverse(url_name, args=[child_case.pk]) if "detail" in url_name else reverse(url_name)
    assert client.get(url).status_code == 200
    request.getfixturevalue("audit_store_down")
    response = client.get(url)
    assert response.status_code == 500
    assert "Harbottle" not in response.content.decode() and child_case.reference not in response.content.decode()
