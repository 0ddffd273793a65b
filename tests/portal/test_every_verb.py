"""Every persona against every URL with every verb (GET, HEAD, POST, PUT, PATCH, DELETE).

What must hold, whatever the verb:
- nobody ever gets a 500;
- a persona with no access to a record or area gets 404 (or 405 where no one may use the verb)
  with nothing of the record in the body, and nothing changes;
- a persona who may read but not change gets 403 (or 405) on a change, and nothing changes;
- every URL of the portal (outside the admin site, tested in test_admin.py) is in the table, so
  a new page cannot be added without saying who may use it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.portal.test_access_matrix import ALL
from tests.portal.test_audit_coverage import _url_names
from tests.url_areas import area_state, context_for, merged, merged_set

pytestmark = pytest.mark.django_db

VERBS = ("get", "head", "post", "put", "patch", "delete")
SAFE = ("get", "head")
POLICE = {"analyst", "supervisor"}
CASE_READERS = {"analyst", "supervisor", "officer", "mash_birmingham", "mash_manager", "panel_member", "partner_health"}
CASE_WRITERS = CASE_READERS - {"partner_health"}
EVERYONE = set(ALL)
API_USERS = EVERYONE - {"auditor", "spoc", "provider_spoc", "administrator"}

# url name -> (args, who the record or area exists for (404 for everyone else), who may use
# the safe verbs, who may use the unsafe ones (others who can see it get 403), the verbs the
# view answers at all). "May use" means getting past the access check: the view may still
# refuse the change itself (a form error, "already finished"), which is not a leak.
W = CASE_WRITERS
TABLE = {
    "home": ((), EVERYONE, EVERYONE, set(), SAFE),
    "accounts:profile": ((), EVERYONE, EVERYONE, set(), SAFE),
    "accounts:token_create": ((), API_USERS, set(), API_USERS, ("post",)),
    "accounts:token_revoke": ((), API_USERS, set(), API_USERS, ("post",)),
    "analytics:nominal_list": ((), POLICE, POLICE, set(), SAFE),
    "analytics:nominal_detail": (("nominal",), POLICE, POLICE, set(), SAFE),
    "analytics:import_list": ((), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "analytics:import_detail": (("batch",), POLICE, POLICE, set(), SAFE),
    "analytics:import_progress": (("batch",), POLICE, POLICE, set(), SAFE),
    "analytics:term_list": ((), POLICE, POLICE, set(), SAFE),
    "analytics:term_edit": ((), POLICE, {"supervisor"}, {"supervisor"}, (*SAFE, "post")),
    "analytics:run_list": ((), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "analytics:run_detail": (("run",), POLICE, POLICE, set(), SAFE),
    "analytics:run_progress": (("run",), POLICE, POLICE, set(), SAFE),
    # The run was requested by the supervisor: the analyst sees it but may not cancel it.
    "analytics:run_cancel": (("run",), POLICE, set(), {"supervisor"}, ("post",)),
    "analytics:run_document": (("run",), POLICE, POLICE, set(), SAFE),
    "analytics:run_nominal": (("run", "nominal"), POLICE, POLICE, set(), SAFE),
    "analytics:run_group": (("run", "group"), POLICE, POLICE, set(), SAFE),
    "analytics:run_validation": (("run",), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "safeguarding:case_list": ((), API_USERS, API_USERS, set(), SAFE),
    "safeguarding:case_create": ((), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "safeguarding:case_detail": (("case",), CASE_READERS, CASE_READERS, set(), SAFE),
    "safeguarding:case_edit": (("case",), CASE_READERS, W, W, (*SAFE, "post")),
    "safeguarding:case_sharing": (("case",), CASE_READERS, W, W, (*SAFE, "post")),
    "safeguarding:case_consent": (("case",), CASE_READERS, W, W, (*SAFE, "post")),
    "safeguarding:case_unshare": (("case", "agency"), CASE_READERS, set(), W, ("post",)),
    "audit:event_list": ((), {"auditor"}, {"auditor"}, set(), SAFE),
    "case-list": ((), API_USERS, API_USERS, set(), SAFE),
    "case-detail": (("case",), CASE_READERS, CASE_READERS, W, (*SAFE, "patch")),
    "nominal-list": ((), POLICE, POLICE, set(), SAFE),
    "nominal-detail": (("nominal",), POLICE, POLICE, set(), SAFE),
    # The pathway API (v1): a step needs write access to the case before its body is read.
    "case-transitions": (("case",), CASE_READERS, set(), W, ("post",)),
    # The first API's paths, still served (same code as v1's list and detail).
    "legacy-case-list": ((), API_USERS, API_USERS, set(), SAFE),
    "legacy-case-detail": (("case",), CASE_READERS, CASE_READERS, W, (*SAFE, "patch")),
    # Meetings: every casework role (a local authority's staff see their own authority only).
    "safeguarding:meeting_contextual": ((), API_USERS, API_USERS, set(), SAFE),
    "safeguarding:meeting_panel": ((), API_USERS, API_USERS, set(), SAFE),
    "safeguarding:meeting_panel_pack": ((), API_USERS, API_USERS, set(), SAFE),
    "safeguarding:case_nrm": (("case",), CASE_READERS, W, W, (*SAFE, "post")),
    # Linked investigations: police agency only; partners who write the case get 403.
    "safeguarding:case_investigations": (
        ("case",),
        CASE_READERS,
        {"analyst", "supervisor", "officer"},
        {"analyst", "supervisor", "officer"},
        (*SAFE, "post"),
    ),
    # The pathway's pages. The child case is referred: its step to no further action is the MASH's,
    # and an empty POST lacks the reason it needs, so even an allowed POST changes nothing.
    "safeguarding:case_step": (
        ("case", "to"),
        CASE_READERS,
        {"mash_birmingham", "mash_manager"},
        {"mash_birmingham", "mash_manager"},
        (*SAFE, "post"),
    ),
    # The dashboard is the pathway roles' (their authority's or hub's cases; all for the supervisor).
    "safeguarding:dashboard": (
        (),
        {"supervisor", "officer", "mash_birmingham", "mash_coventry", "mash_manager", "panel_member"},
        {"supervisor", "officer", "mash_birmingham", "mash_coventry", "mash_manager", "panel_member"},
        set(),
        SAFE,
    ),
    # Everyone's own notifications; a POST marks one's own read.
    "safeguarding:notifications": ((), EVERYONE, EVERYONE, EVERYONE, (*SAFE, "post")),
    **merged("VERB_TABLE"),
}
# Pages anyone may reach signed in or not, with nothing personal (tested elsewhere).
OPEN = {
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor",
    "accounts:password_set",
    "accounts:password_set_done",
    "healthz",
    "readyz",
    "api-root",
    "api-schema",
} | merged_set("OPEN")
SECRETS = ("Harbottle", "N-TEST-1", "Seen running for a deal line")
# Pages that may legitimately say what they refused with (never data of the record).
DATA_FREE_STATUSES = {403, 404, 405}


def test_every_url_is_in_the_table():
    missing = _url_names() - set(TABLE) - OPEN
    assert not missing, f"add these URLs to TABLE with who may use them: {sorted(missing)}"


def _state() -> tuple:
    """Everything a request could change, to compare before and after a refusal."""
    from auditlog.models import LogEntry
    from rest_framework.authtoken.models import Token

    from analytics.models import AnalysisRun, ImportBatch, SearchTermVersion, ValidationItem
    from portal.accounts.models import User
    from safeguarding.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission, Consent

    return (
        list(Case.objects.order_by("pk").values()),
        list(CaseGroupObjectPermission.objects.order_by("pk").values_list("group_id", "permission_id", "content_object_id")),
        list(CaseUserObjectPermission.objects.order_by("pk").values_list("user_id", "permission_id", "content_object_id")),
        list(Consent.objects.order_by("pk").values()),
        list(AnalysisRun.objects.order_by("pk").values_list("pk", "status", "cancel_requested")),
        ImportBatch.objects.count(),
        SearchTermVersion.objects.count(),
        list(ValidationItem.objects.order_by("pk").values_list("pk", "correct")),
        sorted(Token.objects.values_list("user_id", "key")),
        list(User.objects.order_by("pk").values_list("pk", "role", "agency_id", "is_active", "is_superuser", "password")),
        LogEntry.objects.count(),
        area_state(),
    )


def _expected(name: str, persona: str, verb: str) -> set[int] | None:
    """The statuses allowed, or None for "anything but 404 and 500" (a permitted use)."""
    _, sees, safe_users, unsafe_users, verbs = TABLE[name]
    if verb not in verbs:
        return {405} if persona in sees else {404, 405}
    if persona not in sees:
        return {404}
    allowed = safe_users if verb in SAFE else unsafe_users
    return None if persona in allowed else {403}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_persona_with_each_verb(client, personas, completed_run, child_case, name):
    from analytics.models import ImportBatch

    batch = ImportBatch.objects.first()
    assert batch is not None
    values = {
        "nominal": "N-TEST-1",
        "case": child_case.pk,
        "run": completed_run.pk,
        "group": completed_run.group_results.first().group,
        "batch": batch.pk,
        "agency": personas.agencies["coventry"].pk,  # holds no access, so revoking changes nothing
        "to": "no_further_action",  # a pathway step of the referred child case (safeguarding:case_step)
        **context_for(name, "VERB_TABLE", personas),
    }
    args, *_ = TABLE[name]
    url = reverse(name, args=[values[a] for a in args])
    problems = []
    for persona, user in personas.all().items():
        client.force_login(user)
        for verb in VERBS:
            expected = _expected(name, persona, verb)
            before = _state() if expected is not None else None
            response = getattr(client, verb)(url, content_type="application/json", data="{}") if verb in (
                "put",
                "patch",
                "delete",
            ) else getattr(client, verb)(url)
            status = response.status_code
            if status >= 500:
                problems.append(f"{persona} {verb.upper()} {url}: {status}")
            elif expected is None:
                if status == 404:
                    problems.append(f"{persona} {verb.upper()} {url}: 404, but they may use it")
            else:
                if status not in expected:
                    problems.append(f"{persona} {verb.upper()} {url}: {status}, expected {sorted(expected)}")
                body = response.content.decode(errors="replace")
                leaked = [secret for secret in SECRETS if secret in body]
                if leaked and status in DATA_FREE_STATUSES:
                    problems.append(f"{persona} {verb.upper()} {url}: {status} body shows {leaked}")
                if _state() != before:
                    problems.append(f"{persona} {verb.upper()} {url}: refused with {status} but changed data")
    assert not problems, "\n".join(problems)
