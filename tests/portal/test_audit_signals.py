"""Sign-in events and area refusals name who, from where and what, field by field (these
assertions kill mutants that survived `make mutation`: a request dropped from the record, a
blank name recorded as "None")."""

from __future__ import annotations

import pytest
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from analytics.models import Nominal
from portal.access import get_in_area, require_role
from portal.accounts.roles import POLICE_DATA_ROLES
from portal.audit.models import AccessAction, AccessEvent

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def latest(action) -> AccessEvent:
    return AccessEvent.objects.filter(action=action).latest("id")


def test_a_failed_sign_in_names_the_username_and_where_it_came_from(client, personas):
    client.post(LOGIN, {"username": "mash.birmingham", "password": "wrong"}, REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="ua")
    event = latest(AccessAction.LOGIN_FAILED)
    assert (event.actor_username, event.ip_address, event.path, event.via, event.user_agent) == (
        "mash.birmingham",
        "10.9.8.7",
        LOGIN,
        "web",
        "ua",
    )


def test_a_lock_out_names_the_account_and_the_address(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "mash.birmingham", "password": "wrong"}, REMOTE_ADDR="10.9.8.6")
    event = latest(AccessAction.LOCKED_OUT)
    assert (event.actor_username, event.ip_address, event.path, event.reason) == (
        "mash.birmingham",
        "10.9.8.6",
        LOGIN,
        "too many failed sign-ins",
    )


def test_signing_out_is_recorded_with_the_address(client, personas):
    client.force_login(personas.auditor)
    client.post(reverse("accounts:logout"), REMOTE_ADDR="10.9.8.5")
    event = latest(AccessAction.LOGOUT)
    assert (event.actor, event.ip_address, event.path) == (personas.auditor, "10.9.8.5", reverse("accounts:logout"))


def test_a_failure_or_lock_out_without_a_username_records_a_blank_name():
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="10.9.8.4")
    user_login_failed.send(sender=__name__, credentials={}, request=request)
    assert latest(AccessAction.LOGIN_FAILED).actor_username == ""
    user_locked_out.send(sender=__name__, request=request, username=None, ip_address="10.9.8.4")
    event = latest(AccessAction.LOCKED_OUT)
    assert (event.actor_username, event.ip_address) == ("", "10.9.8.4")
    user_login_failed.send(sender=__name__, credentials={"username": "x"})
    assert latest(AccessAction.LOGIN_FAILED).via == "command"


def test_an_area_refusal_for_a_missing_record_names_its_type_and_the_request(personas):
    request = RequestFactory().get("/nominals/N-NONE/", REMOTE_ADDR="10.9.8.3")
    with pytest.raises(Http404):
        get_in_area(
            user=personas.analyst,
            roles=POLICE_DATA_ROLES,
            queryset=Nominal.objects.all(),
            request=request,
            object_id="N-NONE",
            pk="N-NONE",
        )
    event = latest(AccessAction.REFUSED)
    assert (event.object_type, event.object_id, event.path, event.ip_address, event.actor) == (
        "analytics.nominal",
        "N-NONE",
        "/nominals/N-NONE/",
        "10.9.8.3",
        personas.analyst,
    )


def test_a_role_refusal_without_an_object_names_none(personas):
    with pytest.raises(Http404):
        require_role(user=personas.auditor, roles=POLICE_DATA_ROLES, object_type="analytics.nominal")
    event = latest(AccessAction.REFUSED)
    assert (event.object_type, event.object_id) == ("analytics.nominal", "")
