from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from portal.access import require_role
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from safeguarding import views as safeguarding_views

from .forms import TokenForm
from .login import SignInForm, address_blocked
from .roles import API_ROLES, Role, role_has
from .services import TOKEN_OBJECT_TYPE, api_token_create, api_token_revoke


class LoginView(auth_views.LoginView):
    """Django's sign-in with the portal's form, behind the address throttle (see login.py);
    the account lockout itself is django-axes'."""

    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if address_blocked(request):
            record_access(
                action=AccessAction.LOCKED_OUT,
                request=request,
                actor_username=str(request.POST.get("username", ""))[:150],
                reason="too many failed sign-ins from this address",
            )
            return render(request, "accounts/locked_out.html", {"by_address": True}, status=429)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _qr_svg(config_url: str) -> str:
    image = qrcode.make(config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def two_factor(request):
    """Verify this session with TOTP, setting up a device first if the user has none."""
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device, _ = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "Too many wrong codes in a row. Wait a few seconds, then enter the current code.")
        elif device.verify_token(form.cleaned_data["token"]):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                # A token issued before the second factor was proved stops working (the API
                # also refuses it); the person creates a new one from their profile.
                if Token.objects.filter(user=request.user).exists():
                    api_token_revoke(user=request.user, request=request)
            otp_login(request, device)
            messages.success(request, "Two-factor verification complete.")
            return redirect(_safe_next(request))
        else:
            form.add_error(
                "token", "That code is not right or has expired. Codes change every 30 seconds; try the current one."
            )
    context = {"form": form, "setting_up": setting_up, "next": _safe_next(request)}
    if setting_up:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor.html", context)


@login_required
@require_safe
def home(request):
    """Each role lands on the work that is theirs: the pathway's roles on their dashboard of
    what is due (served here, so the home page answers 200 for everyone)."""
    role = request.user.role
    if role in (Role.MASH_PRACTITIONER, Role.MASH_MANAGER, Role.PANEL_MEMBER, Role.POLICE_SAFEGUARDING_OFFICER):
        return safeguarding_views.dashboard(request)
    template = {
        Role.ANALYST: "home/analyst.html",
        Role.INTELLIGENCE_SUPERVISOR: "home/analyst.html",
        Role.AUDITOR: "home/auditor.html",
        Role.SPOC: "home/spoc.html",
        Role.PROVIDER_SPOC: "home/spoc.html",
        Role.DESIGNATED_SENIOR_OFFICER: "home/spoc.html",
        Role.SENIOR_RESPONSIBLE_OFFICER: "home/spoc.html",
        Role.ADMINISTRATOR: "home/administrator.html",
    }.get(role, "home/practitioner.html")
    return render(request, template, {"role": request.user.get_role_display()})


# --- Profile: the signed-in person's own account, and their API token ---------------------------
# Under /profile/, not /accounts/: the two-factor check covers it, so a token is only ever
# created in a verified session.


def _profile_page(request, *, new_key: str = ""):
    user = request.user
    context = {
        "two_factor_set_up": TOTPDevice.objects.devices_for_user(user, confirmed=True).exists(),
        "two_factor_verified": user.is_verified(),
        "api_allowed": role_has(user, API_ROLES),
        # Only the date: the key of an existing token is never shown again.
        "token_created": Token.objects.filter(user=user).values_list("created", flat=True).first(),
        "new_key": new_key,
    }
    return render(request, "accounts/profile.html", context)


@never_cache
@login_required
@require_safe
def profile(request):
    return _profile_page(request)


@never_cache
@login_required
@require_POST
def token_create(request):
    """Create the user's API token (replacing any) and show its key in this response only."""
    require_role(user=request.user, roles=API_ROLES, request=request, object_type=TOKEN_OBJECT_TYPE)
    token = api_token_create(user=request.user, request=request)
    # Rendered, not redirected: the key must not travel through the session or a URL.
    return _profile_page(request, new_key=token.key)


@login_required
@require_POST
def token_revoke(request):
    require_role(user=request.user, roles=API_ROLES, request=request, object_type=TOKEN_OBJECT_TYPE)
    if api_token_revoke(user=request.user, request=request):
        messages.success(request, "Your API token is revoked: anything still using it is refused from now on.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("accounts:profile")


# --- Setting a password from an e-mailed link -----------------------------------------------------


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Django's password-reset confirmation, reached from the link an administrator had sent.
    The new password passes the configured validators; setting it is recorded."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("accounts:password_set_done")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            record_access(
                action=AccessAction.UPDATE,
                request=self.request,
                actor=self.user,
                obj=self.user,
                reason="password set from an e-mailed link",
                detail={"field": "password"},
            )
        return response


class PasswordSetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_set_done.html"
