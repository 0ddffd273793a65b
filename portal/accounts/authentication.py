"""API tokens bound to two-factor sign-in.

RequireTwoFactorMiddleware runs before DRF identifies a token's user, so on its own a token
would skip two-factor. Wherever a session needs a verified device, a token works only for a
user with a confirmed device and only when it was issued after that device was set up (a token
issued earlier was issued to someone who had not yet proved the second factor).
"""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .middleware import two_factor_required
from .roles import API_ROLES, role_has


class TwoFactorTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not role_has(user, API_ROLES):
            raise exceptions.AuthenticationFailed("This account's role does not use the API.")
        if two_factor_required(user):
            device = TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-created_at").first()
            if device is None:
                raise exceptions.AuthenticationFailed(
                    "Set up two-factor sign-in in the portal, then create a new token from your profile."
                )
            if device.created_at is None or token.created < device.created_at:
                raise exceptions.AuthenticationFailed(
                    "This token was issued before two-factor sign-in was set up; create a new one from your profile."
                )
        return user, token
