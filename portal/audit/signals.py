"""Sign-in, sign-out, failed sign-in and lockout go into the access trail."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AccessAction
from .services import record_access


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    record_access(action=AccessAction.LOGIN, request=request, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_access(action=AccessAction.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    record_access(
        action=AccessAction.LOGIN_FAILED,
        request=request,
        actor_username=str(credentials.get("username", ""))[:150],
        via="web" if request is not None else "command",
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    record_access(
        action=AccessAction.LOCKED_OUT,
        request=request,
        actor_username=str(username or "")[:150],
        reason="too many failed sign-ins",
    )
