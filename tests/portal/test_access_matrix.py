"""Every role against every page: allowed, read-only 403, not shared 404 with no data."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse


def without_csrf_token(body: bytes) -> bytes:
    """The page with its CSRF token blanked: the token is masked afresh on every response."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b'name="csrfmiddlewaretoken" value=""', body)

# Expected status per persona; a persona missing from a row gets the row's default.
ALL = [
    "analyst",
    "supervisor",
    "officer",
    "mash_birmingham",
    "mash_coventry",
    "mash_manager",
    "panel_member",
    "partner_health",
    "outsider",
    "auditor",
    "spoc",
    "provider_spoc",
    "administrator",
]
POLICE = {"analyst": 200, "supervisor": 200}
PURPOSE_FIRST = {"analyst": 403, "supervisor": 403}
CASE_READERS = {  # the child case: WMP and Birmingham write, health reads
    "analyst": 200,
    "supervisor": 200,
    "officer": 200,
    "mash_birmingham": 200,
    "mash_manager": 200,
    "panel_member": 200,
    "partner_health": 200,
}
CASE_WRITERS = {
    "analyst": 200,
    "supervisor": 200,
    "officer": 200,
    "mash_birmingham": 200,
    "mash_manager": 200,
    "panel_member": 200,
    "partner_health": 403,
}
CASE_ROLE_LIST = {name: 200 for name in ALL if name not in {"auditor", "spoc", "provider_spoc", "administrator"}}

PAGES = [
    # name, url builder, expected {persona: status}, default status
    ("home", lambda n, c: reverse("home"), {name: 200 for name in ALL}, 200),
    ("nominal list", lambda n, c: reverse("analytics:nominal_list"), POLICE, 404),
    ("nominal search", lambda n, c: reverse("analytics:nominal_list") + "?q=Harb", POLICE, 404),
    # The nominal is in no run yet: nobody's work explains opening it, so the purpose comes first
    # (tests/audit/test_purpose.py); everyone else gets the same 404 as ever.
    ("nominal detail", lambda n, c: reverse("analytics:nominal_detail", args=[n.pk]), PURPOSE_FIRST, 404),
    ("nominal api list", lambda n, c: reverse("nominal-list"), POLICE, 404),
    ("nominal api detail", lambda n, c: reverse("nominal-detail", args=[n.pk]), PURPOSE_FIRST, 404),
    ("imports", lambda n, c: reverse("analytics:import_list"), POLICE, 404),
    ("search terms", lambda n, c: reverse("analytics:term_list"), POLICE, 404),
    ("search terms edit", lambda n, c: reverse("analytics:term_edit"), {"analyst": 403, "supervisor": 200}, 404),
    ("analysis runs", lambda n, c: reverse("analytics:run_list"), POLICE, 404),
    ("case list", lambda n, c: reverse("safeguarding:case_list"), CASE_ROLE_LIST, 404),
    ("case api list", lambda n, c: reverse("case-list"), CASE_ROLE_LIST, 404),
    ("case create", lambda n, c: reverse("safeguarding:case_create"), POLICE, 404),
    ("case detail", lambda n, c: reverse("safeguarding:case_detail", args=[c.pk]), CASE_READERS, 404),
    ("case api detail", lambda n, c: reverse("case-detail", args=[c.pk]), CASE_READERS, 404),
    ("case edit", lambda n, c: reverse("safeguarding:case_edit", args=[c.pk]), CASE_WRITERS, 404),
    ("case sharing", lambda n, c: reverse("safeguarding:case_sharing", args=[c.pk]), CASE_WRITERS, 404),
    ("audit trail", lambda n, c: reverse("audit:event_list"), {"auditor": 200}, 404),
]


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=[p[0] for p in PAGES])
def test_each_role_gets_the_expected_answer(client, personas, nominal, child_case, page):
    _, build_url, expected, default = page
    url = build_url(nominal, child_case)
    for name, user in personas.all().items():
        client.force_login(user)
        response = client.get(url)
        want = expected.get(name, default)
        assert response.status_code == want, f"{name} GET {url}: {response.status_code}, expected {want}"
        if want == 404:
            body = response.content.decode()
            assert "Harbottle" not in body and child_case.reference not in body, f"{name} saw data in a 404"


@pytest.mark.django_db
def test_missing_and_unshared_cases_answer_identically(client, personas, child_case):
    client.force_login(personas.mash_coventry)
    unshared = client.get(reverse("safeguarding:case_detail", args=[child_case.pk]))
    missing = client.get(reverse("safeguarding:case_detail", args=[child_case.pk + 999]))
    assert unshared.status_code == missing.status_code == 404
    assert without_csrf_token(unshared.content) == without_csrf_token(missing.content)


@pytest.mark.django_db
def test_read_only_agency_cannot_change_a_case_by_page_or_api(client, personas, child_case):
    client.force_login(personas.partner_health)
    page = client.post(reverse("safeguarding:case_edit", args=[child_case.pk]), {"summary": "changed"})
    api = client.patch(
        reverse("case-detail", args=[child_case.pk]), {"summary": "changed"}, content_type="application/json"
    )
    assert page.status_code == 403 and api.status_code == 403
    child_case.refresh_from_db()
    assert child_case.summary == "Seen running for a deal line."


@pytest.mark.django_db
def test_other_agency_cannot_change_a_case(client, personas, child_case):
    client.force_login(personas.mash_coventry)
    response = client.patch(
        reverse("case-detail", args=[child_case.pk]), {"summary": "changed"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert "Harbottle" not in response.content.decode()


@pytest.mark.django_db
def test_writer_changes_a_case_and_the_change_log_names_them(client, personas, child_case):
    from auditlog.models import LogEntry

    client.force_login(personas.mash_birmingham)
    response = client.post(
        reverse("safeguarding:case_edit", args=[child_case.pk]), {"summary": "Strategy discussion held."}
    )
    assert response.status_code == 302
    child_case.refresh_from_db()
    assert child_case.summary == "Strategy discussion held."
    entry = LogEntry.objects.get_for_object(child_case).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == personas.mash_birmingham


@pytest.mark.django_db
def test_token_api_write_names_the_token_user_in_the_change_log(personas, child_case):
    from auditlog.models import LogEntry
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=personas.mash_manager)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.patch(reverse("case-detail", args=[child_case.pk]), {"summary": "via api"}, format="json")
    assert response.status_code == 200, response.content
    entry = LogEntry.objects.get_for_object(child_case).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == personas.mash_manager


@pytest.mark.django_db
def test_lists_show_only_shared_cases(client, personas, child_case):
    from safeguarding.models import CaseKind
    from safeguarding.services import case_create

    coventry_case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Ava",
        surname="Quinlan",
        local_authority=personas.agencies["coventry"],
    )
    client.force_login(personas.mash_coventry)
    before_review = client.get(reverse("safeguarding:case_list")).content.decode()
    assert coventry_case.reference not in before_review, "a case is the police's alone until the police review"
    from safeguarding.pathway import case_transition

    case_transition(actor=personas.supervisor, case_id=coventry_case.pk, to="referred", data={"concern": "At risk."})
    body = client.get(reverse("safeguarding:case_list")).content.decode()
    assert coventry_case.reference in body and child_case.reference not in body
    api = client.get(reverse("case-list")).json()
    assert [row["reference"] for row in api["results"]] == [coventry_case.reference]


@pytest.mark.django_db
def test_superuser_administrator_gets_no_bypass_to_cases(client, personas, child_case):
    from portal.access import objects_for_user
    from safeguarding.models import Case

    superuser = personas.outsider
    superuser.is_superuser = True
    superuser.save()
    assert not objects_for_user(superuser, Case.objects.all()).exists()
    assert objects_for_user(personas.partner_health, Case.objects.all()).count() == 1
