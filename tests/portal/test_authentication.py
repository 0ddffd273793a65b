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
