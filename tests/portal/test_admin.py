"""Administration runs accounts; it never reads case data, acts as someone else (tokens,
passwords, two-factor keys) or raises its own privileges. Every admin write and page is in the
access trail; changes of role, agency or privilege raise an alert."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from portal.accounts.admin_audit import AuditedAdminMixin
from portal.accounts.models import Agency, User
from portal.accounts.roles import Role
from portal.audit.models import AccessAction, AccessEvent, Alert, AlertKind

pytestmark = pytest.mark.django_db

ADDRESS = "10.0.0.9"


def _trail_text(events) -> str:
    """Everything the trail holds for `events`, as one string to search for secrets."""
    return json.dumps(
        [
            [e.object_type, e.object_id, e.object_repr, e.query, e.path, e.reason, e.detail, e.user_agent]
            for e in events
        ],
        default=str,
    )


def _change_form(user: User, **changes) -> dict:
    """The POST the admin change page sends for `user`, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "agency": str(user.agency_id),
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "_save": "Save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def _own_change_form(user: User, **changes) -> dict:
    """What one's own change page sends: role, agency and privileges are shown, not posted."""
    data = _change_form(user, **changes)
    for field in ("agency", "role", "is_staff"):
        data.pop(field, None)
    return data


def _verified(client, device) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# --- What the admin site holds -------------------------------------------------------------------


def test_only_the_allowed_models_are_in_the_admin():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == {
        "accounts.agency",
        "accounts.user",
        "otp_totp.totpdevice",
        "axes.accessattempt",
        # The pathway's reference data: no case data.
        "safeguarding.socexhub",
        "spoc.servicelevel",
        "safeguarding.timescales",
        "safeguarding.disruptiontactickind",
    }
    # django-otp's own switch is on too, in case its admin is ever registered again as it ships.
    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


def test_every_registered_admin_writes_to_the_trail():
    unaudited = [m._meta.label for m, a in admin.site._registry.items() if not isinstance(a, AuditedAdminMixin)]
    assert not unaudited


# --- API tokens ------------------------------------------------------------------------------------


def test_there_is_no_token_administration(client, personas):
    client.force_login(personas.administrator)
    for name in ("admin:authtoken_tokenproxy_changelist", "admin:authtoken_tokenproxy_add"):
        with pytest.raises(NoReverseMatch):
            reverse(name)
    assert client.get("/admin/").status_code == 200
    assert "authtoken" not in client.get("/admin/").content.decode()


def test_an_administrator_cannot_make_a_token_for_someone_else_by_any_admin_url(client, personas):
    client.force_login(personas.administrator)
    target = personas.analyst.pk
    for url in (
        "/admin/authtoken/tokenproxy/add/",
        "/admin/authtoken/token/add/",
        f"/admin/authtoken/tokenproxy/{target}/change/",
        f"/admin/authtoken/token/{target}/change/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"user": target, "key": "f" * 40}).status_code == 404, url
    # Their own profile does not help: administrators do not use the API.
    assert client.post(reverse("accounts:token_create"), {"user": target}).status_code == 404
    assert not Token.objects.exists()


def test_a_person_creates_and_revokes_their_own_token_which_is_shown_once(client, personas):
    analyst = personas.analyst
    client.force_login(analyst)
    assert "You have no token" in client.get(reverse("accounts:profile")).content.decode()

    created = client.post(reverse("accounts:token_create"), REMOTE_ADDR=ADDRESS)
    assert created.status_code == 200
    first_key = Token.objects.get(user=analyst).key
    assert first_key in created.content.decode()
    grant = AccessEvent.objects.get(action=AccessAction.GRANT)
    assert (grant.actor, grant.object_type, grant.object_id) == (analyst, "authtoken.token", str(analyst.pk))
    assert grant.ip_address == ADDRESS

    again = client.get(reverse("accounts:profile")).content.decode()
    assert first_key not in again and "You have a token, created" in again

    replaced = client.post(reverse("accounts:token_create"))
    second_key = Token.objects.get(user=analyst).key
    assert second_key != first_key and second_key in replaced.content.decode()
    assert Token.objects.filter(user=analyst).count() == 1
    assert AccessEvent.objects.filter(action=AccessAction.GRANT).latest("id").detail["replaced_previous"] is True

    revoked = client.post(reverse("accounts:token_revoke"))
    assert revoked.status_code == 302 and not Token.objects.filter(user=analyst).exists()
    revoke = AccessEvent.objects.get(action=AccessAction.REVOKE)
    assert (revoke.actor, revoke.object_type) == (analyst, "authtoken.token")

    trail = _trail_text(AccessEvent.objects.all())
    assert first_key not in trail and second_key not in trail


@pytest.mark.parametrize("persona", ["auditor", "spoc", "provider_spoc", "administrator"])
def test_a_role_without_api_use_cannot_create_or_revoke_a_token(client, personas, persona):
    user = getattr(personas, persona)
    client.force_login(user)
    for name in ("accounts:token_create", "accounts:token_revoke"):
        assert client.post(reverse(name)).status_code == 404
        refusal = AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=user).latest("id")
        assert refusal.object_type == "authtoken.token" and refusal.reason
    assert not Token.objects.exists()
    assert "API token" not in client.get(reverse("accounts:profile")).content.decode()


def test_token_pages_take_posts_only(client, personas):
    client.force_login(personas.analyst)
    assert client.get(reverse("accounts:token_create")).status_code == 405
    assert client.get(reverse("accounts:token_revoke")).status_code == 405
    assert not Token.objects.exists()


def test_the_profile_shows_the_account_and_its_two_factor_status(client, personas):
    analyst = personas.analyst
    analyst.first_name, analyst.last_name = "Ada", "Moss"
    analyst.save()
    client.force_login(analyst)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "Ada Moss" in body and "Analyst" in body and "West Midlands Police" in body
    assert "Not set up yet" in body
    assert reverse("accounts:profile") in client.get(reverse("home")).content.decode()

    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    # Outside /accounts/: an unverified session is sent to two-factor before it sees the profile.
    gated = client.get(reverse("accounts:profile"))
    assert gated.status_code == 302 and gated.url.startswith(reverse("accounts:two_factor"))
    assert client.post(reverse("accounts:token_create")).status_code == 302
    assert not Token.objects.exists()
    _verified(client, device)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "Set up; this session is verified" in body


# --- Own account: no self-elevation ----------------------------------------------------------------


def test_own_role_agency_and_privileges_are_read_only(client, personas):
    me = personas.administrator
    client.force_login(me)
    page = client.get(reverse("admin:accounts_user_change", args=[me.pk])).content.decode()
    for field in ("role", "agency", "is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in page, field
    other = client.get(reverse("admin:accounts_user_change", args=[personas.analyst.pk])).content.decode()
    assert 'name="role"' in other and 'name="agency"' in other


@pytest.mark.parametrize(
    "forged",
    [
        {"role": Role.ANALYST},
        {"agency": "birmingham"},
        {"is_superuser": "on"},
        {"is_staff": ""},
        {"groups": "1"},
        {"user_permissions": "1"},
        {"date_of_birth": "1980-01-01"},
        {"home_postcode": "B1 1AA"},
    ],
)
def test_a_forged_post_of_own_privileges_is_refused_and_changes_nothing(client, personas, forged):
    me = personas.administrator
    client.force_login(me)
    if forged.get("agency"):
        forged = {"agency": str(personas.agencies["birmingham"].pk)}
    data = {**_own_change_form(me, first_name="Changed"), **forged}
    if "is_staff" in forged:
        data["is_staff"] = "off"  # present in the POST: an attempt to change it
    before = User.objects.values().get(pk=me.pk)
    groups_before = set(me.groups.values_list("pk", flat=True))
    response = client.post(reverse("admin:accounts_user_change", args=[me.pk]), data)
    assert response.status_code == 403
    assert User.objects.values().get(pk=me.pk) == before
    assert set(me.groups.values_list("pk", flat=True)) == groups_before
    assert not me.user_permissions.exists()
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, actor=me, object_id=str(me.pk)).exists()


def test_own_privileges_are_refused_when_saved_by_any_other_route(rf, personas):
    """The form has no such fields for one's own account; saving is refused all the same."""
    from django.core.exceptions import PermissionDenied

    from portal.accounts.admin import UserAdmin

    me = personas.administrator
    request = rf.post("/admin/")
    request.user = me
    me.role = Role.ANALYST
    with pytest.raises(PermissionDenied):
        UserAdmin(User, admin.site).save_model(request, me, form=None, change=True)
    me.refresh_from_db()
    assert me.role == Role.ADMINISTRATOR


def test_an_administrator_sets_someone_elses_vetting_details_checked_and_recorded(client, personas):
    admin_user, analyst = personas.administrator, personas.analyst
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[analyst.pk])
    page = client.get(url).content.decode()
    assert 'name="date_of_birth"' in page and 'name="home_postcode"' in page
    for bad, message in (
        ({"home_postcode": "B1"}, "Enter a UK postcode such as B1 1AA"),
        ({"date_of_birth": "2999-01-01"}, "a date in the past"),
    ):
        response = client.post(url, _change_form(analyst, **bad))
        assert response.status_code == 200 and message in response.content.decode(), bad
    analyst.refresh_from_db()
    assert (analyst.date_of_birth, analyst.home_postcode) == (None, "")
    response = client.post(url, _change_form(analyst, date_of_birth="1985-04-02", home_postcode="b11aa"))
    assert response.status_code == 302
    analyst.refresh_from_db()
    assert (str(analyst.date_of_birth), analyst.home_postcode) == ("1985-04-02", "B1 1AA")
    change = AccessEvent.objects.filter(action=AccessAction.ADMIN, object_id=str(analyst.pk)).latest("id")
    assert change.actor == admin_user
    assert "Date of birth" in change.detail["change_message"] and "Home postcode" in change.detail["change_message"]
    own = client.get(reverse("admin:accounts_user_change", args=[admin_user.pk])).content.decode()
    assert 'name="home_postcode"' not in own and 'name="date_of_birth"' not in own


def test_an_administrator_may_still_edit_their_own_name(client, personas):
    me = personas.administrator
    client.force_login(me)
    response = client.post(reverse("admin:accounts_user_change", args=[me.pk]), _own_change_form(me, first_name="Jo"))
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.first_name == "Jo" and me.role == Role.ADMINISTRATOR and me.is_superuser


# --- Other accounts: changes recorded and alerted ----------------------------------------------------


def test_changing_someone_elses_role_and_agency_is_recorded_and_alerted(client, personas):
    admin_user, mash = personas.administrator, personas.mash_birmingham
    coventry = personas.agencies["coventry"]
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_change", args=[mash.pk]),
        _change_form(mash, role=Role.MASH_MANAGER, agency=str(coventry.pk)),
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    mash.refresh_from_db()
    assert (mash.role, mash.agency) == (Role.MASH_MANAGER, coventry)
    assert list(mash.groups.all()) == [coventry.group]

    changes = {
        e.detail["field"]: e
        for e in AccessEvent.objects.filter(action=AccessAction.ADMIN, object_id=str(mash.pk))
        if "field" in e.detail
    }
    assert changes["role"].detail == {"field": "role", "old": Role.MASH_PRACTITIONER, "new": Role.MASH_MANAGER}
    assert changes["agency"].detail == {"field": "agency", "old": "birmingham", "new": "coventry"}
    assert changes["role"].actor == admin_user and changes["role"].ip_address == ADDRESS
    alerts = Alert.objects.filter(kind=AlertKind.ACCOUNT_CHANGE, subject_id=str(mash.pk))
    assert {a.detail["field"] for a in alerts} == {"role", "agency"}
    assert all(a.actor == admin_user and a.event_id for a in alerts)


def test_a_change_that_touches_no_privilege_raises_no_alert(client, personas):
    client.force_login(personas.administrator)
    mash = personas.mash_birmingham
    client.post(reverse("admin:accounts_user_change", args=[mash.pk]), _change_form(mash, first_name="Kim"))
    assert not Alert.objects.exists()


def test_a_role_without_api_use_loses_its_token(client, personas):
    from portal.accounts.services import api_token_create

    analyst = personas.analyst
    api_token_create(user=analyst)
    client.force_login(personas.administrator)
    client.post(reverse("admin:accounts_user_change", args=[analyst.pk]), _change_form(analyst, role=Role.AUDITOR))
    assert not Token.objects.filter(user=analyst).exists()
    revoke = AccessEvent.objects.get(action=AccessAction.REVOKE)
    assert revoke.actor == personas.administrator and revoke.object_id == str(analyst.pk)


def test_changing_an_agencys_kind_is_alerted(client, personas):
    charity = Agency.objects.filter(kind="charity").first() or personas.agencies["health"]
    client.force_login(personas.administrator)
    response = client.post(
        reverse("admin:accounts_agency_change", args=[charity.pk]),
        {"name": charity.name, "kind": "police_force", "_save": "Save"},
    )
    assert response.status_code == 302
    alert = Alert.objects.get(kind=AlertKind.ACCOUNT_CHANGE)
    assert alert.detail == {"field": "kind", "old": charity.kind, "new": "police_force"}


def test_accounts_and_agencies_are_never_deleted_in_the_admin(client, personas, child_case):
    client.force_login(personas.administrator)
    for url in (
        reverse("admin:accounts_user_delete", args=[personas.analyst.pk]),
        reverse("admin:accounts_agency_delete", args=[personas.agencies["birmingham"].pk]),
    ):
        response = client.get(url)
        # The confirmation page would list the case records pointing at them.
        assert response.status_code == 403
        assert child_case.surname not in response.content.decode()


# --- Passwords -------------------------------------------------------------------------------------


def test_the_admin_cannot_set_anyones_password(client, personas):
    client.force_login(personas.administrator)
    for user in (personas.analyst, personas.administrator):
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        assert client.get(url).status_code == 403
        posted = client.post(url, {"password1": "A-new-Passphrase-991", "password2": "A-new-Passphrase-991"})
        assert posted.status_code == 403
        user.refresh_from_db()
        assert user.check_password("x")
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, object_type="accounts.user").count() == 4
    page = client.get(reverse("admin:accounts_user_change", args=[personas.analyst.pk])).content.decode()
    # No password field and no link to the password form (the header's link is to one's own).
    assert 'name="password' not in page and "/password/" not in page
    assert personas.analyst.password not in page


def test_a_new_account_gets_no_password_and_its_creation_is_alerted(client, personas):
    client.force_login(personas.administrator)
    add_page = client.get(reverse("admin:accounts_user_add")).content.decode()
    assert 'name="password1"' not in add_page and 'name="usable_password"' not in add_page
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new.officer",
            "first_name": "New",
            "last_name": "Officer",
            "email": "new.officer@example.org",
            "agency": str(personas.agencies["birmingham"].pk),
            "role": Role.MASH_PRACTITIONER,
            "password1": "Chosen-by-the-Admin-123",
            "password2": "Chosen-by-the-Admin-123",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="new.officer")
    assert not created.has_usable_password()
    assert list(created.groups.all()) == [personas.agencies["birmingham"].group]
    alert = Alert.objects.get(kind=AlertKind.ACCOUNT_CHANGE, subject_id=str(created.pk))
    assert alert.detail["values"]["role"] == Role.MASH_PRACTITIONER
    assert "Chosen-by-the-Admin-123" not in _trail_text(AccessEvent.objects.all())


def test_a_link_to_set_the_password_is_mailed_to_the_person_and_works_once(client, personas):
    officer = personas.mash_coventry
    officer.email = "mash.coventry@example.org"
    officer.set_unusable_password()
    officer.save()
    client.force_login(personas.administrator)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_password_link", "_selected_action": [officer.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mash.coventry@example.org"]
    found = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert found is not None
    link = found.group(0)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    # The administrator never sees the link, and the trail never holds it.
    assert token not in response.content.decode() and "/password/set/" not in response.content.decode()
    sent = AccessEvent.objects.get(action=AccessAction.ADMIN, detail__operation="password_link")
    assert sent.object_id == str(officer.pk) and token not in _trail_text([sent])

    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Coventry-Mash-Passphrase-4", "new_password2": "Coventry-Mash-Passphrase-4"},
    )
    assert done.status_code == 302 and done.url == reverse("accounts:password_set_done")
    officer.refresh_from_db()
    assert officer.check_password("Coventry-Mash-Passphrase-4")
    assert AccessEvent.objects.filter(action=AccessAction.UPDATE, actor=officer, detail__field="password").exists()
    assert "does not work" in client.get(link, follow=True).content.decode()


def test_no_link_is_sent_to_an_account_without_an_address(client, personas):
    client.force_login(personas.administrator)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_password_link", "_selected_action": [personas.analyst.pk]},
    )
    assert not mail.outbox


# --- Two-factor devices ----------------------------------------------------------------------------


TOTP_URLS = [
    "admin:otp_totp_totpdevice_change",
    "admin:otp_totp_totpdevice_delete",
    "admin:otp_totp_totpdevice_history",
    "admin:otp_totp_totpdevice_config",
    "admin:otp_totp_totpdevice_qrcode",
]


@pytest.mark.parametrize("name", TOTP_URLS)
def test_a_missing_device_is_a_404_on_every_device_page(client, personas, name):
    client.force_login(personas.administrator)
    assert client.get(reverse(name, args=[999999])).status_code == 404
    assert client.post(reverse(name, args=[999999]), {"post": "yes"}).status_code == 404


def test_a_malformed_device_id_is_a_404(client, personas):
    client.force_login(personas.administrator)
    assert client.get("/admin/otp_totp/totpdevice/nope/change/").status_code == 404
    assert client.get("/admin/otp_totp/totpdevice/999999/", follow=True).status_code == 404


@pytest.mark.parametrize("hide_setting", [True, False])
def test_the_admin_never_shows_a_two_factor_key(client, personas, settings, hide_setting):
    """Whatever django-otp's own switch says: the portal's device admin has no key to show."""
    from base64 import b32encode

    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = hide_setting
    device = TOTPDevice.objects.create(user=personas.analyst, name="phone", confirmed=True)
    secrets = [device.key, b32encode(device.bin_key).decode()]
    client.force_login(personas.administrator)
    for url in (
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
    ):
        body = client.get(url).content.decode()
        assert "phone" in body
        assert not any(secret in body for secret in secrets) and "qrcode" not in body
    for name in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        response = client.get(reverse(name, args=[device.pk]))
        assert response.status_code == 404 and not any(s in response.content.decode() for s in secrets)
    assert not any(secret in _trail_text(AccessEvent.objects.all()) for secret in secrets)


def test_devices_cannot_be_added_or_edited_in_the_admin(client, personas):
    device = TOTPDevice.objects.create(user=personas.analyst, name="phone", confirmed=True)
    client.force_login(personas.administrator)
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    moved = client.post(
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        {"user": personas.administrator.pk, "name": "phone", "key": "00" * 20},
    )
    assert moved.status_code == 403
    device.refresh_from_db()
    assert device.user == personas.analyst


def test_removing_a_lost_device_is_recorded_and_alerted(client, personas):
    device = TOTPDevice.objects.create(user=personas.analyst, name="phone", confirmed=True)
    client.force_login(personas.administrator)
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.exists()
    event = AccessEvent.objects.get(action=AccessAction.ADMIN, detail__operation="delete")
    assert event.object_type == "otp_totp.totpdevice" and event.object_id == str(device.pk)
    alert = Alert.objects.get(kind=AlertKind.ACCOUNT_CHANGE)
    assert alert.subject_id == str(personas.analyst.pk) and alert.event == event


# --- Every admin action and page in the trail ------------------------------------------------------


def test_every_admin_add_change_and_delete_writes_an_access_event(client, personas):
    from axes.models import AccessAttempt

    client.force_login(personas.administrator)
    extra = {"REMOTE_ADDR": ADDRESS}

    added = client.post(
        reverse("admin:accounts_agency_add"),
        {"name": "Northfield Academy Trust", "code": "northfield", "kind": "education", "_save": "Save"},
        **extra,
    )
    assert added.status_code == 302
    agency = Agency.objects.get(code="northfield")
    assert agency.group.name == "agency:northfield"
    client.post(
        reverse("admin:accounts_agency_change", args=[agency.pk]),
        {"name": "Northfield Academies", "kind": "education", "_save": "Save"},
        **extra,
    )
    devices = [TOTPDevice.objects.create(user=p, name="phone") for p in (personas.analyst, personas.auditor)]
    attempts = [
        AccessAttempt.objects.create(
            username=name, ip_address="10.1.1.1", failures_since_start=5, get_data="", post_data=""
        )
        for name in ("a", "b")
    ]
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[devices[0].pk]), {"post": "yes"}, **extra)
    # Several at once: Django logs these with bulk_create, which sends no post_save signal.
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
        **extra,
    )
    assert not AccessAttempt.objects.exists()

    recorded = {
        (e.detail["operation"], e.object_type, e.object_id)
        for e in AccessEvent.objects.filter(action=AccessAction.ADMIN, detail__has_key="change_message")
    }
    assert recorded == {
        ("add", "accounts.agency", str(agency.pk)),
        ("change", "accounts.agency", str(agency.pk)),
        ("delete", "otp_totp.totpdevice", str(devices[0].pk)),
        ("delete", "axes.accessattempt", str(attempts[0].pk)),
        ("delete", "axes.accessattempt", str(attempts[1].pk)),
    }
    assert LogEntry.objects.count() == len(recorded)
    events = AccessEvent.objects.filter(action=AccessAction.ADMIN, detail__has_key="change_message")
    assert all(e.actor == personas.administrator and e.ip_address == ADDRESS for e in events)
    change = events.get(detail__operation="change")
    assert change.detail["change_message"] == "Changed Name."


def test_admin_pages_that_show_accounts_are_recorded(client, personas):
    client.force_login(personas.administrator)
    analyst = personas.analyst
    client.get(reverse("admin:accounts_user_change", args=[analyst.pk]), REMOTE_ADDR=ADDRESS)
    view = AccessEvent.objects.get(action=AccessAction.VIEW)
    assert (view.object_type, view.object_id, view.ip_address) == ("accounts.user", str(analyst.pk), ADDRESS)

    client.get(reverse("admin:accounts_user_history", args=[analyst.pk]))
    assert AccessEvent.objects.filter(action=AccessAction.VIEW, reason="admin history page").exists()

    client.get(reverse("admin:accounts_user_changelist"))
    listed = AccessEvent.objects.get(action=AccessAction.LIST)
    assert listed.result_count == User.objects.count() and str(analyst.pk) in listed.detail["ids"]
    client.get(reverse("admin:accounts_user_changelist"), {"q": "analyst"})
    searched = AccessEvent.objects.get(action=AccessAction.SEARCH)
    assert (searched.query, searched.result_count) == ("analyst", 1)


def test_failed_sign_ins_are_shown_without_what_was_typed(client, personas):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="grace",
        ip_address="10.1.1.1",
        failures_since_start=5,
        get_data="",
        post_data="username=My-Passphrase-1",
    )
    client.force_login(personas.administrator)
    page = client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])).content.decode()
    assert "grace" in page and "My-Passphrase-1" not in page


def test_every_admin_page_opens_for_the_administrator(client, personas):
    from axes.models import AccessAttempt

    device = TOTPDevice.objects.create(user=personas.analyst, name="phone")
    attempt = AccessAttempt.objects.create(username="grace", failures_since_start=1, get_data="", post_data="")
    client.force_login(personas.administrator)
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_agency_changelist"),
        reverse("admin:accounts_agency_add"),
        reverse("admin:accounts_agency_change", args=[personas.agencies["wmp"].pk]),
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_an_administrator_changes_which_hub_covers_an_authority_and_it_is_recorded(client, personas):
    from safeguarding.models import HubCoverage, SocexHub

    client.force_login(personas.administrator)
    coventry = SocexHub.objects.get(code="coventry-hub")
    url = reverse("admin:safeguarding_socexhub_change", args=[coventry.pk])
    page = client.get(url)
    assert page.status_code == 200
    coverage = list(HubCoverage.objects.filter(hub=coventry).order_by("pk"))
    data = {
        "name": coventry.name,
        "coverage-TOTAL_FORMS": str(len(coverage)),
        "coverage-INITIAL_FORMS": str(len(coverage)),
        "coverage-MIN_NUM_FORMS": "0",
        "coverage-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(coverage):
        data[f"coverage-{index}-id"] = str(row.pk)
        data[f"coverage-{index}-hub"] = str(coventry.pk)
        data[f"coverage-{index}-local_authority"] = str(row.local_authority_id)
        if row.local_authority.code == "walsall":
            data[f"coverage-{index}-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not HubCoverage.objects.filter(local_authority__code="walsall").exists()
    assert AccessEvent.objects.filter(
        action=AccessAction.ADMIN, actor=personas.administrator, object_type="safeguarding.socexhub"
    ).exists()
