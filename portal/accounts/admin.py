"""The admin site: administrators run agencies and accounts. They never read case data or
police records, never act as another person (no tokens, no passwords, no two-factor keys) and
never raise their own privileges.

Registered here, and nothing else (tests/portal/test_admin.py holds the allowlist): agencies,
accounts, two-factor devices (to remove a lost one; never its key) and failed sign-in attempts
(to unlock an account). Every write and every page shown goes to the access trail
(admin_audit.AuditedAdminMixin); changes of role, agency or privilege also raise an alert.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.audit.models import AccessAction, AlertKind
from portal.audit.services import alert_raise, record_access

from .admin_audit import AuditedAdminMixin
from .forms import AccountChangeForm, AccountCreateForm
from .models import Agency, User
from .roles import API_ROLES
from .services import (
    agency_group_ensure,
    api_token_revoke,
    privilege_changes_record,
    privilege_snapshot,
    user_password_link_send,
)

# What an administrator may never change on their own account: each would raise their own
# privileges or move them into an agency whose cases they would then read.
# Vetting details too: the misuse rules compare them with the people an account looks up, so an
# administrator who could edit their own could hide a search for their own family.
SELF_PROTECTED_FIELDS = frozenset(
    {"role", "agency", "is_superuser", "is_staff", "groups", "user_permissions", "date_of_birth", "home_postcode"}
)
# Of those, the ones on the account's own row (groups and permissions are in no admin form).
_SELF_PROTECTED_COLUMNS = SELF_PROTECTED_FIELDS - {"groups", "user_permissions"}


def _unregister(*models) -> None:
    for model in models:
        if admin.site.is_registered(model):
            admin.site.unregister(model)


def _unregister_other_apps() -> None:
    from auditlog.models import LogEntry as ChangeLogEntry
    from axes.models import AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token, TokenProxy

    _unregister(
        # Change-log entries carry the before/after values of case and intelligence records.
        # They are read in the auditor's workspace, where every read is itself audited.
        ChangeLogEntry,
        # Agency groups carry the object permissions on cases: adding someone to a group would
        # give them that agency's cases. Membership follows the account's agency (signals.py).
        Group,
        # A token lets its holder act as its owner through the API: each person creates and
        # revokes their own, from their profile, after two-factor sign-in.
        Token,
        TokenProxy,
        # Sign-in history is in the access trail, read by the auditors.
        AccessLog,
        AccessFailureLog,
        # Registered again below, without keys and without form data.
        TOTPDevice,
        AccessAttempt,
    )


_unregister_other_apps()


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "code"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    readonly_fields = ["group"]

    def get_readonly_fields(self, request, obj=None):
        # The code names the agency's group and its seed entry; it is chosen once.
        return [*super().get_readonly_fields(request, obj), *(["code"] if obj is not None else [])]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Cases, shares and people point at agencies; the confirmation page would list them.
        return False

    def save_model(self, request, obj, form, change) -> None:
        before = privilege_snapshot(Agency.objects.select_for_update().get(pk=obj.pk)) if change else None
        if not change:
            obj.group = agency_group_ensure(code=obj.code)
        super().save_model(request, obj, form, change)
        privilege_changes_record(actor=request.user, obj=obj, before=before, request=request)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    form = AccountChangeForm
    add_form = AccountCreateForm
    add_form_template = "admin/accounts/user/add_form.html"
    fieldsets = (
        (None, {"fields": ("username",)}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Agency and role", {"fields": ("agency", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        (
            "Vetting details",
            {
                "fields": ("date_of_birth", "home_postcode"),
                "description": "From the person's vetting record. Only the auditors' misuse rules read them: "
                "they flag look-ups of people who share this surname and postcode, or this name and date of birth.",
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "first_name", "last_name", "email", "agency", "role")}),
    )
    # Superusers are made from the command line only.
    readonly_fields = ("is_superuser", "last_login", "date_joined")
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["role", "agency", "is_active", "is_staff"]
    filter_horizontal = ()
    actions = ["send_password_link"]

    def _is_self(self, request, obj) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._is_self(request, obj):
            fields += sorted(_SELF_PROTECTED_COLUMNS - set(fields))
        return fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts are deactivated, never deleted: the trail and the case history point at them,
        # and the confirmation page would list the records they touched.
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            forged = sorted(SELF_PROTECTED_FIELDS & set(request.POST)) if self._is_self(request, obj) else []
            if forged:
                record_access(
                    action=AccessAction.REFUSED,
                    request=request,
                    obj=obj,
                    reason="administrators may not change their own role, agency, privileges or vetting details",
                    detail={"fields": forged},
                )
                raise PermissionDenied("You cannot change your own role, agency, privileges or vetting details.")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        stored = User.objects.select_for_update().get(pk=obj.pk) if change else None
        if stored is not None and self._is_self(request, obj):
            # The form has no such field for one's own account; this catches any other way in.
            if any(getattr(stored, field) != getattr(obj, field) for field in _SELF_PROTECTED_COLUMNS):
                raise PermissionDenied("You cannot change your own role, agency, privileges or vetting details.")
        before = privilege_snapshot(stored) if stored is not None else None
        super().save_model(request, obj, form, change)
        privilege_changes_record(actor=request.user, obj=obj, before=before, request=request)
        if stored is not None and stored.role != obj.role and obj.role not in API_ROLES:
            api_token_revoke(user=obj, request=request, actor=request.user, reason="the new role does not use the API")

    def user_change_password(self, request, id, form_url=""):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=User._meta.label_lower,
            object_id=str(id),
            reason="administrators do not set passwords; they send a link to set one",
        )
        raise PermissionDenied("Send the person a link to set their password instead.")

    @admin.action(description="Send a link to set the password", permissions=["change"])
    def send_password_link(self, request, queryset) -> None:
        sent = [user for user in queryset if user_password_link_send(user=user, request=request, actor=request.user)]
        skipped = queryset.count() - len(sent)
        if sent:
            self.message_user(request, f"Sent a link to set the password to {len(sent)} account(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} account(s) have no e-mail address or are inactive: no link sent.", messages.WARNING
            )


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AuditedAdminMixin, BaseTOTPDeviceAdmin):
    """An administrator may remove a lost device, so that its owner sets up a new one at their
    next sign-in, and see when devices were made and used. Never the key or the QR code,
    whatever OTP_ADMIN_HIDE_SENSITIVE_DATA says, and no adding or editing: a device made or
    moved by someone else would let them pass as its owner."""

    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]

    def get_list_display(self, request):
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        return [
            ("Identity", {"fields": ["user", "name", "confirmed"]}),
            ("Timestamps", {"fields": ["created_at", "last_used_at"]}),
            ("Throttling", {"fields": ["throttling_failure_timestamp", "throttling_failure_count"]}),
        ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def admin_action_record(self, request, obj, *, operation: str, message: str = ""):
        event = super().admin_action_record(request, obj, operation=operation, message=message)
        if operation == "delete":
            alert_raise(
                kind=AlertKind.ACCOUNT_CHANGE,
                message=f"{request.user} removed the two-factor device of {obj.user}",
                actor=request.user,
                subject=obj.user,
                detail={"operation": "two_factor_device_removed", "device": obj.pk},
                event=event,
            )
        return event

    def _secret_refused(self, request, pk):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            object_type=TOTPDevice._meta.label_lower,
            object_id=str(pk),
            reason="two-factor keys are never shown in administration",
        )
        raise Http404

    def config_view(self, request, pk):
        self._secret_refused(request, pk)

    def qrcode_view(self, request, pk):
        self._secret_refused(request, pk)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AuditedAdminMixin, BaseAccessAttemptAdmin):
    """Deleting an account's failed attempts unlocks it. What was typed into the sign-in form
    is not shown (django-axes masks the password field, not a password typed in the wrong box)."""

    fieldsets = (
        (None, {"fields": ("username", "path_info", "failures_since_start", "expiration")}),
        ("Meta Data", {"fields": ("user_agent", "ip_address", "http_accept")}),
    )
    # django-axes' clean-up action deletes without an admin log entry, so without a trail entry.
    actions = []

    def has_change_permission(self, request, obj=None) -> bool:
        return False
