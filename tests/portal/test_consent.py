"""A vulnerable adult's case reaches a partner only with recorded consent that names the
partner; every refusal, record and withdrawal is in the trail."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.access import Access, objects_for_user, shares_of
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import Case, CaseKind
from safeguarding.services import case_create, case_record_consent, case_share, case_withdraw_consent

pytestmark = pytest.mark.django_db
# What the sharing page asks with every share: a disclosure's purpose.
SHARE_WHY = {"purpose": "partner-request", "justification": "Asked for by the MASH for the strategy meeting."}


@pytest.fixture
def adult_case(personas):
    return case_create(
        actor=personas.analyst,
        kind=CaseKind.VULNERABLE_ADULT,
        forenames="Maureen",
        surname="Doyle",
        date_of_birth=date(1961, 1, 30),
        local_authority=personas.agencies["birmingham"],
    )


def _consent(personas, case, *agencies):
    return case_record_consent(
        actor=personas.supervisor,
        case=case,
        given_by="person",
        given_by_name="Maureen Doyle",
        method="written",
        given_on=date(2026, 11, 2),
        agencies=[personas.agencies[code] for code in agencies],
        scope="Details of the cuckooing and her support needs, to arrange support.",
    )


def test_sharing_before_consent_is_refused_and_recorded(personas, adult_case):
    with pytest.raises(ValidationError, match="not consented"):
        case_share(actor=personas.supervisor, case=adult_case, agency=personas.agencies["birmingham"], level=Access.READ)
    refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED, object_id=str(adult_case.pk)).get()
    assert refusal.actor == personas.supervisor and "not consented" in refusal.reason
    assert not objects_for_user(personas.mash_birmingham, Case.objects.all()).exists()


def test_consent_allows_only_the_agencies_it_names(personas, adult_case):
    _consent(personas, adult_case, "birmingham")
    case_share(actor=personas.supervisor, case=adult_case, agency=personas.agencies["birmingham"], level=Access.WRITE)
    assert objects_for_user(personas.mash_birmingham, Case.objects.all()).get() == adult_case
    with pytest.raises(ValidationError, match="does not cover Community Health Trust"):
        case_share(actor=personas.supervisor, case=adult_case, agency=personas.agencies["health"], level=Access.READ)
    assert not objects_for_user(personas.partner_health, Case.objects.all()).exists()
    event = AccessEvent.objects.filter(action=AccessAction.CONSENT).get()
    assert event.detail["agencies"] == ["birmingham"] and event.actor == personas.supervisor


def test_a_person_in_an_agency_outside_the_consent_cannot_be_given_access(personas, adult_case):
    _consent(personas, adult_case, "birmingham")
    with pytest.raises(ValidationError, match="does not cover"):
        case_share(actor=personas.supervisor, case=adult_case, user=personas.partner_health, level=Access.READ)


def test_withdrawing_consent_removes_partner_access_and_keeps_the_police(personas, adult_case):
    _consent(personas, adult_case, "birmingham", "health")
    for code in ("birmingham", "health"):
        case_share(actor=personas.supervisor, case=adult_case, agency=personas.agencies[code], level=Access.READ)
    removed = case_withdraw_consent(actor=personas.supervisor, case=adult_case, note="Withdrew by phone")
    assert removed == 2
    assert [row["agency"].code for row in shares_of(adult_case)] == ["wmp"]
    adult_case.refresh_from_db()
    assert adult_case.consent_recorded_at is None
    with pytest.raises(ValidationError, match="not consented"):
        case_share(actor=personas.supervisor, case=adult_case, agency=personas.agencies["health"], level=Access.READ)


def test_consent_cannot_be_dated_in_the_future_or_name_no_agency(personas, adult_case):
    with pytest.raises(ValidationError, match="future"):
        case_record_consent(
            actor=personas.supervisor,
            case=adult_case,
            given_by="person",
            given_by_name="Maureen Doyle",
            method="verbal",
            given_on=date(2099, 1, 1),
            agencies=[personas.agencies["birmingham"]],
            scope="All",
        )
    with pytest.raises(ValidationError, match="at least one agency"):
        _consent(personas, adult_case)
    assert not adult_case.consents.exists()


def test_consent_page_records_consent_then_the_case_can_be_shared(client, personas, adult_case):
    client.force_login(personas.supervisor)
    url = reverse("safeguarding:case_consent", args=[adult_case.pk])
    assert "No consent in force" in client.get(url).content.decode()
    bad = client.post(url, {"action": "record", "given_by": "person", "method": "written", "scope": "x"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    assert not adult_case.consents.exists()
    response = client.post(
        url,
        {
            "action": "record",
            "given_by": "advocate",
            "given_by_name": "Sam Advocate",
            "method": "written",
            "given_on": "2026-11-20",
            "agencies": [personas.agencies["birmingham"].pk],
            "scope": "Support with housing.",
        },
    )
    assert response.status_code == 302
    share = client.post(
        reverse("safeguarding:case_sharing", args=[adult_case.pk]),
        {**SHARE_WHY, "agency": personas.agencies["birmingham"].pk, "level": "read"},
    )
    assert share.status_code == 302
    assert objects_for_user(personas.mash_birmingham, Case.objects.all()).get() == adult_case


def test_consent_page_needs_write_access(client, personas, adult_case):
    client.force_login(personas.mash_coventry)
    response = client.get(reverse("safeguarding:case_consent", args=[adult_case.pk]))
    assert response.status_code == 404 and "Doyle" not in response.content.decode()
