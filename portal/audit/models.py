"""Access events: the reads, searches, exports, refusals and sign-ins that django-auditlog
cannot see (it records writes to audited models only).

Rows are append-only: nothing in the portal updates or deletes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed a record"
    LIST = "list", "Listed records"
    SEARCH = "search", "Searched"
    EXPORT = "export", "Exported"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    REFUSED = "refused", "Refused access"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    LOGOUT = "logout", "Signed out"
    GRANT = "grant", "Granted access"
    REVOKE = "revoke", "Revoked access"
    IMPORT = "import", "Imported data"
    ADMIN = "admin", "Administration"
    TRANSITION = "transition", "Changed state"
    CONSENT = "consent", "Recorded consent"


class AccessEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
    )
    # Kept as text too, so the trail still reads correctly for failed sign-ins (no user) and
    # survives a rename.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=16, choices=AccessAction.choices, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    query = models.CharField(max_length=500, blank=True)
    result_count = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    method = models.CharField(max_length=8, blank=True)
    via = models.CharField(max_length=16, blank=True, help_text="web, api, task or command")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        target = f" {self.object_type} {self.object_id}" if self.object_type else ""
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}{target}"


class AlertKind(models.TextChoices):
    ACCOUNT_CHANGE = "account_change", "Role, agency or privilege changed"
    CONSENT_OVERRIDE = "consent_override", "Shared without consent"
    MISUSE = "misuse", "Possible misuse"


class Alert(models.Model):
    """Something an auditor must look at: raised by the portal, never by the person concerned.

    Append-only like the trail; an auditor acknowledging an alert is the only change.
    """

    raised_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=AlertKind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts_raised"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    event = models.ForeignKey(AccessEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.raised_at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.message}"
