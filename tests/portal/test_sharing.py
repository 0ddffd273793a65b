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


def test_sharing_page_grants_read_then_revoke_removes_it(client, personas, child_case):
    coventry = personas.agencies["coventry"]
    client.force_login(personas.mash_manager)
    response = client.post(
        reverse("safeguarding:case_sharing", args=[child_case.pk]), {"agency": coventry.pk, "level": "read"}
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
        {"agency": personas.agencies["coventry"].pk, "level": "read"},
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
        reverse("safeguarding:case_sharing", args=[child_case.pk]), {"agency": "999999", "level": "owner"}
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
