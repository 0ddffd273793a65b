from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import TokenForm
from .roles import Role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
def home(request):
    """Each role lands on the work that is theirs."""
    role = request.user.role
    template = {
        Role.ANALYST: "home/analyst.html",
        Role.INTELLIGENCE_SUPERVISOR: "home/analyst.html",
        Role.AUDITOR: "home/auditor.html",
        Role.SPOC: "home/spoc.html",
        Role.PROVIDER_SPOC: "home/spoc.html",
        Role.ADMINISTRATOR: "home/administrator.html",
    }.get(role, "home/practitioner.html")
    return render(request, template, {"role": request.user.get_role_display()})
