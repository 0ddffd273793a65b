"""Every URL that shows personal data leaves an access event, and every such URL is listed here:
a new page that shows personal data fails this test until it is audited and listed."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.audit.models import AccessAction, AccessEvent

# url name -> (persona, how to build the URL, the action it must record)
AUDITED_PAGES = {
    "analytics:nominal_list": ("analyst", lambda n, c: reverse("analytics:nominal_list"), AccessAction.LIST),
    "analytics:nominal_detail": (
        "analyst",
        lambda n, c: reverse("analytics:nominal_detail", args=[n.pk]),
        AccessAction.VIEW,
    ),
    "nominal-list": ("analyst", lambda n, c: reverse("nominal-list") + "?q=Harb", AccessAction.SEARCH),
    "nominal-detail": ("analyst", lambda n, c: reverse("nominal-detail", args=[n.pk]), AccessAction.VIEW),
    "safeguarding:case_list": ("mash_birmingham", lambda n, c: reverse("safeguarding:case_list"), AccessAction.LIST),
    "safeguarding:case_detail": (
        "partner_health",
        lambda n, c: reverse("safeguarding:case_detail", args=[c.pk]),
        AccessAction.VIEW,
    ),
    "safeguarding:case_edit": (
        "outsider",
        lambda n, c: reverse("safeguarding:case_edit", args=[c.pk]),
        AccessAction.REFUSED,
    ),
    "safeguarding:case_sharing": (
        "partner_health",
        lambda n, c: reverse("safeguarding:case_sharing", args=[c.pk]),
        AccessAction.REFUSED,
    ),
    "safeguarding:case_consent": (
        "supervisor",
        lambda n, c: reverse("safeguarding:case_consent", args=[c.pk]),
        AccessAction.VIEW,
    ),
    "case-list": ("mash_birmingham", lambda n, c: reverse("case-list") + "?q=Harb", AccessAction.SEARCH),
    "case-detail": ("mash_manager", lambda n, c: reverse("case-detail", args=[c.pk]), AccessAction.VIEW),
    "analytics:import_list": ("analyst", lambda n, c: reverse("analytics:import_list"), AccessAction.LIST),
    "analytics:import_detail": (
        "supervisor",
        lambda n, c: reverse("analytics:import_detail", args=[999]),
        AccessAction.REFUSED,
    ),
    "analytics:run_list": ("analyst", lambda n, c: reverse("analytics:run_list"), AccessAction.LIST),
    "analytics:run_detail": ("analyst", lambda n, c: reverse("analytics:run_detail", args=[999]), AccessAction.REFUSED),
    "analytics:run_document": (
        "mash_birmingham",
        lambda n, c: reverse("analytics:run_document", args=[1]),
        AccessAction.REFUSED,
    ),
    "analytics:run_nominal": (
        "analyst",
        lambda n, c: reverse("analytics:run_nominal", args=[999, n.pk]),
        AccessAction.REFUSED,
    ),
    "analytics:run_group": ("outsider", lambda n, c: reverse("analytics:run_group", args=[1, 1]), AccessAction.REFUSED),
    "analytics:run_validation": (
        "supervisor",
        lambda n, c: reverse("analytics:run_validation", args=[5]),
        AccessAction.REFUSED,
    ),
    "audit:event_list": ("auditor", lambda n, c: reverse("audit:event_list"), AccessAction.LIST),
    "legacy-case-list": ("mash_birmingham", lambda n, c: reverse("legacy-case-list") + "?q=Harb", AccessAction.SEARCH),
    "legacy-case-detail": ("mash_manager", lambda n, c: reverse("legacy-case-detail", args=[c.pk]), AccessAction.VIEW),
    "safeguarding:meeting_contextual": (
        "mash_birmingham",
        lambda n, c: reverse("safeguarding:meeting_contextual"),
        AccessAction.LIST,
    ),
    "safeguarding:meeting_panel": (
        "panel_member",
        lambda n, c: reverse("safeguarding:meeting_panel"),
        AccessAction.LIST,
    ),
    "safeguarding:meeting_panel_pack": (
        "supervisor",
        lambda n, c: reverse("safeguarding:meeting_panel_pack") + "?authority=birmingham",
        AccessAction.EXPORT,
    ),
    "safeguarding:case_nrm": (
        "mash_manager",
        lambda n, c: reverse("safeguarding:case_nrm", args=[c.pk]),
        AccessAction.VIEW,
    ),
    "safeguarding:case_investigations": (
        "mash_birmingham",
        lambda n, c: reverse("safeguarding:case_investigations", args=[c.pk]),
        AccessAction.REFUSED,
    ),
    "safeguarding:case_step": (
        "mash_birmingham",
        lambda n, c: reverse("safeguarding:case_step", args=[c.pk, "screening"]),
        AccessAction.VIEW,
    ),
    "safeguarding:dashboard": ("mash_birmingham", lambda n, c: reverse("safeguarding:dashboard"), AccessAction.LIST),
    # The signed-in person's own messages, which name cases: the list is recorded with its ids.
    "safeguarding:notifications": (
        "mash_birmingham",
        lambda n, c: reverse("safeguarding:notifications"),
        AccessAction.LIST,
    ),
}
# Pages that show no personal data of anyone but the signed-in user.
NOT_PERSONAL = {
    "home",
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor",
    "healthz",
    "readyz",
    "api-root",
    "api-schema",  # the API's description, no records
    "analytics:import_progress",  # status and a fraction only
    "analytics:term_list",  # configuration, no personal data
    "analytics:run_progress",  # status and a fraction only
    "analytics:run_cancel",  # a POST: cancelling is in the trail as a TRANSITION, UPDATE or REFUSED event
    "analytics:term_edit",
    "safeguarding:case_create",
    "safeguarding:case_unshare",
    "accounts:profile",  # the signed-in person's own account only
    "accounts:token_create",  # their own token; issuing it is recorded as a grant
    "accounts:token_revoke",  # recorded as a revocation
    "accounts:password_set",  # a form for one's own password; setting it is recorded
    "accounts:password_set_done",
    "case-transitions",  # a POST: recorded as a VIEW and a TRANSITION, or as REFUSED
}


def _url_names(resolver=None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin site shows agencies and users only (case models are not registered)
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_url_is_either_audited_or_declared_not_personal():
    unlisted = _url_names() - set(AUDITED_PAGES) - NOT_PERSONAL
    assert not unlisted, f"URLs with no audit rule: {sorted(unlisted)}"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(AUDITED_PAGES))
def test_each_access_leaves_an_entry(client, personas, nominal, child_case, url_name):
    persona, build_url, action = AUDITED_PAGES[url_name]
    user = getattr(personas, persona)
    client.force_login(user)
    before = AccessEvent.objects.count()
    response = client.get(build_url(nominal, child_case), HTTP_USER_AGENT="pytest", REMOTE_ADDR="10.0.0.7")
    assert response.status_code in (200, 403, 404)
    events = AccessEvent.objects.order_by("id")[before:]
    matching = [e for e in events if e.action == action and e.actor_id == user.pk]
    assert matching, f"{url_name} left {[(e.action, e.actor_username) for e in events]}"
    event = matching[-1]
    assert event.ip_address == "10.0.0.7" and event.user_agent == "pytest" and event.path
    if action in (AccessAction.LIST, AccessAction.SEARCH):
        assert event.result_count is not None


@pytest.mark.django_db
def test_search_records_the_query_and_rows_shown(client, personas, nominal):
    client.force_login(personas.analyst)
    client.get(reverse("analytics:nominal_list"), {"q": "Harbottle"})
    event = AccessEvent.objects.filter(action=AccessAction.SEARCH).latest("id")
    assert (event.query, event.result_count, event.object_type) == ("Harbottle", 1, "analytics.nominal")


@pytest.mark.django_db
def test_refused_attempt_names_the_object_but_shows_nothing(client, personas, child_case):
    client.force_login(personas.mash_coventry)
    client.get(reverse("safeguarding:case_detail", args=[child_case.pk]))
    event = AccessEvent.objects.filter(action=AccessAction.REFUSED).latest("id")
    assert event.actor == personas.mash_coventry
    assert (event.object_type, event.object_id) == ("safeguarding.case", str(child_case.pk))
    assert event.object_repr == ""  # a refusal must not copy the record's contents into the trail
