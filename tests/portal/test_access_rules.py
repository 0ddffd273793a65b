"""The rules of portal.access one by one: which rows a person may see, what a refusal, a view, a
grant and a revocation leave in the access trail, and what the sharing page is told."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from analytics.analysis import analysis_run_create
from analytics.run_selectors import nominal_result_get_for_user, run_get_for_user
from portal.access import Access, access_grant, access_revoke, get_object_for_user, objects_for_user, shares_of
from portal.audit.models import AccessAction, AccessEvent
from safeguarding.models import Case, CaseKind
from safeguarding.services import case_create

pytestmark = pytest.mark.django_db

CASE = "safeguarding.case"
RUN = "analytics.analysisrun"


def last_event() -> AccessEvent:
    return AccessEvent.objects.latest("id")


def readable(user) -> set[int]:
    return set(objects_for_user(user, Case.objects.all()).values_list("pk", flat=True))


def writable(user) -> set[int]:
    return set(objects_for_user(user, Case.objects.all(), Access.WRITE).values_list("pk", flat=True))


@pytest.fixture
def second_case(personas):
    """Another Birmingham child's case opened by the analyst, which Birmingham may also change."""
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Tyler",
        surname="Marsh",
        date_of_birth=date(2011, 3, 3),
        local_authority=personas.agencies["birmingham"],
        summary="Found with two phones.",
    )
    access_grant(actor=personas.supervisor, target=case, level=Access.WRITE, agency=personas.agencies["birmingham"])
    return case


# Who may see which rows


def test_model_permissions_give_no_access_to_any_case(personas, child_case):
    officer = personas.mash_coventry
    officer.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    officer = type(officer).objects.get(pk=officer.pk)  # no cached permissions
    assert officer.has_perm("safeguarding.view_case")
    assert readable(officer) == set() and writable(officer) == set()
    with pytest.raises(Http404):
        get_object_for_user(user=officer, queryset=Case.objects.all(), pk=child_case.pk)


def test_a_deactivated_account_sees_nothing_that_was_shared_with_it(personas, child_case):
    officer = personas.mash_birmingham
    assert readable(officer) == {child_case.pk}
    officer.is_active = False
    officer.save()
    assert readable(officer) == set() and writable(officer) == set()


def test_the_answer_stays_inside_the_queryset_asked_about(personas, child_case, second_case):
    officer = personas.mash_birmingham
    assert readable(officer) == {child_case.pk, second_case.pk}
    only_first = Case.objects.filter(pk=child_case.pk)
    assert list(objects_for_user(officer, only_first)) == [child_case]
    assert list(objects_for_user(officer, only_first, Access.WRITE)) == [child_case]


def test_an_empty_id_is_the_same_404(personas, child_case):
    for pk in (None, ""):
        with pytest.raises(Http404):
            get_object_for_user(user=personas.mash_birmingham, queryset=Case.objects.all(), pk=pk)


# What a fetch leaves in the trail


def test_a_refused_fetch_names_who_asked_for_what_why_and_from_where(personas, child_case):
    request = RequestFactory().get(f"/cases/{child_case.pk}/", REMOTE_ADDR="10.1.2.3")
    with pytest.raises(Http404):
        get_object_for_user(user=personas.mash_coventry, queryset=Case.objects.all(), pk=child_case.pk, request=request)
    event = last_event()
    assert (event.path, event.ip_address) == (f"/cases/{child_case.pk}/", "10.1.2.3")
    assert (event.action, event.actor, event.actor_username) == (
        AccessAction.REFUSED,
        personas.mash_coventry,
        "mash.coventry",
    )
    assert (event.object_type, event.object_id, event.object_repr) == (CASE, str(child_case.pk), "")
    assert event.reason == "not found or not shared"


def test_an_anonymous_refusal_is_recorded_without_an_actor(personas, child_case):
    with pytest.raises(Http404):
        get_object_for_user(user=AnonymousUser(), queryset=Case.objects.all(), pk=child_case.pk)
    event = last_event()
    assert (event.action, event.actor, event.actor_username) == (AccessAction.REFUSED, None, "")
    assert (event.object_type, event.object_id) == (CASE, str(child_case.pk))


def test_a_read_only_holder_asking_to_change_is_refused_and_recorded(personas, child_case):
    with pytest.raises(PermissionDenied):
        get_object_for_user(
            user=personas.partner_health, queryset=Case.objects.all(), pk=child_case.pk, level=Access.WRITE
        )
    event = last_event()
    assert (event.action, event.actor) == (AccessAction.REFUSED, personas.partner_health)
    assert (event.object_type, event.object_id, event.object_repr) == (CASE, str(child_case.pk), str(child_case))
    assert event.reason == "read-only access"


def test_a_fetch_is_recorded_as_a_view_saying_why_it_was_opened(personas, child_case):
    def view(**kwargs) -> AccessEvent:
        obj = get_object_for_user(
            user=personas.mash_birmingham, queryset=Case.objects.all(), pk=child_case.pk, **kwargs
        )
        assert obj == child_case
        return last_event()

    read = view()
    assert (read.action, read.actor, read.object_id, read.object_repr) == (
        AccessAction.VIEW,
        personas.mash_birmingham,
        str(child_case.pk),
        str(child_case),
    )
    assert read.reason == ""
    assert view(level=Access.WRITE).reason == "opened to change"
    assert view(purpose="export to the case system").reason == "export to the case system"


# Areas held by role (police intelligence)


def test_a_role_outside_the_area_is_refused_with_the_object_named(personas):
    run = analysis_run_create(actor=personas.supervisor, reference_date=date(2026, 6, 30))
    request = RequestFactory().get(f"/analytics/runs/{run.pk}/", REMOTE_ADDR="10.1.2.3")
    with pytest.raises(Http404):
        run_get_for_user(user=personas.mash_birmingham, run_id=run.pk, request=request)
    event = last_event()
    assert (event.path, event.ip_address) == (f"/analytics/runs/{run.pk}/", "10.1.2.3")
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        AccessAction.REFUSED,
        personas.mash_birmingham,
        RUN,
        str(run.pk),
    )
    assert event.reason == "role may not use this area"


def test_a_missing_object_of_the_area_is_refused_with_who_asked(personas):
    with pytest.raises(Http404):
        run_get_for_user(user=personas.analyst, run_id=999_999)
    event = last_event()
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        AccessAction.REFUSED,
        personas.analyst,
        RUN,
        "999999",
    )
    assert event.reason == "not found"


def test_opening_an_object_of_the_area_is_recorded_as_a_view(personas):
    run = analysis_run_create(actor=personas.supervisor, reference_date=date(2026, 6, 30))
    assert run_get_for_user(user=personas.analyst, run_id=run.pk) == run
    event = last_event()
    assert (event.action, event.actor, event.object_type, event.object_id, event.reason) == (
        AccessAction.VIEW,
        personas.analyst,
        RUN,
        str(run.pk),
        "",
    )


def test_opening_an_explanation_records_the_run_the_nominal_and_why(personas, completed_run):
    result = nominal_result_get_for_user(user=personas.analyst, run_id=completed_run.pk, nominal_id="N-TEST-1")
    assert result.nominal_id == "N-TEST-1"
    event = last_event()
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        AccessAction.VIEW,
        personas.analyst,
        "analytics.nominalresult",
        f"{completed_run.pk}/N-TEST-1",
    )
    assert event.reason == "explanation of a score"


# Revocation


def test_revoking_write_leaves_read(personas, child_case):
    coventry = personas.agencies["coventry"]
    access_grant(actor=personas.supervisor, target=child_case, level=Access.WRITE, agency=coventry)
    assert child_case.pk in writable(personas.mash_coventry)
    access_revoke(actor=personas.supervisor, target=child_case, agency=coventry, level=Access.WRITE)
    assert readable(personas.mash_coventry) == {child_case.pk}
    assert writable(personas.mash_coventry) == set()


def test_revoking_read_removes_write_too(personas, child_case):
    coventry = personas.agencies["coventry"]
    access_grant(actor=personas.supervisor, target=child_case, level=Access.WRITE, agency=coventry)
    access_revoke(actor=personas.supervisor, target=child_case, agency=coventry, level=Access.READ)
    assert readable(personas.mash_coventry) == set()


def test_revoking_one_persons_access_leaves_their_agency_and_others_alone(personas, child_case):
    access_grant(actor=personas.supervisor, target=child_case, level=Access.READ, user=personas.mash_coventry)
    access_grant(actor=personas.supervisor, target=child_case, level=Access.READ, user=personas.outsider)
    access_revoke(actor=personas.supervisor, target=child_case, user=personas.mash_coventry, level=Access.READ)
    assert readable(personas.mash_coventry) == set()
    assert readable(personas.outsider) == {child_case.pk}
    event = last_event()
    assert (event.action, event.actor, event.reason) == (
        AccessAction.REVOKE,
        personas.supervisor,
        "read from user mash.coventry",
    )


def test_a_revocation_records_who_withdrew_what_from_whom_and_from_where(personas, child_case):
    request = RequestFactory().post(f"/cases/{child_case.pk}/sharing/", REMOTE_ADDR="10.1.2.3")
    access_revoke(
        actor=personas.supervisor,
        target=child_case,
        agency=personas.agencies["health"],
        level=Access.WRITE,
        request=request,
    )
    event = last_event()
    assert (event.action, event.actor, event.actor_username) == (AccessAction.REVOKE, personas.supervisor, "supervisor")
    assert (event.object_type, event.object_id) == (CASE, str(child_case.pk))
    assert event.reason == "write from agency Community Health Trust (synthetic)"
    assert event.detail == {"level": "write"}
    assert (event.path, event.method, event.ip_address, event.via) == (
        f"/cases/{child_case.pk}/sharing/",
        "POST",
        "10.1.2.3",
        "web",
    )


# The sharing page's list


def test_the_share_list_names_each_holder_once_with_its_level_in_a_stable_order(personas, child_case):
    access_grant(actor=personas.supervisor, target=child_case, level=Access.WRITE, user=personas.outsider)
    access_grant(actor=personas.supervisor, target=child_case, level=Access.READ, user=personas.mash_coventry)
    rows = [
        (row["kind"], row["agency"].code if row["agency"] else None, row["user"], row["level"])
        for row in shares_of(child_case)
    ]
    # Agencies by name, then people by name: whatever order the grants were made in.
    assert rows == [
        ("agency", "birmingham", None, "write"),
        ("agency", "health", None, "read"),
        ("agency", "wmp", None, "write"),
        ("user", None, personas.mash_coventry, "read"),
        ("user", None, personas.outsider, "write"),
    ]


def test_the_share_list_is_read_in_two_queries_however_many_hold_access(
    personas, child_case, django_assert_num_queries
):
    for person in (personas.mash_coventry, personas.outsider, personas.panel_member):
        access_grant(actor=personas.supervisor, target=child_case, level=Access.READ, user=person)
    shares_of(child_case)  # content types cached, as on any page after the first
    with django_assert_num_queries(2):  # one for the agencies' shares, one for the people's
        rows = shares_of(child_case)
        assert [str(row["agency"] or row["user"]) for row in rows]
