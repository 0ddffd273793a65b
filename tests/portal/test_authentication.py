"""Sign-in: audited, rate-limited with lockout, idle expiry, TOTP two-factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent

LOGIN = "accounts:login"


def _sign_in(client, username: str, password: str, **extra):
    return client.post(reverse(LOGIN), {"username": username, "password": password}, **extra)


@pytest.fixture
def officer(db):
    from portal.accounts.models import Agency
    from portal.accounts.services import user_create

    return user_create(
        username="grace",
        password="a-Long-enough-passphrase-77",
        agency=Agency.objects.get(code="birmingham"),
        role="mash_practitioner",
    )


def test_successful_and_failed_sign_ins_are_recorded(client, officer):
    assert _sign_in(client, "grace", "wrong-password-000").status_code == 200
    assert _sign_in(client, "grace", "a-Long-enough-passphrase-77").status_code == 302
    actions = list(AccessEvent.objects.order_by("id").values_list("action", "actor_username"))
    assert (AccessAction.LOGIN_FAILED, "grace") in actions
    assert (AccessAction.LOGIN, "grace") in actions
    client.post(reverse("accounts:logout"))
    assert AccessEvent.objects.filter(action=AccessAction.LOGOUT, actor=officer).exists()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, officer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "grace", "wrong-password-000")
    locked = _sign_in(client, "grace", "a-Long-enough-passphrase-77")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessEvent.objects.filter(action=AccessAction.LOCKED_OUT, actor_username="grace").exists()


def test_a_failure_message_does_not_say_whether_the_user_exists(client, officer):
    unknown = _sign_in(client, "nobody-here", "wrong-password-000").content.decode()
    known = _sign_in(client, "grace", "wrong-password-000").content.decode()
    assert "Please enter a correct username and password" in unknown
    assert "Please enter a correct username and password" in known


def test_an_idle_session_ends_after_thirty_minutes_and_activity_extends_it(client, officer):
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert _sign_in(client, "grace", "a-Long-enough-passphrase-77").status_code == 302
        for _ in range(3):  # each request within 30 minutes keeps the session alive
            traveller.shift(timedelta(minutes=29))
            assert client.get(reverse("safeguarding:case_list")).status_code == 200
        traveller.shift(timedelta(minutes=30, seconds=1))
        expired = client.get(reverse("safeguarding:case_list"))
    assert expired.status_code == 302 and expired.url.startswith(reverse(LOGIN))


def test_weak_passwords_are_refused(db):
    from django.core.exceptions import ValidationError

    from portal.accounts.models import Agency
    from portal.accounts.services import user_create

    with pytest.raises(ValidationError) as raised:
        user_create(username="weak", password="password1", agency=Agency.objects.get(code="wmp"), role="analyst")
    assert any("too short" in m or "too common" in m for m in raised.value.messages)


def test_pages_need_a_signed_in_user(client, db):
    response = client.get(reverse("safeguarding:case_list"))
    assert response.status_code == 302 and response.url.startswith(reverse(LOGIN))


def _current_token(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def test_two_factor_set_up_then_required_on_every_new_session(client, officer, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.OTP_REQUIRED = True
    assert _sign_in(client, "grace", "a-Long-enough-passphrase-77").status_code == 302
    gated = client.get(reverse("safeguarding:case_list"))
    assert gated.status_code == 302 and gated.url.startswith(reverse("accounts:two_factor"))
    setup = client.get(reverse("accounts:two_factor"))
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=officer)
    wrong = client.post(reverse("accounts:two_factor"), {"token": "000000"})
    assert "not right" in wrong.content.decode()
    throttled = client.post(reverse("accounts:two_factor"), {"token": _current_token(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as if the user waited out the back-off
    done = client.post(reverse("accounts:two_factor"), {"token": _current_token(device), "next": "/cases/"})
    assert done.status_code == 302 and done.url == "/cases/"
    assert client.get(reverse("safeguarding:case_list")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed

    client.post(reverse("accounts:logout"))
    _sign_in(client, "grace", "a-Long-enough-passphrase-77")
    assert client.get(reverse("safeguarding:case_list")).status_code == 302
    api = client.get(reverse("case-list"))
    assert api.status_code == 403


def test_two_factor_is_optional_in_the_demo(client, officer, settings):
    settings.OTP_REQUIRED = False
    _sign_in(client, "grace", "a-Long-enough-passphrase-77")
    assert client.get(reverse("safeguarding:case_list")).status_code == 200


def test_open_redirects_are_refused_after_two_factor(client, officer, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.OTP_REQUIRED = True
    _sign_in(client, "grace", "a-Long-enough-passphrase-77")
    client.get(reverse("accounts:two_factor"))
    device = TOTPDevice.objects.get(user=officer)
    done = client.post(
        reverse("accounts:two_factor"), {"token": _current_token(device), "next": "https://evil.example/"}
    )
    assert done.url == "/"


@pytest.fixture
def colleague(db):
    from portal.accounts.models import Agency
    from portal.accounts.services import user_create

    return user_create(
        username="colleague",
        password="another-Long-passphrase-88",
        agency=Agency.objects.get(code="birmingham"),
        role="mash_practitioner",
    )


def _failures(username: str) -> int:
    from axes.models import AccessAttempt

    return sum(AccessAttempt.objects.filter(username=username).values_list("failures_since_start", flat=True))


def test_a_sign_in_resets_only_the_signed_in_users_failures(client, officer, colleague):
    for _ in range(3):
        _sign_in(client, "colleague", "wrong-password-000", REMOTE_ADDR="10.1.1.1")
    assert _sign_in(client, "grace", "a-Long-enough-passphrase-77", REMOTE_ADDR="10.1.1.1").status_code == 302
    assert _failures("colleague") == 3
    client.post(reverse("accounts:logout"))
    for _ in range(2):
        _sign_in(client, "colleague", "wrong-password-000", REMOTE_ADDR="10.1.1.1")
    assert _sign_in(client, "colleague", "another-Long-passphrase-88", REMOTE_ADDR="10.1.1.1").status_code == 429


def test_one_persons_failures_do_not_lock_out_their_office(client, officer, colleague):
    """Behind the proxy everyone shares one address: the lockout is by username."""
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _sign_in(client, "grace", "wrong-password-000", REMOTE_ADDR="10.2.2.2")
    assert _sign_in(client, "grace", "a-Long-enough-passphrase-77", REMOTE_ADDR="10.2.2.2").status_code == 429
    assert _sign_in(client, "colleague", "another-Long-passphrase-88", REMOTE_ADDR="10.2.2.2").status_code == 302


def test_an_address_guessing_across_accounts_is_throttled(client, officer, settings):
    from django.core.cache import cache

    cache.clear()
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for number in range(6):  # a different account each time: no account reaches its own limit
        _sign_in(client, f"guess-{number}", "wrong-password-000", REMOTE_ADDR="10.3.3.3")
    blocked = _sign_in(client, "grace", "a-Long-enough-passphrase-77", REMOTE_ADDR="10.3.3.3")
    assert blocked.status_code == 429 and "network address" in blocked.content.decode()
    assert AccessEvent.objects.filter(action=AccessAction.LOCKED_OUT, reason__contains="address").exists()
    assert _sign_in(client, "grace", "a-Long-enough-passphrase-77", REMOTE_ADDR="10.4.4.4").status_code == 302
    cache.clear()


def test_a_username_longer_than_the_field_is_refused_without_counting(client, officer):
    for padded in ("grace" + " " * 200, "grace" + "x" * 200):
        response = _sign_in(client, padded, "wrong-password-000")
        assert response.status_code == 200 and "at most 150 characters" in response.content.decode()
    assert _failures("grace") == 0
    assert not AccessEvent.objects.filter(action=AccessAction.LOGIN_FAILED).exists()


def test_the_admin_site_has_no_sign_in_form_of_its_own(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == reverse(LOGIN) + "?next=/admin/"


# --- API tokens and two-factor -------------------------------------------------------------


def _token_for(user):
    from portal.accounts.services import api_token_create

    return api_token_create(user=user)


def _api(client, key: str):
    return client.get(reverse("case-list"), HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_needs_a_confirmed_device_where_two_factor_is_required(client, officer, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.OTP_REQUIRED = True
    key = _token_for(officer).key
    refused = _api(client, key)
    assert refused.status_code in (401, 403) and "two-factor" in refused.json()["detail"]
    assert AccessEvent.objects.filter(action=AccessAction.REFUSED, reason__icontains="two-factor").exists()
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    assert _api(client, key).status_code in (401, 403), "a token issued before the device must not work"
    fresh = _token_for(officer).key
    assert _api(client, fresh).status_code == 200


def test_confirming_two_factor_revokes_an_earlier_token(client, officer, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework.authtoken.models import Token

    settings.OTP_REQUIRED = False
    _token_for(officer)
    _sign_in(client, "grace", "a-Long-enough-passphrase-77")
    client.get(reverse("accounts:two_factor"))
    device = TOTPDevice.objects.get(user=officer)
    client.post(reverse("accounts:two_factor"), {"token": _current_token(device)})
    assert not Token.objects.filter(user=officer).exists()


def test_a_token_of_a_role_without_api_use_is_refused(client, officer):
    from rest_framework.authtoken.models import Token

    officer.role = "auditor"
    officer.save()
    key = Token.objects.create(user=officer).key  # as if issued before the role changed
    assert _api(client, key).status_code in (401, 403)
