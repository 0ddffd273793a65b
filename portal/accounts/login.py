"""Sign-in: the form, and the throttle on an address guessing across many accounts.

Accounts lock by username (django-axes, AXES_FAILURE_LIMIT). Behind the production proxy many
people share one address, so the address limit is much higher (LOGIN_ADDRESS_FAILURE_LIMIT in
the lockout period): it stops one machine trying passwords across every account without locking
out a MASH office because one person mistyped.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache

from portal.proxy import client_ip

USERNAME_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length


def _address_key(address: str) -> str:
    return f"login-failures:{address}"


def address_failure_record(request) -> None:
    address = client_ip(request) or "unknown"
    key = _address_key(address)
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if cache.add(key, 1, timeout=timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)


def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    if request is not None:
        address_failure_record(request)


user_login_failed.connect(_count_failure, dispatch_uid="portal.accounts.login.address_failures")


def address_blocked(request) -> bool:
    return (cache.get(_address_key(client_ip(request) or "unknown")) or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a username longer than the field before anyone is
    authenticated: Django sets the field's max_length after building its validators, so a long
    name (or a real name padded with spaces, which the field then strips) used to reach
    authentication and count as a failed attempt on a real account."""

    def clean_username(self) -> str:
        raw = self.data.get(self.add_prefix("username"), "")
        # Django allows a CharField without max_length (unlimited on PostgreSQL): nothing to refuse then.
        if not isinstance(raw, str) or (USERNAME_MAX_LENGTH is not None and len(raw) > USERNAME_MAX_LENGTH):
            raise forms.ValidationError(
                f"A username has at most {USERNAME_MAX_LENGTH} characters.", code="username_too_long"
            )
        return self.cleaned_data["username"]
