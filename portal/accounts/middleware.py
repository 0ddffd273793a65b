"""Two-factor enforcement: once signed in, a session must be verified with TOTP when the
deployment requires it (production) or when the user has set up a device (demo, optional)."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

_OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz")


def two_factor_required(user) -> bool:
    """Two-factor is required everywhere in production and, in the demo, for anyone who has set
    up a device."""
    return bool(settings.OTP_REQUIRED or user_has_device(user, confirmed=True))


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
            and two_factor_required(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Two-factor verification required."}, status=403)
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)
