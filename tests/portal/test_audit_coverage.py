"""Every URL that shows personal data leaves an access event, and every such URL is listed here:
a new page that shows personal data fails this test until it is audited and listed."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.audit.models import AccessAction, AccessEvent
from tests.url_areas import context_for, merged, merged_set

# url name -> (persona who may use it, the URL from the context, the action it must record, the
# object it must name: (object_type, object_id), or an object type alone for lists).
# Every entry is the success path: the page is shown (200) and the right record is named.
CASE = "safeguarding.case"


def _u(name, *args):
    return lambda x: reverse(name, args=[x[a] if isinstance(a, str) and a in x else a for a in args])


AUDITED_PAGES = {
    "analytics:nominal_list": ("analyst", _u("analytics:nominal_list"), AccessAction.LIST, "analytics.nominal"),
    "analytics:nominal_detail": (
        "supervisor",  # reviews the run that found the person (the analyst would be asked why)
        _u("analytics:nominal_detail", "nominal"),
        AccessAction.VIEW,
        ("analytics.nominal", "N-TEST-1"),
    ),
    "nominal-list": (
        "analyst",
        lambda x: reverse("nominal-list") + "?q=Harb",
        AccessAction.SEARCH,
        "analytics.nominal",
    ),
    "nominal-detail": (
        "supervisor",  # reviews the run that found the person (the analyst would be asked why)
        _u("nominal-detail", "nominal"),
        AccessAction.VIEW,
        ("analytics.nominal", "N-TEST-1"),
    ),
    "safeguarding:case_list": ("mash_birmingham", _u("safeguarding:case_list"), AccessAction.LIST, CASE),
    "safeguarding:case_detail": (
        "partner_health",
        _u("safeguarding:case_detail", "case"),
        AccessAction.VIEW,
        (CASE, "case"),
    ),
    "safeguarding:case_edit": (
        "mash_birmingham",
        _u("safeguarding:case_edit", "case"),
        AccessAction.VIEW,
        (CASE, "case"),
    ),
    "safeguarding:case_sharing": (
        "mash_manager",
        _u("safeguarding:case_sharing", "case"),
        AccessAction.VIEW,
        (CASE, "case"),
    ),
    "safeguarding:case_consent": (
        "supervisor",
        _u("safeguarding:case_consent", "case"),
        AccessAction.VIEW,
        (CASE, "case"),
    ),
    "safeguarding:case_step": (
        "mash_birmingham",
        _u("safeguarding:case_step", "case", "screening"),
        AccessAction.VIEW,
        (CASE, "case"),
    ),
    "safeguarding:case_nrm": ("mash_manager", _u("safeguarding:case_nrm", "case"), AccessAction.VIEW, (CASE, "case")),
    "safeguarding:case_investigations": (
        "officer",
        _u("safeguarding:case_investigations", "case"),
        AccessAction.VIEW,
        (CASE, "case"),
    ),
    "case-list": ("mash_birmingham", lambda x: reverse("case-list") + "?q=Harb", AccessAction.SEARCH, CASE),
    "case-detail": ("mash_manager", _u("case-detail", "case"), AccessAction.VIEW, (CASE, "case")),
    "legacy-case-list": (
        "mash_birmingham",
        lambda x: reverse("legacy-case-list") + "?q=Harb",
        AccessAction.SEARCH,
        CASE,
    ),
    "legacy-case-detail": ("mash_manager", _u("legacy-case-detail", "case"), AccessAction.VIEW, (CASE, "case")),
    "safeguarding:dashboard": ("mash_birmingham", _u("safeguarding:dashboard"), AccessAction.LIST, CASE),
    # The signed-in person's own messages, which name cases: the list is recorded with its ids.
    "safeguarding:notifications": ("mash_birmingham", _u("safeguarding:notifications"), AccessAction.LIST, None),
    "safeguarding:meeting_contextual": (
        "mash_birmingham",
        _u("safeguarding:meeting_contextual"),
        AccessAction.LIST,
        CASE,
    ),
    "safeguarding:meeting_panel": ("panel_member", _u("safeguarding:meeting_panel"), AccessAction.LIST, CASE),
    "safeguarding:meeting_panel_pack": (
        "supervisor",
        lambda x: reverse("safeguarding:meeting_panel_pack") + "?authority=birmingham",
        AccessAction.EXPORT,
        None,
    ),
    "analytics:import_list": ("analyst", _u("analytics:import_list"), AccessAction.LIST, "analytics.importbatch"),
    "analytics:import_detail": (
        "supervisor",
        _u("analytics:import_detail", "batch"),
        AccessAction.VIEW,
        ("analytics.importbatch", "batch"),
    ),
    "analytics:run_list": ("analyst", _u("analytics:run_list"), AccessAction.LIST, "analytics.analysisrun"),
    "analytics:run_detail": (
        "analyst",
        _u("analytics:run_detail", "run"),
        AccessAction.VIEW,
        ("analytics.analysisrun", "run"),
    ),
    "analytics:run_document": (
        "supervisor",
        _u("analytics:run_document", "run"),
        AccessAction.EXPORT,
        ("analytics.analysisrun", "run"),
    ),
    "analytics:run_nominal": (
        "supervisor",  # reviews the run that found the person (the analyst would be asked why)
        _u("analytics:run_nominal", "run", "nominal"),
        AccessAction.VIEW,
        ("analytics.nominalresult", "run/nominal"),
    ),
    "analytics:run_group": (
        "analyst",
        _u("analytics:run_group", "run", "group"),
        AccessAction.VIEW,
        ("analytics.groupresult", "run/group"),
    ),
    "analytics:run_validation": (
        "supervisor",
        _u("analytics:run_validation", "run"),
        AccessAction.VIEW,
        ("analytics.analysisrun", "run"),
    ),
    "audit:event_list": ("auditor", _u("audit:event_list"), AccessAction.LIST, "audit.accessevent"),
    **merged("AUDITED_PAGES"),
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
} | merged_set("NOT_PERSONAL")


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


def _expected_id(spec: str, context: dict) -> str:
    return "/".join(str(context.get(part, part)) for part in spec.split("/"))


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(AUDITED_PAGES))
def test_each_page_records_who_saw_which_record(client, personas, completed_run, child_case, url_name):
    from analytics.models import ImportBatch

    batch = ImportBatch.objects.first()
    assert batch is not None  # the fixtures imported the tiny bundle
    context = {
        "nominal": "N-TEST-1",
        "case": child_case.pk,
        "run": completed_run.pk,
        "group": completed_run.group_results.first().group,
        "batch": batch.pk,
        **context_for(url_name, "AUDITED_PAGES", personas),
    }
    persona, build_url, action, expected = AUDITED_PAGES[url_name]
    user = getattr(personas, persona)
    client.force_login(user)
    before = AccessEvent.objects.count()
    response = client.get(build_url(context), HTTP_USER_AGENT="pytest", REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 200, f"{url_name}: {response.status_code} (the success path must be shown)"
    events = AccessEvent.objects.order_by("id")[before:]
    matching = [e for e in events if e.action == action and e.actor_id == user.pk]
    assert matching, f"{url_name} left {[(e.action, e.object_type, e.object_id) for e in events]}"
    if isinstance(expected, tuple):
        object_type, object_id = expected[0], _expected_id(expected[1], context)
        assert (object_type, object_id) in {(e.object_type, e.object_id) for e in matching}, (
            f"{url_name} recorded {[(e.object_type, e.object_id) for e in matching]}, expected {(object_type, object_id)}"
        )
    elif isinstance(expected, str):
        assert expected in {e.object_type for e in matching}, f"{url_name}: {[e.object_type for e in matching]}"
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
