"""Access events: the reads, searches, exports, refusals and sign-ins that django-auditlog
cannot see (it records writes to audited models only), and what the auditors do with them.

Access events are append-only: nothing in the portal updates or deletes them (on PostgreSQL,
triggers refuse it), except that the chaining pass fills `chain_seq` and `chain_hash` once.
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
    SHARE = "share", "Disclosed to another agency"
    REVIEW = "review", "Reviewed an alert"
    CONFIGURE = "configure", "Changed a rule"


class AccessEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
        db_index=False,  # audit_event_actor_at leads with it
    )
    # Kept as text too, so the trail still reads correctly for failed sign-ins (no user) and
    # survives a rename.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    query = models.CharField(max_length=500, blank=True)
    result_count = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    method = models.CharField(max_length=8, blank=True)
    via = models.CharField(max_length=16, blank=True, help_text="web, api, task or command")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # Break-glass access and disclosures: the purpose (a PurposeReason code; the free text is in
    # `reason`) and who received the data.
    purpose = models.CharField(max_length=64, blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text='[{"agency": ..., "user": ...}]')
    detail = models.JSONField(default=dict, blank=True)
    # SHA-256 of the event's subject rows (chain.subjects_digest), written with them and hashed
    # into the chain, so a subject row changed, removed or added later is found
    # (chain.verify_subjects). Empty on entries written before it was kept.
    subjects_digest = models.CharField(max_length=64, blank=True, editable=False)
    # The tamper-evident chain (portal/audit/chain.py): one order, no gaps, filled once.
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True)
    chain_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        # The auditor's searches (portal/audit/search.py) walk one of these newest first, with
        # a keyset cursor on (at, id).
        indexes = [
            models.Index(fields=["at", "id"], name="audit_event_at_id"),
            models.Index(fields=["actor", "at", "id"], name="audit_event_actor_at"),
            models.Index(fields=["actor_agency", "at", "id"], name="audit_event_agency_at"),
            models.Index(fields=["action", "at", "id"], name="audit_event_action_at"),
            models.Index(fields=["object_type", "object_id", "at"], name="audit_event_object_at"),
            models.Index(fields=["ip_address", "at", "id"], name="audit_event_ip_at"),
        ]

    def __str__(self) -> str:
        target = f" {self.object_type} {self.object_id}" if self.object_type else ""
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}{target}"


class AccessEventSubject(models.Model):
    """One person or record an access event showed: the record opened, each row of a list or
    search, each record in an export. "Who has seen this child" reads this table."""

    event = models.ForeignKey(AccessEvent, on_delete=models.PROTECT, related_name="subjects")
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "event"], name="audit_subject_lookup")]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id} in event {self.event_id}"


class PurposeReason(models.Model):
    """The managed list of reasons for opening a record without a workflow relationship
    ("break-glass") and for disclosures; the administrator keeps it, free text goes with it."""

    code = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    for_break_glass = models.BooleanField(default=True)
    for_disclosure = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class SubjectMarkerKind(models.TextChoices):
    HIGH_PROFILE = "high_profile", "High-profile person"
    SENSITIVE = "sensitive", "Sensitive record"


class SubjectMarker(models.Model):
    """A person marked high-profile or sensitive by a supervisor: every access raises an alert."""

    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=SubjectMarkerKind.choices)
    reason = models.CharField(max_length=500)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-set_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_marker_subject")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_type} {self.subject_id}"


class MisuseRuleCode(models.TextChoices):
    OUT_OF_HOURS = "out_of_hours", "Access outside working hours"
    VOLUME_SPIKE = "volume_spike", "Volume spike against own and peers' activity"
    REPEATED_NO_RELATIONSHIP = "repeated_no_relationship", "Repeated views of one person with no workflow relationship"
    PERSONAL_CONNECTION = "personal_connection", "Looked up family, a neighbour or a colleague"
    MARKED_SUBJECT = "marked_subject", "Access to a high-profile or sensitive person"
    AFTER_ACCOUNT_CHANGE = "after_account_change", "Access after a role or agency change, or by a dormant account"
    FAILED_SIGN_INS = "failed_sign_ins", "Burst of failed sign-ins or a lock-out"
    BULK = "bulk", "Bulk export or a large list"
    REFUSED_OTHER_AGENCY = "refused_other_agency", "Refused attempt on another agency's record"


class MisuseRule(models.Model):
    """One misuse rule's switch and thresholds, set by an auditor (portal/audit/misuse.py)."""

    code = models.CharField(max_length=32, choices=MisuseRuleCode.choices, unique=True)
    enabled = models.BooleanField(default=True)
    params = models.JSONField(default=dict, blank=True)
    # The last access event this rule has looked at (evaluation resumes after it).
    evaluated_through = models.BigIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


class AlertKind(models.TextChoices):
    ACCOUNT_CHANGE = "account_change", "Role, agency or privilege changed"
    CONSENT_OVERRIDE = "consent_override", "Shared without consent"
    MISUSE = "misuse", "Possible misuse"
    BREAK_GLASS = "break_glass", "Opened without a workflow relationship"
    AUDIT_CHAIN = "audit_chain", "The audit trail failed verification"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    JUSTIFIED = "justified", "Justified"
    REFERRED = "referred", "Referred to professional standards"


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
    # A misuse rule's alert names every event behind it, and the explanations that were looked
    # for and not found ("the user's team holds no case of this child").
    rule = models.CharField(max_length=32, choices=MisuseRuleCode.choices, blank=True, db_index=True)
    events = models.ManyToManyField(AccessEvent, blank=True, related_name="+")
    actor_agency = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.raised_at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.message}"


class AlertNote(models.Model):
    """One step of an alert's review: who moved it, from which status to which, and why."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    status_from = models.CharField(max_length=16, choices=AlertStatus.choices)
    status_to = models.CharField(max_length=16, choices=AlertStatus.choices)
    note = models.TextField(max_length=4000)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.status_from} → {self.status_to}"


class AuditAnchor(models.Model):
    """The chain's head as a verification found it: a later verification checks that this entry
    is still there with the same hash, so cutting off the newest entries is detected too."""

    at = models.DateTimeField(auto_now_add=True)
    chain_seq = models.BigIntegerField()
    chain_hash = models.CharField(max_length=64)
    entries = models.BigIntegerField()

    class Meta:
        ordering = ["-chain_seq"]

    def __str__(self) -> str:
        return f"{self.chain_seq} {self.chain_hash[:12]}"
