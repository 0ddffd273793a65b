"""Sharing a case with an agency or a person: read or write, audited, consent for adults."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.access import Access, access_grant, objects_for_user, shares_of
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import Case, CaseKind
from safeguarding.services import case_create, case_share, case_unshare

pytestmark = pytest.mark.django_db
# What the sharing page asks with every share: a disclosure's purpose.
SHARE_WHY = {"purpose": "partner-request", "justification": "Asked for by the MASH for the strategy meeting."}


def test_sharing_page_grants_read_then_revoke_removes_it(client, personas, child_case):
    coventry = personas.agencies["coventry"]
    client.force_login(personas.mash_manager)
    response = client.post(
        reverse("safeguarding:case_sharing", args=[child_case.pk]),
        {**SHARE_WHY, "agency": coventry.pk, "level": "read"},
    )
    assert response.status_code == 302
    client.force_login(personas.mash_coventry)
    assert client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).status_code == 200
    assert client.get(reverse("safeguarding:case_edit", args=[child_case.pk])).status_code == 403

    client.force_login(personas.mash_manager)
    client.post(reverse("safeguarding:case_unshare", args=[child_case.pk, coventry.pk]), {"level": "read"})
    client.force_login(personas.mash_coventry)
    assert client.get(reverse("safeguarding:case_detail", args=[child_case.pk])).status_code == 404
    actions = set(AccessEvent.objects.filter(object_id=str(child_case.pk)).values_list("action", flat=True))
    assert {AccessAction.GRANT, AccessAction.REVOKE} <= actions


def test_share_with_one_person_only(personas, child_case):
    access_grant(actor=personas.supervisor, target=child_case, level=Access.READ, user=personas.mash_coventry)
    assert objects_for_user(personas.mash_coventry, Case.objects.all()).count() == 1
    assert not objects_for_user(personas.outsider, Case.objects.all()).exists()
    assert any(row["user"] == personas.mash_coventry for row in shares_of(child_case))


def test_only_sharing_roles_may_share(personas, child_case):
    with pytest.raises(PermissionDenied):
        case_share(
            actor=personas.mash_birmingham, case=child_case, agency=personas.agencies["coventry"], level=Access.READ
        )
    with pytest.raises(PermissionDenied):
        case_unshare(
            actor=personas.mash_birmingham, case=child_case, agency=personas.agencies["health"], level=Access.READ
        )


def test_a_practitioner_sees_a_clear_message_when_they_may_not_share(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    response = client.post(
        reverse("safeguarding:case_sharing", args=[child_case.pk]),
        {**SHARE_WHY, "agency": personas.agencies["coventry"].pk, "level": "read"},
    )
    assert response.status_code == 200
    assert "Only an intelligence supervisor or a MASH manager" in response.content.decode()


def test_vulnerable_adult_is_not_shared_with_partners_without_consent(personas):
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.VULNERABLE_ADULT,
        forenames="Maureen",
        surname="Doyle",
        date_of_birth=date(1961, 1, 30),
        local_authority=personas.agencies["sandwell"],
    )
    assert not objects_for_user(personas.mash_birmingham, Case.objects.all()).exists()
    with pytest.raises(ValidationError, match="not consented"):
        case_share(actor=personas.supervisor, case=case, agency=personas.agencies["sandwell"], level=Access.READ)
    assert [row["agency"].code for row in shares_of(case)] == ["wmp"]


def test_bulk_grant_is_one_audited_event_with_every_id(personas):
    cases = [
        case_create(
            actor=personas.analyst,
            kind=CaseKind.CHILD,
            forenames=f"Child{i}",
            surname="Example",
            local_authority=personas.agencies["walsall"],
        )
        for i in range(3)
    ]
    count = access_grant(
        actor=personas.supervisor,
        target=Case.objects.filter(pk__in=[c.pk for c in cases]),
        level=Access.READ,
        agency=personas.agencies["education"],
    )
    assert count == 3
    event = AccessEvent.objects.filter(action=AccessAction.GRANT).latest("id")
    assert sorted(event.detail["ids"]) == sorted(str(c.pk) for c in cases)
    assert objects_for_user(personas.outsider, Case.objects.all()).count() == 3


def test_bad_share_input_is_refused_with_a_message_and_changes_nothing(client, personas, child_case):
    client.force_login(personas.supervisor)
    before = shares_of(child_case)
    response = client.post(
        reverse("safeguarding:case_sharing", args=[child_case.pk]), {**SHARE_WHY, "agency": "999999", "level": "owner"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert shares_of(child_case) == before


def test_case_form_rejects_bad_dates_with_a_message(client, personas):
    client.force_login(personas.analyst)
    response = client.post(
        reverse("safeguarding:case_create"),
        {
            "kind": "child",
            "forenames": "A",
            "surname": "B",
            "date_of_birth": "31/02/2011",
            "local_authority": personas.agencies["dudley"].pk,
        },
    )
    assert response.status_code == 200 and "Enter a valid date" in response.content.decode()
    assert not Case.objects.exists()


def test_a_case_keeps_the_home_postcode_in_one_form_and_refuses_one_that_is_not(client, personas):
    client.force_login(personas.analyst)
    person = {"kind": "child", "forenames": "A", "surname": "B", "local_authority": personas.agencies["dudley"].pk}
    response = client.post(reverse("safeguarding:case_create"), {**person, "home_postcode": "dy1 1aa"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.home_postcode == "DY1 1AA"
    assert "DY1 1AA" in client.get(reverse("safeguarding:case_detail", args=[case.pk])).content.decode()
    for bad in ("DY1", "12345", "DY1 1AA X", "DY1 1A"):
        response = client.post(reverse("safeguarding:case_create"), {**person, "home_postcode": bad})
        assert response.status_code == 200 and "Enter a UK postcode such as B1 1AA" in response.content.decode(), bad
    assert Case.objects.count() == 1


def test_refused_shares_and_revocations_are_recorded(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    client.post(
        reverse("safeguarding:case_sharing", args=[child_case.pk]),
        {**SHARE_WHY, "agency": personas.agencies["coventry"].pk, "level": "read"},
    )
    client.post(
        reverse("safeguarding:case_unshare", args=[child_case.pk, personas.agencies["health"].pk]), {"level": "read"}
    )
    refusals = AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=personas.mash_birmingham)
    assert sorted(refusals.values_list("reason", flat=True)) == ["role may not revoke", "role may not share"]
    assert all(event.object_id == str(child_case.pk) for event in refusals)


def test_revoking_a_missing_agency_is_a_recorded_404(client, personas, child_case):
    client.force_login(personas.supervisor)
    response = client.post(reverse("safeguarding:case_unshare", args=[child_case.pk, 99999]), {"level": "read"})
    assert response.status_code == 404
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, object_id="99999").exists()


def test_opening_a_case_to_change_it_records_a_view(client, personas, child_case):
    client.force_login(personas.mash_birmingham)
    for url in (
        reverse("safeguarding:case_edit", args=[child_case.pk]),
        reverse("safeguarding:case_sharing", args=[child_case.pk]),
    ):
        before = AccessEvent.objects.count()
        assert client.get(url).status_code == 200
        views = AccessEvent.objects.order_by("id")[before:]
        assert [(e.action, e.object_id) for e in views] == [(AccessAction.VIEW, str(child_case.pk))], url
    before = AccessEvent.objects.count()
    unchanged = client.patch(
        reverse("case-detail", args=[child_case.pk]), {"summary": child_case.summary}, content_type="application/json"
    )
    assert unchanged.status_code == 200
    assert [e.action for e in AccessEvent.objects.order_by("id")[before:]] == [AccessAction.VIEW]


def test_summary_limit_and_date_of_birth_hold_on_every_path(client, personas, child_case):
    from safeguarding.models import SUMMARY_MAX_LENGTH

    too_long = "x" * (SUMMARY_MAX_LENGTH + 1)
    with pytest.raises(ValidationError, match="at most"):
        case_create(
            actor=personas.analyst,
            kind=CaseKind.CHILD,
            forenames="A",
            surname="B",
            local_authority=personas.agencies["dudley"],
            summary=too_long,
        )
    with pytest.raises(ValidationError, match="future"):
        case_create(
            actor=personas.analyst,
            kind=CaseKind.CHILD,
            forenames="A",
            surname="B",
            date_of_birth=date(2099, 1, 1),
            local_authority=personas.agencies["dudley"],
        )
    assert Case.objects.count() == 1
    client.force_login(personas.mash_birmingham)
    api = client.patch(
        reverse("case-detail", args=[child_case.pk]), {"summary": too_long}, content_type="application/json"
    )
    assert api.status_code == 400 and "summary" in api.json()
    page = client.post(reverse("safeguarding:case_edit", args=[child_case.pk]), {"summary": too_long})
    assert page.status_code == 200 and "at most" in page.content.decode()
    exactly = "y" * SUMMARY_MAX_LENGTH
    assert client.post(reverse("safeguarding:case_edit", args=[child_case.pk]), {"summary": exactly}).status_code == 302
    child_case.refresh_from_db()
    assert child_case.summary == exactly


def test_a_share_is_a_disclosure_recorded_with_its_purpose_and_recipient(client, personas, child_case):
    coventry = personas.agencies["coventry"]
    client.force_login(personas.mash_manager)
    url = reverse("safeguarding:case_sharing", args=[child_case.pk])
    refused = client.post(url, {"agency": coventry.pk, "level": "read"})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert not objects_for_user(personas.mash_coventry, Case.objects.all()).exists()
    client.post(url, {**SHARE_WHY, "agency": coventry.pk, "level": "read"})
    grant = AccessEvent.objects.filter(action=AccessAction.GRANT, actor=personas.mash_manager).get()
    assert (grant.purpose, grant.recipients) == ("partner-request", [{"agency": str(coventry)}])
    assert grant.detail["justification"] == SHARE_WHY["justification"]
